package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store/memkv"
)

var errDown = errors.New("injected KV failure")

type counter struct {
	N      int      `json:"n"`
	Writes []string `json:"writes,omitempty"`
}

func newStore(t *testing.T) (*Store, *memkv.KV) {
	t.Helper()
	kv := memkv.New()
	return New(kv), kv
}

// TestMemKVSemantics pins the in-memory KV every other test relies on to the plugin KV
// store's semantics: insert-if-absent, byte-exact compare-and-set, compare-and-delete,
// expiry, the 150-character key limit, fault injection and lost replies.
func TestMemKVSemantics(t *testing.T) {
	kv := memkv.New()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	kv.SetNow(func() time.Time { return now })

	steps := []struct {
		name       string
		key        string
		old, value []byte
		want       bool
		after      []byte
	}{
		{"insert when absent", "k", nil, []byte("a"), true, []byte("a")},
		{"insert when present fails", "k", nil, []byte("b"), false, []byte("a")},
		{"swap with the exact old bytes", "k", []byte("a"), []byte("b"), true, []byte("b")},
		{"swap with stale old bytes fails", "k", []byte("a"), []byte("c"), false, []byte("b")},
		{"swap is byte-exact", "k", []byte("b "), []byte("c"), false, []byte("b")},
		{"swap of an absent key fails", "absent", []byte("x"), []byte("y"), false, nil},
		{"delete with the exact old bytes", "k", []byte("b"), nil, true, nil},
		{"nil old and nil value is a no-op", "k", nil, nil, false, nil},
	}
	for _, s := range steps {
		ok, err := kv.CompareAndSet(s.key, s.old, s.value, 0)
		if err != nil || ok != s.want {
			t.Fatalf("%s: %v, %v; want %v", s.name, ok, err, s.want)
		}
		if got, _ := kv.Get(s.key); !bytes.Equal(got, s.after) {
			t.Fatalf("%s: value %q, want %q", s.name, got, s.after)
		}
	}

	// Get returns a copy.
	_ = kv.Set("copy", []byte("abc"), 0)
	v, _ := kv.Get("copy")
	v[0] = 'X'
	if got, _ := kv.Get("copy"); string(got) != "abc" {
		t.Errorf("Get returned the stored slice")
	}

	// Expiry, reset by every write.
	_ = kv.Set("ttl", []byte("v"), time.Minute)
	now = now.Add(59 * time.Second)
	if got, _ := kv.Get("ttl"); got == nil {
		t.Error("expired early")
	}
	_ = kv.Set("ttl", []byte("v2"), time.Minute)
	now = now.Add(59 * time.Second)
	if got, _ := kv.Get("ttl"); string(got) != "v2" {
		t.Error("a write did not reset the expiry")
	}
	now = now.Add(2 * time.Second)
	if got, _ := kv.Get("ttl"); got != nil {
		t.Error("did not expire")
	}
	if ok, _ := kv.CompareAndSet("ttl", nil, []byte("new"), 0); !ok {
		t.Error("an expired key counts as absent for insert")
	}

	if _, err := kv.Get(strings.Repeat("k", 151)); err == nil {
		t.Error("a key longer than 150 characters was accepted")
	}
	if _, err := kv.Get(strings.Repeat("k", 150)); err != nil {
		t.Errorf("150 characters: %v", err)
	}

	if keys := kv.Keys("c"); len(keys) != 1 || keys[0] != "copy" {
		t.Errorf("Keys(c) = %v", keys)
	}

	kv.FailWith(func(op, key string) error {
		if op == "set" && key == "x" {
			return errDown
		}
		return nil
	})
	if err := kv.Set("x", []byte("1"), 0); !errors.Is(err, errDown) {
		t.Errorf("FailWith: %v", err)
	}
	if err := kv.Set("y", []byte("1"), 0); err != nil {
		t.Errorf("FailWith hit another key: %v", err)
	}
	kv.FailWith(nil)

	kv.DropNextCAS(1)
	if ok, err := kv.CompareAndSet("drop", nil, []byte("1"), 0); ok || err != nil {
		t.Errorf("dropped CAS: %v %v", ok, err)
	}
	if got, _ := kv.Get("drop"); got != nil {
		t.Error("a dropped CAS wrote")
	}
	if ok, _ := kv.CompareAndSet("drop", nil, []byte("1"), 0); !ok {
		t.Error("only the next CAS is dropped")
	}
	if ops := kv.Ops(); ops["cas"] == 0 || ops["get"] == 0 || ops["set"] == 0 {
		t.Errorf("Ops %v", ops)
	}
}

// TestInsert: Insert writes only when the key is absent and otherwise reports the
// stored record, which it never overwrites.
func TestInsert(t *testing.T) {
	st, _ := newStore(t)
	inserted, err := st.Insert("c", counter{N: 1}, 0, nil)
	if err != nil || !inserted {
		t.Fatalf("first insert: %v %v", inserted, err)
	}
	var existing counter
	inserted, err = st.Insert("c", counter{N: 2}, 0, &existing)
	if err != nil || inserted || existing.N != 1 {
		t.Fatalf("second insert: inserted %v existing %+v err %v", inserted, existing, err)
	}
	var got counter
	if found, _ := st.Get("c", &got); !found || got.N != 1 {
		t.Errorf("stored %+v", got)
	}
	if inserted, err := st.Insert("c", counter{N: 3}, 0, nil); inserted || err != nil {
		t.Errorf("insert with nil existing: %v %v", inserted, err)
	}
}

// TestInsertAfterLostCAS: a compare-and-set that answers false without writing (a lost
// RPC) is not taken as "someone else inserted": Insert re-reads, finds nothing, and
// tries again.
func TestInsertAfterLostCAS(t *testing.T) {
	for n := 1; n <= 4; n++ {
		st, kv := newStore(t)
		kv.DropNextCAS(n)
		inserted, err := st.Insert("c", counter{N: 7}, 0, nil)
		if err != nil || !inserted {
			t.Fatalf("%d lost: inserted %v err %v; want inserted", n, inserted, err)
		}
		var got counter
		if found, _ := st.Get("c", &got); !found || got.N != 7 {
			t.Errorf("%d lost: stored %+v", n, got)
		}
	}
}

// TestInsertGivesUpUnderEndlessLoss: Insert does not loop forever; it reports
// ErrContention.
func TestInsertGivesUpUnderEndlessLoss(t *testing.T) {
	st, kv := newStore(t)
	kv.DropNextCAS(1000)
	_, err := st.Insert("c", counter{N: 1}, 0, nil)
	if !errors.Is(err, ErrContention) {
		t.Errorf("err %v, want ErrContention", err)
	}
}

// TestInsertAndModifyReportKVErrors: KV errors surface as errors, never as "not
// inserted" or a silent success.
func TestInsertAndModifyReportKVErrors(t *testing.T) {
	for _, op := range []string{"get", "cas"} {
		st, kv := newStore(t)
		_, _ = st.Insert("pre", counter{}, 0, nil)
		kv.FailWith(func(o, _ string) error {
			if o == op {
				return errDown
			}
			return nil
		})
		if op == "cas" {
			if _, err := st.Insert("c", counter{}, 0, nil); !errors.Is(err, errDown) {
				t.Errorf("Insert with %s failing: %v", op, err)
			}
		}
		if _, err := Modify(st, "pre", 0, func(c *counter, _ bool) (bool, error) { c.N++; return true, nil }); !errors.Is(err, errDown) {
			t.Errorf("Modify with %s failing: %v", op, err)
		}
	}
}

// TestModify: fn sees the current record (zero and exists=false when absent), its
// decision to write or not is honoured, its error aborts without writing, and Modify
// returns the record as written or read.
func TestModify(t *testing.T) {
	st, kv := newStore(t)
	var sawExists bool
	got, err := Modify(st, "c", 0, func(c *counter, exists bool) (bool, error) {
		sawExists = exists
		c.N = 1
		return true, nil
	})
	if err != nil || got.N != 1 || sawExists {
		t.Fatalf("create: %+v %v exists=%v", got, err, sawExists)
	}
	got, err = Modify(st, "c", 0, func(c *counter, exists bool) (bool, error) {
		if !exists || c.N != 1 {
			t.Errorf("fn saw %+v exists=%v", c, exists)
		}
		c.N = 99
		return false, nil
	})
	if err != nil || got.N != 99 {
		t.Errorf("no-write: %+v %v", got, err)
	}
	var stored counter
	_, _ = st.Get("c", &stored)
	if stored.N != 1 {
		t.Errorf("a no-write Modify wrote: %+v", stored)
	}
	casBefore := kv.Ops()["cas"]
	boom := errors.New("refused")
	if _, err := Modify(st, "c", 0, func(c *counter, _ bool) (bool, error) { c.N = 5; return true, boom }); !errors.Is(err, boom) {
		t.Errorf("fn error: %v", err)
	}
	if kv.Ops()["cas"] != casBefore {
		t.Error("Modify wrote although fn failed")
	}
	_, _ = st.Get("c", &stored)
	if stored.N != 1 {
		t.Errorf("stored %+v", stored)
	}
}

// TestModifyAfterLostCAS: a lost compare-and-set makes Modify re-read and apply fn
// again to the current record; the change is written exactly once.
func TestModifyAfterLostCAS(t *testing.T) {
	st, kv := newStore(t)
	_, _ = st.Insert("c", counter{N: 10}, 0, nil)
	kv.DropNextCAS(3)
	calls := 0
	got, err := Modify(st, "c", 0, func(c *counter, _ bool) (bool, error) {
		calls++
		c.N++
		return true, nil
	})
	if err != nil || got.N != 11 || calls != 4 {
		t.Fatalf("Modify: %+v err %v calls %d; want 11 after 4 calls", got, err, calls)
	}
	var stored counter
	_, _ = st.Get("c", &stored)
	if stored.N != 11 {
		t.Errorf("stored %d, want 11", stored.N)
	}
}

// TestModifyConcurrentCounter: 20 goroutines incrementing one counter through Modify
// (compare-and-set contention, as from several nodes) end at the exact count.
func TestModifyConcurrentCounter(t *testing.T) {
	st, _ := newStore(t)
	const goroutines, each = 20, 5
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	start := make(chan struct{})
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			for i := 0; i < each; i++ {
				_, err := Modify(st, "counter", 0, func(c *counter, _ bool) (bool, error) {
					c.N++
					return true, nil
				})
				if err != nil {
					errs <- fmt.Errorf("goroutine %d: %w", g, err)
				}
			}
		}(g)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var c counter
	_, _ = st.Get("counter", &c)
	if c.N != goroutines*each {
		t.Errorf("counter %d, want %d", c.N, goroutines*each)
	}
}

// TestConcurrentInsertOneWinner: of 20 goroutines inserting the same key, exactly one
// inserts and every other one reads the winner's record.
func TestConcurrentInsertOneWinner(t *testing.T) {
	st, _ := newStore(t)
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	seen := map[int]int{}
	start := make(chan struct{})
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			var existing counter
			inserted, err := st.Insert("one", counter{N: g}, 0, &existing)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			if inserted {
				winners++
				seen[g]++
			} else {
				seen[existing.N]++
			}
		}(g)
	}
	close(start)
	wg.Wait()
	if winners != 1 || len(seen) != 1 {
		t.Errorf("%d winners, records seen %v; want one winner seen by all", winners, seen)
	}
}

// TestKeysAndHash: keys stay within 150 characters whatever the native ID, identities
// include platform and account, and Hash separates its parts.
func TestKeysAndHash(t *testing.T) {
	longMID := "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDU5MzAyNzE4NDY1OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDc4NzgzMzY1NTQ1NTQ3MjM0ODozODg0MzUxNTg2MzY3MzM0ODQwNDI2MjQwOTc0ODEzMTI2Njc0MAZDZD" + strings.Repeat("x", 500)
	lead := LeadID("instagram", "17841459302718465", "1127480693512847")
	keys := []string{
		MessageKey("instagram", "17841459302718465", longMID), ContactKey("instagram", "17841459302718465", longMID),
		ConversationKey(lead), LeadKey(lead), HandoffKey(lead), AuditKey(lead), AuditChunkKey(lead, 123456),
		ChannelKey("abcdefghijklmnopqrstuvwxyz"), PendingKey(strings.Repeat("f", 32)), OpenIndexKey(lead),
	}
	for _, k := range keys {
		if len(k) > 150 {
			t.Errorf("key %q is %d characters", k, len(k))
		}
	}
	if len(lead) != 32 {
		t.Errorf("lead ID %q", lead)
	}
	distinct := map[string]bool{
		LeadID("facebook", "p1", "c1"): true, LeadID("instagram", "p1", "c1"): true,
		LeadID("facebook", "p2", "c1"): true, LeadID("facebook", "p1", "c2"): true,
	}
	if len(distinct) != 4 {
		t.Error("lead IDs collide across platform, account or customer")
	}
	if Hash("ab", "c") == Hash("a", "bc") || Hash("a") == Hash("a", "") {
		t.Error("Hash does not separate its parts")
	}
	if MessageKey("facebook", "p", "m") == MessageKey("facebook", "p2", "m") {
		t.Error("message keys collide across accounts")
	}
	shards := map[string]bool{}
	for i := 0; i < 200; i++ {
		shards[OpenIndexKey(LeadID("facebook", "p", fmt.Sprint(i)))] = true
	}
	if len(shards) != OpenIndexShards {
		t.Errorf("leads spread over %d shards, want %d", len(shards), OpenIndexShards)
	}
}

// TestLeaseHeldBy: a lease blocks others until its deadline, never its owner.
func TestLeaseHeldBy(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	cases := []struct {
		name  string
		lease Lease
		owner string
		held  bool
	}{
		{"no lease", Lease{}, "me", false},
		{"someone else's live lease", Lease{Owner: "other", Until: 1_000_001}, "me", true},
		{"my own live lease", Lease{Owner: "me", Until: 1_000_001}, "me", false},
		{"expired at the deadline", Lease{Owner: "other", Until: 1_000_000}, "me", false},
		{"expired", Lease{Owner: "other", Until: 999_999}, "me", false},
	}
	for _, tc := range cases {
		if got := tc.lease.HeldBy(tc.owner, now); got != tc.held {
			t.Errorf("%s: HeldBy = %v, want %v", tc.name, got, tc.held)
		}
	}
}

// TestContactDisplayName: name, then @username, then a readable fallback per platform.
func TestContactDisplayName(t *testing.T) {
	cases := []struct {
		c    Contact
		want string
	}{
		{Contact{Platform: "facebook", CustomerID: "7284619053817462", Name: "Dana"}, "Dana"},
		{Contact{Platform: "instagram", CustomerID: "1", Username: "dana.k"}, "@dana.k"},
		{Contact{Platform: "facebook", CustomerID: "7284619053817462"}, "Messenger user …7462"},
		{Contact{Platform: "instagram", CustomerID: "1127480693512847"}, "Instagram user …2847"},
		{Contact{Platform: "facebook", CustomerID: "42"}, "Messenger user …42"},
	}
	for _, tc := range cases {
		if got := tc.c.DisplayName(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}

// TestRecordsTolerateUnknownFields: readers ignore fields they do not know, so nodes on
// different plugin versions share records during a rolling upgrade.
func TestRecordsTolerateUnknownFields(t *testing.T) {
	st, kv := newStore(t)
	_ = kv.Set(HandoffKey("l"), []byte(`{"v":2,"lead_id":"l","state":"open","future_field":{"x":1}}`), 0)
	var h Handoff
	if found, err := st.Get(HandoffKey("l"), &h); !found || err != nil || h.State != HandoffOpen {
		t.Errorf("%+v %v %v", h, found, err)
	}
	raw, _ := json.Marshal(Message{NativeID: "m"})
	if !bytes.Contains(raw, []byte(`"native_id":"m"`)) {
		t.Errorf("message JSON %s", raw)
	}
}
