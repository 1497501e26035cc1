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

// blockedReason is what an operator reads about a blocked reply: the decision's reason,
// naming the owner when someone else holds the lead. The inbox API shows the same
// sentence before the operator types.
func (p *Plugin) blockedReason(d relay.Decision) string {
	if d.OwnerID != "" {
		return fmt.Sprintf("This lead is claimed by %s, so your message was not sent to the buyer. Ask them to release or transfer it, or use /social note for an internal note.", p.workspace.username(d.OwnerID))
	}
	return d.Reason
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
		return nil, p.blockedReason(d)
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
		p.publishDelivery(it, false)
	}
	p.API.SendEphemeralPost(post.UserId, &model.Post{ChannelId: post.ChannelId, Message: msg})
}

// outboxNotifier shows delivery state with the bot's reactions on the operator's post,
// visible on every client, mobile included, without editing the operator's post, and
// publishes delivery_updated for the webapp.
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

func (n outboxNotifier) Pending(it *relay.Item) {
	n.react(it.PostID, emojiPending, "")
	n.p.publishDelivery(it, false)
}

func (n outboxNotifier) Delivered(it *relay.Item) {
	n.react(it.PostID, emojiDelivered, emojiPending)
	n.p.publishDelivery(it, false)
	n.p.workspace.LeadUpdated(it.LeadID, it.ChannelID)
}

// Retrying audits a failed attempt that will be retried (or confirmed by the echo).
func (n outboxNotifier) Retrying(it *relay.Item) {
	n.p.publishDelivery(it, false)
	if err := n.p.store.AppendAudit(it.LeadID, store.AuditEvent{
		ID: fmt.Sprintf("send_retry:%s:%d", it.PostID, it.Attempts), At: n.p.now().UnixMilli(), Actor: store.ActorUser,
		ActorID: it.AuthorID, Action: "message.send_retry", Subject: it.PostID, After: it.ErrorClass, Detail: it.Error,
	}); err != nil {
		n.p.API.LogWarn("could not audit a failed send attempt", "error", err.Error())
	}
}

func (n outboxNotifier) Failed(it *relay.Item) {
	n.p.publishDelivery(it, n.p.canRetry(it))
	n.p.notifyFailure(it, it.Error)
}

// publishDelivery sends delivery_updated with the reply's state as GET /deliveries
// shows it. retryable is only meaningful for a failed reply (see canRetry).
func (p *Plugin) publishDelivery(it *relay.Item, retryable bool) {
	d := deliveryOf(it, retryable)
	p.workspace.DeliveryUpdated(deliveryEvent{
		PostID: d.PostID, LeadID: d.LeadID, ChannelID: it.ChannelID,
		State: d.State, Error: d.Error, Retryable: d.Retryable,
		Attempts: d.Attempts, NextAt: d.NextAt, UpdatedAt: d.UpdatedAt,
	})
}

// canRetry says whether Retry would send a failed reply again now: the same check the
// Retry button makes (the lead's window and handoff let the author answer).
func (p *Plugin) canRetry(it *relay.Item) bool {
	if it.State != relay.StateFailed {
		return false
	}
	conv, ho, err := p.loadLead(it.LeadID)
	if err != nil {
		p.API.LogWarn("could not load a lead to tell whether a reply can be retried", "lead", it.LeadID, "error", err.Error())
		return false
	}
	return relay.Decide(conv, ho, it.AuthorID, p.policy(), p.now()).Mode != relay.Blocked
}

// retryOutcome is what a Retry did; the card button shows the message, the REST API
// also maps the outcome to a status.
type retryOutcome int

const (
	// retryStarted: the reply is queued again and being sent.
	retryStarted retryOutcome = iota
	// retryUnknownReply: the post is not a reply in the outbox (of this lead).
	retryUnknownReply
	// retryNotFailed: the reply is not waiting for a retry (sent, pending, canceled).
	retryNotFailed
	// retryBlocked: Meta's window or the handoff still does not allow the author to send.
	retryBlocked
	// retryBroken: the store failed; nothing was changed.
	retryBroken
)

// retryResult is the outcome of retryReply, with the reply's outbox record as it is
// now (nil when it is unknown or could not be read) and the sentence to show.
type retryResult struct {
	Outcome retryOutcome
	Item    *relay.Item
	Message string
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

// retryReply puts a failed reply back in its lead's queue and delivers it: the Retry
// button and POST /deliveries/{post_id}/retry. leadID, when set, is the lead the reply
// must belong to (the button's signed lead).
func (p *Plugin) retryReply(postID, leadID string) retryResult {
	const broken = "Something went wrong; nothing was changed. Try again in a moment."
	it, found, err := p.outbox.Get(postID)
	if err != nil {
		p.API.LogError("could not read a reply to retry it", "post_id", postID, "error", err.Error())
		return retryResult{Outcome: retryBroken, Message: broken}
	}
	if !found || (leadID != "" && it.LeadID != leadID) {
		return retryResult{Outcome: retryUnknownReply, Message: "This reply cannot be retried: it is not a reply of this lead."}
	}
	if it.State != relay.StateFailed {
		return retryResult{Outcome: retryNotFailed, Item: it, Message: "This reply is not waiting for a retry (it was " + it.State + ")."}
	}
	conv, ho, err := p.loadLead(it.LeadID)
	if err != nil {
		p.API.LogError("could not load a lead to retry a reply", "lead", it.LeadID, "post_id", postID, "error", err.Error())
		return retryResult{Outcome: retryBroken, Item: it, Message: broken}
	}
	if d := relay.Decide(conv, ho, it.AuthorID, p.policy(), p.now()); d.Mode == relay.Blocked {
		return retryResult{Outcome: retryBlocked, Item: it, Message: "Still not possible: " + p.blockedReason(d)}
	}
	retried, err := p.outbox.Retry(postID)
	if err != nil {
		p.API.LogError("could not queue a reply again", "lead", it.LeadID, "post_id", postID, "error", err.Error())
		return retryResult{Outcome: retryBroken, Item: it, Message: broken}
	}
	if retried.State != relay.StatePending {
		// Someone else retried (or it was canceled) since it was read.
		return retryResult{Outcome: retryNotFailed, Item: retried, Message: "This reply is not waiting for a retry (it was " + retried.State + ")."}
	}
	p.publishDelivery(retried, false)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout*time.Duration(len(retried.Parts)+1))
		defer cancel()
		if err := p.outbox.Drain(ctx, retried.LeadID); err != nil {
			p.API.LogWarn("retried reply delivery interrupted; the retry job continues it", "lead", retried.LeadID, "error", err.Error())
		}
	}()
	return retryResult{Outcome: retryStarted, Item: retried, Message: "Sending again."}
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
