package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// recordingWriter keeps the status and the start of the body for the log.
type recordingWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recordingWriter) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recordingWriter) Write(b []byte) (int, error) {
	if r.body.Len() < 4096 {
		r.body.Write(b[:min(len(b), 4096-r.body.Len())])
	}
	return r.ResponseWriter.Write(b)
}

// secretParams are never printed.
var secretParams = set("access_token", "input_token", "appsecret_proof", "client_secret", "fb_exchange_token")

func (g *graphStandIn) logRequest(start time.Time, req *graphRequest, tokenNote string, rec *recordingWriter) {
	target := req.r.URL.Path
	if q := req.r.URL.Query(); len(q) > 0 {
		target += "?" + maskedQuery(q)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", start.Format("15:04:05.000"), req.r.Method, target)
	if tokenNote != "" {
		b.WriteString(" " + tokenNote)
	}
	if len(bytes.TrimSpace(req.body)) > 0 {
		b.WriteString(" " + compactBody(req.body, 240))
	}
	fmt.Fprintf(&b, " → %d", rec.status)
	if rec.body.Len() > 0 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "image/") {
		b.WriteString(" " + compactBody(rec.body.Bytes(), 240))
	}
	if d := time.Since(start); d >= time.Millisecond {
		fmt.Fprintf(&b, " (%s)", d.Round(time.Millisecond))
	}
	g.logLine(g.scrub(b.String(), req.token))
}

func (g *graphStandIn) logLine(line string) {
	g.logMu.Lock()
	defer g.logMu.Unlock()
	fmt.Fprintln(g.cfg.Log, line)
}

// scrub removes any token that still made it into a log line (say, pasted into a
// message text).
func (g *graphStandIn) scrub(line string, tokens ...string) string {
	for _, t := range append(tokens, g.cfg.Token, g.cfg.EchoSecret) {
		if len(t) >= 4 {
			line = strings.ReplaceAll(line, t, "***")
		}
	}
	return line
}

func maskedQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		for _, v := range q[k] {
			if secretParams[k] {
				v = "***"
			}
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, "&")
}

// compactBody is a one-line summary of a JSON (or form) body: secrets masked, long
// strings shortened.
func compactBody(b []byte, limit int) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		if form, ferr := url.ParseQuery(strings.TrimSpace(string(b))); ferr == nil && len(form) > 0 && !bytes.ContainsAny(b, "{}") {
			return "form{" + maskedQuery(form) + "}"
		}
		return fmt.Sprintf("(%d bytes, not JSON)", len(b))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(shorten(v, ""))
	s := strings.TrimSpace(buf.String())
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

func shorten(v any, key string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = shorten(x, k)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = shorten(x, key)
		}
		return out
	case string:
		if secretParams[key] {
			return "***"
		}
		// IDs (mids are 88 characters) stay whole so they can be matched with echoes.
		if r := []rune(t); len(r) > 100 {
			return string(r[:97]) + "…"
		}
	}
	return v
}
