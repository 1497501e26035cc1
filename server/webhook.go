package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

const (
	// maxWebhookBody caps a delivery. Meta batches at most 1000 updates; a batch of
	// 1000 messages with attachment URLs stays well under this.
	maxWebhookBody = 4 << 20
	// inlineBudget is how long a delivery is applied inline before the rest is stored
	// for the retry job; Meta wants an answer within 5 seconds.
	inlineBudget = 3 * time.Second
	// applyWorkers is how many leads of one delivery are applied at once.
	applyWorkers = 4
)

// handleVerify answers Meta's subscription handshake: the raw challenge when the
// verify token matches, 403 otherwise.
func (p *Plugin) handleVerify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	want := p.getConfiguration().WebhookVerifyToken
	got := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		p.API.LogWarn("refused a webhook verification: the verify token does not match the plugin's", "remote", r.RemoteAddr)
		http.Error(w, "verify token mismatch", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, q.Get("hub.challenge"))
}

// handleWebhook receives a delivery. The signature is checked over the raw bytes before
// anything is parsed; 200 is answered only once every event is applied or durably
// stored for the retry job, otherwise Meta gets a 5xx and delivers again (which is
// safe: every event is applied at most once per native ID).
func (p *Plugin) handleWebhook(w http.ResponseWriter, r *http.Request) {
	cfg := p.getConfiguration()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			p.API.LogWarn("refused an oversized webhook delivery", "limit_bytes", maxWebhookBody, "remote", r.RemoteAddr)
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not read body", http.StatusBadRequest)
		return
	}
	switch err := meta.VerifySignature(body, r.Header.Get(meta.SignatureHeader), cfg.webhookSecrets()...); {
	case errors.Is(err, meta.ErrNoSecret):
		p.API.LogError("refused a webhook delivery: no Meta App Secret is configured (System Console > Plugins > Social Inbox)")
		http.Error(w, "Social Inbox is not configured: set the Meta App Secret", http.StatusServiceUnavailable)
		return
	case errors.Is(err, meta.ErrSignatureMissing):
		p.API.LogWarn("refused a webhook delivery without X-Hub-Signature-256", "remote", r.RemoteAddr)
		http.Error(w, "missing X-Hub-Signature-256", http.StatusUnauthorized)
		return
	case err != nil:
		p.API.LogWarn("refused a webhook delivery with a wrong signature; check the Meta App Secret", "remote", r.RemoteAddr)
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	batch, err := meta.Parse(body)
	if err != nil {
		p.API.LogWarn("refused a signed webhook delivery that is not a Meta webhook body", "error", err.Error())
		http.Error(w, "malformed body", http.StatusBadRequest)
		return
	}
	if err := p.receive(r.Context(), batch); err != nil {
		p.API.LogError("could not record a webhook delivery; Meta will deliver it again", "error", err.Error())
		http.Error(w, "temporarily unable to record the delivery", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "EVENT_RECEIVED")
}

// receive applies a parsed delivery inline for up to inlineBudget and stores what is
// left for the retry job. It returns an error only when something could be lost.
func (p *Plugin) receive(ctx context.Context, batch *meta.Batch) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), inlineBudget)
	defer cancel()
	res := p.engine.ApplyBatch(ctx, batch.Events, applyWorkers)
	for _, s := range batch.Skips {
		res.Skipped[s.Reason]++
	}
	if len(res.Pending) > 0 {
		if err := p.engine.Defer(res.Pending, res.Err); err != nil {
			return err
		}
		p.API.LogDebug("stored webhook events for the retry job", "events", len(res.Pending))
	}
	if err := p.engine.Store().CountSkipped(res.Skipped); err != nil {
		// Statistics only: never a reason to make Meta redeliver.
		p.API.LogWarn("could not count skipped webhook events", "error", err.Error())
	}
	return nil
}
