package handoff

import (
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// A StateError names the owner (OwnerID) only when the refusal is about who holds the
// lead, so that a caller can say "Owner: @x" where it helps.

// ErrNoTarget means a transfer did not say who should take the lead over.
var ErrNoTarget = errors.New("say who should take the lead over")

// UnderReview reports whether the lead is held for a policy review: nothing may be sent
// to the buyer until a reviewer clears it. The flag is the handoff reason, the same
// field Meta's handoff vocabulary uses.
func UnderReview(h *store.Handoff) bool { return h.Reason == store.ReasonPolicyReview }

// Release gives a claimed lead back to the queue. Its owner or an admin may release it.
func Release(st *store.Store, leadID, userID string, isAdmin bool, now time.Time) (*Transition, error) {
	t, err := change(st, leadID, func(h *store.Handoff) error {
		switch {
		case h.State == store.HandoffClosed:
			return &StateError{State: h.State, Reason: "This lead is closed, so nobody holds it. Reopen it first if it needs more work."}
		case h.State == store.HandoffOpen:
			return &StateError{State: h.State, Reason: "This lead is not claimed, so there is nothing to release."}
		case h.OwnerID != userID && !isAdmin:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "Only the lead's owner or an admin can release a claimed lead."}
		}
		h.State = store.HandoffOpen
		h.OwnerID = ""
		h.ClaimedAt = 0
		h.UpdatedAt = now.UnixMilli()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := syncOpenQueue(st, leadID, false); err != nil {
		return t, err
	}
	return t, audit(st, leadID, userID, "handoff.released", t, now, "")
}

// Transfer hands a lead to another operator, who becomes its owner. The owner of a
// claimed lead or an admin may transfer it; an unclaimed lead may be handed to someone
// by any operator (as any operator may close it). The caller checks that toUserID is an
// operator: the handoff record knows nothing about the operator pool.
func Transfer(st *store.Store, leadID, userID string, isAdmin bool, toUserID string, now time.Time) (*Transition, error) {
	if toUserID == "" {
		return nil, ErrNoTarget
	}
	t, err := change(st, leadID, func(h *store.Handoff) error {
		switch {
		case h.State == store.HandoffClosed:
			return &StateError{State: h.State, Reason: "This lead is closed. Reopen it before handing it to someone."}
		case h.State == store.HandoffClaimed && h.OwnerID == toUserID && toUserID == userID:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "You already own this lead."}
		case h.State == store.HandoffClaimed && h.OwnerID == toUserID:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "That operator already owns this lead."}
		case h.State == store.HandoffClaimed && h.OwnerID != userID && !isAdmin:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "Only the lead's owner or an admin can transfer a claimed lead."}
		}
		h.State = store.HandoffClaimed
		h.OwnerID = toUserID
		h.ClaimedAt = now.UnixMilli()
		h.UpdatedAt = now.UnixMilli()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := syncOpenQueue(st, leadID, false); err != nil {
		return t, err
	}
	return t, audit(st, leadID, userID, "handoff.transferred", t, now, "")
}

// Reopen puts a closed lead back in the queue, unclaimed. Any operator may reopen a
// lead; the buyer writing again reopens it too (the intake engine does that). A policy
// review stays in place: only clearing it lifts it.
func Reopen(st *store.Store, leadID, userID string, now time.Time) (*Transition, error) {
	t, err := change(st, leadID, func(h *store.Handoff) error {
		switch {
		case h.State == store.HandoffOpen:
			return &StateError{State: h.State, Reason: "This lead is already open."}
		case h.State == store.HandoffClaimed:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "This lead is open and claimed; there is nothing to reopen."}
		}
		h.State = store.HandoffOpen
		h.OwnerID = ""
		h.ClaimedAt = 0
		h.Reopens++
		h.OpenedAt = now.UnixMilli()
		h.UpdatedAt = now.UnixMilli()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := syncOpenQueue(st, leadID, false); err != nil {
		return t, err
	}
	return t, audit(st, leadID, userID, "handoff.reopened", t, now, "")
}

// Review holds a lead for a policy review: the handoff reason becomes
// social_dm_policy_review and nothing is sent to the buyer until someone clears it.
// Any operator may ask for a review of an open or claimed lead; reason says why.
func Review(st *store.Store, leadID, userID, reason string, now time.Time) (*Transition, error) {
	t, err := change(st, leadID, func(h *store.Handoff) error {
		switch {
		case UnderReview(h):
			return &StateError{State: h.State, Reason: "This lead is already under policy review."}
		case h.State == store.HandoffClosed:
			// The buyer writing again reopens a closed lead as a plain follow-up, so a
			// review asked for now would not survive; reopen first.
			return &StateError{State: h.State, Reason: "This lead is closed. Reopen it before putting it under policy review."}
		}
		h.Reason = store.ReasonPolicyReview
		h.UpdatedAt = now.UnixMilli()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, auditChange(st, leadID, userID, "handoff.review_requested", t.Before.Reason, t.After.Reason, t, now, reason)
}

// ClearReview lifts a policy review: the reason goes back to
// social_dm_follow_up_needed and answers may reach the buyer again. The review is a
// second pair of eyes, so the operator who owns the lead cannot clear it on their own
// lead; any other operator or an admin can.
func ClearReview(st *store.Store, leadID, userID string, isAdmin bool, now time.Time) (*Transition, error) {
	t, err := change(st, leadID, func(h *store.Handoff) error {
		switch {
		case !UnderReview(h):
			return &StateError{State: h.State, Reason: "This lead is not under policy review."}
		case h.State == store.HandoffClaimed && h.OwnerID == userID && !isAdmin:
			return &StateError{State: h.State, OwnerID: h.OwnerID, Reason: "You own this lead, so you cannot clear its policy review yourself. Ask another operator or an admin to review it."}
		}
		h.Reason = store.ReasonFollowUp
		h.UpdatedAt = now.UnixMilli()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, auditChange(st, leadID, userID, "handoff.review_cleared", t.Before.Reason, t.After.Reason, t, now, "")
}
