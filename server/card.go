package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// Card actions. IDs are alphanumeric: the server addresses actions by ID.
const (
	actionClaim   = "claim"
	actionRelease = "release"
	actionClose   = "close"
	actionReview  = "review"
	actionClear   = "clearreview"
	actionReopen  = "reopen"
)

// cardActions are the handoff buttons a card can carry.
var cardActions = map[string]bool{
	actionClaim: true, actionRelease: true, actionClose: true, actionReview: true, actionClear: true, actionReopen: true,
}

const actionPath = "/plugins/" + manifestID + "/api/v1/actions/"

// signAction signs the lead ID and action with the plugin's action secret, so a button
// request built outside Mattermost (any logged-in user can POST to the route) cannot
// name a lead or an action of its choosing.
func (p *Plugin) signAction(leadID, action string) string {
	mac := hmac.New(sha256.New, p.actionSecret)
	mac.Write([]byte(leadID + "\x00" + action))
	return hex.EncodeToString(mac.Sum(nil))
}

func (p *Plugin) verifyAction(leadID, action, sig string) bool {
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, p.actionSecret)
	mac.Write([]byte(leadID + "\x00" + action))
	return hmac.Equal(want, mac.Sum(nil))
}

func (p *Plugin) cardAction(leadID, id, name, style string) *model.PostAction {
	return &model.PostAction{
		Id:    id,
		Type:  model.PostActionTypeButton,
		Name:  name,
		Style: style,
		Integration: &model.PostActionIntegration{
			URL:     actionPath + id,
			Context: map[string]any{"lead_id": leadID, "action": id, "sig": p.signAction(leadID, id)},
		},
	}
}

var stateColors = map[string]string{
	store.HandoffOpen:    "#F5A623",
	store.HandoffClaimed: "#1C58D9",
	store.HandoffClosed:  "#3DB887",
}

// cardButtons are the handoff actions that fit the lead's state. The queue notice
// (compact) only offers Claim.
func (p *Plugin) cardButtons(c *intake.Card) []*model.PostAction {
	var ids []string
	switch c.HandoffState {
	case store.HandoffOpen:
		ids = []string{actionClaim, actionClose}
	case store.HandoffClaimed:
		ids = []string{actionRelease, actionClose}
	case store.HandoffClosed:
		ids = []string{actionReopen}
	}
	if c.HandoffState != store.HandoffClosed {
		if c.UnderReview {
			ids = append(ids, actionClear)
		} else {
			ids = append(ids, actionReview)
		}
	}
	names := map[string][2]string{
		actionClaim: {"Claim", "primary"}, actionRelease: {"Release", "default"}, actionClose: {"Close", "danger"},
		actionReview: {"Policy review", "default"}, actionClear: {"Clear review", "default"}, actionReopen: {"Reopen", "primary"},
	}
	var out []*model.PostAction
	for _, id := range ids {
		if c.Compact && id != actionClaim {
			continue
		}
		out = append(out, p.cardAction(c.LeadID, id, names[id][0], names[id][1]))
	}
	return out
}

// renderCard renders the lead card as a message attachment (rendered by every client,
// mobile included) with the buttons that fit the handoff state.
func (p *Plugin) renderCard(c *intake.Card) *model.MessageAttachment {
	status := "Open · unclaimed"
	switch c.HandoffState {
	case store.HandoffClaimed:
		status = "Claimed by " + p.workspace.username(c.OwnerID)
	case store.HandoffClosed:
		status = "Closed"
	}
	if c.UnderReview {
		status = "⚠️ Under policy review (no replies) · " + status
	}
	window := "Not open: a comment allows one private reply within 7 days"
	if !c.WindowExpiresAt.IsZero() {
		window = fmt.Sprintf("Reply by %s (24-hour window)", c.WindowExpiresAt.UTC().Format("Mon Jan 2 15:04 MST"))
		if c.WindowExpiresAt.Before(time.Now()) {
			window = "Closed since " + c.WindowExpiresAt.UTC().Format("Mon Jan 2 15:04 MST")
		}
	}
	contact := c.ContactName
	if c.ContactUsername != "" && c.ContactName != "@"+c.ContactUsername {
		contact += " (@\u200b" + c.ContactUsername + ")"
	}
	a := &model.MessageAttachment{
		Fallback:   fmt.Sprintf("%s lead: %s — %s", c.Platform.Label(), c.ContactName, status),
		Color:      stateColors[c.HandoffState],
		AuthorName: contact,
		AuthorIcon: c.AvatarURL,
		Title:      "New lead on " + c.Platform.Label(),
		Fields: []*model.MessageAttachmentField{
			{Title: "Source", Value: c.Source, Short: true},
			{Title: "Status", Value: status, Short: true},
		},
	}
	if c.Compact {
		a.Title = ""
		a.Text = "Lead channel: ~" + c.ChannelName
	} else {
		a.Fields = append(a.Fields, &model.MessageAttachmentField{Title: "Response window", Value: window, Short: false})
	}
	a.Actions = p.cardButtons(c)
	return a
}
