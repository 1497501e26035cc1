package handoff

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store/memkv"
)

const lead = "0123456789abcdef0123456789abcdef"

var t0 = time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)

// newLead stores a handoff in the given state (owner for claimed or closed leads) and
// lists it in the open queue when it is not closed.
func newLead(t *testing.T, state, owner string) (*store.Store, *memkv.KV) {
	t.Helper()
	kv := memkv.New()
	st := store.New(kv)
	h := store.Handoff{V: store.RecordVersion, LeadID: lead, Reason: store.ReasonFollowUp, State: state, OwnerID: owner, OpenedAt: t0.UnixMilli() - 1000}
	if err := st.Put(store.HandoffKey(lead), h, 0); err != nil {
		t.Fatal(err)
	}
	if state != store.HandoffClosed {
		if err := st.AddOpenLead(lead); err != nil {
			t.Fatal(err)
		}
	}
	return st, kv
}

func stored(t *testing.T, st *store.Store) store.Handoff {
	t.Helper()
	var h store.Handoff
	if found, err := st.Get(store.HandoffKey(lead), &h); !found || err != nil {
		t.Fatalf("handoff: found %v err %v", found, err)
	}
	return h
}

func trail(t *testing.T, st *store.Store) []store.AuditEvent {
	t.Helper()
	tr, err := st.AuditTrail(lead)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func isOpen(t *testing.T, st *store.Store) bool {
	t.Helper()
	ids, err := st.OpenLeads()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id == lead {
			return true
		}
	}
	return false
}

// TestClaim: an open lead can be claimed; a claimed or closed one cannot, and the
// error says why (and who owns it) in an operator's terms. A refused claim changes and
// audits nothing.
func TestClaim(t *testing.T) {
	cases := []struct {
		name        string
		state       string
		owner       string
		user        string
		wantErr     string // substring of the StateError reason; "" = success
		wantErrOwn  string
		wantErrStat string
	}{
		{"open lead", store.HandoffOpen, "", "anna", "", "", ""},
		{"already claimed by someone else", store.HandoffClaimed, "bert", "anna", "already claimed", "bert", store.HandoffClaimed},
		{"already claimed by me", store.HandoffClaimed, "anna", "anna", "You already own", "anna", store.HandoffClaimed},
		{"closed", store.HandoffClosed, "bert", "anna", "closed", "", store.HandoffClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := newLead(t, tc.state, tc.owner)
			before := stored(t, st)
			tr, err := Claim(st, lead, tc.user, t0)
			if tc.wantErr != "" {
				var se *StateError
				if !errors.As(err, &se) {
					t.Fatalf("err %v, want a StateError", err)
				}
				if !strings.Contains(se.Reason, tc.wantErr) || se.OwnerID != tc.wantErrOwn || se.State != tc.wantErrStat || se.Error() != se.Reason {
					t.Errorf("StateError %+v", se)
				}
				if tr != nil {
					t.Errorf("transition returned with an error: %+v", tr)
				}
				if after := stored(t, st); after != before {
					t.Errorf("a refused claim changed the handoff: %+v -> %+v", before, after)
				}
				if n := len(trail(t, st)); n != 0 {
					t.Errorf("a refused claim was audited (%d entries)", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := stored(t, st)
			if h.State != store.HandoffClaimed || h.OwnerID != tc.user || h.ClaimedAt != t0.UnixMilli() || h.UpdatedAt != t0.UnixMilli() {
				t.Errorf("after claim: %+v", h)
			}
			if tr.Before.State != store.HandoffOpen || tr.After != h {
				t.Errorf("transition %+v", tr)
			}
			if !isOpen(t, st) {
				t.Error("claiming took the lead out of the queue index")
			}
			a := trail(t, st)
			if len(a) != 1 || a[0].Action != "handoff.claimed" || a[0].Actor != store.ActorUser || a[0].ActorID != tc.user ||
				a[0].Before != store.HandoffOpen || a[0].After != "claimed:"+tc.user || a[0].At != t0.UnixMilli() {
				t.Errorf("audit %+v", a)
			}
		})
	}
}

// TestClose: the owner closes a claimed lead, anyone closes an unclaimed one, an admin
// closes any; a closed lead cannot be closed again. Closing takes the lead out of the
// open queue and is audited with the actor and reason.
func TestClose(t *testing.T) {
	cases := []struct {
		name       string
		state      string
		owner      string
		user       string
		admin      bool
		reason     string
		wantErr    string
		wantReason string
	}{
		{"owner closes a claimed lead", store.HandoffClaimed, "anna", "anna", false, "sold", "", "sold"},
		{"operator closes an unclaimed lead", store.HandoffOpen, "", "bert", false, "", "", "resolved"},
		{"admin closes someone else's lead", store.HandoffClaimed, "anna", "boss", true, "spam", "", "spam"},
		{"another operator cannot close a claimed lead", store.HandoffClaimed, "anna", "bert", false, "", "Only the lead's owner or an admin", ""},
		{"a closed lead cannot be closed again", store.HandoffClosed, "anna", "anna", true, "", "already closed", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := newLead(t, tc.state, tc.owner)
			before := stored(t, st)
			wasOpen := isOpen(t, st)
			tr, err := Close(st, lead, tc.user, tc.admin, tc.reason, t0)
			if tc.wantErr != "" {
				var se *StateError
				if !errors.As(err, &se) || !strings.Contains(se.Reason, tc.wantErr) || se.State != tc.state || se.OwnerID != tc.owner {
					t.Fatalf("err %v (%+v), want StateError %q", err, se, tc.wantErr)
				}
				if after := stored(t, st); after != before {
					t.Errorf("a refused close changed the handoff")
				}
				if isOpen(t, st) != wasOpen || len(trail(t, st)) != 0 {
					t.Errorf("a refused close changed the queue or the audit trail")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			h := stored(t, st)
			if h.State != store.HandoffClosed || h.ClosedBy != tc.user || h.CloseReason != tc.wantReason || h.ClosedAt != t0.UnixMilli() || h.OwnerID != tc.owner {
				t.Errorf("after close: %+v", h)
			}
			if tr.Before.State != tc.state || tr.After.State != store.HandoffClosed {
				t.Errorf("transition %+v", tr)
			}
			if isOpen(t, st) {
				t.Error("a closed lead is still in the open queue")
			}
			a := trail(t, st)
			if len(a) != 1 || a[0].Action != "handoff.closed" || a[0].Actor != store.ActorUser || a[0].ActorID != tc.user ||
				a[0].Detail != tc.wantReason || a[0].After != store.HandoffClosed+map[bool]string{true: ":" + tc.owner, false: ""}[tc.owner != ""] {
				t.Errorf("audit %+v", a)
			}
		})
	}
}

// TestNoLead: transitions on a lead without a handoff record report ErrNoLead and
// create nothing.
func TestNoLead(t *testing.T) {
	kv := memkv.New()
	st := store.New(kv)
	if _, err := Claim(st, lead, "anna", t0); !errors.Is(err, ErrNoLead) {
		t.Errorf("Claim: %v", err)
	}
	if _, err := Close(st, lead, "anna", true, "", t0); !errors.Is(err, ErrNoLead) {
		t.Errorf("Close: %v", err)
	}
	if keys := kv.Keys(""); len(keys) != 0 {
		t.Errorf("created %v", keys)
	}
}

// TestClaimCloseClaimCycle: a lead claimed, closed and (after the engine reopened it)
// claimed again keeps a complete audit trail with each actor.
func TestClaimCloseClaimCycle(t *testing.T) {
	st, _ := newLead(t, store.HandoffOpen, "")
	if _, err := Claim(st, lead, "anna", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := Close(st, lead, "anna", false, "quoted", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// What the intake engine does on a new inbound message.
	if _, err := store.Modify(st, store.HandoffKey(lead), 0, func(h *store.Handoff, _ bool) (bool, error) {
		h.State, h.OwnerID, h.ClaimedAt, h.Reopens = store.HandoffOpen, "", 0, h.Reopens+1
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := Claim(st, lead, "bert", t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range trail(t, st) {
		got = append(got, a.Action+" by "+a.ActorID+": "+a.Before+" -> "+a.After)
	}
	want := []string{
		"handoff.claimed by anna: open -> claimed:anna",
		"handoff.closed by anna: claimed:anna -> closed:anna",
		"handoff.claimed by bert: open -> claimed:bert",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestConcurrentClaimsOneWinner: 20 operators on several nodes click Claim at the same
// moment: exactly one wins, every other one gets a StateError naming the winner, and
// exactly one claim is audited.
func TestConcurrentClaimsOneWinner(t *testing.T) {
	for round := 0; round < 5; round++ {
		st, _ := newLead(t, store.HandoffOpen, "")
		const n = 20
		users := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			users[i] = "user-" + string(rune('a'+i))
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				_, errs[i] = Claim(st, lead, users[i], t0)
			}(i)
		}
		close(start)
		wg.Wait()
		winner := ""
		for i, err := range errs {
			if err == nil {
				if winner != "" {
					t.Fatalf("round %d: both %s and %s won", round, winner, users[i])
				}
				winner = users[i]
			}
		}
		if winner == "" {
			t.Fatalf("round %d: nobody won: %v", round, errs)
		}
		for i, err := range errs {
			if users[i] == winner {
				continue
			}
			var se *StateError
			if !errors.As(err, &se) || se.OwnerID != winner || se.State != store.HandoffClaimed {
				t.Errorf("round %d: loser %s got %v (%+v), want a StateError naming %s", round, users[i], err, se, winner)
			}
		}
		if h := stored(t, st); h.OwnerID != winner || h.State != store.HandoffClaimed {
			t.Errorf("round %d: stored %+v, winner %s", round, h, winner)
		}
		if a := trail(t, st); len(a) != 1 || a[0].ActorID != winner {
			t.Errorf("round %d: audit %+v", round, a)
		}
	}
}

// TestConcurrentCloseAndClaim: an owner closing while others try to claim: the lead
// ends either closed, or claimed by exactly one operator — never both, and the audit
// trail matches the final state.
func TestConcurrentCloseAndClaim(t *testing.T) {
	st, _ := newLead(t, store.HandoffOpen, "")
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	claims, closes := 0, 0
	for i := 0; i < 10; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			<-start
			if _, err := Claim(st, lead, "op-"+string(rune('a'+i)), t0); err == nil {
				mu.Lock()
				claims++
				mu.Unlock()
			}
		}(i)
		go func() {
			defer wg.Done()
			<-start
			if _, err := Close(st, lead, "boss", true, "", t0); err == nil {
				mu.Lock()
				closes++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if claims > 1 || closes != 1 {
		t.Errorf("%d claims and %d closes succeeded; want at most one claim and exactly one close", claims, closes)
	}
	if h := stored(t, st); h.State != store.HandoffClosed {
		t.Errorf("final state %s", h.State)
	}
	if n := len(trail(t, st)); n != claims+closes {
		t.Errorf("%d audit entries for %d transitions", n, claims+closes)
	}
	if isOpen(t, st) {
		t.Error("closed lead in the open queue")
	}
}
