package intake

import (
	"context"
	"strings"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// EchoMetadataPrefix marks the plugin's own sends: the Send API's metadata field,
// "mm-post:<post ID>", comes back in the echo.
const EchoMetadataPrefix = "mm-post:"

// IsOwnEcho reports whether an echo is of a message the plugin itself sent.
func IsOwnEcho(cfg Config, ev *meta.Event) bool {
	if ev.Echo == nil {
		return false
	}
	if cfg.AppID != "" && ev.Echo.AppID == cfg.AppID {
		return true
	}
	return strings.HasPrefix(ev.Echo.Metadata, EchoMetadataPrefix)
}

// echo handles a message the business sent. The plugin's own sends are never posted
// again; replies typed in another tool (Business Suite, the Instagram app) are shown
// in the lead channel as outbound context.
func (a *attempt) echo(ctx context.Context, cfg Config) (Outcome, string, error) {
	if IsOwnEcho(cfg, &a.ev) {
		if a.e.OnOwnEcho != nil {
			a.e.OnOwnEcho(a.ev)
		}
		return Ignored, SkipOwnEcho, nil
	}
	conv := &store.Conversation{}
	found, err := a.e.store.Get(store.ConversationKey(a.lead), conv)
	if err != nil {
		return 0, "", err
	}
	if !found || conv.ChannelID == "" {
		return Ignored, SkipEchoWithoutLead, nil
	}
	rec, outcome, err := a.acquire(store.Outbound)
	if err != nil || outcome != 0 {
		return outcome, "", err
	}
	if err := a.echoLeased(ctx, rec, conv); err != nil {
		a.release()
		return 0, "", err
	}
	return Applied, "", nil
}

func (a *attempt) echoLeased(ctx context.Context, rec *store.Message, conv *store.Conversation) error {
	postID, err := a.ensureMessagePost(ctx, rec, conv, PostOutboundContext)
	if err != nil {
		return err
	}
	t := a.ev.Time.UnixMilli()
	if _, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, _ bool) (bool, error) {
		changed := false
		if t > c.LastOutboundAt {
			c.LastOutboundAt = t
			changed = true
		}
		if c.FirstResponseAt == 0 {
			c.FirstResponseAt = t
			changed = true
		}
		return changed, nil
	}); err != nil {
		return errors.Wrap(err, "record outbound activity")
	}
	if err := a.audit(store.AuditEvent{
		ID: "echo:" + a.ev.NativeID, Action: "message.sent_elsewhere", Subject: a.ev.NativeID,
		Detail: "app " + a.ev.Echo.AppID,
	}); err != nil {
		return err
	}
	if _, err := a.modifyMessage(func(m *store.Message) {
		m.State = store.MessageDone
		m.Post.PostID = postID
		m.ChannelID = conv.ChannelID
		m.Lease = store.Lease{}
	}); err != nil {
		return errors.Wrap(err, "complete echo")
	}
	a.e.ws.LeadUpdated(a.lead, conv.ChannelID)
	return nil
}

// update applies a reaction, edit, unsend, or comment edit/removal/visibility change to
// the message it refers to and re-renders that message's post. These never create a
// post. They are idempotent by nature (a reaction set, an edit counter, a flag), so no
// record of their own is needed.
func (a *attempt) update(ctx context.Context) (Outcome, string, error) {
	if a.ev.Kind == meta.KindReaction {
		// A reaction is the buyer's own action: it refreshes the window whatever it
		// reacts to (often a reply the page sent, which has no inbound record).
		if err := a.reactionActivity(ctx); err != nil {
			return 0, "", err
		}
	}
	key := store.MessageKey(string(a.ev.Platform), a.ev.AccountID, a.ev.TargetID)
	changed := false
	var action, before string
	rec, err := store.Modify(a.e.store, key, 0, func(m *store.Message, exists bool) (bool, error) {
		changed = false
		if !exists || m.State != store.MessageDone {
			return false, nil
		}
		switch a.ev.Kind {
		case meta.KindReaction:
			action = "message.reaction"
			changed = applyReaction(m, a.ev.Reaction)
		case meta.KindEdit, meta.KindCommentEdit:
			action = "message.edited"
			if m.Deleted || m.Text == a.ev.Text || (a.ev.NumEdit != 0 && a.ev.NumEdit <= m.NumEdit) {
				return false, nil
			}
			before = m.Text
			m.Text = a.ev.Text
			m.Edited = true
			m.NumEdit = a.ev.NumEdit
			changed = true
		case meta.KindUnsend, meta.KindCommentRemove:
			action = "message.unsent"
			if m.Deleted {
				return false, nil
			}
			// Redact the stored copy: the buyer took it back.
			m.Deleted = true
			m.Text = ""
			m.Event = nil
			for i := range m.Attachments {
				m.Attachments[i].URL = ""
				m.Attachments[i].Title = ""
			}
			changed = true
		case meta.KindCommentHide:
			action = "comment.visibility"
			hidden := a.ev.Comment != nil && a.ev.Comment.Verb == "hide"
			if m.Hidden == hidden {
				return false, nil
			}
			m.Hidden = hidden
			changed = true
		}
		return changed, nil
	})
	if err != nil {
		return 0, "", errors.Wrap(err, "update message")
	}
	if rec.NativeID == "" {
		return Ignored, SkipUnknownTarget, nil
	}
	if rec.State != store.MessageDone {
		return 0, "", ErrTargetPending
	}
	a.lead = rec.LeadID
	if !changed {
		return Duplicate, "", nil
	}
	if rec.Post.PostID != "" {
		var ev meta.Event
		decodeEvent(rec.Event, &ev)
		if err := a.e.ws.UpdatePost(rec.Post.PostID, &Post{
			ChannelID: rec.ChannelID, Message: renderMessage(rec, &ev, postKindOf(rec)), NativeID: rec.NativeID,
			Kind: postKindOf(rec), LeadID: rec.LeadID,
		}); err != nil {
			return 0, "", errors.Wrap(err, "update post")
		}
	}
	if err := a.audit(store.AuditEvent{
		ID: "update:" + a.ev.NativeID, Action: action, Subject: a.ev.TargetID, Before: truncate(before, 200),
		After: truncate(rec.Text, 200),
	}); err != nil {
		return 0, "", err
	}
	if a.ev.Kind == meta.KindUnsend || a.ev.Kind == meta.KindCommentRemove {
		if err := a.redactExcerpt(); err != nil {
			return 0, "", err
		}
	}
	a.e.ws.LeadUpdated(rec.LeadID, rec.ChannelID)
	return Applied, "", nil
}

func (a *attempt) reactionActivity(ctx context.Context) error {
	conv := &store.Conversation{}
	found, err := a.e.store.Get(store.ConversationKey(a.lead), conv)
	if err != nil || !found {
		return err
	}
	_, events, err := a.customerActivity(ctx, conv)
	if err != nil {
		return err
	}
	return a.audit(events...)
}

// redactExcerpt removes an unsent message's text from the queue summary and the cards.
func (a *attempt) redactExcerpt() error {
	redacted := false
	conv, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, exists bool) (bool, error) {
		redacted = false
		if !exists || c.LastExcerptID != a.ev.TargetID || c.LastExcerpt == unsentExcerpt {
			return false, nil
		}
		c.LastExcerpt = unsentExcerpt
		redacted = true
		return true, nil
	})
	if err != nil {
		return errors.Wrap(err, "redact excerpt")
	}
	if redacted && conv.Card.PostID != "" {
		a.refreshViews(conv)
	}
	return nil
}

const unsentExcerpt = "[unsent by the buyer]"

func postKindOf(m *store.Message) string {
	if m.Direction == store.Outbound {
		return PostOutboundContext
	}
	return PostInbound
}

func applyReaction(m *store.Message, r *meta.ReactionInfo) bool {
	if r == nil {
		return false
	}
	if r.Action == "unreact" {
		// An unreact carries only the message ID: the buyer has no reaction any more.
		if len(m.Reactions) == 0 {
			return false
		}
		m.Reactions = nil
		return true
	}
	label := r.Emoji
	if label == "" {
		label = r.Reaction
	}
	if label == "" {
		label = "❤️"
	}
	for _, x := range m.Reactions {
		if x == label {
			return false
		}
	}
	m.Reactions = append(m.Reactions, label)
	return true
}

// receipt records a read or delivery watermark on the conversation. Receipts never
// open the response window and never create a post.
func (a *attempt) receipt() (Outcome, string, error) {
	t := a.ev.Watermark.UnixMilli()
	if a.ev.Watermark.IsZero() {
		t = a.ev.Time.UnixMilli()
	}
	found := true
	_, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, exists bool) (bool, error) {
		found = exists
		if !exists {
			return false, nil
		}
		if a.ev.Kind == meta.KindRead {
			if t <= c.CustomerReadAt {
				return false, nil
			}
			c.CustomerReadAt = t
			return true, nil
		}
		if t <= c.DeliveredAt {
			return false, nil
		}
		c.DeliveredAt = t
		return true, nil
	})
	if err != nil {
		return 0, "", errors.Wrap(err, "record receipt")
	}
	if !found {
		return Ignored, SkipNoLead, nil
	}
	return Applied, "", nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
