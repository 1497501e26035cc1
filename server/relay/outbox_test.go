package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store/memkv"
)

var (
	errOutage   = errors.New("graph API error 2 (temporary)")
	errWindow   = errors.New("graph API error 10/2018278")
	errTimedOut = errors.New("timeout after the request was written")
)

// scriptSender records sends and fails while told to.
type scriptSender struct {
	mu    sync.Mutex
	sent  []string // post:part in send order
	fail  func(n int, it *Item) error
	calls int
}

func (s *scriptSender) Send(_ context.Context, it *Item, part Part) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		if err := s.fail(s.calls, it); err != nil {
			return "", err
		}
	}
	s.sent = append(s.sent, it.PostID+":"+part.Kind+part.FileID)
	return fmt.Sprintf("m_%s_%d", it.PostID, s.calls), nil
}

func (s *scriptSender) Classify(err error) Failure {
	switch {
	case errors.Is(err, errOutage):
		return Failure{Class: "temporary", Retryable: true, Reason: "Meta had a temporary problem"}
	case errors.Is(err, errTimedOut):
		return Failure{Class: "timeout", Ambiguous: true, Reason: "no answer from Meta"}
	}
	return Failure{Class: "window_closed", Reason: "The buyer's 24-hour window has closed"}
}

func (s *scriptSender) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

type recordingNotifier struct {
	mu                                 sync.Mutex
	delivered, failed, queued, retries []string
}

func (n *recordingNotifier) Delivered(it *Item) {
	n.mu.Lock()
	n.delivered = append(n.delivered, it.PostID)
	n.mu.Unlock()
}
func (n *recordingNotifier) Failed(it *Item) {
	n.mu.Lock()
	n.failed = append(n.failed, it.PostID)
	n.mu.Unlock()
}
func (n *recordingNotifier) Pending(it *Item) {
	n.mu.Lock()
	n.queued = append(n.queued, it.PostID)
	n.mu.Unlock()
}

func (n *recordingNotifier) Retrying(it *Item) {
	n.mu.Lock()
	n.retries = append(n.retries, it.PostID)
	n.mu.Unlock()
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newOutbox(kv *memkv.KV, s Sender, n Notifier, c *clock, node string) *Outbox {
	o := New(store.New(kv), s, n, node)
	o.Now = c.Now
	return o
}

func item(post string, parts ...Part) *Item {
	if len(parts) == 0 {
		parts = []Part{{Kind: PartText, State: StatePending}}
	}
	return &Item{PostID: post, LeadID: "lead1", Mode: Standard, MessagingType: MessagingResponse, RecipientID: "psid", Text: "hi " + post, Parts: parts}
}

func TestRepliesAreDeliveredOnceInOrder(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	s, n := &scriptSender{}, &recordingNotifier{}
	o := newOutbox(memkv.New(), s, n, c, "a")
	for _, p := range []string{"p1", "p2", "p3"} {
		ok, err := o.Enqueue(item(p))
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, err := o.Enqueue(item("p1"))
	require.NoError(t, err)
	require.False(t, ok, "a post is enqueued once")
	require.NoError(t, o.Drain(context.Background(), "lead1"))
	require.NoError(t, o.DrainAll(context.Background()))
	require.Equal(t, []string{"p1:text", "p2:text", "p3:text"}, s.log())
	require.Equal(t, []string{"p1", "p2", "p3"}, n.delivered)
}

func TestGraphOutageDeliversEveryReplyAfterInOrderOnce(t *testing.T) {
	c := &clock{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	outageUntil := c.Now().Add(10 * time.Minute)
	s := &scriptSender{fail: func(int, *Item) error {
		if c.Now().Before(outageUntil) {
			return errOutage
		}
		return nil
	}}
	n := &recordingNotifier{}
	o := newOutbox(memkv.New(), s, n, c, "a")
	ctx := context.Background()
	var posts []string
	for i := 0; i < 5; i++ {
		p := fmt.Sprintf("p%d", i)
		posts = append(posts, p)
		_, err := o.Enqueue(item(p))
		require.NoError(t, err)
		require.NoError(t, o.Drain(ctx, "lead1"))
		c.Add(time.Minute)
	}
	require.Empty(t, s.log(), "nothing goes out during the outage")
	require.NotEmpty(t, n.retries, "every failed attempt is reported (and audited)")
	for i := 0; i < 60; i++ { // the retry job, every 10 s for 10 minutes
		require.NoError(t, o.DrainAll(ctx))
		c.Add(10 * time.Second)
	}
	var want []string
	for _, p := range posts {
		want = append(want, p+":text")
	}
	require.Equal(t, want, s.log())
}

func TestPermanentFailureIsNotRetriedAndShown(t *testing.T) {
	c := &clock{now: time.Now()}
	s := &scriptSender{fail: func(n int, it *Item) error {
		if it.PostID == "p1" {
			return errWindow
		}
		return nil
	}}
	n := &recordingNotifier{}
	o := newOutbox(memkv.New(), s, n, c, "a")
	for _, p := range []string{"p1", "p2"} {
		_, err := o.Enqueue(item(p))
		require.NoError(t, err)
	}
	require.NoError(t, o.Drain(context.Background(), "lead1"))
	c.Add(time.Hour)
	require.NoError(t, o.DrainAll(context.Background()))
	require.Equal(t, []string{"p2:text"}, s.log())
	require.Equal(t, []string{"p1"}, n.failed)
	it, _, err := o.Get("p1")
	require.NoError(t, err)
	require.Equal(t, StateFailed, it.State)
	require.Contains(t, it.Error, "24-hour window")
	require.Equal(t, 1, s.calls-1, "p1 tried once")

	// Retry (after the buyer wrote again) sends it.
	s.fail = nil
	_, err = o.Retry("p1")
	require.NoError(t, err)
	require.NoError(t, o.DrainAll(context.Background()))
	require.Equal(t, []string{"p2:text", "p1:text"}, s.log())
}

func TestAmbiguousSendIsReconciledWithTheEchoNotResent(t *testing.T) {
	c := &clock{now: time.Now()}
	s := &scriptSender{fail: func(n int, _ *Item) error {
		if n == 1 {
			return errTimedOut
		}
		return nil
	}}
	o := newOutbox(memkv.New(), s, &recordingNotifier{}, c, "a")
	_, err := o.Enqueue(item("p1"))
	require.NoError(t, err)
	require.NoError(t, o.Drain(context.Background(), "lead1"))
	ok, err := o.ConfirmEcho("p1", 0, "m_from_echo")
	require.NoError(t, err)
	require.True(t, ok)
	c.Add(time.Hour)
	require.NoError(t, o.DrainAll(context.Background()))
	require.Empty(t, s.log(), "the echo proved it was sent: never resend")
	it, _, err := o.Get("p1")
	require.NoError(t, err)
	require.Equal(t, StateSent, it.State)
	require.Equal(t, "m_from_echo", it.Parts[0].MID)
}

func TestAmbiguousSendWithoutEchoIsResentAfterTheWait(t *testing.T) {
	c := &clock{now: time.Now()}
	s := &scriptSender{fail: func(n int, _ *Item) error {
		if n == 1 {
			return errTimedOut
		}
		return nil
	}}
	o := newOutbox(memkv.New(), s, &recordingNotifier{}, c, "a")
	_, err := o.Enqueue(item("p1"))
	require.NoError(t, err)
	require.NoError(t, o.Drain(context.Background(), "lead1"))
	c.Add(echoWait / 2)
	require.NoError(t, o.DrainAll(context.Background()))
	require.Empty(t, s.log(), "still waiting for the echo")
	c.Add(echoWait)
	require.NoError(t, o.DrainAll(context.Background()))
	require.Equal(t, []string{"p1:text"}, s.log())
}

func TestConcurrentDrainsOnTwoNodesSendOnce(t *testing.T) {
	c := &clock{now: time.Now()}
	kv := memkv.New()
	s := &scriptSender{}
	a := newOutbox(kv, s, &recordingNotifier{}, c, "a")
	b := newOutbox(kv, s, &recordingNotifier{}, c, "b")
	for i := 0; i < 10; i++ {
		_, err := a.Enqueue(item(fmt.Sprintf("p%02d", i), Part{Kind: PartText, State: StatePending}, Part{Kind: PartFile, FileID: "f", State: StatePending}))
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			o := a
			if i%2 == 1 {
				o = b
			}
			for j := 0; j < 5; j++ {
				_ = o.DrainAll(context.Background())
			}
		}(i)
	}
	wg.Wait()
	require.NoError(t, a.DrainAll(context.Background()))
	seen := map[string]int{}
	for _, x := range s.log() {
		seen[x]++
	}
	require.Len(t, seen, 20)
	for k, v := range seen {
		require.Equal(t, 1, v, k)
	}
	log := s.log()
	for i := 1; i < len(log); i++ {
		require.LessOrEqual(t, log[i-1][:3], log[i][:3], "posts in order")
	}
}

func TestCanceledReplyIsNotSent(t *testing.T) {
	c := &clock{now: time.Now()}
	s := &scriptSender{fail: func(int, *Item) error { return errOutage }}
	o := newOutbox(memkv.New(), s, &recordingNotifier{}, c, "a")
	_, err := o.Enqueue(item("p1"))
	require.NoError(t, err)
	require.NoError(t, o.Drain(context.Background(), "lead1"))
	_, canceled, err := o.Cancel("p1")
	require.NoError(t, err)
	require.True(t, canceled)
	s.fail = nil
	c.Add(time.Hour)
	require.NoError(t, o.DrainAll(context.Background()))
	require.Empty(t, s.log())
}
