package intake

// Tests that expose bugs in the engine (non-test code). They fail on purpose until the
// code is fixed; each names the invariant it pins and where the code goes wrong.

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// TestBusyEventIsKeptUntilApplied pins "nothing acknowledged is lost"
// (DESIGN.md invariant 3). ApplyBatch counts a Busy event (another attempt holds its
// lease) as done: it is not returned in Pending (batch.go, `case Busy: res.Busy++`), so
// the webhook answers 200 without deferring it and RetryPending drops it from the queue
// (DonePending when len(res.Pending)==0). When the lease holder is gone — its node
// died, or it failed and could not release the lease — nobody ever applies the event:
// its record stays "received" with no post.
func TestBusyEventIsKeptUntilApplied(t *testing.T) {
	// runRetryJob runs the retry job every 10s (pendingJobEvery) for two minutes.
	runRetryJob := func(t *testing.T, e *testEnv) {
		job := e.node("node-job")
		for i := 0; i < 12; i++ {
			e.clock.Advance(10 * time.Second)
			if _, _, err := job.RetryPending(testCtx(t), 2); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("holder died; Meta's redelivery hits a live lease", func(t *testing.T) {
		e := newTestEnv(t)
		ev := fbText(t, "psid-1", "m-1", "hello", fbTime)
		e.ws.Fail("CreatePost", 1, crashBefore, nil)
		if _, _, _, crashed := applyCrashSafe(testCtx(t), e.engine, ev); !crashed {
			t.Fatal("no crash")
		}
		// Node A never answered, so Meta delivers again, to node B: what the webhook
		// handler (receive) does with it.
		res := e.node("node-b").ApplyBatch(testCtx(t), []meta.Event{ev}, 4)
		if len(res.Pending) > 0 {
			if err := e.engine.Defer(res.Pending, res.Err); err != nil {
				t.Fatal(err)
			}
		}
		// Acknowledged now (200). Meta will not deliver it again.
		runRetryJob(t, e)
		if n := len(e.ws.PostsFor("m-1")); n != 1 {
			m := e.mustMessage(ev)
			t.Errorf("acknowledged message has %d posts after two minutes of retry jobs, want 1 "+
				"(batch result: Busy=%d Pending=%d; record state %q)", n, res.Busy, len(res.Pending), m.State)
		}
	})

	t.Run("KV blip kept the failed attempt from releasing its lease", func(t *testing.T) {
		e := newTestEnv(t)
		ev := fbText(t, "psid-1", "m-1", "hello", fbTime)
		var mu sync.Mutex
		ops := 0
		// The message record is inserted (first operation), then the store is
		// unreachable for the rest of the attempt, release included.
		e.kv.FailWith(func(op, key string) error {
			mu.Lock()
			defer mu.Unlock()
			ops++
			if ops > 1 {
				return errKVDown
			}
			return nil
		})
		res := e.engine.ApplyBatch(testCtx(t), []meta.Event{ev}, 4)
		e.kv.FailWith(nil)
		if len(res.Pending) != 1 {
			t.Fatalf("setup: pending %d", len(res.Pending))
		}
		if err := e.engine.Defer(res.Pending, res.Err); err != nil {
			t.Fatal(err)
		}
		runRetryJob(t, e)
		if n := len(e.ws.PostsFor("m-1")); n != 1 {
			ids, _ := e.st.PendingIDs()
			t.Errorf("deferred message has %d posts after two minutes of retry jobs, want 1 "+
				"(pending batches left: %d; record state %q)", n, len(ids), e.mustMessage(ev).State)
		}
	})
}

// TestInterruptedReopenIsCompletedOnRetry: reopenHandoff (inbound.go) marks the
// handoff open with LastReopenBy = this message and then adds the lead to the open
// queue. If the attempt fails in between (or before the handoff.reopened audit entry and
// the card refresh), the retry sees LastReopenBy == its own message, returns nil, and
// skips AddOpenLead, the audit entry and the card refresh: the lead is open but missing
// from the queue, its card still says closed, and the reopening is not audited.
func TestInterruptedReopenIsCompletedOnRetry(t *testing.T) {
	e := newTestEnv(t)
	first := fbText(t, "psid-1", "m-0", "hi", fbTime)
	e.applyExpect(first, Applied)
	lead := leadOf(first)
	if _, err := handoff.Claim(e.st, lead, "user-anna", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.closeLead(lead, "user-anna")
	again := fbText(t, "psid-1", "m-1", "one more thing", fbTime+hour)
	failed := false
	var mu sync.Mutex
	e.kv.FailWith(func(op, key string) error {
		mu.Lock()
		defer mu.Unlock()
		if !failed && op == "cas" && strings.HasPrefix(key, store.PrefixOpenIndex) {
			failed = true
			return errKVDown
		}
		return nil
	})
	if _, _, err := e.engine.Apply(testCtx(t), again); err == nil {
		t.Fatal("no failure")
	}
	e.kv.FailWith(nil)
	resume(t, e, again)

	if h := e.handoff(lead); h.State != store.HandoffOpen || h.Reopens != 1 {
		t.Fatalf("handoff %+v", h)
	}
	if e.openLeads()[lead] != 1 {
		t.Errorf("the reopened lead is not in the open queue (open leads: %v)", e.openLeads())
	}
	if n := e.auditCount(lead, "handoff.reopened", ""); n != 1 {
		t.Errorf("handoff.reopened audited %d times, want 1", n)
	}
	if card, _ := e.ws.Post(e.mustConv(lead).Card.PostID); card.Post.Card == nil || card.Post.Card.HandoffState != store.HandoffOpen {
		t.Errorf("the card of the reopened lead shows %q", card.Post.Card.HandoffState)
	}
}

// TestCardsFollowTheWindowAndReopen: the lead card shows the response window
// and the handoff state, and the queue notice offers Claim while the lead is open
// (card.go renderCard). The engine re-renders only the lead card, and only when a
// message reopens the lead (inbound.go refreshCard): a later message that extends the
// window leaves the card showing the first message's expiry (after 24 hours it reads
// "Closed since …" while the window is open), and a reopened lead's queue notice keeps
// showing "Closed" without a Claim button.
func TestCardsFollowTheWindowAndReopen(t *testing.T) {
	t.Run("window on the lead card", func(t *testing.T) {
		e := newTestEnv(t)
		first := fbText(t, "psid-1", "m-0", "hi", fbTime)
		e.applyExpect(first, Applied)
		e.applyExpect(fbText(t, "psid-1", "m-1", "still there?", fbTime+20*hour), Applied)
		conv := e.mustConv(leadOf(first))
		card, _ := e.ws.Post(conv.Card.PostID)
		if got := card.Post.Card.WindowExpiresAt; !got.Equal(time.UnixMilli(conv.WindowExpiresAt)) {
			t.Errorf("lead card shows the window expiring %s, the window expires %s", got.UTC().Format(time.RFC3339), msString(conv.WindowExpiresAt))
		}
	})
	t.Run("queue notice of a reopened lead", func(t *testing.T) {
		e := newTestEnv(t)
		first := fbText(t, "psid-1", "m-0", "hi", fbTime)
		e.applyExpect(first, Applied)
		e.closeLead(leadOf(first), "user-anna")
		e.applyExpect(fbText(t, "psid-1", "m-1", "one more thing", fbTime+hour), Applied)
		conv := e.mustConv(leadOf(first))
		notice, _ := e.ws.Post(conv.QueueNotice.PostID)
		if st := notice.Post.Card.HandoffState; st != store.HandoffOpen {
			t.Errorf("the queue notice of the reopened lead shows %q (no Claim button)", st)
		}
	})
}

// TestAuditEntriesSurviveARetriedAttempt pins "every state change is audited"
// (invariant 8). The engine computes some audit entries from the state change itself —
// window.opened/window.refreshed in customerActivity, lead.channel_created in
// createChannel, handoff.reopened in reopenHandoff — and appends them later in the
// attempt. If the attempt fails after the state change and before the append, the retry
// finds the state already changed, computes no entry, and the change is never audited.
func TestAuditEntriesSurviveARetriedAttempt(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(t *testing.T, e *testEnv)
		event  func(t *testing.T) meta.Event
		inject func(e *testEnv)
		action string
	}{
		{
			name:  "window.opened, audit write fails",
			setup: func(*testing.T, *testEnv) {},
			event: func(t *testing.T) meta.Event { return fbText(t, "psid-1", "m-0", "hi", fbTime) },
			// window.opened is appended with message.received, last.
			inject: func(e *testEnv) { failAt(e, lastOp("cas", store.PrefixAudit)) },
			action: "window.opened",
		},
		{
			name:   "lead.channel_created, audit write fails",
			setup:  func(*testing.T, *testEnv) {},
			event:  func(t *testing.T) meta.Event { return fbText(t, "psid-1", "m-0", "hi", fbTime) },
			inject: func(e *testEnv) { failAt(e, opAfter("cas", store.PrefixAudit, "set", store.PrefixChannel)) },
			action: "lead.channel_created",
		},
		{
			name: "window.refreshed, post creation fails",
			setup: func(t *testing.T, e *testEnv) {
				e.applyExpect(fbText(t, "psid-1", "m-0", "hi", fbTime), Applied)
			},
			event:  func(t *testing.T) meta.Event { return fbText(t, "psid-1", "m-1", "again", fbTime+hour) },
			inject: func(e *testEnv) { e.ws.FailNext("CreatePost", 1) },
			action: "window.refreshed",
		},
		{
			name: "handoff.reopened, post creation fails",
			setup: func(t *testing.T, e *testEnv) {
				ev := fbText(t, "psid-1", "m-0", "hi", fbTime)
				e.applyExpect(ev, Applied)
				if _, err := handoff.Close(e.st, leadOf(ev), "user-anna", true, "", e.clock.Now()); err != nil {
					t.Fatal(err)
				}
			},
			event:  func(t *testing.T) meta.Event { return fbText(t, "psid-1", "m-1", "again", fbTime+hour) },
			inject: func(e *testEnv) { e.ws.FailNext("CreatePost", 1) },
			action: "handoff.reopened",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			tc.setup(t, e)
			ev := tc.event(t)
			tc.inject(e)
			if _, _, err := e.engine.Apply(testCtx(t), ev); err == nil {
				t.Fatal("no failure")
			}
			e.kv.FailWith(nil)
			e.ws.ClearFaults()
			resume(t, e, ev)
			if n := e.auditCount(leadOf(ev), tc.action, ""); n != 1 {
				t.Errorf("%s audited %d times after the retry, want 1", tc.action, n)
			}
		})
	}
}

// failAt makes the KV operation that locate finds in the trace of a clean first message
// (psid-1, m-0) fail once.
func failAt(e *testEnv, locate func([]string) int) {
	e.t.Helper()
	trace := kvTrace(e.t, stepScenario{setup: func(*testing.T, *testEnv) {}, event: func(t *testing.T) meta.Event {
		return fbText(t, "psid-1", "m-0", "hi", fbTime)
	}})
	at := locate(trace)
	if at < 0 {
		e.t.Fatalf("step not found in the trace:\n%s", strings.Join(trace, "\n"))
	}
	var mu sync.Mutex
	n := 0
	e.kv.FailWith(func(string, string) error {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n-1 == at {
			return errKVDown
		}
		return nil
	})
}

// TestReactionToAPageMessageRefreshesTheWindow: a reaction is a customer action
// that refreshes the 24-hour window (meta-platform.md §5.1; update.go says so too), and
// the usual case is the buyer reacting to the operator's reply. The plugin's own sends
// have no message record (their echoes are ignored), so update() finds no target,
// returns Ignored/unknown_target, and never reaches customerActivity: the window is not
// refreshed although the lead is known.
func TestReactionToAPageMessageRefreshesTheWindow(t *testing.T) {
	e := newTestEnv(t)
	first := fbText(t, "psid-1", "m-0", "price?", fbTime)
	e.applyExpect(first, Applied)
	// The operator's reply went out through the plugin; Meta echoes it (ignored).
	e.applyExpect(fbEcho(t, "psid-1", "m_page_reply", testAppID, "mm-post:p1", "It is $8,950", fbTime+hour), Ignored)
	// Three hours later the buyer reacts to that reply.
	e.apply(fbReaction(t, "psid-1", "m_page_reply", "react", "👍", fbTime+3*hour))
	c := e.mustConv(leadOf(first))
	if c.LastInboundAt != fbTime+3*hour {
		t.Errorf("window anchored at %s after the buyer's reaction at %s, want the reaction (expires %s)",
			msString(c.LastInboundAt), msString(fbTime+3*hour), msString(c.WindowExpiresAt))
	}
}

// TestReactionKeepsTheLastExcerpt: customerActivity sets LastExcerpt = excerpt(event)
// for every customer action; a reaction has no text, so the queue summary and the card
// excerpt of the lead become empty after the buyer reacts.
func TestReactionKeepsTheLastExcerpt(t *testing.T) {
	e := newTestEnv(t)
	first := fbText(t, "psid-1", "m-0", "price for the sauna?", fbTime)
	e.applyExpect(first, Applied)
	e.applyExpect(fbReaction(t, "psid-1", "m-0", "react", "❤️", fbTime+hour), Applied)
	if c := e.mustConv(leadOf(first)); c.LastExcerpt == "" {
		t.Errorf("LastExcerpt is empty after a reaction; it was %q", "price for the sauna?")
	}
}

// TestUnsentTextIsRedactedFromExcerptAndCards: an unsend redacts the message record and
// its post (update.go: "Redact the stored copy: the buyer took it back"), but the text
// stays in the conversation's LastExcerpt and in the excerpt of the lead card and the
// queue-notice card, where operators keep seeing it. (It also stays in the
// message.received audit entry's Detail.)
func TestUnsentTextIsRedactedFromExcerptAndCards(t *testing.T) {
	e := newTestEnv(t)
	const secret = "my phone is 555-0100"
	msg := igText(t, "igsid-1", "ig-m-1", secret, fbTime)
	e.applyExpect(msg, Applied)
	e.applyExpect(igUnsend(t, "igsid-1", "ig-m-1", fbTime+5000), Applied)
	if c := e.mustConv(leadOf(msg)); strings.Contains(c.LastExcerpt, "555-0100") {
		t.Errorf("conversation LastExcerpt keeps the unsent text: %q", c.LastExcerpt)
	}
	for _, p := range e.ws.Posts(nil) {
		if p.Post.Card != nil && strings.Contains(p.Post.Card.Excerpt, "555-0100") {
			t.Errorf("%s card keeps the unsent text: %q", p.Post.Kind, p.Post.Card.Excerpt)
		}
	}
}
