package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/relay"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

const (
	propRelay   = "social_inbox_relay"
	actionRetry = "retry"

	emojiPending   = "hourglass_flowing_sand"
	emojiDelivered = "white_check_mark"
	emojiFailed    = "warning"

	// leadCacheLimit bounds the node-local cache of which channels are lead channels.
	leadCacheLimit = 50000
	sendTimeout    = 30 * time.Second
)

// leadChannels caches, per node, which channels are lead channels. Both message hooks
// run for every post on the server, so the first check must not touch the KV store.
// A channel's answer never changes (lead channels are created by the plugin with a new
// ID), so positive and negative answers are cached; the KV store stays the truth.
type leadChannels struct {
	mu sync.RWMutex
	m  map[string]string // channel ID → lead ID ("" = not a lead channel)
}

func (p *Plugin) leadOfChannel(channelID string) (string, bool) {
	p.leadCache.mu.RLock()
	lead, known := p.leadCache.m[channelID]
	p.leadCache.mu.RUnlock()
	if known {
		return lead, lead != ""
	}
	var id string
	found, err := p.store.Get(store.ChannelKey(channelID), &id)
	if err != nil {
		// Unknown: do not cache, do not relay; the operator sees no relay and can retry.
		p.API.LogWarn("could not check whether a channel is a lead channel", "channel_id", channelID, "error", err.Error())
		return "", false
	}
	p.leadCache.mu.Lock()
	if p.leadCache.m == nil || len(p.leadCache.m) >= leadCacheLimit {
		p.leadCache.m = map[string]string{}
	}
	p.leadCache.m[channelID] = id
	p.leadCache.mu.Unlock()
	return id, found && id != ""
}

// relayCandidate says whether a post is a person's post in a lead channel.
func (p *Plugin) relayCandidate(post *model.Post) (string, bool) {
	if post.UserId == p.botUserID || post.Type != "" || post.IsRemote() {
		return "", false
	}
	for _, prop := range []string{model.PostPropsFromPlugin, model.PostPropsFromBot, model.PostPropsFromWebhook} {
		if v := post.GetProp(prop); v != nil && v != "" && v != false {
			return "", false
		}
	}
	return p.leadOfChannel(post.ChannelId)
}

func (p *Plugin) loadLead(leadID string) (*store.Conversation, *store.Handoff, error) {
	var conv store.Conversation
	var ho store.Handoff
	if _, err := p.store.Get(store.ConversationKey(leadID), &conv); err != nil {
		return nil, nil, err
	}
	found, err := p.store.Get(store.HandoffKey(leadID), &ho)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return &conv, nil, nil
	}
	return &conv, &ho, nil
}

func (p *Plugin) policy() relay.Policy {
	return relay.Policy{HumanAgentEnabled: p.getConfiguration().EnableHumanAgentTag}
}

// MessageWillBePosted enforces Meta's windows and the handoff before an operator's post
// exists: a reply that cannot be sent is rejected with the reason, so nobody sees a
// "sent" message that Meta refused. An unclaimed lead is claimed by the author here.
func (p *Plugin) MessageWillBePosted(_ *plugin.Context, post *model.Post) (*model.Post, string) {
	leadID, ok := p.relayCandidate(post)
	if !ok {
		return nil, ""
	}
	conv, ho, err := p.loadLead(leadID)
	if err != nil {
		p.API.LogError("could not load a lead to check a reply", "lead", leadID, "error", err.Error())
		return nil, "Social Inbox could not check this reply against Meta's rules right now, so it was not posted. Try again in a moment."
	}
	d := relay.Decide(conv, ho, post.UserId, p.policy(), p.now())
	if d.Mode == relay.Blocked {
		reason := d.Reason
		if d.OwnerID != "" {
			reason = fmt.Sprintf("This lead is claimed by %s, so your message was not sent to the buyer. Ask them to release or transfer it, or use /social note for an internal note.", p.workspace.username(d.OwnerID))
		}
		return nil, reason
	}
	if reason := checkReplyShape(conv, d, post); reason != "" {
		return nil, reason
	}
	if d.Claim {
		if _, err := handoff.Claim(p.store, leadID, post.UserId, p.now()); err != nil {
			var stateErr *handoff.StateError
			if errors.As(err, &stateErr) && stateErr.OwnerID == post.UserId {
				// Claimed by the author a moment ago (another post): fine.
			} else if errors.As(err, &stateErr) {
				return nil, stateErr.Reason + " Your message was not sent."
			} else {
				p.API.LogError("could not claim a lead for a reply", "lead", leadID, "error", err.Error())
				return nil, "Social Inbox could not claim this lead for you right now, so the message was not posted. Try again in a moment."
			}
		} else {
			go p.refreshLeadViews(leadID)
		}
	}
	post.AddProp(propRelay, string(d.Mode))
	return post, ""
}

// checkReplyShape rejects replies Meta would refuse for their shape.
func checkReplyShape(conv *store.Conversation, d relay.Decision, post *model.Post) string {
	if d.Mode == relay.PrivateReply && len(post.FileIds) > 0 {
		return "A comment can get only one private reply, and it must be text. Send the text now; files can follow once the buyer writes back."
	}
	text := post.Message
	if meta.Platform(conv.Platform) == meta.Instagram {
		if len(text) > 1000 {
			return fmt.Sprintf("Instagram accepts at most 1000 bytes per message; this one has %d. Split it into shorter messages.", len(text))
		}
	} else if n := len([]rune(text)); n >= 2000 {
		return fmt.Sprintf("Messenger accepts fewer than 2000 characters per message; this one has %d. Split it into shorter messages.", n)
	}
	return ""
}

// MessageHasBeenPosted hands an accepted reply to the outbox and starts delivering it.
// The hook runs once, asynchronously, on the node that created the post; the outbox
// and the retry job make delivery survive failures and restarts.
func (p *Plugin) MessageHasBeenPosted(_ *plugin.Context, post *model.Post) {
	leadID, ok := p.relayCandidate(post)
	if !ok {
		return
	}
	if mode, _ := post.GetProp(propRelay).(string); mode == "" {
		// The post bypassed MessageWillBePosted (e.g. burn-on-read); never relay it.
		return
	}
	conv, ho, err := p.loadLead(leadID)
	if err != nil {
		p.API.LogError("could not load a lead to relay a reply; the reply was not sent", "lead", leadID, "post_id", post.Id, "error", err.Error())
		return
	}
	it := &relay.Item{
		PostID: post.Id, LeadID: leadID, ChannelID: post.ChannelId, AuthorID: post.UserId,
		Platform: conv.Platform, AccountID: conv.AccountID, RecipientID: conv.CustomerID, Text: post.Message,
	}
	d := relay.Decide(conv, ho, post.UserId, p.policy(), p.now())
	it.Mode, it.MessagingType, it.Tag, it.CommentID = d.Mode, d.MessagingType, d.Tag, d.CommentID
	if post.Message != "" {
		it.Parts = append(it.Parts, relay.Part{Seq: len(it.Parts), Kind: relay.PartText, State: relay.StatePending})
	}
	for _, id := range post.FileIds {
		it.Parts = append(it.Parts, relay.Part{Seq: len(it.Parts), Kind: relay.PartFile, FileID: id, State: relay.StatePending})
	}
	if d.Mode == relay.Blocked {
		// The window closed between the two hooks: nothing is queued; say so visibly.
		p.notifyFailure(it, d.Reason)
		return
	}
	if _, err := p.outbox.Enqueue(it); err != nil {
		p.API.LogError("could not queue a reply; it was not sent", "lead", leadID, "post_id", post.Id, "error", err.Error())
		p.notifyFailure(it, "Social Inbox could not queue this reply, so it was not sent. Press Retry or send it again.")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout*time.Duration(len(it.Parts)+1))
	defer cancel()
	if err := p.outbox.Drain(ctx, leadID); err != nil {
		p.API.LogWarn("reply delivery interrupted; the retry job continues it", "lead", leadID, "error", err.Error())
	}
}

// MessageHasBeenUpdated tells the author that Meta cannot edit a message already sent.
func (p *Plugin) MessageHasBeenUpdated(_ *plugin.Context, newPost, oldPost *model.Post) {
	if _, ok := p.relayCandidate(newPost); !ok || newPost.Message == oldPost.Message {
		return
	}
	it, found, err := p.outbox.Get(newPost.Id)
	if err != nil || !found || it.State == relay.StateCanceled {
		return
	}
	p.API.SendEphemeralPost(newPost.UserId, &model.Post{
		ChannelId: newPost.ChannelId, RootId: newPost.Id,
		Message: "Meta cannot edit a message after it is sent: the buyer still sees your original text. Send a new message with the correction.",
	})
}

// MessageHasBeenDeleted cancels an undelivered reply, or says that Meta cannot unsend.
func (p *Plugin) MessageHasBeenDeleted(_ *plugin.Context, post *model.Post) {
	if _, ok := p.relayCandidate(post); !ok {
		return
	}
	it, canceled, err := p.outbox.Cancel(post.Id)
	if err != nil || it == nil || it.PostID == "" {
		return
	}
	msg := "Meta cannot unsend a message: the buyer still has the reply you deleted here."
	if canceled {
		msg = "Your deleted reply had not been delivered yet; it will not be sent."
	}
	p.API.SendEphemeralPost(post.UserId, &model.Post{ChannelId: post.ChannelId, Message: msg})
}

// outboxNotifier shows delivery state with the bot's reactions on the operator's post,
// visible on every client, mobile included, without editing the operator's post.
type outboxNotifier struct{ p *Plugin }

func (n outboxNotifier) react(postID, add, remove string) {
	if remove != "" {
		if appErr := n.p.API.RemoveReaction(&model.Reaction{UserId: n.p.botUserID, PostId: postID, EmojiName: remove}); appErr != nil {
			n.p.API.LogDebug("could not remove a delivery reaction", "post_id", postID, "error", appErr.Error())
		}
	}
	if _, appErr := n.p.API.AddReaction(&model.Reaction{UserId: n.p.botUserID, PostId: postID, EmojiName: add}); appErr != nil {
		n.p.API.LogDebug("could not add a delivery reaction", "post_id", postID, "error", appErr.Error())
	}
}

func (n outboxNotifier) Pending(it *relay.Item) { n.react(it.PostID, emojiPending, "") }

func (n outboxNotifier) Delivered(it *relay.Item) {
	n.react(it.PostID, emojiDelivered, emojiPending)
	n.p.workspace.LeadUpdated(it.LeadID, it.ChannelID)
}

// Retrying audits a failed attempt that will be retried (or confirmed by the echo).
func (n outboxNotifier) Retrying(it *relay.Item) {
	if err := n.p.store.AppendAudit(it.LeadID, store.AuditEvent{
		ID: fmt.Sprintf("send_retry:%s:%d", it.PostID, it.Attempts), At: n.p.now().UnixMilli(), Actor: store.ActorUser,
		ActorID: it.AuthorID, Action: "message.send_retry", Subject: it.PostID, After: it.ErrorClass, Detail: it.Error,
	}); err != nil {
		n.p.API.LogWarn("could not audit a failed send attempt", "error", err.Error())
	}
}

func (n outboxNotifier) Failed(it *relay.Item) {
	n.p.notifyFailure(it, it.Error)
}

// notifyFailure marks the post and answers in its thread with the reason and a Retry
// button, and audits the failure.
func (p *Plugin) notifyFailure(it *relay.Item, reason string) {
	outboxNotifier{p}.react(it.PostID, emojiFailed, emojiPending)
	if reason == "" {
		reason = "Meta did not accept this reply."
	}
	retry := p.cardAction(it.LeadID, actionRetry, "Retry", "default")
	retry.Integration.Context["post_id"] = it.PostID
	_, appErr := p.API.CreatePost(&model.Post{
		UserId: p.botUserID, ChannelId: it.ChannelID, RootId: it.PostID,
		Message: "⚠️ Not delivered to the buyer: " + reason,
		Props: model.StringInterface{
			propKind: "delivery_failed", propLeadID: it.LeadID,
			model.PostPropsAttachments: []*model.MessageAttachment{{Actions: []*model.PostAction{retry}}},
		},
	})
	if appErr != nil {
		p.API.LogWarn("could not post a delivery failure", "post_id", it.PostID, "error", appErr.Error())
	}
	if err := p.store.AppendAudit(it.LeadID, store.AuditEvent{
		ID: fmt.Sprintf("send_failed:%s:%d", it.PostID, it.Attempts), At: p.now().UnixMilli(), Actor: store.ActorUser,
		ActorID: it.AuthorID, Action: "message.send_failed", Subject: it.PostID, After: it.ErrorClass, Detail: reason,
	}); err != nil {
		p.API.LogWarn("could not audit a delivery failure", "error", err.Error())
	}
	p.workspace.LeadUpdated(it.LeadID, it.ChannelID)
}

// onSent records what Meta accepted: the message ID (so its echo is recognised), the
// conversation's outbound activity, the spent private reply, and the audit event.
func (p *Plugin) onSent(it *relay.Item, part relay.Part) error {
	if err := p.store.Put(sentKey(it.Platform, it.AccountID, part.MID), it.PostID, 30*24*time.Hour); err != nil {
		return err
	}
	now := p.now().UnixMilli()
	if _, err := store.Modify(p.store, store.ConversationKey(it.LeadID), 0, func(c *store.Conversation, exists bool) (bool, error) {
		if !exists {
			return false, nil
		}
		c.LastOutboundAt = now
		if c.FirstResponseAt == 0 {
			c.FirstResponseAt = now
		}
		if it.Mode == relay.PrivateReply && c.PrivateReplyComment == it.CommentID {
			c.PrivateReplyComment = "" // one private reply per comment
		}
		return true, nil
	}); err != nil {
		return err
	}
	return p.store.AppendAudit(it.LeadID, store.AuditEvent{
		ID: "sent:" + part.MID, At: now, Actor: store.ActorUser, ActorID: it.AuthorID, Action: "message.sent",
		Subject: it.PostID, After: part.MID, Detail: string(it.Mode),
	})
}

func sentKey(platform, account, mid string) string {
	return "sent_" + store.Hash(platform, account, mid)
}

// onOwnEcho confirms a reply whose Send API answer was lost: the echo carries the
// metadata "mm-post:<post ID>" the plugin sent, and its mid.
func (p *Plugin) onOwnEcho(ev meta.Event) {
	if ev.Echo == nil || !strings.HasPrefix(ev.Echo.Metadata, intake.EchoMetadataPrefix) {
		return
	}
	postID, seq := parseEchoMetadata(ev.Echo.Metadata)
	if confirmed, err := p.outbox.ConfirmEcho(postID, seq, ev.NativeID); err != nil {
		p.API.LogWarn("could not reconcile an echo with its reply", "post_id", postID, "error", err.Error())
	} else if confirmed {
		p.API.LogInfo("a reply whose answer was lost was confirmed by Meta's echo; it is not sent again", "post_id", postID)
	}
}

// echoMetadata is what the plugin sends as Send API metadata: "mm-post:<post ID>#<part>".
func echoMetadata(postID string, seq int) string {
	return intake.EchoMetadataPrefix + postID + "#" + strconv.Itoa(seq)
}

// parseEchoMetadata reverses echoMetadata; seq is -1 when the metadata names no part.
func parseEchoMetadata(md string) (string, int) {
	rest := strings.TrimPrefix(md, intake.EchoMetadataPrefix)
	postID, part, found := strings.Cut(rest, "#")
	if !found {
		return postID, -1
	}
	seq, err := strconv.Atoi(part)
	if err != nil {
		return postID, -1
	}
	return postID, seq
}
