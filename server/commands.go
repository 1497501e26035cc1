package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/command"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// Post kinds of the bot posts the command writes in lead channels. Bot posts are never
// relayed to the buyer.
const (
	postKindNote    = "note"
	postKindHandoff = "handoff_notice"
)

// operatorsAutocompletePath is the route that lists the operator pool for
// `/social transfer`, relative to the plugin (the server prefixes /plugins/<id>/).
const operatorsAutocompletePath = "api/v1/autocomplete/operators"

// queueLoadWorkers bounds the parallel record reads of /social queue: each open lead
// costs two KV round trips.
const queueLoadWorkers = 8

// registerCommands registers /social on this node. Registration lives in the node's
// memory, so every node registers it in OnActivate.
func (p *Plugin) registerCommands() error {
	if err := p.API.RegisterCommand(command.Command(operatorsAutocompletePath)); err != nil {
		return errors.Wrap(err, "register the /social command")
	}
	return nil
}

// ExecuteCommand runs /social. Every answer is ephemeral; a refusal or a failure is a
// sentence for the user, never an AppError (which the client shows as a bare error).
func (p *Plugin) ExecuteCommand(_ *plugin.Context, args *model.CommandArgs) (*model.CommandResponse, *model.AppError) {
	resp, err := command.New(commandLeads{p: p}, p.now).Execute(args)
	if err != nil {
		// The command line is not logged: notes and reasons may hold buyer details.
		sub := ""
		if f := strings.Fields(args.Command); len(f) > 1 {
			sub = f[1]
		}
		p.API.LogError("/social failed", "sub_command", sub, "user_id", args.UserId, "channel_id", args.ChannelId, "error", err.Error())
	}
	return resp, nil
}

// handleOperatorAutocomplete lists the operator pool for the transfer argument. The
// server calls it as the typing user and filters the items by what was typed. Only
// operators and admins get the list.
func (p *Plugin) handleOperatorAutocomplete(w http.ResponseWriter, r *http.Request) {
	items := []model.AutocompleteListItem{}
	_, access, err := p.accessOfID(r.Header.Get("Mattermost-User-Id"))
	if err == nil && access.mayWorkLeads() {
		if items, err = p.operatorItems(); err != nil {
			p.API.LogWarn("could not list the operator pool for autocomplete", "error", err.Error())
			items = []model.AutocompleteListItem{}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(items)
}

func (p *Plugin) operatorItems() ([]model.AutocompleteListItem, error) {
	queueID, err := p.workspace.QueueChannelID()
	if err != nil {
		return nil, err
	}
	items := []model.AutocompleteListItem{}
	const perPage = 200
	for page := 0; ; page++ {
		users, appErr := p.API.GetUsersInChannel(queueID, model.ChannelSortByUsername, page, perPage)
		if appErr != nil {
			return nil, errors.Wrap(appErr, "list operator pool")
		}
		for _, u := range users {
			if !u.IsBot && u.DeleteAt == 0 {
				items = append(items, model.AutocompleteListItem{Item: "@" + u.Username, HelpText: strings.TrimSpace(u.GetFullName())})
			}
		}
		if len(users) < perPage {
			return items, nil
		}
	}
}

// commandLeads implements command.Leads over the store and the workspace.
type commandLeads struct{ p *Plugin }

var _ command.Leads = commandLeads{}

func (l commandLeads) toUser(u *model.User) (command.User, error) {
	a, err := l.p.accessOf(u)
	if err != nil {
		return command.User{}, err
	}
	return command.User{ID: u.Id, Username: u.Username, Admin: a.Admin, Operator: a.Operator}, nil
}

func (l commandLeads) User(userID string) (command.User, error) {
	if userID == "" {
		return command.User{}, errors.New("no user")
	}
	u, appErr := l.p.API.GetUser(userID)
	if appErr != nil {
		return command.User{}, errors.Wrap(appErr, "load user")
	}
	return l.toUser(u)
}

func (l commandLeads) UserByName(username string) (command.User, bool, error) {
	u, appErr := l.p.API.GetUserByUsername(username)
	if appErr != nil {
		if appErr.StatusCode == http.StatusNotFound {
			return command.User{}, false, nil
		}
		return command.User{}, false, errors.Wrap(appErr, "find user by username")
	}
	cu, err := l.toUser(u)
	return cu, err == nil, err
}

func (l commandLeads) Name(userID string) string { return l.p.workspace.username(userID) }

func (l commandLeads) QueueChannel() string { return l.p.getConfiguration().queueChannelName() }

func (l commandLeads) LeadOfChannel(channelID string) (string, bool, error) {
	var leadID string
	found, err := l.p.store.Get(store.ChannelKey(channelID), &leadID)
	if err != nil {
		return "", false, err
	}
	return leadID, found && leadID != "", nil
}

// transition applies a handoff change and refreshes the lead's views. A change that
// happened but whose audit or queue update failed is still reported as done (it is),
// and the failure is logged.
func (l commandLeads) transition(leadID, what string, fn func(now time.Time) (*handoff.Transition, error)) (command.Change, error) {
	t, err := fn(l.p.now())
	if t == nil {
		return command.Change{}, err
	}
	if err != nil {
		l.p.API.LogError("a lead changed but its audit trail or queue entry could not be updated", "lead", leadID, "transition", what, "error", err.Error())
	}
	l.p.refreshLeadViews(leadID)
	return command.Change{Before: handoffView(&t.Before), After: handoffView(&t.After)}, nil
}

func handoffView(h *store.Handoff) command.Handoff {
	return command.Handoff{State: h.State, OwnerID: h.OwnerID, UnderReview: handoff.UnderReview(h)}
}

func (l commandLeads) Claim(leadID string, by command.User) (command.Change, error) {
	return l.transition(leadID, "claim", func(now time.Time) (*handoff.Transition, error) {
		return handoff.Claim(l.p.store, leadID, by.ID, now)
	})
}

func (l commandLeads) Release(leadID string, by command.User) (command.Change, error) {
	return l.transition(leadID, "release", func(now time.Time) (*handoff.Transition, error) {
		return handoff.Release(l.p.store, leadID, by.ID, by.Admin, now)
	})
}

func (l commandLeads) Transfer(leadID string, by, to command.User) (command.Change, error) {
	c, err := l.transition(leadID, "transfer", func(now time.Time) (*handoff.Transition, error) {
		return handoff.Transfer(l.p.store, leadID, by.ID, by.Admin, to.ID, now)
	})
	if err != nil {
		return c, err
	}
	var conv store.Conversation
	if _, err := l.p.store.Get(store.ConversationKey(leadID), &conv); err != nil || conv.ChannelID == "" {
		l.p.API.LogWarn("could not tell the new owner about a transferred lead", "lead", leadID)
		return c, nil
	}
	// Operators who joined the pool after the lead channel was created are not members.
	if _, appErr := l.p.API.AddChannelMember(conv.ChannelID, to.ID); appErr != nil {
		l.p.API.LogWarn("could not add the new owner to the lead channel", "lead", leadID, "user_id", to.ID, "error", appErr.Error())
	}
	if to.ID != by.ID {
		msg := fmt.Sprintf("🔁 @%s handed this lead to @%s.", by.Username, to.Username)
		if c.Before.State == store.HandoffClaimed && c.Before.OwnerID != by.ID && c.Before.OwnerID != "" {
			msg = fmt.Sprintf("🔁 @%s handed this lead from %s to @%s.", by.Username, l.Name(c.Before.OwnerID), to.Username)
		}
		if _, err := l.p.workspace.CreatePost(&intake.Post{ChannelID: conv.ChannelID, Message: msg, Kind: postKindHandoff, LeadID: leadID}); err != nil {
			l.p.API.LogWarn("could not post the transfer notice", "lead", leadID, "error", err.Error())
		}
	}
	return c, nil
}

func (l commandLeads) Close(leadID string, by command.User, reason string) (command.Change, error) {
	return l.transition(leadID, "close", func(now time.Time) (*handoff.Transition, error) {
		return handoff.Close(l.p.store, leadID, by.ID, by.Admin, reason, now)
	})
}

func (l commandLeads) Reopen(leadID string, by command.User) (command.Change, error) {
	return l.transition(leadID, "reopen", func(now time.Time) (*handoff.Transition, error) {
		return handoff.Reopen(l.p.store, leadID, by.ID, now)
	})
}

func (l commandLeads) Review(leadID string, by command.User, reason string) (command.Change, error) {
	return l.transition(leadID, "review", func(now time.Time) (*handoff.Transition, error) {
		return handoff.Review(l.p.store, leadID, by.ID, reason, now)
	})
}

func (l commandLeads) ClearReview(leadID string, by command.User) (command.Change, error) {
	return l.transition(leadID, "clear-review", func(now time.Time) (*handoff.Transition, error) {
		return handoff.ClearReview(l.p.store, leadID, by.ID, by.Admin, now)
	})
}

// AddNote posts the note as the bot, so the relay never sends it to the buyer, and
// audits it.
func (l commandLeads) AddNote(leadID string, by command.User, text string) error {
	var conv store.Conversation
	found, err := l.p.store.Get(store.ConversationKey(leadID), &conv)
	if err != nil {
		return err
	}
	if !found || conv.ChannelID == "" {
		return handoff.ErrNoLead
	}
	postID, err := l.p.workspace.CreatePost(&intake.Post{
		ChannelID: conv.ChannelID,
		Message:   fmt.Sprintf("📝 Note from @%s: %s", by.Username, text),
		Kind:      postKindNote,
		LeadID:    leadID,
	})
	if err != nil {
		return errors.Wrap(err, "post the note")
	}
	err = l.p.store.AppendAudit(leadID, store.AuditEvent{
		ID: "note:" + postID, At: l.p.now().UnixMilli(), Actor: store.ActorUser, ActorID: by.ID,
		Action: "note.added", Subject: postID, Detail: trimTo(text, 200),
	})
	if err != nil {
		// The note is posted; say so rather than invite a second one.
		l.p.API.LogError("a note was posted but could not be audited", "lead", leadID, "post_id", postID, "error", err.Error())
	}
	return nil
}

func (l commandLeads) load(leadID string) (*store.Conversation, *store.Handoff, error) {
	return l.p.leadRecords(leadID)
}

// leadRecords loads a lead's conversation and handoff; handoff.ErrNoLead when either is
// missing.
func (p *Plugin) leadRecords(leadID string) (*store.Conversation, *store.Handoff, error) {
	var conv store.Conversation
	var ho store.Handoff
	foundConv, err := p.store.Get(store.ConversationKey(leadID), &conv)
	if err != nil {
		return nil, nil, err
	}
	foundHo, err := p.store.Get(store.HandoffKey(leadID), &ho)
	if err != nil {
		return nil, nil, err
	}
	if !foundConv || !foundHo {
		return nil, nil, handoff.ErrNoLead
	}
	return &conv, &ho, nil
}

// loadConcurrently calls load for every ID with at most queueLoadWorkers calls in
// flight (each lead costs a few KV round trips) and returns the results in the order
// of ids. A record that cannot be loaded is logged and left out: one unreadable lead
// must not hide the rest of the queue. what names the records for the log.
func loadConcurrently[T any](p *Plugin, ids []string, what string, load func(id string) (T, error)) []T {
	out := make([]*T, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, queueLoadWorkers)
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int, id string) {
			defer wg.Done()
			defer func() { <-sem }()
			v, err := load(id)
			if err != nil {
				p.API.LogWarn("could not load "+what+"; it is left out", "id", id, "error", err.Error())
				return
			}
			out[i] = &v
		}(i, id)
	}
	wg.Wait()
	loaded := make([]T, 0, len(ids))
	for _, v := range out {
		if v != nil {
			loaded = append(loaded, *v)
		}
	}
	return loaded
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func (l commandLeads) window(conv *store.Conversation) command.Window {
	w := command.Window{
		LastCustomerAt:    msTime(conv.LastCustomerAt),
		LastReplyAt:       msTime(conv.LastOutboundAt),
		StandardUntil:     msTime(conv.WindowExpiresAt),
		HumanAgentUntil:   msTime(conv.HumanAgentExpiresAt),
		HumanAgentEnabled: l.p.getConfiguration().EnableHumanAgentTag,
	}
	w.PrivateReplyUntil = msTime(privateReplyUntil(conv))
	return w
}

// privateReplyUntil ends the time for the one private reply to a comment, or is 0 when
// there is no unused private reply: the comment ID is cleared once it is used.
func privateReplyUntil(conv *store.Conversation) int64 {
	if conv.PrivateReplyComment == "" {
		return 0
	}
	return conv.PrivateReplyUntil
}

func (l commandLeads) Status(leadID string) (command.Status, error) {
	conv, ho, err := l.load(leadID)
	if err != nil {
		return command.Status{}, err
	}
	st := command.Status{
		LeadID:          leadID,
		ChannelName:     conv.ChannelName,
		Contact:         conv.ContactName,
		ContactUsername: conv.ContactUser,
		Platform:        meta.Platform(conv.Platform).Label(),
		Source:          intake.SourceText(conv),
		Handoff:         handoffView(ho),
		OpenedAt:        msTime(ho.OpenedAt),
		ClaimedAt:       msTime(ho.ClaimedAt),
		ClosedAt:        msTime(ho.ClosedAt),
		ClosedBy:        ho.ClosedBy,
		CloseReason:     ho.CloseReason,
		Reopens:         ho.Reopens,
		Window:          l.window(conv),
	}
	if st.Handoff.UnderReview {
		if st.ReviewReason, err = l.p.reviewReason(leadID); err != nil {
			return command.Status{}, err
		}
	}
	return st, nil
}

// reviewReason is why a lead under review was put there. The reason lives in its
// audit event; the handoff record only carries the flag, so callers ask only for leads
// under review.
func (p *Plugin) reviewReason(leadID string) (string, error) {
	trail, err := p.store.AuditTrail(leadID)
	if err != nil {
		return "", err
	}
	for i := len(trail) - 1; i >= 0; i-- {
		if trail[i].Action == "handoff.review_requested" {
			return trail[i].Detail, nil
		}
	}
	return "", nil
}

func (l commandLeads) OpenLeads() ([]command.Summary, error) {
	ids, err := l.p.store.OpenLeads()
	if err != nil {
		return nil, err
	}
	return loadConcurrently(l.p, ids, "an open lead for the queue", func(id string) (command.Summary, error) {
		conv, ho, err := l.load(id)
		if err != nil {
			return command.Summary{}, err
		}
		return command.Summary{
			LeadID:      id,
			ChannelName: conv.ChannelName,
			Contact:     conv.ContactName,
			Platform:    meta.Platform(conv.Platform).Label(),
			Handoff:     handoffView(ho),
			Window:      l.window(conv),
		}, nil
	}), nil
}

func (l commandLeads) AuditTrail(leadID string) ([]command.AuditEntry, error) {
	trail, err := l.p.store.AuditTrail(leadID)
	if err != nil {
		return nil, err
	}
	out := make([]command.AuditEntry, 0, len(trail))
	for _, e := range trail {
		out = append(out, command.AuditEntry{
			At: msTime(e.At), Actor: e.Actor, ActorID: e.ActorID, Action: e.Action,
			Before: e.Before, After: e.After, Detail: e.Detail,
		})
	}
	return out, nil
}
