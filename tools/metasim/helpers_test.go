package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

const testSecret = "test-app-secret-4b1d"

// runMetasim runs the CLI as main does, with the given environment.
func runMetasim(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if ctx == nil {
		ctx = context.Background()
	}
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut, func(k string) string { return vars[k] })
	return code, out.String(), errOut.String()
}

// received is one request a fake server got.
type received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// recorder is a fake webhook: it records every request and answers with status/body.
type recorder struct {
	mu       sync.Mutex
	requests []received
	status   int
	body     string
}

func newRecorder(t *testing.T, status int, body string) (*recorder, *httptest.Server) {
	t.Helper()
	rec := &recorder{status: status, body: body}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, received{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: b})
		rec.mu.Unlock()
		w.WriteHeader(rec.status)
		_, _ = io.WriteString(w, rec.body)
	}))
	t.Cleanup(srv.Close)
	return rec, srv
}

func (r *recorder) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

// syncBuffer is a log writer safe for the handler's goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
