package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

func messageBody(items []string) []byte {
	return []byte(`{"object":"page","entry":[{"time":1795209247800,"id":"` + testPageID + `","messaging":[` + strings.Join(items, ",") + `]}]}`)
}

func messageItem(sender string, ts int64, mid string) string {
	return fmt.Sprintf(`{"sender":{"id":"%s"},"recipient":{"id":"%s"},"timestamp":%d,"message":{"mid":"%s","text":"How much for the 6-person barrel sauna installed in Meridian?"}}`,
		sender, testPageID, ts, mid)
}

func benchEnv(b *testing.B) *env {
	e := newEnv(b, 1)
	// The retry job's polling would add API calls unrelated to the message path.
	require.NoError(b, e.nodes[0].pendingJob.Close())
	return e
}

// BenchmarkWarmInboundMessage measures one more message of an existing lead through the
// whole webhook path (signature, parse, apply, post): plugin-API round trips and
// allocations per message.
func BenchmarkWarmInboundMessage(b *testing.B) {
	e := benchEnv(b)
	require.Equal(b, 200, e.post(0, messageBody([]string{messageItem("7000000000000001", 1795209247312, "m_warmup")})).Code)
	var seq atomic.Int64
	b.ReportAllocs()
	e.srv.ResetCalls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := seq.Add(1)
		body := messageBody([]string{messageItem("7000000000000001", 1795209247312+n, fmt.Sprintf("m_warm_%d", n))})
		if code := e.post(0, body).Code; code != 200 {
			b.Fatalf("status %d", code)
		}
	}
	b.StopTimer()
	reportCalls(b, e, b.N, "msg")
}

// BenchmarkNewLeadMessage measures the first message of a new buyer: contact, profile
// lookup, conversation, lead, handoff, channel, card and queue notice.
func BenchmarkNewLeadMessage(b *testing.B) {
	e := benchEnv(b)
	b.ReportAllocs()
	e.srv.ResetCalls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := messageBody([]string{messageItem(fmt.Sprintf("71%014d", i), 1795209247312, fmt.Sprintf("m_new_%d", i))})
		if code := e.post(0, body).Code; code != 200 {
			b.Fatalf("status %d", code)
		}
	}
	b.StopTimer()
	reportCalls(b, e, b.N, "msg")
}

// BenchmarkBatch1000 applies one delivery of 1000 messages: from 100 existing leads
// (warm) and from 1000 new buyers (cold). It reports how many events could not be
// applied inside the inline budget and went to the retry job.
func BenchmarkBatch1000(b *testing.B) {
	for _, tc := range []struct {
		name    string
		senders int
		warm    bool
	}{{"warm-100-leads", 100, true}, {"cold-1000-new-leads", 1000, false}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var deferred, calls int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := benchEnv(b)
				if tc.warm {
					var items []string
					for s := 0; s < tc.senders; s++ {
						items = append(items, messageItem(fmt.Sprintf("72%014d", s), 1795209247000, fmt.Sprintf("m_seed_%d", s)))
					}
					require.NoError(b, e.nodes[0].receive(context.Background(), mustParse(b, messageBody(items))))
				}
				var items []string
				for m := 0; m < 1000; m++ {
					items = append(items, messageItem(fmt.Sprintf("72%014d", m%tc.senders), 1795209248000+int64(m), fmt.Sprintf("m_batch_%d_%d", i, m)))
				}
				body := messageBody(items)
				e.srv.ResetCalls()
				b.StartTimer()
				if code := e.post(0, body).Code; code != 200 {
					b.Fatalf("status %d", code)
				}
				b.StopTimer()
				calls += e.srv.TotalCalls()
				ids, err := e.nodes[0].store.PendingIDs()
				require.NoError(b, err)
				for _, id := range ids {
					var p struct{ Events [][]byte }
					_, err := e.nodes[0].store.Get("pend_"+id, &p)
					require.NoError(b, err)
					deferred += len(p.Events)
				}
			}
			b.ReportMetric(float64(deferred)/float64(b.N), "deferred/batch")
			b.ReportMetric(float64(calls)/float64(b.N)/1000, "api-calls/msg")
		})
	}
}

func mustParse(b *testing.B, body []byte) *meta.Batch {
	batch, err := meta.Parse(body)
	require.NoError(b, err)
	return batch
}

func reportCalls(b *testing.B, e *env, n int, unit string) {
	kv := 0
	for method, c := range e.srv.Calls() {
		if strings.HasPrefix(method, "KV") {
			kv += c
		}
	}
	b.ReportMetric(float64(e.srv.TotalCalls())/float64(n), "api-calls/"+unit)
	b.ReportMetric(float64(kv)/float64(n), "kv-calls/"+unit)
}

// BenchmarkLeadQueue measures GET /api/v1/leads, what the inbox loads on open and on
// every reconnect, for 200 open leads: plugin-API round trips per listed lead.
func BenchmarkLeadQueue(b *testing.B) {
	e := benchEnv(b)
	const leads = 200
	var items []string
	for s := 0; s < leads; s++ {
		items = append(items, messageItem(fmt.Sprintf("73%014d", s), 1795209247000+int64(s), fmt.Sprintf("m_queue_%d", s)))
	}
	require.NoError(b, e.nodes[0].receive(context.Background(), mustParse(b, messageBody(items))))
	operator := e.ops[0].Id
	if rec := e.api(0, operator, "GET", "/leads", nil); rec.Code != 200 || strings.Count(rec.Body.String(), `"channel_id"`) != leads {
		b.Fatalf("warm-up: status %d, want %d leads", rec.Code, leads)
	}
	b.ReportAllocs()
	e.srv.ResetCalls()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rec := e.api(0, operator, "GET", "/leads", nil); rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
	b.StopTimer()
	reportCalls(b, e, b.N*leads, "lead")
}
