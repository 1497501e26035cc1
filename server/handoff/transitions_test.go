package handoff

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store/memkv"
)

// The helpers here are this file's own (handoff_test.go has its own set), so either
// file can change without breaking the other.

// trLead is the lead of these tests; the helpers in handoff_test.go read it.
const trLead = lead

var trNow = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// seedHandoff stores a handoff in the given state, owner and reason, listed in the open
// queue unless it is closed.
func seedHandoff(t *testing.T, state, owner, reason string) *store.Store {
	t.Helper()
	st := store.New(memkv.New())
	if reason == "" {
		reason = store.ReasonFollowUp
	}
	h := store.Handoff{V: store.RecordVersion, LeadID: trLead, Reason: reason, State: state, OwnerID: owner, OpenedAt: trNow.Add(-time.Hour).UnixMilli()}
	if state == store.HandoffClosed {
		h.ClosedAt, h.ClosedBy, h.CloseReason = trNow.Add(-time.Minute).UnixMilli(), owner, "resolved"
	}
	if err := st.Put(store.HandoffKey(trLead), h, 0); err != nil {
		t.Fatal(err)
	}
	if state != store.HandoffClosed {
		if err := st.AddOpenLead(trLead); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// refusal checks that err is a StateError whose sentence contains want, naming state
// and owner, and that nothing changed: record, queue index, audit trail.
func refusal(t *testing.T, st *store.Store, before store.Handoff, wasListed bool, err error, want, state, owner string) {
	t.Helper()
	var se *StateError
	if !errors.As(err, &se) {
		t.Fatalf("err %v, want a StateError %q", err, want)
	}
	if !strings.Contains(se.Reason, want) || se.State != state || se.OwnerID != owner || se.Error() != se.Reason {
		t.Errorf("StateError %+v, want %q state %q owner %q", se, want, state, owner)
	}
	if after := stored(t, st); after != before {
		t.Errorf("a refused transition changed the handoff: %+v -> %+v", before, after)
	}
	if isOpen(t, st) != wasListed {
		t.Error("a refused transition changed the open queue")
	}
	if n := len(trail(t, st)); n != 0 {
		t.Errorf("a refused transition was audited (%d entries)", n)
	}
}

// oneAudit checks the trail holds exactly the one event of a transition.
func oneAudit(t *testing.T, st *store.Store, action, actor, before, after, detail string) {
	t.Helper()
	a := trail(t, st)
	if len(a) != 1 {
		t.Fatalf("audit %+v, want one %s", a, action)
	}
	e := a[0]
	if e.Action != action || e.Actor != store.ActorUser || e.ActorID != actor || e.Before != before || e.After != after || e.Detail != detail || e.At != trNow.UnixMilli() {
		t.Errorf("audit %+v, want %s by %s: %s -> %s (%q)", e, action, actor, before, after, detail)
	}
}

// TestRelease: the owner or an admin gives a claimed lead back to the queue; anyone
// else, an unclaimed lead and a closed lead are refused with a sentence that says why.
func TestRelease(t *testing.T) {
	cases := []struct {
		name      string
		state     string
		owner     string
		user      string
		admin     bool
		wantErr   string
		wantOwner string // owner named in the StateError
	}{
		{"owner releases", store.HandoffClaimed, "anna", "anna", false, "", ""},
		{"admin releases someone else's lead", store.HandoffClaimed, "anna", "boss", true, "", ""},
		{"another operator cannot release", store.HandoffClaimed, "anna", "bert", false, "Only the lead's owner or an admin can release", "anna"},
		{"an unclaimed lead has nothing to release", store.HandoffOpen, "", "anna", true, "not claimed", ""},
		{"a closed lead cannot be released", store.HandoffClosed, "anna", "anna", true, "closed", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := seedHandoff(t, tc.state, tc.owner, "")
			before, wasListed := stored(t, st), isOpen(t, st)
			tr, err := Release(st, trLead, tc.user, tc.admin, trNow)
			if tc.wantErr != "" {
				if tr != nil {
					t.Errorf("transition returned with an error: %+v", tr)
				}
				refusal(t, st, before, wasListed, err, tc.wantErr, tc.state, tc.wantOwner)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := stored(t, st)
			if h.State != store.HandoffOpen || h.OwnerID != "" || h.ClaimedAt != 0 || h.UpdatedAt != trNow.UnixMilli() || h.Reason != store.ReasonFollowUp {
				t.Errorf("after release: %+v", h)
			}
			if tr.Before != before || tr.After != h {
				t.Errorf("transition %+v", tr)
			}
			if !isOpen(t, st) {
				t.Error("a released lead is not in the open queue")
			}
			oneAudit(t, st, "handoff.released", tc.user, "claimed:"+tc.owner, "open", "")
		})
	}
}

// TestTransfer: the owner or an admin hands a claimed lead to another operator; any
// operator may hand an unclaimed lead to someone; the target must be named and must
// not already own it; closed leads are refused.
func TestTransfer(t *testing.T) {
	cases := []struct {
		name      string
		state     string
		owner     string
		user      string
		admin     bool
		to        string
		wantErr   string
		wantOwner string
	}{
		{"owner hands over", store.HandoffClaimed, "anna", "anna", false, "bert", "", ""},
		{"admin reassigns someone else's lead", store.HandoffClaimed, "anna", "boss", true, "bert", "", ""},
		{"an operator assigns an unclaimed lead", store.HandoffOpen, "", "anna", false, "bert", "", ""},
		{"an operator takes an unclaimed lead through transfer", store.HandoffOpen, "", "anna", false, "anna", "", ""},
		{"another operator cannot transfer a claimed lead", store.HandoffClaimed, "anna", "bert", false, "carl", "Only the lead's owner or an admin can transfer", "anna"},
		{"another operator cannot take a claimed lead", store.HandoffClaimed, "anna", "bert", false, "bert", "Only the lead's owner or an admin can transfer", "anna"},
		{"to oneself when one owns it", store.HandoffClaimed, "anna", "anna", false, "anna", "You already own this lead", "anna"},
		{"to the current owner", store.HandoffClaimed, "anna", "boss", true, "anna", "That operator already owns this lead", "anna"},
		{"a closed lead", store.HandoffClosed, "anna", "anna", true, "bert", "Reopen it before handing it", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := seedHandoff(t, tc.state, tc.owner, "")
			before, wasListed := stored(t, st), isOpen(t, st)
			tr, err := Transfer(st, trLead, tc.user, tc.admin, tc.to, trNow)
			if tc.wantErr != "" {
				refusal(t, st, before, wasListed, err, tc.wantErr, tc.state, tc.wantOwner)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := stored(t, st)
			if h.State != store.HandoffClaimed || h.OwnerID != tc.to || h.ClaimedAt != trNow.UnixMilli() || h.UpdatedAt != trNow.UnixMilli() {
				t.Errorf("after transfer: %+v", h)
			}
			if tr.Before != before || tr.After != h {
				t.Errorf("transition %+v", tr)
			}
			if !isOpen(t, st) {
				t.Error("a transferred lead is not in the open queue")
			}
			oneAudit(t, st, "handoff.transferred", tc.user, describe(before), "claimed:"+tc.to, "")
		})
	}
	t.Run("no target", func(t *testing.T) {
		st := seedHandoff(t, store.HandoffClaimed, "anna", "")
		before := stored(t, st)
		if _, err := Transfer(st, trLead, "anna", false, "", trNow); !errors.Is(err, ErrNoTarget) {
			t.Fatalf("err %v, want ErrNoTarget", err)
		}
		if stored(t, st) != before || len(trail(t, st)) != 0 {
			t.Error("a transfer without a target changed something")
		}
	})
}

// TestReopen: any operator reopens a closed lead: unclaimed, back in the queue, one
// more reopen counted; a policy review survives. Open or claimed leads are refused.
func TestReopen(t *testing.T) {
	cases := []struct {
		name      string
		state     string
		owner     string
		reason    string
		wantErr   string
		wantOwner string
	}{
		{"closed lead", store.HandoffClosed, "anna", store.ReasonFollowUp, "", ""},
		{"closed lead under policy review keeps the review", store.HandoffClosed, "anna", store.ReasonPolicyReview, "", ""},
		{"open lead", store.HandoffOpen, "", "", "already open", ""},
		{"claimed lead", store.HandoffClaimed, "anna", "", "open and claimed", "anna"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := seedHandoff(t, tc.state, tc.owner, tc.reason)
			before, wasListed := stored(t, st), isOpen(t, st)
			tr, err := Reopen(st, trLead, "bert", trNow)
			if tc.wantErr != "" {
				refusal(t, st, before, wasListed, err, tc.wantErr, tc.state, tc.wantOwner)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := stored(t, st)
			if h.State != store.HandoffOpen || h.OwnerID != "" || h.ClaimedAt != 0 || h.Reopens != before.Reopens+1 ||
				h.OpenedAt != trNow.UnixMilli() || h.UpdatedAt != trNow.UnixMilli() || h.Reason != tc.reason {
				t.Errorf("after reopen: %+v", h)
			}
			if tr.After != h || tr.Before != before {
				t.Errorf("transition %+v", tr)
			}
			if !isOpen(t, st) {
				t.Error("a reopened lead is not in the open queue")
			}
			oneAudit(t, st, "handoff.reopened", "bert", "closed:anna", "open", "")
		})
	}
}

// TestReview: any operator holds an open or claimed lead for policy review (the reason
// becomes social_dm_policy_review, the state and owner stay); the audit records the
// reasons before and after and why. A lead already under review and a closed lead are
// refused.
func TestReview(t *testing.T) {
	cases := []struct {
		name      string
		state     string
		owner     string
		reason    string
		wantErr   string
		wantOwner string
	}{
		{"open lead", store.HandoffOpen, "", store.ReasonFollowUp, "", ""},
		{"claimed lead, by its owner", store.HandoffClaimed, "anna", store.ReasonFollowUp, "", ""},
		{"already under review", store.HandoffClaimed, "anna", store.ReasonPolicyReview, "already under policy review", ""},
		{"closed lead", store.HandoffClosed, "anna", store.ReasonFollowUp, "Reopen it before putting it under policy review", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := seedHandoff(t, tc.state, tc.owner, tc.reason)
			before, wasListed := stored(t, st), isOpen(t, st)
			tr, err := Review(st, trLead, "anna", "buyer asks for a medical claim", trNow)
			if tc.wantErr != "" {
				refusal(t, st, before, wasListed, err, tc.wantErr, tc.state, tc.wantOwner)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := stored(t, st)
			if !UnderReview(&h) || h.Reason != store.ReasonPolicyReview || h.State != tc.state || h.OwnerID != tc.owner || h.UpdatedAt != trNow.UnixMilli() {
				t.Errorf("after review: %+v", h)
			}
			if tr.After != h || tr.Before != before {
				t.Errorf("transition %+v", tr)
			}
			if isOpen(t, st) != wasListed {
				t.Error("a review changed the open queue")
			}
			oneAudit(t, st, "handoff.review_requested", "anna", store.ReasonFollowUp, store.ReasonPolicyReview, "buyer asks for a medical claim")
		})
	}
}

// TestClearReview: another operator or an admin lifts a policy review (the reason goes
// back to social_dm_follow_up_needed); the operator who owns the lead cannot lift it on
// their own; a lead that is not under review is refused.
func TestClearReview(t *testing.T) {
	cases := []struct {
		name      string
		state     string
		owner     string
		reason    string
		user      string
		admin     bool
		wantErr   string
		wantOwner string
	}{
		{"another operator clears a claimed lead", store.HandoffClaimed, "anna", store.ReasonPolicyReview, "bert", false, "", ""},
		{"any operator clears an unclaimed lead", store.HandoffOpen, "", store.ReasonPolicyReview, "anna", false, "", ""},
		{"an admin clears their own lead", store.HandoffClaimed, "boss", store.ReasonPolicyReview, "boss", true, "", ""},
		{"a closed lead can be cleared", store.HandoffClosed, "anna", store.ReasonPolicyReview, "bert", false, "", ""},
		{"the owner cannot clear their own lead", store.HandoffClaimed, "anna", store.ReasonPolicyReview, "anna", false, "cannot clear its policy review yourself", "anna"},
		{"not under review", store.HandoffClaimed, "anna", store.ReasonFollowUp, "bert", true, "not under policy review", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := seedHandoff(t, tc.state, tc.owner, tc.reason)
			before, wasListed := stored(t, st), isOpen(t, st)
			tr, err := ClearReview(st, trLead, tc.user, tc.admin, trNow)
			if tc.wantErr != "" {
				refusal(t, st, before, wasListed, err, tc.wantErr, tc.state, tc.wantOwner)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := stored(t, st)
			if UnderReview(&h) || h.Reason != store.ReasonFollowUp || h.State != tc.state || h.OwnerID != tc.owner {
				t.Errorf("after clearing: %+v", h)
			}
			if tr.After != h {
				t.Errorf("transition %+v", tr)
			}
			oneAudit(t, st, "handoff.review_cleared", tc.user, store.ReasonPolicyReview, store.ReasonFollowUp, "")
		})
	}
}

// TestNewTransitionsWithoutLead: every transition on a lead without a handoff record
// reports ErrNoLead and writes nothing.
func TestNewTransitionsWithoutLead(t *testing.T) {
	kv := memkv.New()
	st := store.New(kv)
	for name, run := range map[string]func() error{
		"release":      func() error { _, err := Release(st, trLead, "anna", true, trNow); return err },
		"transfer":     func() error { _, err := Transfer(st, trLead, "anna", true, "bert", trNow); return err },
		"reopen":       func() error { _, err := Reopen(st, trLead, "anna", trNow); return err },
		"review":       func() error { _, err := Review(st, trLead, "anna", "", trNow); return err },
		"clear review": func() error { _, err := ClearReview(st, trLead, "anna", true, trNow); return err },
	} {
		if err := run(); !errors.Is(err, ErrNoLead) {
			t.Errorf("%s: %v, want ErrNoLead", name, err)
		}
	}
	if keys := kv.Keys(""); len(keys) != 0 {
		t.Errorf("created %v", keys)
	}
}

// TestRepeatedTransitionsInOneMillisecondAreAllAudited: claim, release, claim again by
// the same operator at the same instant are three state changes and three entries.
func TestRepeatedTransitionsInOneMillisecondAreAllAudited(t *testing.T) {
	st := seedHandoff(t, store.HandoffOpen, "", "")
	steps := []func() (*Transition, error){
		func() (*Transition, error) { return Claim(st, trLead, "anna", trNow) },
		func() (*Transition, error) { return Release(st, trLead, "anna", false, trNow) },
		func() (*Transition, error) { return Claim(st, trLead, "anna", trNow) },
		func() (*Transition, error) { return Release(st, trLead, "anna", false, trNow) },
	}
	for i, step := range steps {
		if _, err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	var got []string
	for _, e := range trail(t, st) {
		got = append(got, e.Action+": "+e.Before+" -> "+e.After)
	}
	want := []string{
		"handoff.claimed: open -> claimed:anna",
		"handoff.released: claimed:anna -> open",
		"handoff.claimed: open -> claimed:anna",
		"handoff.released: claimed:anna -> open",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestConcurrentTransitionsOneWinner: many operators fire the same transition at the
// same moment (on several nodes): exactly one wins, every other gets a StateError, and
// exactly one event is audited.
func TestConcurrentTransitionsOneWinner(t *testing.T) {
	cases := []struct {
		name   string
		state  string
		owner  string
		reason string
		run    func(st *store.Store, i int) error
		check  func(h store.Handoff) bool
	}{
		{"admins release", store.HandoffClaimed, "anna", "", func(st *store.Store, i int) error {
			_, err := Release(st, trLead, fmt.Sprintf("admin-%d", i), true, trNow)
			return err
		}, func(h store.Handoff) bool { return h.State == store.HandoffOpen && h.OwnerID == "" }},
		{"the owner hands over to many at once", store.HandoffClaimed, "anna", "", func(st *store.Store, i int) error {
			_, err := Transfer(st, trLead, "anna", false, fmt.Sprintf("op-%d", i), trNow)
			return err
		}, func(h store.Handoff) bool {
			return h.State == store.HandoffClaimed && strings.HasPrefix(h.OwnerID, "op-")
		}},
		{"operators reopen", store.HandoffClosed, "anna", "", func(st *store.Store, i int) error {
			_, err := Reopen(st, trLead, fmt.Sprintf("op-%d", i), trNow)
			return err
		}, func(h store.Handoff) bool { return h.State == store.HandoffOpen && h.Reopens == 1 }},
		{"operators ask for review", store.HandoffClaimed, "anna", "", func(st *store.Store, i int) error {
			_, err := Review(st, trLead, fmt.Sprintf("op-%d", i), "check", trNow)
			return err
		}, func(h store.Handoff) bool { return UnderReview(&h) }},
		{"operators clear the review", store.HandoffClaimed, "anna", store.ReasonPolicyReview, func(st *store.Store, i int) error {
			_, err := ClearReview(st, trLead, fmt.Sprintf("op-%d", i), false, trNow)
			return err
		}, func(h store.Handoff) bool { return !UnderReview(&h) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for round := 0; round < 3; round++ {
				st := seedHandoff(t, tc.state, tc.owner, tc.reason)
				const n = 16
				errs := make([]error, n)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := 0; i < n; i++ {
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						<-start
						errs[i] = tc.run(st, i)
					}(i)
				}
				close(start)
				wg.Wait()
				wins := 0
				for _, err := range errs {
					var se *StateError
					switch {
					case err == nil:
						wins++
					case !errors.As(err, &se):
						t.Fatalf("round %d: %v, want a StateError", round, err)
					}
				}
				if wins != 1 {
					t.Fatalf("round %d: %d winners: %v", round, wins, errs)
				}
				if h := stored(t, st); !tc.check(h) {
					t.Errorf("round %d: final %+v", round, h)
				}
				if a := trail(t, st); len(a) != 1 {
					t.Errorf("round %d: %d audit entries, want 1", round, len(a))
				}
			}
		})
	}
}

// TestConcurrentCloseAndReopenKeepTheQueueInStep: closes and reopens racing on several
// nodes leave the open queue listing the lead exactly when it is not closed, and one
// audit entry per successful transition.
func TestConcurrentCloseAndReopenKeepTheQueueInStep(t *testing.T) {
	for round := 0; round < 10; round++ {
		st := seedHandoff(t, store.HandoffClosed, "anna", "")
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		start := make(chan struct{})
		for i := 0; i < 8; i++ {
			wg.Add(2)
			go func(i int) {
				defer wg.Done()
				<-start
				if _, err := Reopen(st, trLead, fmt.Sprintf("op-%d", i), trNow.Add(time.Duration(i)*time.Millisecond)); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}(i)
			go func(i int) {
				defer wg.Done()
				<-start
				if _, err := Close(st, trLead, "boss", true, "", trNow.Add(time.Duration(i)*time.Millisecond)); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}(i)
		}
		close(start)
		wg.Wait()
		h := stored(t, st)
		if isOpen(t, st) != (h.State != store.HandoffClosed) {
			t.Fatalf("round %d: state %s but listed in the open queue: %v", round, h.State, isOpen(t, st))
		}
		if n := len(trail(t, st)); n != wins {
			t.Errorf("round %d: %d audit entries for %d transitions", round, n, wins)
		}
	}
}

// interceptKV runs a hook once, before the first read of a key with the prefix, as if
// another node acted at exactly that moment.
type interceptKV struct {
	store.KV
	prefix string
	once   sync.Once
	hook   func()
}

func (k *interceptKV) Get(key string) ([]byte, error) {
	if strings.HasPrefix(key, k.prefix) {
		k.once.Do(k.hook)
	}
	return k.KV.Get(key)
}

// TestCloseBetweenReopenAndItsQueueUpdate: a reopen's state change lands, then another
// node closes the lead before the reopen lists it in the open queue. The reopen must
// not leave a closed lead listed (and the symmetric case: a close must not leave an open
// lead unlisted).
func TestCloseBetweenReopenAndItsQueueUpdate(t *testing.T) {
	t.Run("close lands inside a reopen", func(t *testing.T) {
		mem := memkv.New()
		direct := store.New(mem)
		if err := direct.Put(store.HandoffKey(trLead), store.Handoff{V: 1, LeadID: trLead, State: store.HandoffClosed, OwnerID: "anna"}, 0); err != nil {
			t.Fatal(err)
		}
		hooked := store.New(&interceptKV{KV: mem, prefix: store.PrefixOpenIndex, hook: func() {
			if _, err := Close(direct, trLead, "boss", true, "spam", trNow); err != nil {
				t.Errorf("close: %v", err)
			}
		}})
		if _, err := Reopen(hooked, trLead, "bert", trNow); err != nil {
			t.Fatal(err)
		}
		if h := stored(t, direct); h.State != store.HandoffClosed {
			t.Fatalf("final state %s, want closed", h.State)
		}
		if isOpen(t, direct) {
			t.Error("a closed lead is listed in the open queue")
		}
	})
	t.Run("reopen lands inside a close", func(t *testing.T) {
		mem := memkv.New()
		direct := store.New(mem)
		if err := direct.Put(store.HandoffKey(trLead), store.Handoff{V: 1, LeadID: trLead, State: store.HandoffOpen}, 0); err != nil {
			t.Fatal(err)
		}
		if err := direct.AddOpenLead(trLead); err != nil {
			t.Fatal(err)
		}
		hooked := store.New(&interceptKV{KV: mem, prefix: store.PrefixOpenIndex, hook: func() {
			if _, err := Reopen(direct, trLead, "bert", trNow); err != nil {
				t.Errorf("reopen: %v", err)
			}
		}})
		if _, err := Close(hooked, trLead, "anna", false, "", trNow); err != nil {
			t.Fatal(err)
		}
		if h := stored(t, direct); h.State != store.HandoffOpen {
			t.Fatalf("final state %s, want open", h.State)
		}
		if !isOpen(t, direct) {
			t.Error("an open lead is missing from the open queue")
		}
	})
}

// laggingKV serves the handoff key from a replica that lags: after each change, the next
// reads still return the value from before it.
type laggingKV struct {
	store.KV
	key   string
	mu    sync.Mutex
	prev  []byte
	stale int
}

func (k *laggingKV) Get(key string) ([]byte, error) {
	if key == k.key {
		k.mu.Lock()
		if k.stale > 0 {
			k.stale--
			prev := k.prev
			k.mu.Unlock()
			return prev, nil
		}
		k.mu.Unlock()
	}
	return k.KV.Get(key)
}

func (k *laggingKV) CompareAndSet(key string, old, value []byte, ttl time.Duration) (bool, error) {
	ok, err := k.KV.CompareAndSet(key, old, value, ttl)
	if ok && key == k.key && string(old) != string(value) {
		k.mu.Lock()
		k.prev, k.stale = old, 3
		k.mu.Unlock()
	}
	return ok, err
}

// TestQueueFollowsTheChangeDespiteALaggingReplica: right after a close (or reopen) the
// replica still shows the state before it; the open queue must follow the change the
// caller made, not the stale read.
func TestQueueFollowsTheChangeDespiteALaggingReplica(t *testing.T) {
	mem := memkv.New()
	direct := store.New(mem)
	if err := direct.Put(store.HandoffKey(trLead), store.Handoff{V: 1, LeadID: trLead, State: store.HandoffClaimed, OwnerID: "anna"}, 0); err != nil {
		t.Fatal(err)
	}
	if err := direct.AddOpenLead(trLead); err != nil {
		t.Fatal(err)
	}
	lagging := store.New(&laggingKV{KV: mem, key: store.HandoffKey(trLead)})
	if _, err := Close(lagging, trLead, "anna", false, "", trNow); err != nil {
		t.Fatal(err)
	}
	if isOpen(t, direct) {
		t.Error("a closed lead stayed in the open queue")
	}
	if _, err := Reopen(lagging, trLead, "bert", trNow.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if !isOpen(t, direct) {
		t.Error("a reopened lead is missing from the open queue")
	}
}
