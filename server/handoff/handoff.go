// Package handoff is the state machine of who works a lead: open → claimed → closed,
// reopened by a new inbound message. Every transition is a compare-and-set on the
// handoff record, so two operators clicking Claim on two nodes at the same moment
// cannot both win, and every transition is audited with its actor.
package handoff

import (
	"fmt"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// ErrNoLead means there is no handoff record for the lead.
var ErrNoLead = errors.New("this lead does not exist (any more)")

// StateError explains why a transition is not possible, in an operator's terms.
type StateError struct {
	State   string
	OwnerID string
	Reason  string
}

func (e *StateError) Error() string { return e.Reason }

// Transition is the result of a successful state change.
type Transition struct {
	Before store.Handoff
	After  store.Handoff
}

func change(st *store.Store, leadID string, fn func(h *store.Handoff) error) (*Transition, error) {
	var before store.Handoff
	after, err := store.Modify(st, store.HandoffKey(leadID), 0, func(h *store.Handoff, exists bool) (bool, error) {
		if !exists {
			return false, ErrNoLead
		}
		before = *h
		if err := fn(h); err != nil {
			return false, err
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &Transition{Before: before, After: *after}, nil
}

// Claim makes userID the owner of an open lead.
func Claim(st *store.Store, leadID, userID string, now time.Time) (*Transition, error) {
	t, err := change(st, leadID, func(h *store.Handoff) error {
		switch {
		case h.State == store.HandoffClosed:
			return &StateError{State: h.State, Reason: "This lead is closed. It reopens when the buyer writes again."}
		case h.State == store.HandoffClaimed && h.OwnerID == userID:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "You already own this lead."}
		case h.State == store.HandoffClaimed:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "This lead is already claimed."}
		}
		h.State = store.HandoffClaimed
		h.OwnerID = userID
		h.ClaimedAt = now.UnixMilli()
		h.UpdatedAt = now.UnixMilli()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, audit(st, leadID, userID, "handoff.claimed", t, now, "")
}

// Close closes a lead. Its owner, any operator while it is unclaimed, or an admin may
// close it.
func Close(st *store.Store, leadID, userID string, isAdmin bool, reason string, now time.Time) (*Transition, error) {
	if reason == "" {
		reason = "resolved"
	}
	t, err := change(st, leadID, func(h *store.Handoff) error {
		switch {
		case h.State == store.HandoffClosed:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "This lead is already closed."}
		case h.State == store.HandoffClaimed && h.OwnerID != userID && !isAdmin:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "Only the lead's owner or an admin can close a claimed lead."}
		}
		h.State = store.HandoffClosed
		h.ClosedAt = now.UnixMilli()
		h.ClosedBy = userID
		h.CloseReason = reason
		h.UpdatedAt = now.UnixMilli()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := st.RemoveOpenLead(leadID); err != nil {
		return t, err
	}
	return t, audit(st, leadID, userID, "handoff.closed", t, now, reason)
}

func audit(st *store.Store, leadID, userID, action string, t *Transition, now time.Time, detail string) error {
	return st.AppendAudit(leadID, store.AuditEvent{
		ID:      fmt.Sprintf("%s:%d:%s", action, t.After.UpdatedAt, userID),
		At:      now.UnixMilli(),
		Actor:   store.ActorUser,
		ActorID: userID,
		Action:  action,
		Before:  describe(t.Before),
		After:   describe(t.After),
		Detail:  detail,
	})
}

func describe(h store.Handoff) string {
	if h.OwnerID == "" {
		return h.State
	}
	return h.State + ":" + h.OwnerID
}
