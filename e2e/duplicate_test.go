package e2e

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertBatchAppliedOnce checks the batched two-customer sample produced one post per
// native id, one lead channel per customer, one queue notice per lead and one msg_/cv_
// record per message/lead.
func (sc *scenario) assertBatchAppliedOnce(body sampleBody, kvBefore map[string]int) {
	t := sc.t
	t.Helper()
	msgs := body.Messages()
	for _, m := range msgs {
		sc.waitForNativePost(m.NativeID)
	}
	time.Sleep(settle)

	channels := map[string]string{} // channel id → customer
	for _, m := range msgs {
		posts := postsWithNativeID(t, m.NativeID)
		assertPosts(t, 1, posts, "posts for native id %s", m.NativeID)
		for _, p := range posts {
			if c, seen := channels[p.ChannelID]; seen {
				assert.Equal(t, c, m.CustomerID, "channel %s holds two customers", p.ChannelID)
			}
			channels[p.ChannelID] = m.CustomerID
		}
	}
	assert.Len(t, channels, len(body.Customers()), "lead channels for %d customers: %v", len(body.Customers()), channels)
	for id := range channels {
		ch := sc.channel(id)
		notices := sc.queueNotices(ch.Name)
		assertPosts(t, 1, notices, "queue notices for %s", ch.Name)
	}
	all := sc.botPostsSince(sc.started)
	assertPosts(t, len(msgs)+len(body.Customers()), all, "bot posts (messages + one queue notice per lead)")

	delta := kvDelta(kvBefore, kvCounts(t))
	assert.Equal(t, len(msgs), delta["msg_"], "new msg_ records (%s)", formatCounts(delta))
	assert.Equal(t, len(body.Customers()), delta["cv_"], "new cv_ records (%s)", formatCounts(delta))
}

func TestDuplicateDeliveryPostsOnce(t *testing.T) {
	sc := newScenario(t)
	before := kvCounts(t)
	body := sc.sample("messenger_batched_two_entries.json")
	sc.deliver(body.Bytes)
	sc.waitForNativePost(body.Messages()[0].NativeID)
	// Meta's retry: the same bytes, the same signature.
	sc.deliver(body.Bytes)
	sc.assertBatchAppliedOnce(body, before)
}

func TestDuplicateDeliveryBeforeProcessingPostsOnce(t *testing.T) {
	sc := newScenario(t)
	before := kvCounts(t)
	body := sc.sample("messenger_batched_two_entries.json")
	sc.deliver(body.Bytes)
	sc.deliver(body.Bytes)
	sc.assertBatchAppliedOnce(body, before)
}

func TestConcurrentDuplicateDeliveryPostsOnce(t *testing.T) {
	sc := newScenario(t)
	before := kvCounts(t)
	body := sc.sample("messenger_batched_two_entries.json")
	headers := sc.sign(body.Bytes)

	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			statuses[i] = postWebhook(t, body.Bytes, headers).Status
		}(i)
	}
	close(start)
	wg.Wait()

	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	t.Logf("statuses of %d concurrent identical deliveries: %v", n, counts)
	require.Positive(t, counts[http.StatusOK], "at least one of %d concurrent deliveries must be acknowledged: %v", n, counts)
	for s := range counts {
		// Anything but 200 must be a status Meta retries (never a 4xx that drops the event).
		assert.True(t, s == http.StatusOK || s >= 500 || s == http.StatusTooManyRequests,
			"concurrent duplicate answered %d (%v); only 200 or a retryable status is acceptable", s, counts)
	}
	if counts[http.StatusOK] != n {
		// Meta retries what was not acknowledged; one more delivery must now succeed.
		sc.deliver(body.Bytes)
	}
	sc.assertBatchAppliedOnce(body, before)
}
