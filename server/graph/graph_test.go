package graph

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Test identities: the business of the shared samples (README) and a fake token.
const (
	testToken   = "EAAJtestPageTokenZx81Qw7secretVALUE"
	testPageID  = "108245671983342"
	testIGPage  = testPageID // Instagram through Facebook Login sends as the linked Page
	testPSID    = "7284619053817462"
	testIGSID   = "6218854937265103"
	testVersion = "v26.0"
)

// samplesDir is Meta's captured bodies: /work/shared/meta-samples beside the repo, or
// $SOCIAL_INBOX_SAMPLES.
func samplesDir() string {
	if d := os.Getenv("SOCIAL_INBOX_SAMPLES"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "meta-samples")
}

// sample reads a shared Meta sample body.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir(), name))
	require.NoError(t, err, "shared Meta sample %s (set SOCIAL_INBOX_SAMPLES to the meta-samples directory)", name)
	return b
}

// fixture reads a body from this package's testdata.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// body loads "samples:<file>" from the shared samples, anything else from testdata.
func body(t *testing.T, name string) []byte {
	t.Helper()
	if rest, ok := strings.CutPrefix(name, "samples:"); ok {
		return sample(t, rest)
	}
	return fixture(t, name)
}

// captured is one request the fake Graph server received.
type captured struct {
	Method      string
	Path        string
	RawQuery    string
	Auth        string
	ContentType string
	Body        []byte
}

// fakeGraph is a local Graph API that records every request and gives one canned
// answer (or runs handle when set).
type fakeGraph struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []captured
	status int
	header http.Header
	answer []byte
	handle func(w http.ResponseWriter, r *http.Request)
}

func newFakeGraph(t *testing.T, status int, answer []byte) *fakeGraph {
	t.Helper()
	f := &fakeGraph{status: status, answer: answer, header: http.Header{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, captured{
			Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"), Body: b,
		})
		handle, header := f.handle, f.header.Clone()
		f.mu.Unlock()
		if handle != nil {
			handle(w, r)
			return
		}
		for k, vs := range header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(f.status)
		_, _ = w.Write(f.answer)
	}))
	t.Cleanup(f.Close)
	return f
}

// addHeader adds a header to the canned answer.
func (f *fakeGraph) addHeader(key, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.header.Add(key, value)
}

// setHandler replaces the canned answer.
func (f *fakeGraph) setHandler(h func(w http.ResponseWriter, r *http.Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handle = h
}

func (f *fakeGraph) requests() []captured {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]captured(nil), f.reqs...)
}

// only returns the single request the server got, checking the parts every Send API
// call shares: method, path, Bearer token, no token in the URL.
func (f *fakeGraph) only(t *testing.T, pageID string) captured {
	t.Helper()
	reqs := f.requests()
	require.Len(t, reqs, 1, "Send makes exactly one request")
	r := reqs[0]
	require.Equal(t, http.MethodPost, r.Method)
	require.Equal(t, "/"+testVersion+"/"+pageID+"/messages", r.Path)
	require.Equal(t, "Bearer "+testToken, r.Auth)
	require.NotContains(t, r.RawQuery, "access_token")
	require.NotContains(t, r.RawQuery, testToken)
	require.NotContains(t, r.Path, testToken)
	return r
}

func testClient(baseURL string, hc *http.Client) *Client {
	return New(hc, func() Settings {
		return Settings{BaseURL: baseURL, Version: testVersion, Token: testToken}
	})
}

// requireNoToken checks the token never reaches an error string.
func requireNoToken(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	require.NotContains(t, err.Error(), testToken)
	require.NotContains(t, err.Error(), testToken[:12])
	require.NotContains(t, Classify(err).Reason, testToken)
}
