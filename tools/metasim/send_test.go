package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// The bytes that reach the webhook verify with the App Secret and fail with another one.
func TestEveryScenarioArrivesSignedForTheSecretOnly(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			rec, srv := newRecorder(t, http.StatusOK, `{"status":"ok"}`)
			code, stdout, stderr := runMetasim(t, nil, nil, "send", sc.Name, "--url", srv.URL+webhookPath, "--secret", testSecret)
			require.Equal(t, exitOK, code, "stdout %s\nstderr %s", stdout, stderr)
			reqs := rec.all()
			require.Len(t, reqs, 1)
			got := reqs[0]
			header := got.Header.Get(meta.SignatureHeader)
			assert.NoError(t, meta.VerifySignature(got.Body, header, testSecret), "accepted with the App Secret")
			assert.ErrorIs(t, meta.VerifySignature(got.Body, header, "another-secret"), meta.ErrSignatureInvalid, "refused with another secret")
			_, err := meta.Parse(got.Body)
			assert.NoError(t, err)
		})
	}
}

func TestSendPostsLikeMeta(t *testing.T) {
	rec, srv := newRecorder(t, http.StatusOK, `{"status":"ok"}`)
	url := srv.URL + webhookPath
	code, stdout, stderr := runMetasim(t, nil, map[string]string{"META_APP_SECRET": testSecret},
		"send", "--url", url, "--text", "Hello from the test", "--mid", "m_test_1", "messenger-text")
	require.Equal(t, exitOK, code, stderr)
	reqs := rec.all()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, webhookPath, r.Path)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, meta.Sign(testSecret, r.Body), r.Header.Get("X-Hub-Signature-256"), "the secret comes from META_APP_SECRET")
	assert.Equal(t, "facebookexternalua", r.Header.Get("User-Agent"))
	assert.Contains(t, string(r.Body), `"mid":"m_test_1"`)
	assert.Contains(t, string(r.Body), `"text":"Hello from the test"`)

	assert.Contains(t, stdout, "messenger-text (mid m_test_1) → "+url)
	assert.Contains(t, stdout, "event: message (facebook account 108245671983342, customer 7284619053817462)")
	assert.Contains(t, stdout, `HTTP 200 OK`)
	assert.Contains(t, stdout, `{"status":"ok"}`)
	assert.NotContains(t, stdout+stderr, testSecret, "the secret is never printed")
}

func TestSendFileGoesByteForByte(t *testing.T) {
	rec, srv := newRecorder(t, http.StatusOK, "")
	// Odd spacing, escapes and a trailing newline must all survive: Meta's signature
	// covers the exact bytes.
	raw := []byte("{ \"object\": \"page\",\n  \"entry\": [{\"id\": \"108245671983342\", \"time\": 1795209247800, \"messaging\": [{\"sender\": {\"id\": \"7284619053817462\"}, \"recipient\": {\"id\": \"108245671983342\"}, \"timestamp\": 1795209247312, \"message\": {\"mid\": \"m_file\", \"text\": \"caf\\u00e9 \\/ ok\"}}]}]}\n")
	path := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(path, raw, 0o600))

	code, stdout, stderr := runMetasim(t, nil, nil, "send", "--file", path, "--url", srv.URL, "--secret", testSecret)
	require.Equal(t, exitOK, code, stderr)
	reqs := rec.all()
	require.Len(t, reqs, 1)
	assert.Equal(t, raw, reqs[0].Body)
	assert.Equal(t, meta.Sign(testSecret, raw), reqs[0].Header.Get(meta.SignatureHeader))
	assert.Contains(t, stdout, "event: message")
}

func TestSendExplainsTheWebhookAnswer(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   string
		code   int
	}{
		{"accepted", http.StatusOK, "", "", exitOK},
		{"missing signature refused", http.StatusUnauthorized, "missing X-Hub-Signature-256 header",
			"the plugin refused the signature: check --secret matches the plugin's Meta App Secret", exitFailure},
		{"wrong signature refused", http.StatusForbidden, "",
			"the plugin refused the signature: check --secret matches the plugin's Meta App Secret", exitFailure},
		{"no webhook there", http.StatusNotFound, "404 page not found",
			"no webhook at %URL%: check the plugin is enabled and the URL", exitFailure},
		{"no App Secret configured in the plugin", http.StatusServiceUnavailable, "no Meta App Secret is configured\n",
			"the plugin did not accept the delivery (HTTP 503): no Meta App Secret is configured", exitFailure},
		{"plugin error", http.StatusInternalServerError, "boom", "the plugin answered HTTP 500: boom", exitFailure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := newRecorder(t, tc.status, tc.body)
			url := srv.URL + webhookPath
			code, stdout, stderr := runMetasim(t, nil, nil, "send", "messenger-text", "--url", url, "--secret", testSecret)
			assert.Equal(t, tc.code, code, "stdout %s\nstderr %s", stdout, stderr)
			if tc.want != "" {
				assert.Contains(t, stderr, strings.ReplaceAll(tc.want, "%URL%", url))
			} else {
				assert.Empty(t, stderr)
			}
		})
	}
}

func TestSendExplainsConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String() + webhookPath
	require.NoError(t, ln.Close())

	code, _, stderr := runMetasim(t, nil, nil, "send", "messenger-text", "--url", url, "--secret", testSecret)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "cannot reach "+url+": is Mattermost running and the plugin enabled?")
}

func TestSendWithoutSecretIsAUsageError(t *testing.T) {
	rec, srv := newRecorder(t, http.StatusOK, "")
	code, _, stderr := runMetasim(t, nil, nil, "send", "messenger-text", "--url", srv.URL)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "no App Secret: pass --secret or set META_APP_SECRET")
	assert.Empty(t, rec.all(), "nothing is sent")
}

func TestDryRunPrintsBodyAndSignatureAndSendsNothing(t *testing.T) {
	rec, srv := newRecorder(t, http.StatusOK, "")
	code, stdout, stderr := runMetasim(t, nil, nil, "send", "instagram-comment", "--dry-run", "--url", srv.URL, "--secret", testSecret)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, rec.all())
	body := []byte(strings.TrimSuffix(stdout, "\n"))
	_, err := meta.Parse(body)
	require.NoError(t, err, "stdout is exactly the body: %s", stdout)
	assert.Contains(t, stderr, "X-Hub-Signature-256: "+meta.Sign(testSecret, body))
	assert.Contains(t, stderr, "dry run: nothing sent")

	code, stdout, stderr = runMetasim(t, nil, nil, "send", "instagram-comment", "--dry-run")
	assert.Equal(t, exitOK, code, "a dry run needs no secret")
	assert.Contains(t, stdout, `"object":"instagram"`)
	assert.Contains(t, stderr, "no App Secret")
}

func TestSendListsEveryScenario(t *testing.T) {
	code, stdout, _ := runMetasim(t, nil, nil, "send", "--list")
	require.Equal(t, exitOK, code)
	for _, sc := range scenarios() {
		assert.Contains(t, stdout, sc.Name)
		assert.Contains(t, stdout, sc.Summary)
	}
}

func TestSendCommandLineMistakesAreUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"unknown scenario":       {"send", "messenger-fax", "--secret", testSecret},
		"no scenario":            {"send", "--secret", testSecret},
		"two scenarios":          {"send", "messenger-text", "instagram-text", "--secret", testSecret},
		"scenario and file":      {"send", "messenger-text", "--file", "x.json", "--secret", testSecret},
		"missing file":           {"send", "--file", filepath.Join(t.TempDir(), "nope.json"), "--secret", testSecret},
		"unknown flag":           {"send", "messenger-text", "--colour", "blue"},
		"flag value missing":     {"send", "messenger-text", "--url"},
		"unknown command":        {"trigger", "messenger-text"},
		"no command":             {},
		"help for unknown thing": {"help", "trigger"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runMetasim(t, nil, nil, args...)
			assert.Equal(t, exitUsage, code)
			assert.NotEmpty(t, stderr)
		})
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	code, stdout, _ := runMetasim(t, nil, nil, "help")
	require.Equal(t, exitOK, code)
	for _, c := range commands() {
		assert.Contains(t, stdout, c.name)
	}
	flags := map[string][]string{
		"send":  {"-url", "-secret", "-page-id", "-ig-id", "-app-id", "-sender", "-text", "-mid", "-media-url", "-file", "-dry-run", "-list"},
		"graph": {"-addr", "-token", "-fail", "-fail-count", "-latency", "-echo-url"},
		"load":  {"-messages", "-senders", "-concurrency", "-duplicates", "-batch", "-server", "-token", "-team"},
	}
	for cmd, want := range flags {
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"help", cmd}} {
			code, stdout, stderr := runMetasim(t, nil, nil, args...)
			assert.Equal(t, exitOK, code, "%v: %s", args, stderr)
			assert.Contains(t, stdout, "Usage: metasim "+cmd)
			for _, f := range want {
				assert.Regexp(t, `(?m)^  `+f+`( |$)`, stdout, "%v documents %s", args, f)
			}
		}
	}
}
