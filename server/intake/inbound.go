package intake

import (
	"context"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// inbound applies a customer's message, comment, postback or referral: the message
// record, the conversation and its channel, the lead and handoff, the response window,
// the files, the post, the queue notice and the audit trail. Every step is idempotent,
// so a retry after a failure at any point completes the event without doubling it.
func (a *attempt) inbound(ctx context.Context) (Outcome, string, error) {
	rec, outcome, err := a.acquire(store.Inbound)
	if err != nil || outcome != 0 {
		return outcome, "", err
	}
	if err := a.inboundLeased(ctx, rec); err != nil {
		a.release()
		return 0, "", err
	}
	return Applied, "", nil
}

func (a *attempt) inboundLeased(ctx context.Context, rec *store.Message) error {
	conv, err := a.conversation(ctx)
	if err != nil {
		return err
	}
	conv, auditEvents, err := a.customerActivity(ctx, conv)
	if err != nil {
		return err
	}
	reopened, err := a.reopenHandoff()
	if err != nil {
		return err
	}
	if reopened != nil {
		auditEvents = append(auditEvents, *reopened)
	}
	postID, err := a.ensureMessagePost(ctx, rec, conv, PostInbound)
	if err != nil {
		return err
	}
	first := conv.FirstNativeID == a.ev.NativeID
	if first {
		// Audited from the first message's attempt (deterministic ID), so a retry after
		// a failure still records it.
		auditEvents = append([]store.AuditEvent{{ID: "channel:" + conv.ChannelID, Action: "lead.channel_created", After: conv.ChannelName}}, auditEvents...)
		if conv, err = a.setCard(conv, postID); err != nil {
			return err
		}
		if err := a.ensureQueueNotice(conv); err != nil {
			return err
		}
	}
	if conv.Card.PostID != "" && (reopened != nil || cardStale(conv)) {
		// The card shows the handoff state and the window; keep both true.
		a.refreshViews(conv)
	}
	auditEvents = append(auditEvents, store.AuditEvent{
		ID: "received:" + a.ev.NativeID, At: rec.ReceivedAt, Action: "message.received",
		Subject: a.ev.NativeID, After: string(a.ev.Kind), Detail: describeContent(&a.ev),
	})
	if err := a.audit(auditEvents...); err != nil {
		return err
	}
	if _, err := a.modifyMessage(func(m *store.Message) {
		m.State = store.MessageDone
		m.Post.PostID = postID
		m.ChannelID = conv.ChannelID
		m.WindowAt = conv.WindowExpiresAt
		m.Lease = store.Lease{}
	}); err != nil {
		return errors.Wrap(err, "complete message")
	}
	a.e.ws.LeadUpdated(a.lead, conv.ChannelID)
	return nil
}

// conversation returns the lead's conversation with its channel, creating the contact,
// conversation, lead, handoff and channel the first time.
func (a *attempt) conversation(ctx context.Context) (*store.Conversation, error) {
	key := store.ConversationKey(a.lead)
	conv := &store.Conversation{}
	found, err := a.e.store.Get(key, conv)
	if err != nil {
		return nil, err
	}
	if !found {
		contact, err := a.upsertContact(ctx)
		if err != nil {
			return nil, err
		}
		now := a.ms()
		fresh := &store.Conversation{
			V:              store.RecordVersion,
			LeadID:         a.lead,
			Platform:       string(a.ev.Platform),
			AccountID:      a.ev.AccountID,
			CustomerID:     a.ev.CustomerID,
			ContactName:    contact.DisplayName(),
			ContactUser:    contact.Username,
			AvatarURL:      contact.AvatarURL,
			ContactRefresh: contactRefreshAt(contact, a.now()),
			Source:         sourceOf(&a.ev),
			ChannelName:    channelName(a.ev.Platform, contact.DisplayName(), a.lead),
			FirstNativeID:  a.ev.NativeID,
			CreatedAt:      now,
			UpdatedAt:      now,
		}
		inserted, err := a.e.store.Insert(key, fresh, 0, conv)
		if err != nil {
			return nil, errors.Wrap(err, "create conversation")
		}
		if inserted {
			conv = fresh
		}
	}
	if conv.ChannelID != "" {
		if conv.ChannelArchived {
			return a.restoreChannel(conv)
		}
		return conv, nil
	}
	return a.ensureChannel(ctx, conv)
}

// restoreChannel unarchives the lead channel when the buyer writes again: the history
// is all still there, and the new message lands in the same place.
func (a *attempt) restoreChannel(conv *store.Conversation) (*store.Conversation, error) {
	if err := a.e.ws.RestoreLeadChannel(conv.ChannelID); err != nil {
		return nil, errors.Wrap(err, "restore the archived lead channel")
	}
	cur, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, exists bool) (bool, error) {
		if !exists || !c.ChannelArchived {
			return false, nil
		}
		c.ChannelArchived = false
		return true, nil
	})
	if err != nil {
		return nil, errors.Wrap(err, "record the restored channel")
	}
	if err := a.audit(store.AuditEvent{ID: "restore:" + a.ev.NativeID, Action: "lead.channel_restored", Detail: "new inbound message"}); err != nil {
		return nil, err
	}
	return cur, nil
}

// ensureChannel creates the lead channel exactly once. The conversation record holds a
// creation lease taken with compare-and-set, so two first messages arriving on two
// nodes at once create one channel; the loser waits for the winner's channel ID.
func (a *attempt) ensureChannel(ctx context.Context, conv *store.Conversation) (*store.Conversation, error) {
	key := store.ConversationKey(a.lead)
	deadline := a.now().Add(a.e.ChannelWait)
	for {
		mine := false
		cur, err := store.Modify(a.e.store, key, 0, func(c *store.Conversation, exists bool) (bool, error) {
			mine = false
			if !exists {
				return false, errors.New("conversation disappeared")
			}
			if c.ChannelID != "" || c.ChannelLease.HeldBy(a.token, a.now()) {
				return false, nil
			}
			c.ChannelLease = store.Lease{Owner: a.token, Until: a.ms() + a.e.LeaseTTL.Milliseconds()}
			mine = true
			return true, nil
		})
		if err != nil {
			return nil, errors.Wrap(err, "claim lead channel creation")
		}
		if cur.ChannelID != "" {
			return cur, nil
		}
		if mine {
			return a.createChannel(ctx, cur)
		}
		if ctx.Err() != nil || a.now().After(deadline) {
			return nil, errors.Wrap(ErrDeferred, "the lead channel is being created by another node")
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (a *attempt) createChannel(ctx context.Context, conv *store.Conversation) (*store.Conversation, error) {
	cur, err := a.createChannelLeased(ctx, conv)
	if err != nil {
		// Let a retry (or another node) create it now rather than after the lease.
		if _, rerr := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, exists bool) (bool, error) {
			if !exists || c.ChannelLease.Owner != a.token {
				return false, nil
			}
			c.ChannelLease = store.Lease{}
			return true, nil
		}); rerr != nil {
			a.e.log.Warn("could not release the channel creation lease", "lead", a.lead, "error", rerr.Error())
		}
	}
	return cur, err
}

func (a *attempt) createChannelLeased(ctx context.Context, conv *store.Conversation) (*store.Conversation, error) {
	if err := a.ensureLeadRecords(conv); err != nil {
		return nil, err
	}
	channelID, err := a.e.ws.CreateLeadChannel(ctx, channelSpec(conv))
	if err != nil {
		return nil, errors.Wrap(err, "create lead channel")
	}
	if err := a.e.store.Put(store.ChannelKey(channelID), conv.LeadID, 0); err != nil {
		return nil, errors.Wrap(err, "index lead channel")
	}
	cur, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, exists bool) (bool, error) {
		if !exists {
			return false, errors.New("conversation disappeared")
		}
		if c.ChannelID == channelID {
			return false, nil
		}
		c.ChannelID = channelID
		c.ChannelLease = store.Lease{}
		c.UpdatedAt = a.ms()
		return true, nil
	})
	if err != nil {
		return nil, errors.Wrap(err, "record lead channel")
	}
	return cur, nil
}

// ensureLeadRecords creates the lead and its open handoff and lists it in the queue.
func (a *attempt) ensureLeadRecords(conv *store.Conversation) error {
	now := a.ms()
	lead := &store.Lead{
		V: store.RecordVersion, ID: a.lead, Platform: conv.Platform, Source: conv.Source,
		Stage: store.StageNew, CreatedAt: now, UpdatedAt: now,
	}
	if _, err := a.e.store.Insert(store.LeadKey(a.lead), lead, 0, nil); err != nil {
		return errors.Wrap(err, "create lead")
	}
	ho := &store.Handoff{
		V: store.RecordVersion, LeadID: a.lead, Reason: store.ReasonFollowUp,
		State: store.HandoffOpen, OpenedAt: now, UpdatedAt: now,
	}
	if _, err := a.e.store.Insert(store.HandoffKey(a.lead), ho, 0, nil); err != nil {
		return errors.Wrap(err, "open handoff")
	}
	if err := a.e.store.AddOpenLead(a.lead); err != nil {
		return err
	}
	return a.audit(
		store.AuditEvent{ID: "lead:created", Action: "lead.created", After: conv.Source.Kind, Detail: conv.Platform},
		store.AuditEvent{ID: "handoff:opened", Action: "handoff.opened", After: store.HandoffOpen, Detail: store.ReasonFollowUp},
	)
}

// customerActivity opens or refreshes the response windows from the customer's own
// action and keeps the queue summary current. Windows only move forward, so a retry
// or an out-of-order delivery cannot shorten them.
func (a *attempt) customerActivity(ctx context.Context, conv *store.Conversation) (*store.Conversation, []store.AuditEvent, error) {
	var refreshed *store.Contact
	if conv.ContactRefresh != 0 && a.ms() > conv.ContactRefresh {
		c, err := a.upsertContact(ctx)
		if err != nil {
			return nil, nil, err
		}
		refreshed = c
	}
	t := a.ev.Time.UnixMilli()
	if a.ev.Time.IsZero() {
		t = a.ms()
	}
	var window *store.AuditEvent
	cur, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, exists bool) (bool, error) {
		window = nil
		if !exists {
			return false, errors.New("conversation disappeared")
		}
		changed := false
		if a.ev.Kind == meta.KindComment {
			// A comment allows one private reply within 7 days; it does not open the
			// messaging window.
			if t > c.PrivateReplyUntil-PrivateReplyTTL.Milliseconds() {
				c.PrivateReplyComment = a.ev.NativeID
				c.PrivateReplyUntil = t + PrivateReplyTTL.Milliseconds()
				changed = true
			}
		} else if t == c.LastInboundAt && a.ev.NativeID != "" {
			// This event set the window in an attempt that failed before auditing it:
			// audit it now (same ID, so it is never recorded twice).
			window = &store.AuditEvent{ID: "window:" + a.ev.NativeID, Action: "window.refreshed", After: msString(c.WindowExpiresAt), Detail: string(a.ev.Kind)}
			if c.WindowOpenedBy == a.ev.NativeID {
				window.Action = "window.opened"
			}
		} else if t > c.LastInboundAt {
			before := c.WindowExpiresAt
			c.LastInboundAt = t
			c.WindowExpiresAt = t + StandardWindow.Milliseconds()
			c.HumanAgentExpiresAt = t + HumanAgentWindow.Milliseconds()
			window = &store.AuditEvent{
				ID: "window:" + a.ev.NativeID, Action: "window.refreshed",
				Before: msString(before), After: msString(c.WindowExpiresAt), Detail: string(a.ev.Kind),
			}
			if before == 0 {
				window.Action = "window.opened"
				c.WindowOpenedBy = a.ev.NativeID
			}
			changed = true
		}
		if t >= c.LastCustomerAt {
			c.LastCustomerAt = t
			if x := excerpt(&a.ev); x != "" && a.ev.Kind.Inbound() {
				c.LastExcerpt = x
				c.LastExcerptID = a.ev.NativeID
			}
			changed = true
		}
		if refreshed != nil {
			c.ContactName = refreshed.DisplayName()
			c.ContactUser = refreshed.Username
			c.AvatarURL = refreshed.AvatarURL
			c.ContactRefresh = contactRefreshAt(refreshed, a.now())
			changed = true
		}
		if changed {
			c.UpdatedAt = a.ms()
		}
		return changed, nil
	})
	if err != nil {
		return nil, nil, errors.Wrap(err, "update response window")
	}
	var events []store.AuditEvent
	if window != nil {
		events = append(events, *window)
	}
	return cur, events, nil
}

// reopenHandoff reopens a closed handoff when the buyer writes again.
func (a *attempt) reopenHandoff() (*store.AuditEvent, error) {
	var event *store.AuditEvent
	_, err := store.Modify(a.e.store, store.HandoffKey(a.lead), 0, func(h *store.Handoff, exists bool) (bool, error) {
		event = nil
		if exists && h.LastReopenBy == a.ev.NativeID && h.State != store.HandoffClosed {
			// Reopened by this message in an attempt that failed afterwards: redo the
			// idempotent rest (queue index, audit, card).
			event = &store.AuditEvent{ID: "reopen:" + a.ev.NativeID, Action: "handoff.reopened", After: store.HandoffOpen, Detail: "new inbound message"}
			return false, nil
		}
		if !exists || h.State != store.HandoffClosed || h.LastReopenBy == a.ev.NativeID {
			return false, nil
		}
		event = &store.AuditEvent{
			ID: "reopen:" + a.ev.NativeID, Action: "handoff.reopened",
			Before: store.HandoffClosed + ":" + h.OwnerID, After: store.HandoffOpen, Detail: "new inbound message",
		}
		h.State = store.HandoffOpen
		h.Reason = store.ReasonFollowUp
		h.OwnerID = ""
		h.ClaimedAt = 0
		h.Reopens++
		h.LastReopenBy = a.ev.NativeID
		h.OpenedAt = a.ms()
		h.UpdatedAt = a.ms()
		return true, nil
	})
	if err != nil {
		return nil, errors.Wrap(err, "reopen handoff")
	}
	if event != nil {
		if err := a.e.store.AddOpenLead(a.lead); err != nil {
			return nil, err
		}
	}
	return event, nil
}

// upsertContact records the customer, looking the profile up in the Graph API when it
// is unknown or stale. A failed lookup never fails the message: the contact gets a
// readable fallback name and the lookup is retried later.
func (a *attempt) upsertContact(ctx context.Context) (*store.Contact, error) {
	key := store.ContactKey(string(a.ev.Platform), a.ev.AccountID, a.ev.CustomerID)
	var existing store.Contact
	found, err := a.e.store.Get(key, &existing)
	if err != nil {
		return nil, err
	}
	now := a.now()
	// Commenters who never wrote a DM cannot be looked up (no consent); the comment
	// carries their name.
	lookup := a.ev.Kind != meta.KindComment && a.e.profiles != nil &&
		(!found || (existing.ProfileFetchedAt < now.Add(-profileRefresh).UnixMilli() && existing.ProfileFailedAt < now.Add(-profileRetry).UnixMilli()))
	var profile Profile
	var lookupErr error
	if lookup {
		lctx, cancel := context.WithTimeout(ctx, profileLookupLimit)
		profile, lookupErr = a.e.profiles.Profile(lctx, a.ev.Platform, a.ev.CustomerID)
		cancel()
		if lookupErr != nil {
			a.e.log.Warn("profile lookup failed; using a fallback name", "platform", string(a.ev.Platform), "lead", a.lead, "error", lookupErr.Error())
		}
	}
	return store.Modify(a.e.store, key, 0, func(c *store.Contact, exists bool) (bool, error) {
		ms := now.UnixMilli()
		if !exists {
			c.V = store.RecordVersion
			c.Platform = string(a.ev.Platform)
			c.AccountID = a.ev.AccountID
			c.CustomerID = a.ev.CustomerID
			c.FirstSeenAt = ms
		}
		c.LastSeenAt = ms
		if a.ev.ContactName != "" {
			c.Name = a.ev.ContactName
		}
		if a.ev.ContactUsername != "" {
			c.Username = a.ev.ContactUsername
		}
		switch {
		case lookup && lookupErr == nil:
			if profile.Name != "" {
				c.Name = profile.Name
			}
			if profile.Username != "" {
				c.Username = profile.Username
			}
			c.AvatarURL = profile.AvatarURL
			c.ProfileURL = profile.ProfileURL
			c.ProfileFetchedAt = ms
			c.ProfileError = ""
		case lookup:
			c.ProfileFailedAt = ms
			c.ProfileError = lookupErr.Error()
		}
		return true, nil
	})
}

func contactRefreshAt(c *store.Contact, now time.Time) int64 {
	if c.ProfileFetchedAt == 0 && c.ProfileFailedAt != 0 {
		return now.Add(profileRetry).UnixMilli()
	}
	return now.Add(profileRefresh).UnixMilli()
}

// ensureMessagePost creates the post of a message exactly once and returns its ID.
func (a *attempt) ensureMessagePost(ctx context.Context, rec *store.Message, conv *store.Conversation, kind string) (string, error) {
	if rec.Post.PostID != "" {
		return rec.Post.PostID, nil
	}
	if !rec.FilesDone && len(a.ev.Attachments) > 0 {
		files, err := a.copyMedia(ctx, conv.ChannelID)
		if err != nil {
			return "", err
		}
		if rec, err = a.modifyMessage(func(m *store.Message) {
			m.Attachments = files
			m.FilesDone = true
		}); err != nil {
			return "", errors.Wrap(err, "record attachments")
		}
	}
	if err := ctx.Err(); err != nil {
		return "", errors.Wrap(ErrDeferred, err.Error())
	}
	// A previous attempt may have created the post and failed before recording it.
	if a.resumed && rec.Post.Since != 0 {
		since := time.UnixMilli(rec.Post.Since).Add(-findPostMargin)
		if id, found, err := a.e.ws.FindPost(conv.ChannelID, a.ev.NativeID, since); err != nil {
			return "", errors.Wrap(err, "look for an earlier post of this message")
		} else if found {
			return id, nil
		}
	}
	post := &Post{
		ChannelID: conv.ChannelID,
		Message:   renderMessage(rec, &a.ev, kind),
		NativeID:  a.ev.NativeID,
		Kind:      kind,
		LeadID:    a.lead,
		FileIDs:   fileIDs(rec.Attachments),
	}
	if kind == PostInbound && conv.FirstNativeID == a.ev.NativeID {
		card, err := a.card(conv, false)
		if err != nil {
			return "", err
		}
		post.Card = card
	}
	id, err := a.e.ws.CreatePost(post)
	if err != nil {
		return "", errors.Wrap(err, "create post")
	}
	return id, nil
}

func fileIDs(atts []store.Attachment) []string {
	var ids []string
	for _, at := range atts {
		if at.FileID != "" {
			ids = append(ids, at.FileID)
		}
	}
	return ids
}

// copyMedia copies the event's storable attachments into Mattermost files. Meta's URLs
// expire, so they are copied now; a failed download keeps the message and says what is
// missing. Story-mention media is never stored (Meta's rule).
func (a *attempt) copyMedia(ctx context.Context, channelID string) ([]store.Attachment, error) {
	out := make([]store.Attachment, 0, len(a.ev.Attachments))
	for i, m := range a.ev.Attachments {
		at := store.Attachment{Type: string(m.Type), Title: m.Title}
		if !m.Storable || m.URL == "" || a.e.media == nil {
			if !m.Storable {
				at.URL = m.URL // a link (share, story), not a file
			}
			out = append(out, at)
			continue
		}
		d, err := a.e.media.Download(ctx, m.URL)
		if err != nil {
			if ctx.Err() != nil {
				return nil, errors.Wrap(ErrDeferred, "media download ran out of time")
			}
			at.Error = err.Error()
			a.e.log.Warn("could not download an attachment; the message is kept without it", "lead", a.lead, "type", string(m.Type), "error", err.Error())
			out = append(out, at)
			continue
		}
		name := d.Name
		if name == "" {
			name = string(m.Type) + "-" + itoa(i+1)
		}
		id, err := a.e.ws.UploadFile(channelID, name, d.Data)
		if err != nil {
			return nil, errors.Wrap(err, "upload attachment")
		}
		at.FileID = id
		out = append(out, at)
	}
	return out, nil
}

// setCard records which post carries the lead card.
func (a *attempt) setCard(conv *store.Conversation, postID string) (*store.Conversation, error) {
	if conv.Card.PostID == postID {
		return conv, nil
	}
	cur, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, _ bool) (bool, error) {
		if c.Card.PostID != "" {
			return false, nil
		}
		c.Card.PostID = postID
		c.CardWindow = c.WindowExpiresAt
		return true, nil
	})
	return cur, errors.Wrap(err, "record lead card")
}

// ensureQueueNotice posts the one-line notice of a new lead in the queue channel once.
func (a *attempt) ensureQueueNotice(conv *store.Conversation) error {
	if conv.QueueNotice.PostID != "" {
		return nil
	}
	queueID, err := a.e.ws.QueueChannelID()
	if err != nil {
		return errors.Wrap(err, "find queue channel")
	}
	marker := "lead:" + a.lead
	if conv.QueueNotice.Since != 0 {
		since := time.UnixMilli(conv.QueueNotice.Since).Add(-findPostMargin)
		id, found, err := a.e.ws.FindPost(queueID, marker, since)
		if err != nil {
			return errors.Wrap(err, "look for an earlier queue notice")
		}
		if found {
			return a.recordQueueNotice(id)
		}
	} else {
		if _, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, _ bool) (bool, error) {
			if c.QueueNotice.Since != 0 {
				return false, nil
			}
			c.QueueNotice.Since = a.ms()
			return true, nil
		}); err != nil {
			return errors.Wrap(err, "mark queue notice")
		}
	}
	card, err := a.card(conv, true)
	if err != nil {
		return err
	}
	id, err := a.e.ws.CreatePost(&Post{
		ChannelID: queueID,
		Message:   queueNoticeText(conv),
		NativeID:  marker,
		Kind:      PostQueueNotice,
		LeadID:    a.lead,
		Card:      card,
	})
	if err != nil {
		return errors.Wrap(err, "post queue notice")
	}
	return a.recordQueueNotice(id)
}

func (a *attempt) recordQueueNotice(id string) error {
	_, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, _ bool) (bool, error) {
		if c.QueueNotice.PostID == id {
			return false, nil
		}
		c.QueueNotice.PostID = id
		return true, nil
	})
	return errors.Wrap(err, "record queue notice")
}

// card builds the lead card from the stored records.
func (a *attempt) card(conv *store.Conversation, compact bool) (*Card, error) {
	var ho store.Handoff
	if _, err := a.e.store.Get(store.HandoffKey(a.lead), &ho); err != nil {
		return nil, err
	}
	return BuildCard(conv, &ho, compact), nil
}

// cardRefreshSlack is how far the window shown on the card may lag the real one before
// the card is rendered again (re-rendering on every message would cost round trips).
const cardRefreshSlack = time.Hour

func cardStale(conv *store.Conversation) bool {
	d := conv.WindowExpiresAt - conv.CardWindow
	return d > cardRefreshSlack.Milliseconds() || d < -cardRefreshSlack.Milliseconds()
}

// refreshViews re-renders the lead card and the queue notice from the records. Best
// effort: they are views, and the next change renders them again.
func (a *attempt) refreshViews(conv *store.Conversation) {
	var ho store.Handoff
	if _, err := a.e.store.Get(store.HandoffKey(a.lead), &ho); err != nil {
		a.e.log.Warn("could not load the handoff to refresh the lead card", "lead", a.lead, "error", err.Error())
		return
	}
	for _, v := range []struct {
		postID, channelID, kind string
		compact                 bool
	}{{conv.Card.PostID, conv.ChannelID, PostInbound, false}, {conv.QueueNotice.PostID, "", PostQueueNotice, true}} {
		if v.postID == "" {
			continue
		}
		post := &Post{ChannelID: v.channelID, Card: BuildCard(conv, &ho, v.compact), Kind: v.kind, LeadID: a.lead, KeepMessage: true}
		if err := a.e.ws.UpdatePost(v.postID, post); err != nil {
			a.e.log.Warn("could not refresh a lead card", "lead", a.lead, "error", err.Error())
		}
	}
	if _, err := store.Modify(a.e.store, store.ConversationKey(a.lead), 0, func(c *store.Conversation, exists bool) (bool, error) {
		if !exists || c.CardWindow == conv.WindowExpiresAt {
			return false, nil
		}
		c.CardWindow = conv.WindowExpiresAt
		return true, nil
	}); err != nil {
		a.e.log.Warn("could not record the card refresh", "lead", a.lead, "error", err.Error())
	}
}

// BuildCard renders the card of a lead from its records.
func BuildCard(conv *store.Conversation, ho *store.Handoff, compact bool) *Card {
	c := &Card{
		LeadID:          conv.LeadID,
		ContactName:     conv.ContactName,
		ContactUsername: conv.ContactUser,
		AvatarURL:       conv.AvatarURL,
		Platform:        meta.Platform(conv.Platform),
		Source:          SourceText(conv),
		ChannelName:     conv.ChannelName,
		Excerpt:         conv.LastExcerpt,
		HandoffState:    ho.State,
		OwnerID:         ho.OwnerID,
		UnderReview:     ho.Reason == store.ReasonPolicyReview,
		Compact:         compact,
	}
	if conv.WindowExpiresAt != 0 {
		c.WindowExpiresAt = time.UnixMilli(conv.WindowExpiresAt)
	}
	return c
}

func sourceOf(ev *meta.Event) store.Source {
	s := store.Source{Kind: store.SourceDM}
	if ev.Comment != nil {
		s.Kind = store.SourceComment
		s.PostID = ev.Comment.PostID
		s.CommentID = ev.NativeID
		s.Permalink = ev.Comment.Permalink
		s.MediaType = ev.Comment.MediaType
		s.AdID = ev.Comment.AdID
		s.AdTitle = ev.Comment.AdTitle
	}
	if r := ev.Referral; r != nil {
		s.Ref = r.Ref
		if r.AdID != "" || r.Source == "ADS" {
			s.Kind = store.SourceAd
			s.AdID = r.AdID
			s.AdTitle = r.AdTitle
			s.PostID = r.PostID
		} else if s.Kind == store.SourceDM {
			s.Kind = store.SourceLink
		}
	}
	return s
}

func msString(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
