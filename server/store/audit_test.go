package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func auditEvent(i int) AuditEvent {
	return AuditEvent{ID: fmt.Sprintf("ev-%03d", i), At: int64(1000 + i), Actor: ActorWebhook, Action: "message.received", Subject: fmt.Sprint(i)}
}

func trailIDs(t *testing.T, st *Store, lead string) []string {
	t.Helper()
	trail, err := st.AuditTrail(lead)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(trail))
	for i, e := range trail {
		ids[i] = e.ID
	}
	return ids
}

// TestAuditAppendIdempotent: appending the same event ID again (a redelivered or
// resumed event) is a no-op.
func TestAuditAppendIdempotent(t *testing.T) {
	st, _ := newStore(t)
	for i := 0; i < 3; i++ {
		for _, ev := range []AuditEvent{auditEvent(1), auditEvent(2)} {
			if err := st.AppendAudit("lead", ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ids := trailIDs(t, st, "lead"); strings.Join(ids, ",") != "ev-001,ev-002" {
		t.Errorf("trail %v", ids)
	}
	if ids := trailIDs(t, st, "other"); len(ids) != 0 {
		t.Errorf("another lead's trail %v", ids)
	}
}

// TestAuditChunkRollover: a trail longer than a chunk is sealed into chunk keys and
// read back whole, oldest first; the head stays small.
func TestAuditChunkRollover(t *testing.T) {
	st, kv := newStore(t)
	const n = 2*auditChunkSize + 50
	for i := 0; i < n; i++ {
		if err := st.AppendAudit("lead", auditEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	ids := trailIDs(t, st, "lead")
	if len(ids) != n {
		t.Fatalf("trail has %d events, want %d", len(ids), n)
	}
	for i, id := range ids {
		if id != auditEvent(i).ID {
			t.Fatalf("event %d is %s: out of order", i, id)
		}
	}
	var head AuditHead
	_, _ = st.Get(AuditKey("lead"), &head)
	if head.Chunk != 2 || len(head.Events) > auditChunkSize {
		t.Errorf("head: chunk %d with %d events", head.Chunk, len(head.Events))
	}
	for c := 0; c < 2; c++ {
		var chunk AuditHead
		if found, _ := st.Get(AuditChunkKey("lead", c), &chunk); !found || len(chunk.Events) != auditChunkSize || chunk.Chunk != c {
			t.Errorf("chunk %d: found %v, %d events, numbered %d", c, found, len(chunk.Events), chunk.Chunk)
		}
	}
	if keys := kv.Keys(PrefixAudit); len(keys) != 3 {
		t.Errorf("audit keys %v", keys)
	}
	// Re-appending recent events at the rollover boundary changes nothing.
	for i := n - 5; i < n; i++ {
		_ = st.AppendAudit("lead", auditEvent(i))
	}
	if got := len(trailIDs(t, st, "lead")); got != n {
		t.Errorf("after re-appending recent events: %d", got)
	}
}

// TestAuditConcurrentAppends: appends from many goroutines (nodes), across a chunk
// rollover, lose nothing and duplicate nothing.
func TestAuditConcurrentAppends(t *testing.T) {
	st, _ := newStore(t)
	const goroutines, each = 10, 15
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := st.AppendAudit("lead", auditEvent(g*each+i)); err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	ids := trailIDs(t, st, "lead")
	seen := map[string]int{}
	for _, id := range ids {
		seen[id]++
	}
	if len(ids) != goroutines*each || len(seen) != goroutines*each {
		t.Errorf("%d events, %d distinct; want %d", len(ids), len(seen), goroutines*each)
	}
}

// TestOpenIndexIdempotentUnderConcurrency: adding and removing leads to and from the
// open queue index from many goroutines, each operation twice, leaves each lead listed
// exactly once, then not at all.
func TestOpenIndexIdempotentUnderConcurrency(t *testing.T) {
	st, _ := newStore(t)
	var leads []string
	for i := 0; i < 24; i++ {
		leads = append(leads, LeadID("facebook", "page", fmt.Sprint(i)))
	}
	run := func(op func(string) error) {
		var wg sync.WaitGroup
		for round := 0; round < 2; round++ {
			for _, l := range leads {
				wg.Add(1)
				go func(l string) {
					defer wg.Done()
					if err := op(l); err != nil {
						t.Error(err)
					}
				}(l)
			}
		}
		wg.Wait()
	}
	run(st.AddOpenLead)
	open, err := st.OpenLeads()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range open {
		count[l]++
	}
	if len(open) != len(leads) || len(count) != len(leads) {
		t.Errorf("open index lists %d entries for %d leads", len(open), len(leads))
	}
	run(st.RemoveOpenLead)
	if open, _ := st.OpenLeads(); len(open) != 0 {
		t.Errorf("after removing: %v", open)
	}
	if err := st.RemoveOpenLead("never-added"); err != nil {
		t.Errorf("removing an absent lead: %v", err)
	}
}

// TestPendingSaveListDone: pending batches are stored then listed (once, oldest first),
// and DonePending unlists and deletes them; everything is idempotent and safe under
// concurrency.
func TestPendingSaveListDone(t *testing.T) {
	st, kv := newStore(t)
	p1 := &Pending{ID: "p1", Events: [][]byte{[]byte(`{"Kind":"message"}`)}, ReceivedAt: 1}
	p2 := &Pending{ID: "p2", Events: [][]byte{[]byte(`{}`), []byte(`{}`)}, ReceivedAt: 2}
	for _, p := range []*Pending{p1, p2, p1} {
		if err := st.SavePending(p); err != nil {
			t.Fatal(err)
		}
	}
	ids, err := st.PendingIDs()
	if err != nil || strings.Join(ids, ",") != "p1,p2" {
		t.Fatalf("ids %v %v", ids, err)
	}
	var got Pending
	if found, _ := st.Get(PendingKey("p2"), &got); !found || len(got.Events) != 2 || got.V != RecordVersion {
		t.Errorf("stored %+v", got)
	}
	if err := st.DonePending("p1"); err != nil {
		t.Fatal(err)
	}
	if err := st.DonePending("p1"); err != nil {
		t.Errorf("done twice: %v", err)
	}
	if ids, _ := st.PendingIDs(); strings.Join(ids, ",") != "p2" {
		t.Errorf("after done: %v", ids)
	}
	if keys := kv.Keys(PrefixPending); len(keys) != 1 || keys[0] != PendingKey("p2") {
		t.Errorf("pending records %v", keys)
	}

	// A failed index write leaves the record unlisted, never a listed record missing.
	kv.FailWith(func(op, key string) error {
		if key == KeyPendingIndex && op == "cas" {
			return errDown
		}
		return nil
	})
	if err := st.SavePending(&Pending{ID: "p3"}); err == nil {
		t.Error("SavePending succeeded although the index write failed")
	}
	kv.FailWith(nil)
	for _, id := range mustIDs(t, st) {
		if found, _ := st.Get(PendingKey(id), &Pending{}); !found {
			t.Errorf("listed pending %s has no record", id)
		}
	}

	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := st.SavePending(&Pending{ID: fmt.Sprintf("c%02d", i)}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if ids := mustIDs(t, st); len(ids) != 21 {
		t.Errorf("%d pending listed after 20 concurrent saves, want 21", len(ids))
	}
}

func mustIDs(t *testing.T, st *Store) []string {
	t.Helper()
	ids, err := st.PendingIDs()
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestCountSkipped adds named counts, exactly, under concurrency.
func TestCountSkipped(t *testing.T) {
	st, _ := newStore(t)
	if err := st.CountSkipped(nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.CountSkipped(map[string]int64{"own_echo": 2, "no_lead": 1}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var stats IntakeStats
	_, _ = st.Get(KeyIntakeStats, &stats)
	if stats.Skipped["own_echo"] != 20 || stats.Skipped["no_lead"] != 10 || stats.Updated != 10 {
		t.Errorf("stats %+v", stats)
	}
}

// TestAuditRolloverKeepsChunkWhenSealFails: when writing the sealed chunk fails at a
// rollover, the append fails and a retry of the same append still ends with the whole
// trail (regression: the head used to move on before the chunk was written, and the
// retry, finding its event in the new head, never wrote the chunk).
func TestAuditRolloverKeepsChunkWhenSealFails(t *testing.T) {
	st, kv := newStore(t)
	for i := 0; i < auditChunkSize; i++ {
		if err := st.AppendAudit("lead", auditEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	failed := false
	kv.FailWith(func(op, key string) error {
		if !failed && op == "set" && key == AuditChunkKey("lead", 0) {
			failed = true
			return errDown
		}
		return nil
	})
	if err := st.AppendAudit("lead", auditEvent(auditChunkSize)); err == nil {
		t.Fatal("no failure")
	}
	kv.FailWith(nil)
	if got := len(trailIDs(t, st, "lead")); got != auditChunkSize {
		t.Errorf("after the failed rollover the trail has %d events, want %d", got, auditChunkSize)
	}
	if err := st.AppendAudit("lead", auditEvent(auditChunkSize)); err != nil {
		t.Fatal(err)
	}
	if got := len(trailIDs(t, st, "lead")); got != auditChunkSize+1 {
		t.Errorf("trail has %d events after a retried rollover, want %d", got, auditChunkSize+1)
	}
}

// TestAuditAppendSkipsIDInLastSealedChunk: an event ID that was sealed into the chunk
// just before the head (a retry after a rollover on a busy lead) is not appended again.
// (AppendAudit documents that only the head and the last sealed chunk are checked.)
func TestAuditAppendSkipsIDInLastSealedChunk(t *testing.T) {
	st, _ := newStore(t)
	for i := 0; i <= auditChunkSize+5; i++ {
		if err := st.AppendAudit("lead", auditEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, i := range []int{0, auditChunkSize - 1, auditChunkSize + 2} {
		if err := st.AppendAudit("lead", auditEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	count := map[string]int{}
	for _, id := range trailIDs(t, st, "lead") {
		count[id]++
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("event %s is in the trail %d times, want 1", id, n)
		}
	}
	if len(count) != auditChunkSize+6 {
		t.Errorf("%d distinct events, want %d", len(count), auditChunkSize+6)
	}
}

// TestAuditAppendBatchAcrossRollover: several events appended at once across a chunk
// boundary are all kept, in order, once.
func TestAuditAppendBatchAcrossRollover(t *testing.T) {
	st, _ := newStore(t)
	var batch []AuditEvent
	for i := 0; i < auditChunkSize+30; i++ {
		batch = append(batch, auditEvent(i))
	}
	if err := st.AppendAudit("lead", batch[:auditChunkSize-10]...); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendAudit("lead", batch[auditChunkSize-20:]...); err != nil { // overlaps by 10
		t.Fatal(err)
	}
	ids := trailIDs(t, st, "lead")
	if len(ids) != len(batch) {
		t.Fatalf("%d events, want %d", len(ids), len(batch))
	}
	for i, id := range ids {
		if id != batch[i].ID {
			t.Fatalf("event %d is %s", i, id)
		}
	}
}
