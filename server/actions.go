package main

import (
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/command"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
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
	user, access, err := p.accessOfID(userID)
	if err != nil {
		p.API.LogError("could not check the operator pool", "error", err.Error())
		writeEphemeral(w, "Something went wrong checking the operator pool. Try again in a moment.")
		return
	}
	if !access.mayWorkLeads() {
		writeEphemeral(w, p.notOperatorText())
		return
	}
	by := command.User{ID: user.Id, Username: user.Username, Admin: access.Admin, Operator: access.Operator}
	postID, _ := req.Context["post_id"].(string)
	writeEphemeral(w, p.applyHandoffAction(by, leadID, action, postID))
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

// applyHandoffAction performs a card button's action and returns what to tell the user.
func (p *Plugin) applyHandoffAction(by command.User, leadID, action, postID string) string {
	if action == actionRetry {
		return p.retryReply(postID, leadID).Message
	}
	req := leadAction{By: by, LeadID: leadID, Action: action}
	if action == actionReview {
		req.Reason = "flagged from the lead card"
	}
	msg, err := p.doLeadAction(req)
	if err != nil {
		if !isRefusal(err) {
			p.API.LogError("card action failed", "action", action, "lead", leadID, "error", err.Error())
		}
		return p.actionFailureText(by.ID, err)
	}
	return msg
}

// actionTransfer is not a card button: transfers come from /social and the inbox API.
const actionTransfer = "transfer"

// leadAction is one handoff action asked for from a card button or the inbox API.
type leadAction struct {
	By     command.User
	LeadID string
	Action string
	// Reason explains a close or a review; it may be empty.
	Reason string
	// To is the new owner of a transfer; the caller checked that they are an operator.
	To command.User
}

var errUnknownAction = errors.New("unknown action")

// doLeadAction performs a handoff action through the transitions /social uses
// (commandLeads), so whichever surface asked, the card and the queue notice are
// refreshed, lead_updated is published, and a transfer adds the new owner to the lead
// channel and posts the notice. It returns the sentence to show, or the handoff
// package's error (*handoff.StateError, handoff.ErrNoLead), errUnknownAction, or a
// failure, after which nothing is known to have changed.
func (p *Plugin) doLeadAction(a leadAction) (string, error) {
	leads := commandLeads{p: p}
	var err error
	switch a.Action {
	case actionClaim:
		_, err = leads.Claim(a.LeadID, a.By)
	case actionClose:
		_, err = leads.Close(a.LeadID, a.By, a.Reason)
	case actionRelease:
		_, err = leads.Release(a.LeadID, a.By)
	case actionReopen:
		_, err = leads.Reopen(a.LeadID, a.By)
	case actionReview:
		_, err = leads.Review(a.LeadID, a.By, a.Reason)
	case actionClear:
		_, err = leads.ClearReview(a.LeadID, a.By)
	case actionTransfer:
		_, err = leads.Transfer(a.LeadID, a.By, a.To)
	default:
		err = errUnknownAction
	}
	if err != nil {
		return "", err
	}
	if a.Action == actionTransfer {
		if a.To.ID == a.By.ID {
			return "You now own this lead. Answer in the lead channel: your posts go to the buyer.", nil
		}
		return "@" + a.To.Username + " now owns this lead; they were mentioned in the channel.", nil
	}
	return map[string]string{
		actionClaim:   "You claimed this lead. Answer in the lead channel: your posts go to the buyer.",
		actionRelease: "You released this lead; any operator can claim it now.",
		actionClose:   "Lead closed. It reopens if the buyer writes again.",
		actionReopen:  "Lead reopened.",
		actionReview:  "Lead flagged for policy review: nothing can be sent to the buyer until someone else clears it.",
		actionClear:   "Policy review cleared: operators can answer again.",
	}[a.Action], nil
}

// isRefusal says whether a lead action's error is an answer for the person (the lead
// is not in a state that allows it, or is gone) rather than a failure to log.
func isRefusal(err error) bool {
	var stateErr *handoff.StateError
	return errors.As(err, &stateErr) || errors.Is(err, handoff.ErrNoLead) || errors.Is(err, errUnknownAction)
}

// actionFailureText is what userID reads when a lead action did not happen. A refusal
// names the owner when someone else holds the lead; a failure says nothing changed.
func (p *Plugin) actionFailureText(userID string, err error) string {
	var stateErr *handoff.StateError
	switch {
	case errors.As(err, &stateErr):
		if stateErr.OwnerID != "" && stateErr.OwnerID != userID {
			return stateErr.Reason + " Owner: " + p.workspace.username(stateErr.OwnerID) + "."
		}
		return stateErr.Reason
	case errors.Is(err, handoff.ErrNoLead):
		return "This lead no longer exists."
	case errors.Is(err, errUnknownAction):
		return "Unknown action."
	}
	return "Something went wrong; nothing was changed. Try again in a moment."
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
