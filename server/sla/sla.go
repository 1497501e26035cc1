// Package sla decides which alerts a lead is due: a buyer waiting too long for an
// answer, and a response window about to close on an unanswered buyer. Alerts are
// keyed by the buyer message they are about, so each fires once. It imports nothing
// from Mattermost.
package sla

import (
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// Alert kinds.
const (
	Unanswered    = "unanswered"
	WindowClosing = "window_closing"
)

// Settings are the admin's thresholds; zero disables an alert.
type Settings struct {
	UnansweredAfter  time.Duration
	WindowWarnBefore time.Duration
}

// State remembers which alerts already fired for a lead (KV record per lead).
type State struct {
	V int `json:"v"`
	// UnansweredFor and WindowWarnedFor hold the LastCustomerAt the alert was about.
	UnansweredFor   int64 `json:"unanswered_for,omitempty"`
	WindowWarnedFor int64 `json:"window_warned_for,omitempty"`
}

// Alert is one due alert.
type Alert struct {
	Kind    string
	LeadID  string
	OwnerID string
	// Waiting is how long the buyer has waited; Left is what remains of the window.
	Waiting time.Duration
	Left    time.Duration
	About   int64
}

// Unanswered reports whether the buyer's last action has had no answer from the page.
func IsUnanswered(conv *store.Conversation) bool {
	return conv.LastCustomerAt != 0 && conv.LastOutboundAt < conv.LastCustomerAt
}

// Due lists the alerts a lead is due now and not sent yet. Closed leads are never due.
func Due(conv *store.Conversation, ho *store.Handoff, st *State, s Settings, now time.Time) []Alert {
	if ho == nil || ho.State == store.HandoffClosed || !IsUnanswered(conv) {
		return nil
	}
	var out []Alert
	ms := now.UnixMilli()
	waiting := now.Sub(time.UnixMilli(conv.LastCustomerAt))
	if s.UnansweredAfter > 0 && waiting >= s.UnansweredAfter && st.UnansweredFor != conv.LastCustomerAt {
		out = append(out, Alert{Kind: Unanswered, LeadID: conv.LeadID, OwnerID: ownerOf(ho), Waiting: waiting, About: conv.LastCustomerAt})
	}
	if s.WindowWarnBefore > 0 && conv.WindowExpiresAt > ms && st.WindowWarnedFor != conv.LastCustomerAt {
		left := time.UnixMilli(conv.WindowExpiresAt).Sub(now)
		if left <= s.WindowWarnBefore {
			out = append(out, Alert{Kind: WindowClosing, LeadID: conv.LeadID, OwnerID: ownerOf(ho), Waiting: waiting, Left: left, About: conv.LastCustomerAt})
		}
	}
	return out
}

func ownerOf(ho *store.Handoff) string {
	if ho.State == store.HandoffClaimed {
		return ho.OwnerID
	}
	return ""
}

// Mark records that an alert fired, so it is not repeated for the same buyer message.
func (st *State) Mark(a Alert) {
	switch a.Kind {
	case Unanswered:
		st.UnansweredFor = a.About
	case WindowClosing:
		st.WindowWarnedFor = a.About
	}
}

// Fired reports whether the alert was already recorded.
func (st *State) Fired(a Alert) bool {
	switch a.Kind {
	case Unanswered:
		return st.UnansweredFor == a.About
	case WindowClosing:
		return st.WindowWarnedFor == a.About
	}
	return false
}
