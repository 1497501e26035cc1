// Package handoff is the state machine of who works a lead: open → claimed → closed,
// reopened by a new inbound message. Every transition is a compare-and-set on the
// handoff record, so two operators clicking Claim on two nodes at the same moment
// cannot both win, and every transition is audited with its actor.
package handoff

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	if err := syncOpenQueue(st, leadID, true); err != nil {
		return t, err
	}
	// The archive job archives the channel after the grace period (if still closed).
	if err := st.AddArchiveCandidate(leadID); err != nil {
		return t, err
	}
	return t, audit(st, leadID, userID, "handoff.closed", t, now, reason)
}

func audit(st *store.Store, leadID, userID, action string, t *Transition, now time.Time, detail string) error {
	return auditChange(st, leadID, userID, action, describe(t.Before), describe(t.After), t, now, detail)
}

// auditChange records a transition that already happened. The event ID ends in a
// random part: AppendAudit drops an ID it has seen, and the same operator can make the
// same transition twice within one millisecond (claim, release, claim again), which
// are distinct state changes. A transition is audited once by the caller that won its
// compare-and-set, so there is no retry for a deterministic ID to absorb.
func auditChange(st *store.Store, leadID, userID, action, before, after string, t *Transition, now time.Time, detail string) error {
	return st.AppendAudit(leadID, store.AuditEvent{
		ID:      fmt.Sprintf("%s:%d:%s:%s", action, t.After.UpdatedAt, userID, nonce()),
		At:      now.UnixMilli(),
		Actor:   store.ActorUser,
		ActorID: userID,
		Action:  action,
		Before:  before,
		After:   after,
		Detail:  detail,
	})
}

func nonce() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// syncOpenQueue makes the open-queue index agree with the handoff: listed unless
// closed. closed is the state the caller just wrote. A close and a reopen racing on two
// nodes can apply their index updates in the opposite order of their state changes, so
// after its index update each caller reads the state again and repairs the index until
// it matches: the caller whose change came last ends with an index update that matches
// it, and any later index update by another caller is followed by that caller's re-read,
// which sees the final state and repairs it.
func syncOpenQueue(st *store.Store, leadID string, closed bool) error {
	for attempt := 0; attempt < 5; attempt++ {
		var err error
		if closed {
			err = st.RemoveOpenLead(leadID)
		} else {
			err = st.AddOpenLead(leadID)
		}
		if err != nil {
			return err
		}
		now, err := confirmedClosed(st, leadID)
		if err != nil {
			return err
		}
		if now == closed {
			return nil
		}
		closed = now
	}
	return errors.Wrap(store.ErrContention, "update the open queue")
}

// confirmedClosed reads whether the handoff is closed, confirmed against the primary
// database: a KV read may come from a lagging replica, which right after this node's own
// change can still show the state before it. A compare-and-set of the bytes read onto
// themselves succeeds only if they are current, and changes nothing.
func confirmedClosed(st *store.Store, leadID string) (bool, error) {
	key := store.HandoffKey(leadID)
	kv := st.KV()
	for attempt := 0; attempt < 10; attempt++ {
		raw, err := kv.Get(key)
		if err != nil {
			return false, errors.Wrap(err, "read handoff to update the open queue")
		}
		if raw == nil {
			// Handoffs are never deleted: a replica that has not seen the record yet.
			time.Sleep(time.Duration(attempt+1) * time.Millisecond)
			continue
		}
		ok, err := kv.CompareAndSet(key, raw, raw, 0)
		if err != nil {
			return false, errors.Wrap(err, "confirm handoff state")
		}
		if !ok {
			continue
		}
		var h store.Handoff
		if err := json.Unmarshal(raw, &h); err != nil {
			return false, errors.Wrap(err, "decode handoff")
		}
		return h.State == store.HandoffClosed, nil
	}
	return false, errors.Wrap(store.ErrContention, "confirm handoff state")
}

func describe(h store.Handoff) string {
	if h.OwnerID == "" {
		return h.State
	}
	return h.State + ":" + h.OwnerID
}
