package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/command"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/relay"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

const (
	// maxActionBody caps a lead action's JSON body: a reason and a user ID.
	maxActionBody = 16 << 10
	// maxActionReasonRunes is the longest close or review reason, as for /social.
	maxActionReasonRunes = 500
	// maxDeliveryIDs bounds GET /deliveries: one KV read per post.
	maxDeliveryIDs = 100

	msgStoreFailed = "Something went wrong reading or changing the lead; nothing was changed. Try again in a moment."
	msgNoLead      = "This lead does not exist (any more)."
)

// apiActions maps the inbox API's action names to the card's; the card route only
// takes letters, hence "clearreview".
var apiActions = map[string]string{
	"claim":        actionClaim,
	"release":      actionRelease,
	"close":        actionClose,
	"reopen":       actionReopen,
	"review":       actionReview,
	"clear-review": actionClear,
	"transfer":     actionTransfer,
}

// initLeadRoutes mounts the inbox routes (docs/inbox-api.md) on the authenticated API.
// Every route is for the operator pool and system admins only.
func (p *Plugin) initLeadRoutes(api *mux.Router) {
	r := api.NewRoute().Subrouter()
	r.Use(p.requireOperator)
	r.HandleFunc("/leads", p.handleListLeads).Methods(http.MethodGet)
	r.HandleFunc("/leads/{lead_id}", p.handleGetLead).Methods(http.MethodGet)
	r.HandleFunc("/leads/{lead_id}/actions/{action}", p.handleLeadAction).Methods(http.MethodPost)
	r.HandleFunc("/channels/{channel_id}/lead", p.handleChannelLead).Methods(http.MethodGet)
	r.HandleFunc("/deliveries", p.handleListDeliveries).Methods(http.MethodGet)
	r.HandleFunc("/deliveries/{post_id}/retry", p.handleRetryDelivery).Methods(http.MethodPost)
}

type callerKey struct{}

// requireOperator admits system admins and the operator pool, the rule the card
// buttons and /social apply, and hands the caller to the handler.
func (p *Plugin) requireOperator(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, access, err := p.accessOfID(r.Header.Get("Mattermost-User-Id"))
		if err != nil {
			p.API.LogError("could not check the operator pool", "error", err.Error())
			respondError(w, http.StatusInternalServerError, "Something went wrong checking the operator pool. Try again in a moment.")
			return
		}
		if !access.mayWorkLeads() {
			respondError(w, http.StatusForbidden, p.notOperatorText())
			return
		}
		caller := command.User{ID: user.Id, Username: user.Username, Admin: access.Admin, Operator: access.Operator}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller)))
	})
}

func callerOf(r *http.Request) command.User {
	u, _ := r.Context().Value(callerKey{}).(command.User)
	return u
}

func respondJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Sentences quote paths like "System Console > Plugins"; keep them readable.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// respondError answers {"error": msg}; msg is a sentence for the person, never an
// internal error (which is logged instead).
func respondError(w http.ResponseWriter, status int, msg string) {
	respondJSON(w, status, map[string]string{"error": msg})
}

// leadView is a lead as the webapp shows it (LeadView in docs/inbox-api.md). It is
// built from the records for one caller: send is that caller's reply decision.
type leadView struct {
	ID              string         `json:"id"`
	ChannelID       string         `json:"channel_id"`
	ChannelName     string         `json:"channel_name"`
	TeamName        string         `json:"team_name"`
	Platform        string         `json:"platform"`
	Contact         contactView    `json:"contact"`
	Source          sourceView     `json:"source"`
	Handoff         handoffAPIView `json:"handoff"`
	Window          windowView     `json:"window"`
	Send            sendView       `json:"send"`
	LastExcerpt     string         `json:"last_excerpt,omitempty"`
	Unanswered      bool           `json:"unanswered"`
	FirstResponseAt int64          `json:"first_response_at,omitempty"`
	UpdatedAt       int64          `json:"updated_at"`
}

type contactView struct {
	Name       string `json:"name"`
	Username   string `json:"username,omitempty"`
	AvatarURL  string `json:"avatar_url,omitempty"`
	ProfileURL string `json:"profile_url,omitempty"`
}

// sourceView lists the source fields the API promises, so that a field added to the
// stored record is not published by accident.
type sourceView struct {
	Kind      string `json:"kind"`
	PostID    string `json:"post_id,omitempty"`
	CommentID string `json:"comment_id,omitempty"`
	Permalink string `json:"permalink,omitempty"`
	AdID      string `json:"ad_id,omitempty"`
	AdTitle   string `json:"ad_title,omitempty"`
	Ref       string `json:"ref,omitempty"`
}

type handoffAPIView struct {
	State string `json:"state"`
	// OwnerID and OwnerUsername (without "@") name the owner of a claimed lead.
	OwnerID       string `json:"owner_id,omitempty"`
	OwnerUsername string `json:"owner_username,omitempty"`
	UnderReview   bool   `json:"under_review"`
	ReviewReason  string `json:"review_reason,omitempty"`
	OpenedAt      int64  `json:"opened_at"`
	ClaimedAt     int64  `json:"claimed_at,omitempty"`
	ClosedAt      int64  `json:"closed_at,omitempty"`
}

type windowView struct {
	LastCustomerAt    int64 `json:"last_customer_at,omitempty"`
	LastReplyAt       int64 `json:"last_reply_at,omitempty"`
	StandardUntil     int64 `json:"standard_until,omitempty"`
	HumanAgentUntil   int64 `json:"human_agent_until,omitempty"`
	PrivateReplyUntil int64 `json:"private_reply_until,omitempty"`
	HumanAgentEnabled bool  `json:"human_agent_enabled"`
}

type sendView struct {
	Mode   relay.Mode `json:"mode"`
	Reason string     `json:"reason,omitempty"`
	Until  int64      `json:"until,omitempty"`
}

// settingsView is the part of the configuration the inbox shows (no secrets).
type settingsView struct {
	WindowWarningMinutes   int  `json:"window_warning_minutes"`
	UnansweredAlertMinutes int  `json:"unanswered_alert_minutes"`
	HumanAgentEnabled      bool `json:"human_agent_enabled"`
}

// deliveryView is a reply's delivery state (Delivery in docs/inbox-api.md).
type deliveryView struct {
	PostID    string `json:"post_id"`
	LeadID    string `json:"lead_id"`
	State     string `json:"state"`
	Error     string `json:"error,omitempty"`
	Retryable bool   `json:"retryable"`
	Attempts  int    `json:"attempts"`
	NextAt    int64  `json:"next_at,omitempty"`
	UpdatedAt int64  `json:"updated_at"`
}

// deliveryOf describes an outbox item. A pending reply with a part whose outcome is
// unknown is "unknown": Meta may have it, and the outbox waits for the echo before
// sending anything again. retryable is whether Retry would send a failed reply now.
func deliveryOf(it *relay.Item, retryable bool) deliveryView {
	state := it.State
	if state == relay.StatePending {
		for _, part := range it.Parts {
			if part.State == relay.StateUnknown {
				state = relay.StateUnknown
				break
			}
		}
	}
	return deliveryView{
		PostID: it.PostID, LeadID: it.LeadID, State: state, Error: it.Error,
		Retryable: retryable && it.State == relay.StateFailed,
		Attempts:  it.Attempts, NextAt: it.NextAt, UpdatedAt: it.UpdatedAt,
	}
}

// viewLead loads a lead and describes it for callerID at now; handoff.ErrNoLead when
// there is no such lead.
func (p *Plugin) viewLead(leadID, callerID string, now time.Time) (*leadView, error) {
	conv, ho, err := p.leadRecords(leadID)
	if err != nil {
		return nil, err
	}
	v := &leadView{
		ID:          leadID,
		ChannelID:   conv.ChannelID,
		ChannelName: conv.ChannelName,
		Platform:    conv.Platform,
		Contact:     contactView{Name: conv.ContactName, Username: conv.ContactUser, AvatarURL: conv.AvatarURL},
		Source: sourceView{
			Kind: conv.Source.Kind, PostID: conv.Source.PostID, CommentID: conv.Source.CommentID,
			Permalink: conv.Source.Permalink, AdID: conv.Source.AdID, AdTitle: conv.Source.AdTitle, Ref: conv.Source.Ref,
		},
		Handoff: handoffAPIView{
			State: ho.State, UnderReview: handoff.UnderReview(ho),
			OpenedAt: ho.OpenedAt, ClaimedAt: ho.ClaimedAt, ClosedAt: ho.ClosedAt,
		},
		Window: windowView{
			LastCustomerAt:    conv.LastCustomerAt,
			LastReplyAt:       conv.LastOutboundAt,
			StandardUntil:     conv.WindowExpiresAt,
			HumanAgentUntil:   conv.HumanAgentExpiresAt,
			PrivateReplyUntil: privateReplyUntil(conv),
			HumanAgentEnabled: p.getConfiguration().EnableHumanAgentTag,
		},
		Send:            p.sendViewOf(conv, ho, callerID, now),
		LastExcerpt:     conv.LastExcerpt,
		Unanswered:      conv.LastCustomerAt > conv.LastOutboundAt,
		FirstResponseAt: conv.FirstResponseAt,
		UpdatedAt:       max(conv.UpdatedAt, ho.UpdatedAt),
	}
	// A closed lead keeps its last owner in the record; only a claimed lead has one.
	if ho.State == store.HandoffClaimed && ho.OwnerID != "" {
		v.Handoff.OwnerID = ho.OwnerID
		v.Handoff.OwnerUsername, _ = p.workspace.bareUsername(ho.OwnerID)
	}
	// The parts below only decorate the view: a failure is logged and the field left
	// out rather than hiding the lead.
	if v.Handoff.UnderReview {
		if v.Handoff.ReviewReason, err = p.reviewReason(leadID); err != nil {
			p.API.LogWarn("could not read why a lead is under review", "lead", leadID, "error", err.Error())
		}
	}
	// Built from the username rather than read from the contact record: one KV read
	// less per lead in every queue listing.
	v.Contact.ProfileURL = graph.ProfileURL(meta.Platform(conv.Platform), conv.ContactUser)
	if v.TeamName, err = p.workspace.TeamName(); err != nil {
		p.API.LogWarn("could not resolve the lead team's name", "error", err.Error())
	}
	return v, nil
}

// sendViewOf is what a reply by callerID would do at now: the decision
// MessageWillBePosted makes, with the moment its mode ends.
func (p *Plugin) sendViewOf(conv *store.Conversation, ho *store.Handoff, callerID string, now time.Time) sendView {
	d := relay.Decide(conv, ho, callerID, p.policy(), now)
	s := sendView{Mode: d.Mode}
	switch d.Mode {
	case relay.Blocked:
		s.Reason = p.blockedReason(d)
	case relay.Standard:
		s.Until = conv.WindowExpiresAt
	case relay.HumanAgent:
		s.Until = conv.HumanAgentExpiresAt
	case relay.PrivateReply:
		s.Until = conv.PrivateReplyUntil
	}
	return s
}

// respondLeadError answers a failed lead read or action: a missing lead is a 404, any
// other error is logged and answered with a sentence only.
func (p *Plugin) respondLeadError(w http.ResponseWriter, leadID, what string, err error) {
	if errors.Is(err, handoff.ErrNoLead) {
		respondError(w, http.StatusNotFound, msgNoLead)
		return
	}
	p.API.LogError("inbox API: "+what+" failed", "lead", leadID, "error", err.Error())
	respondError(w, http.StatusInternalServerError, msgStoreFailed)
}

// validLeadID: store.LeadID makes 32 hex characters. Anything else names no lead, and
// must not reach the KV store as part of a key.
func validLeadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (p *Plugin) handleListLeads(w http.ResponseWriter, r *http.Request) {
	caller := callerOf(r)
	ids, err := p.store.OpenLeads()
	if err != nil {
		p.API.LogError("inbox API: could not read the open queue", "error", err.Error())
		respondError(w, http.StatusInternalServerError, "Something went wrong reading the queue. Try again in a moment.")
		return
	}
	now := p.now()
	leads := loadConcurrently(p, ids, "an open lead for the inbox", func(id string) (*leadView, error) { return p.viewLead(id, caller.ID, now) })
	cfg := p.getConfiguration()
	respondJSON(w, http.StatusOK, map[string]any{
		"leads": leads,
		"now":   now.UnixMilli(),
		"settings": settingsView{
			WindowWarningMinutes:   cfg.WindowWarningMinutes,
			UnansweredAlertMinutes: cfg.UnansweredAlertMinutes,
			HumanAgentEnabled:      cfg.EnableHumanAgentTag,
		},
	})
}

func (p *Plugin) handleGetLead(w http.ResponseWriter, r *http.Request) {
	leadID := mux.Vars(r)["lead_id"]
	if !validLeadID(leadID) {
		respondError(w, http.StatusNotFound, msgNoLead)
		return
	}
	v, err := p.viewLead(leadID, callerOf(r).ID, p.now())
	if err != nil {
		p.respondLeadError(w, leadID, "read a lead", err)
		return
	}
	respondJSON(w, http.StatusOK, v)
}

func (p *Plugin) handleChannelLead(w http.ResponseWriter, r *http.Request) {
	channelID := mux.Vars(r)["channel_id"]
	if !model.IsValidId(channelID) {
		respondError(w, http.StatusNotFound, "not a lead channel")
		return
	}
	leadID, ok, err := commandLeads{p: p}.LeadOfChannel(channelID)
	if err != nil {
		p.API.LogError("inbox API: could not look up a channel's lead", "channel_id", channelID, "error", err.Error())
		respondError(w, http.StatusInternalServerError, msgStoreFailed)
		return
	}
	if !ok {
		respondError(w, http.StatusNotFound, "not a lead channel")
		return
	}
	v, err := p.viewLead(leadID, callerOf(r).ID, p.now())
	if err != nil {
		p.respondLeadError(w, leadID, "read a channel's lead", err)
		return
	}
	respondJSON(w, http.StatusOK, v)
}

// leadActionBody is the optional body of POST /leads/{lead_id}/actions/{action}.
type leadActionBody struct {
	Reason   string `json:"reason"`
	ToUserID string `json:"to_user_id"`
}

// handleLeadAction performs a handoff action through the same code as the card
// buttons and /social.
func (p *Plugin) handleLeadAction(w http.ResponseWriter, r *http.Request) {
	caller := callerOf(r)
	leadID := mux.Vars(r)["lead_id"]
	var body leadActionBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxActionBody)).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			respondError(w, http.StatusBadRequest, fmt.Sprintf("The request body is larger than %d bytes.", maxActionBody))
			return
		}
		respondError(w, http.StatusBadRequest, `The request body must be JSON: {"reason": "…", "to_user_id": "…"}, both optional.`)
		return
	}
	name := mux.Vars(r)["action"]
	action, known := apiActions[name]
	if !known {
		respondError(w, http.StatusBadRequest, fmt.Sprintf("Unknown action %q. Use claim, release, close, reopen, review, clear-review or transfer.", name))
		return
	}
	body.Reason = strings.TrimSpace(body.Reason)
	if n := utf8.RuneCountInString(body.Reason); n > maxActionReasonRunes {
		respondError(w, http.StatusBadRequest, fmt.Sprintf("This reason is %d characters long; keep it under %d (post a note in the lead channel for more).", n, maxActionReasonRunes))
		return
	}
	if !validLeadID(leadID) {
		respondError(w, http.StatusNotFound, msgNoLead)
		return
	}
	req := leadAction{By: caller, LeadID: leadID, Action: action, Reason: body.Reason}
	if action == actionTransfer {
		to, status, msg := p.transferTarget(body.ToUserID)
		if status != 0 {
			respondError(w, status, msg)
			return
		}
		req.To = to
	}
	msg, err := p.doLeadAction(req)
	now := p.now()
	var stateErr *handoff.StateError
	switch {
	case errors.As(err, &stateErr):
		// The lead as it is now, so the webapp shows why without another request.
		out := map[string]any{"error": p.actionFailureText(caller.ID, err)}
		if v, viewErr := p.viewLead(leadID, caller.ID, now); viewErr == nil {
			out["lead"] = v
		} else {
			p.API.LogWarn("inbox API: could not read a lead after a refused action", "lead", leadID, "error", viewErr.Error())
		}
		respondJSON(w, http.StatusConflict, out)
		return
	case err != nil:
		p.respondLeadError(w, leadID, name, err)
		return
	}
	v, err := p.viewLead(leadID, caller.ID, now)
	if err != nil {
		// The action happened; say so rather than invite a second one.
		p.API.LogWarn("inbox API: could not read a lead after an action", "lead", leadID, "action", name, "error", err.Error())
		respondJSON(w, http.StatusOK, map[string]any{"message": msg})
		return
	}
	respondJSON(w, http.StatusOK, map[string]any{"lead": v, "message": msg})
}

// transferTarget checks the new owner of a transfer as /social transfer does: the user
// exists and is in the operator pool (an admin outside the pool cannot own leads). A
// non-zero status is the refusal to answer.
func (p *Plugin) transferTarget(userID string) (command.User, int, string) {
	if userID == "" {
		return command.User{}, http.StatusBadRequest, "Say who should take the lead over: to_user_id is required for a transfer."
	}
	if !model.IsValidId(userID) {
		return command.User{}, http.StatusNotFound, "There is no such user to hand the lead to."
	}
	u, access, err := p.accessOfID(userID)
	if err != nil {
		p.API.LogError("inbox API: could not check a transfer target", "user_id", userID, "error", err.Error())
		return command.User{}, http.StatusInternalServerError, "Something went wrong checking the operator pool; nothing was changed. Try again in a moment."
	}
	if u == nil {
		return command.User{}, http.StatusNotFound, "There is no such user to hand the lead to."
	}
	if !access.Operator {
		return command.User{}, http.StatusBadRequest, fmt.Sprintf("@%s is not in the operator pool, so they cannot work leads. An admin can add them to ~%s first.", u.Username, p.getConfiguration().queueChannelName())
	}
	return command.User{ID: u.Id, Username: u.Username, Admin: access.Admin, Operator: access.Operator}, 0, ""
}

// handleListDeliveries reports the delivery state of replies. Operators see every
// lead of the pool, so every reply in the outbox is visible to them; posts that are
// not replies in the outbox are left out.
func (p *Plugin) handleListDeliveries(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["post_id"]
	switch {
	case len(ids) == 0:
		respondError(w, http.StatusBadRequest, "Name the posts to report on: ?post_id=…, repeated.")
		return
	case len(ids) > maxDeliveryIDs:
		respondError(w, http.StatusBadRequest, fmt.Sprintf("Ask about at most %d posts at a time; this request names %d.", maxDeliveryIDs, len(ids)))
		return
	}
	seen := make(map[string]bool, len(ids))
	unique := make([]string, 0, len(ids))
	for _, id := range ids {
		if !model.IsValidId(id) {
			respondError(w, http.StatusBadRequest, "Every post_id must be a Mattermost post ID.")
			return
		}
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	items := loadConcurrently(p, unique, "a reply's delivery state", func(postID string) (*relay.Item, error) {
		it, found, err := p.outbox.Get(postID)
		if err != nil || !found {
			return nil, err
		}
		return it, nil
	})
	// Whether a failed reply can be retried depends on its lead's window and handoff;
	// the replies asked about together are mostly one channel's, so one lead.
	retryable := map[string]bool{}
	out := make(map[string]deliveryView, len(items))
	for _, it := range items {
		if it == nil {
			continue
		}
		canRetry := false
		if it.State == relay.StateFailed {
			key := it.LeadID + "/" + it.AuthorID
			var known bool
			if canRetry, known = retryable[key]; !known {
				canRetry = p.canRetry(it)
				retryable[key] = canRetry
			}
		}
		out[it.PostID] = deliveryOf(it, canRetry)
	}
	respondJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}

// handleRetryDelivery is the Retry button for the webapp.
func (p *Plugin) handleRetryDelivery(w http.ResponseWriter, r *http.Request) {
	postID := mux.Vars(r)["post_id"]
	if !model.IsValidId(postID) {
		respondError(w, http.StatusNotFound, "This post is not a reply to a buyer, so there is nothing to retry.")
		return
	}
	res := p.retryReply(postID, "")
	status := map[retryOutcome]int{
		retryStarted:      http.StatusOK,
		retryUnknownReply: http.StatusNotFound,
		retryNotFailed:    http.StatusConflict,
		retryBlocked:      http.StatusConflict,
		retryBroken:       http.StatusInternalServerError,
	}[res.Outcome]
	if res.Outcome == retryUnknownReply {
		res.Message = "This post is not a reply to a buyer, so there is nothing to retry."
	}
	if status != http.StatusOK {
		out := map[string]any{"error": res.Message}
		if res.Item != nil && status == http.StatusConflict {
			out["delivery"] = deliveryOf(res.Item, false)
		}
		respondJSON(w, status, out)
		return
	}
	respondJSON(w, http.StatusOK, map[string]any{"delivery": deliveryOf(res.Item, false), "message": res.Message})
}
