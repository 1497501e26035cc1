package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// The Send API request body (fact sheet section 5). IDs decode from strings or numbers.
type sendRequest struct {
	// uploaded is set when the attachment's file came as multipart "filedata".
	uploaded         bool
	Recipient        *sendRecipient `json:"recipient"`
	MessagingType    string         `json:"messaging_type"`
	Tag              string         `json:"tag"`
	Message          *sendMessage   `json:"message"`
	SenderAction     string         `json:"sender_action"`
	NotificationType string         `json:"notification_type"`
	ReplyTo          *struct {
		MID string `json:"mid"`
	} `json:"reply_to"`
	Payload *struct {
		MessageID string `json:"message_id"`
		Reaction  string `json:"reaction"`
	} `json:"payload"`
}

type sendRecipient struct {
	ID        meta.FlexString `json:"id"`
	CommentID meta.FlexString `json:"comment_id"`
	PostID    meta.FlexString `json:"post_id"`
	UserRef   meta.FlexString `json:"user_ref"`
}

type sendMessage struct {
	Text         *string           `json:"text"`
	Attachment   *sendAttachment   `json:"attachment"`
	QuickReplies []json.RawMessage `json:"quick_replies"`
	Metadata     string            `json:"metadata"`
}

type sendAttachment struct {
	Type    string `json:"type"`
	Payload *struct {
		URL          string          `json:"url"`
		AttachmentID meta.FlexString `json:"attachment_id"`
		IsReusable   bool            `json:"is_reusable"`
		TemplateType string          `json:"template_type"`
	} `json:"payload"`
}

// sendAnswer is the Send API's success body; recipient_id is omitted for user_ref.
type sendAnswer struct {
	RecipientID string `json:"recipient_id,omitempty"`
	MessageID   string `json:"message_id"`
}

// Limits of the Send API.
const (
	maxMessengerTextChars = 2000
	maxInstagramTextBytes = 1000
	maxQuickReplies       = 13
	maxMetadataChars      = 1000
)

var (
	messagingTypes    = set("RESPONSE", "UPDATE", "MESSAGE_TAG")
	notificationTypes = set("REGULAR", "SILENT_PUSH", "NO_PUSH")
	senderActions     = set("typing_on", "typing_off", "mark_seen", "react", "unreact")
	attachmentTypes   = set("image", "audio", "video", "file", "template")
	// jsonParams are the parameters that carry JSON when sent as form or query values.
	jsonParams = set("recipient", "message", "reply_to", "payload")
)

// decodeSendRequest reads a JSON body, or form/query parameters whose structured values
// are JSON strings (both are accepted by the Graph API).
func decodeSendRequest(req *graphRequest) (*sendRequest, *graphError) {
	fields := map[string]json.RawMessage{}
	if trimmed := bytes.TrimSpace(req.body); len(trimmed) > 0 && trimmed[0] == '{' {
		if err := json.Unmarshal(trimmed, &fields); err != nil {
			e := paramError("The request body is not valid JSON: %v", err)
			return nil, &e
		}
	}
	for k, vs := range req.params {
		if _, ok := fields[k]; ok || secretParams[k] || len(vs) == 0 {
			continue
		}
		if jsonParams[k] {
			if !json.Valid([]byte(vs[0])) {
				e := paramError("Param %s must be a JSON object", k)
				return nil, &e
			}
			fields[k] = json.RawMessage(vs[0])
			continue
		}
		fields[k], _ = json.Marshal(vs[0])
	}
	raw, _ := json.Marshal(fields)
	var sr sendRequest
	if err := json.Unmarshal(raw, &sr); err != nil {
		e := paramError("Invalid parameter: %v", err)
		return nil, &e
	}
	return &sr, nil
}

// validateSend checks the body shape the way the Send API does; the first problem wins.
func validateSend(sr *sendRequest, instagram bool) *graphError {
	fail := func(format string, args ...any) *graphError {
		e := paramError(format, args...)
		return &e
	}
	r := sr.Recipient
	if r == nil {
		return fail("The parameter recipient is required")
	}
	given := 0
	for _, v := range []meta.FlexString{r.ID, r.CommentID, r.PostID, r.UserRef} {
		if v != "" {
			given++
		}
	}
	switch {
	case given == 0:
		return fail("The parameter recipient must have one of id, comment_id, post_id or user_ref")
	case given > 1:
		return fail("Only one of recipient[id], recipient[comment_id], recipient[post_id] and recipient[user_ref] may be given")
	}

	if sr.SenderAction != "" {
		switch {
		case sr.Message != nil:
			e := paramError("Cannot send both message and state at the same time.")
			e.Subcode = 2018014
			return &e
		case !senderActions[sr.SenderAction]:
			return fail("Param sender_action must be one of {typing_on, typing_off, mark_seen, react, unreact} - got %q", sr.SenderAction)
		case (sr.SenderAction == "react" || sr.SenderAction == "unreact") && (sr.Payload == nil || sr.Payload.MessageID == ""):
			return fail("Param payload[message_id] is required for sender_action %s", sr.SenderAction)
		}
		return nil
	}

	if sr.Message == nil {
		return fail("Must send either message or state")
	}
	privateReply := r.CommentID != "" || r.PostID != ""
	switch {
	case sr.MessagingType != "" && !messagingTypes[sr.MessagingType]:
		return fail("Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG} - got %q", sr.MessagingType)
	case sr.MessagingType == "" && r.ID != "":
		return fail("The parameter messaging_type is required (RESPONSE, UPDATE or MESSAGE_TAG)")
	case sr.Tag != "" && sr.MessagingType != "MESSAGE_TAG":
		return fail("Param tag can only be used with messaging_type MESSAGE_TAG")
	case sr.MessagingType == "MESSAGE_TAG" && sr.Tag == "":
		return fail("Param tag is required when messaging_type is MESSAGE_TAG")
	case sr.MessagingType == "MESSAGE_TAG" && privateReply:
		return fail("Private replies cannot use message tags")
	case sr.Tag != "" && sr.Tag != "HUMAN_AGENT":
		// CONFIRMED_EVENT_UPDATE, ACCOUNT_UPDATE and POST_PURCHASE_UPDATE stopped
		// working on 27 April 2026; Instagram never allowed anything but HUMAN_AGENT.
		return fail("Param tag %q is no longer supported: HUMAN_AGENT is the only message tag", sr.Tag)
	case sr.NotificationType != "" && !notificationTypes[sr.NotificationType]:
		return fail("Param notification_type must be one of {REGULAR, SILENT_PUSH, NO_PUSH} - got %q", sr.NotificationType)
	case sr.ReplyTo != nil && sr.ReplyTo.MID == "":
		return fail("Param reply_to[mid] must be a non-empty string")
	}

	m := sr.Message
	switch {
	case m.Text != nil && m.Attachment != nil:
		return fail("Only one of message[text] and message[attachment] may be set")
	case m.Text == nil && m.Attachment == nil:
		return fail("Must send either message[text] or message[attachment]")
	case m.Text != nil && strings.TrimSpace(*m.Text) == "":
		return fail("Param message[text] must be a non-empty UTF-8 encoded string")
	case m.Text != nil && !instagram && utf8.RuneCountInString(*m.Text) > maxMessengerTextChars:
		return fail("Length of param message[text] must be less than or equal to %d characters (got %d)", maxMessengerTextChars, utf8.RuneCountInString(*m.Text))
	case m.Text != nil && instagram && len(*m.Text) > maxInstagramTextBytes:
		return fail("Instagram message text must be at most %d bytes of UTF-8 (got %d bytes)", maxInstagramTextBytes, len(*m.Text))
	case len(m.QuickReplies) > maxQuickReplies:
		return fail("Param message[quick_replies] must have at most %d elements (got %d)", maxQuickReplies, len(m.QuickReplies))
	case utf8.RuneCountInString(m.Metadata) >= maxMetadataChars:
		return fail("Length of param message[metadata] must be less than %d characters", maxMetadataChars)
	}
	if a := m.Attachment; a != nil {
		switch {
		case !attachmentTypes[a.Type]:
			return fail("Param message[attachment][type] must be one of {image, audio, video, file, template} - got %q", a.Type)
		case a.Payload == nil:
			return fail("Param message[attachment][payload] is required")
		case a.Type == "template" && a.Payload.TemplateType == "":
			return fail("Param message[attachment][payload][template_type] is required")
		case a.Type != "template" && a.Payload.URL == "" && a.Payload.AttachmentID == "" && !sr.uploaded:
			return fail("Param message[attachment][payload] must have a url or an attachment_id, or the file must be uploaded as filedata")
		case a.Payload.URL != "" && !isWebURL(a.Payload.URL):
			return fail("Param message[attachment][payload][url] must be a valid http(s) URL")
		}
	}
	return nil
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

func (g *graphStandIn) sendAPI(w http.ResponseWriter, req *graphRequest) {
	if p := req.parts[0]; p != "me" && p != g.cfg.PageID && p != g.cfg.IGID {
		// Sending as a Page or account the token does not belong to.
		g.writeError(w, req, unsupported(req))
		return
	}
	sr, gerr := decodeSendRequest(req)
	if sr != nil {
		sr.uploaded = req.upload != nil
	}
	if gerr != nil {
		g.writeError(w, req, *gerr)
		return
	}
	instagram := g.isInstagramSend(req.parts[0], sr)
	if gerr := validateSend(sr, instagram); gerr != nil {
		g.writeError(w, req, *gerr)
		return
	}
	recipient := g.recipientID(sr.Recipient)
	if sr.SenderAction != "" {
		g.writeJSON(w, req, http.StatusOK, map[string]string{"recipient_id": recipient})
		return
	}

	if mode, ok := g.takeFailure(); ok {
		g.writeRaw(w, req, mode.status, mode.body(instagram))
		if mode.delivered {
			// Meta reported an error, but the message went out: mark the comment replied
			// and echo it, so the plugin can reconcile.
			g.claimPrivateReply(sr.Recipient)
			g.echo(instagram, recipient, newMessengerMID(), sr)
		}
		return
	}
	if !g.claimPrivateReply(sr.Recipient) {
		g.writeRaw(w, req, http.StatusBadRequest, failModes["already-replied"].body(instagram))
		return
	}
	mid := newMessengerMID()
	g.writeJSON(w, req, http.StatusOK, sendAnswer{RecipientID: recipient, MessageID: mid})
	g.echo(instagram, recipient, mid, sr)
}

// takeFailure says whether this send must fail with the --fail mode.
func (g *graphStandIn) takeFailure() (failMode, bool) {
	if g.cfg.Fail == "" {
		return failMode{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.failsLeft == 0 {
		return failMode{}, false
	}
	if g.failsLeft > 0 {
		g.failsLeft--
	}
	return failModes[g.cfg.Fail], true
}

// claimPrivateReply records the one private reply a comment (or visitor post) allows. It
// returns false when it was already used.
func (g *graphStandIn) claimPrivateReply(r *sendRecipient) bool {
	target := string(r.CommentID)
	if target == "" {
		target = string(r.PostID)
	}
	if target == "" {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.replied[target] {
		return false
	}
	g.replied[target] = true
	return true
}

// isInstagramSend decides which limits and error variants apply (see graphHelp).
func (g *graphStandIn) isInstagramSend(pathID string, sr *sendRequest) bool {
	if pathID == g.cfg.IGID {
		return true
	}
	if sr.Recipient == nil {
		return false
	}
	if c := string(sr.Recipient.CommentID); c != "" {
		return !strings.Contains(c, "_")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.igUsers[string(sr.Recipient.ID)]
}

// recipientID is the recipient_id of the answer: the user, or for a private reply the
// commenter's scoped ID (stable per comment, so the plugin can link the comment to the
// conversation that follows). user_ref recipients get none.
func (g *graphStandIn) recipientID(r *sendRecipient) string {
	switch {
	case r.ID != "":
		return string(r.ID)
	case r.CommentID != "":
		return scopedIDFor(string(r.CommentID))
	case r.PostID != "":
		return scopedIDFor(string(r.PostID))
	}
	return ""
}

func scopedIDFor(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return "7" + fmt.Sprintf("%015d", h.Sum64()%1_000_000_000_000_000)
}

// echo posts the message_echoes webhook Meta sends for every message the Page sends.
func (g *graphStandIn) echo(instagram bool, customer, mid string, sr *sendRequest) {
	if g.cfg.EchoURL == "" || customer == "" || sr.Message == nil {
		return
	}
	business, object := g.cfg.PageID, meta.ObjectPage
	if instagram {
		business, object = g.cfg.IGID, meta.ObjectInstagram
	}
	now := time.Now()
	msg := &meta.Message{MID: mid, IsEcho: true, Metadata: sr.Message.Metadata}
	if !instagram {
		msg.AppID = id(g.cfg.AppID)
	}
	if sr.Message.Text != nil {
		msg.Text = *sr.Message.Text
	}
	if a := sr.Message.Attachment; a != nil {
		att := meta.Attachment{Type: a.Type}
		if a.Payload != nil && a.Payload.URL != "" {
			att.Payload = &meta.AttachmentPayload{URL: a.Payload.URL}
		}
		msg.Attachments = []meta.Attachment{att}
	}
	item := to(customer, business, now)
	item.Message = msg
	body, err := encodeWebhook(meta.Webhook{Object: object, Entry: []meta.Entry{messagingEntry(business, now.Add(40*time.Millisecond), item)}})
	if err != nil {
		g.logLine("echo " + mid + ": " + err.Error())
		return
	}
	g.echoes.Add(1)
	go func() {
		defer g.echoes.Done()
		res, err := deliver(context.Background(), g.cfg.Client, g.cfg.EchoURL, g.cfg.EchoSecret, body)
		if err != nil {
			g.logLine(g.scrub(fmt.Sprintf("%s echo %s → %v", time.Now().Format("15:04:05.000"), mid, err)))
			return
		}
		g.logLine(g.scrub(fmt.Sprintf("%s echo %s → webhook answered HTTP %d", time.Now().Format("15:04:05.000"), mid, res.Status)))
	}()
}
