package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/relay"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// handleAction serves the card buttons. Any logged-in user can POST this route with a
// body of their choosing, so nothing in the body is trusted on its own: the user comes
// from the server-set header, the context must carry our signature, the post is
// re-loaded and must be our bot's and carry this action, and the user must be an
// operator (or a system admin). The state change itself is a compare-and-set.
func (p *Plugin) handleAction(w http.ResponseWriter, r *http.Request) {
	userID := r.Header.Get("Mattermost-User-Id")
	var req model.PostActionIntegrationRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		http.Error(w, "invalid action request", http.StatusBadRequest)
		return
	}
	action := mux.Vars(r)["action"]
	leadID, _ := req.Context["lead_id"].(string)
	sig, _ := req.Context["sig"].(string)
	if leadID == "" || !p.verifyAction(leadID, action, sig) {
		p.API.LogWarn("refused a card action with an invalid signature", "user_id", userID, "action", action)
		http.Error(w, "this button is not valid", http.StatusForbidden)
		return
	}
	if msg, status := p.checkActionPost(&req, action, leadID); status != 0 {
		p.API.LogWarn("refused a card action: "+msg, "user_id", userID, "action", action, "lead", leadID)
		http.Error(w, msg, status)
		return
	}
	isAdmin := p.API.HasPermissionTo(userID, model.PermissionManageSystem)
	if !isAdmin {
		ok, err := p.workspace.isOperator(userID)
		if err != nil {
			p.API.LogError("could not check the operator pool", "error", err.Error())
			writeEphemeral(w, "Something went wrong checking the operator pool. Try again in a moment.")
			return
		}
		if !ok {
			writeEphemeral(w, "Only members of the operator pool (the queue channel) can work leads. Ask an admin to add you to ~"+p.getConfiguration().queueChannelName()+".")
			return
		}
	}
	postID, _ := req.Context["post_id"].(string)
	writeEphemeral(w, p.applyHandoffAction(userID, isAdmin, leadID, action, postID))
}

// checkActionPost re-loads the clicked post and checks it is our bot's, in the
// request's channel, and belongs to the signed lead. The action need not still be on
// the post: a click on a card that changed a moment ago (someone else claimed) must get
// "already claimed by @x", and the signature already binds the action to the lead.
func (p *Plugin) checkActionPost(req *model.PostActionIntegrationRequest, action, leadID string) (string, int) {
	post, appErr := p.API.GetPost(req.PostId)
	if appErr != nil || post == nil {
		return "unknown post", http.StatusNotFound
	}
	if post.UserId != p.botUserID || (req.ChannelId != "" && post.ChannelId != req.ChannelId) {
		return "not a Social Inbox card", http.StatusForbidden
	}
	if v, _ := post.GetProp(propLeadID).(string); v != leadID {
		return "the card does not belong to this lead", http.StatusForbidden
	}
	if !cardActions[action] && action != actionRetry {
		return "unknown action", http.StatusNotFound
	}
	return "", 0
}

// applyHandoffAction performs a handoff transition and returns what to tell the user.
func (p *Plugin) applyHandoffAction(userID string, isAdmin bool, leadID, action, postID string) string {
	now := p.now()
	var err error
	switch action {
	case actionRetry:
		return p.retryReply(leadID, postID)
	case actionClaim:
		_, err = handoff.Claim(p.store, leadID, userID, now)
	case actionClose:
		_, err = handoff.Close(p.store, leadID, userID, isAdmin, "", now)
	case actionRelease:
		_, err = handoff.Release(p.store, leadID, userID, isAdmin, now)
	case actionReopen:
		_, err = handoff.Reopen(p.store, leadID, userID, now)
	case actionReview:
		_, err = handoff.Review(p.store, leadID, userID, "flagged from the lead card", now)
	case actionClear:
		_, err = handoff.ClearReview(p.store, leadID, userID, isAdmin, now)
	default:
		return "Unknown action."
	}
	var stateErr *handoff.StateError
	switch {
	case errors.As(err, &stateErr):
		if stateErr.OwnerID != "" && stateErr.OwnerID != userID {
			return stateErr.Reason + " Owner: " + p.workspace.username(stateErr.OwnerID) + "."
		}
		return stateErr.Reason
	case errors.Is(err, handoff.ErrNoLead):
		return "This lead no longer exists."
	case err != nil:
		p.API.LogError("card action failed", "action", action, "lead", leadID, "error", err.Error())
		return "Something went wrong; nothing was changed. Try again in a moment."
	}
	p.refreshLeadViews(leadID)
	return map[string]string{
		actionClaim:   "You claimed this lead. Answer in the lead channel: your posts go to the buyer.",
		actionRelease: "You released this lead; any operator can claim it now.",
		actionClose:   "Lead closed. It reopens if the buyer writes again.",
		actionReopen:  "Lead reopened.",
		actionReview:  "Lead flagged for policy review: nothing can be sent to the buyer until someone else clears it.",
		actionClear:   "Policy review cleared: operators can answer again.",
	}[action]
}

// retryReply puts a failed reply back in its lead's queue and delivers it.
func (p *Plugin) retryReply(leadID, postID string) string {
	it, found, err := p.outbox.Get(postID)
	if err != nil || !found || it.LeadID != leadID {
		return "This reply cannot be retried: it is not a reply of this lead."
	}
	conv, ho, err := p.loadLead(leadID)
	if err != nil {
		return "Something went wrong; nothing was changed. Try again in a moment."
	}
	if d := relay.Decide(conv, ho, it.AuthorID, p.policy(), p.now()); d.Mode == relay.Blocked {
		return "Still not possible: " + d.Reason
	}
	if it, err = p.outbox.Retry(postID); err != nil {
		return "Something went wrong; nothing was changed. Try again in a moment."
	}
	if it.State != relay.StatePending {
		return "This reply is not waiting for a retry (it was " + it.State + ")."
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout*time.Duration(len(it.Parts)+1))
		defer cancel()
		if err := p.outbox.Drain(ctx, leadID); err != nil {
			p.API.LogWarn("retried reply delivery interrupted; the retry job continues it", "lead", leadID, "error", err.Error())
		}
	}()
	return "Sending again."
}

// refreshLeadViews re-renders the lead card and the queue notice from the records.
func (p *Plugin) refreshLeadViews(leadID string) {
	var conv store.Conversation
	var ho store.Handoff
	if _, err := p.store.Get(store.ConversationKey(leadID), &conv); err != nil {
		p.API.LogWarn("could not load lead to refresh its card", "lead", leadID, "error", err.Error())
		return
	}
	if _, err := p.store.Get(store.HandoffKey(leadID), &ho); err != nil {
		p.API.LogWarn("could not load handoff to refresh its card", "lead", leadID, "error", err.Error())
		return
	}
	for _, view := range []struct {
		postID  string
		kind    string
		compact bool
	}{{conv.Card.PostID, intake.PostInbound, false}, {conv.QueueNotice.PostID, intake.PostQueueNotice, true}} {
		if view.postID == "" {
			continue
		}
		err := p.workspace.UpdatePost(view.postID, &intake.Post{
			Kind: view.kind, LeadID: leadID, KeepMessage: true, Card: intake.BuildCard(&conv, &ho, view.compact),
		})
		if err != nil {
			p.API.LogWarn("could not refresh a lead card", "lead", leadID, "error", err.Error())
		}
	}
	p.workspace.LeadUpdated(leadID, conv.ChannelID)
}

func writeEphemeral(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&model.PostActionIntegrationResponse{EphemeralText: text})
}
