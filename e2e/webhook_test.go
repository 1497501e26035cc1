package e2e

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhookVerificationHandshake(t *testing.T) {
	sc := newScenario(t)
	cases := []struct {
		name, token, challenge string
		wantStatus             int
		wantBody               string
	}{
		{"matching token echoes a numeric challenge", sc.settings.WebhookVerifyToken, "1158201444", 200, "1158201444"},
		{"matching token echoes the challenge verbatim", sc.settings.WebhookVerifyToken, "CHALLENGE_ACCEPTED-7.5e3", 200, "CHALLENGE_ACCEPTED-7.5e3"},
		{"wrong token", "not-the-token", "1158201444", 403, ""},
		{"missing token", "", "1158201444", 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := verifyRequest(t, "subscribe", tc.token, tc.challenge)
			assert.Equal(t, tc.wantStatus, status, "status (body %q)", truncate(body, 200))
			if tc.wantStatus == 200 {
				assert.Equal(t, tc.wantBody, body, "the body must be exactly the challenge")
			} else {
				assert.NotContains(t, body, tc.challenge, "a refused handshake must not echo the challenge")
			}
		})
	}
}

func TestWebhookSignatureEnforced(t *testing.T) {
	sc := newScenario(t)
	secret := sc.settings.MetaAppSecret
	cases := []struct {
		name    string
		headers func(body []byte) map[string]string
		want    int
	}{
		{"valid sha256 signature is accepted", func(b []byte) map[string]string {
			return map[string]string{"X-Hub-Signature-256": signSHA256(secret, b)}
		}, http.StatusOK},
		{"missing signature header", func([]byte) map[string]string { return nil }, http.StatusUnauthorized},
		{"legacy sha1 signature only", func(b []byte) map[string]string {
			return map[string]string{"X-Hub-Signature": signSHA1(secret, b)}
		}, http.StatusUnauthorized},
		{"signed with another secret", func(b []byte) map[string]string {
			return map[string]string{"X-Hub-Signature-256": signSHA256("some-other-secret", b)}
		}, http.StatusForbidden},
		{"signature of a different body", func(b []byte) map[string]string {
			return map[string]string{"X-Hub-Signature-256": signSHA256(secret, append(bytes.Clone(b), ' '))}
		}, http.StatusForbidden},
		{"signature is not hex", func([]byte) map[string]string {
			return map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("zz", 32)}
		}, http.StatusForbidden},
	}

	var refused []string
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh customer and mid per case, so an accepted body cannot hide a refused one.
			body := newIDMapper().rewrite(t, readSample(t, "messenger_text.json"))
			mid := body.Messages()[0].NativeID
			resp := postWebhook(t, body.Bytes, tc.headers(body.Bytes))
			assert.Equal(t, tc.want, resp.Status, "status (body %q)", truncate(resp.Body, 200))
			if tc.want == http.StatusOK {
				sc.waitForNativePost(mid)
			} else {
				refused = append(refused, mid)
			}
		})
	}

	time.Sleep(settle)
	for _, mid := range refused {
		posts := postsWithNativeID(t, mid)
		assertPosts(t, 0, posts, "a refused delivery must post nothing (mid %s)", mid)
	}
}

func TestWebhookWithoutAppSecretRefused(t *testing.T) {
	sc := newScenario(t)
	settings := sc.settings
	settings.MetaAppSecret = ""
	configurePlugin(t, settings)

	body := sc.sample("messenger_text.json")
	resp := postWebhook(t, body.Bytes, map[string]string{"X-Hub-Signature-256": signSHA256("guessed-secret", body.Bytes)})
	assert.Equal(t, http.StatusServiceUnavailable, resp.Status, "status with no MetaAppSecret configured (body %q)", truncate(resp.Body, 200))
	resp = postWebhook(t, body.Bytes, map[string]string{"X-Hub-Signature-256": signSHA256("", body.Bytes)})
	assert.Equal(t, http.StatusServiceUnavailable, resp.Status, "status with no MetaAppSecret configured, body signed with the empty key (body %q)", truncate(resp.Body, 200))

	time.Sleep(settle)
	posts := postsWithNativeID(t, body.Messages()[0].NativeID)
	assertPosts(t, 0, posts, "nothing may be posted without an App Secret")
}

func TestOversizedBodyRefused(t *testing.T) {
	sc := newScenario(t)
	var b bytes.Buffer
	b.WriteString(`{"object":"page","entry":[],"padding":"`)
	b.WriteString(strings.Repeat("x", 4<<20))
	b.WriteString(`"}`)
	require.Greater(t, b.Len(), 4<<20)
	resp := postWebhook(t, b.Bytes(), sc.sign(b.Bytes()))
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.Status, "status for a %d-byte body (body %q)", b.Len(), truncate(resp.Body, 200))
}

func TestMalformedJSONRejected(t *testing.T) {
	sc := newScenario(t)
	body := []byte(`{"object":"page","entry":[{"id":"108245671983342","time":1795209247800,"messaging":[`)
	resp := postWebhook(t, body, sc.sign(body))
	assert.Equal(t, http.StatusBadRequest, resp.Status, "status for malformed JSON with a valid signature (body %q)", truncate(resp.Body, 200))
}

func TestUnknownPageIgnored(t *testing.T) {
	sc := newScenario(t)
	body := sc.sample("messenger_text.json")
	// Both the entry id and the recipient are the page; neither is the configured one.
	raw := bytes.ReplaceAll(body.Bytes, []byte(`"`+samplePageID+`"`), []byte(`"100000000000077"`))
	require.NotEqual(t, body.Bytes, raw)
	sc.deliver(raw)

	time.Sleep(settle)
	posts := postsWithNativeID(t, body.Messages()[0].NativeID)
	assertPosts(t, 0, posts, "a message for an unconfigured page must post nothing")
	all := sc.botPostsSince(sc.started)
	assertPosts(t, 0, all, "bot posts after a delivery for an unconfigured page")
}
