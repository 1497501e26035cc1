package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

const loadHelp = `
Usage: metasim load [flags]

Sends --messages text messages from --senders new customers (random IDs, so every run
makes new leads) to the plugin's webhook, --concurrency POSTs at a time, --batch items
per POST (Meta batches up to 1000 updates). --duplicates re-delivers that fraction of the
POSTs a second time, with a new entry.time and the same mids, the way Meta retries; a
re-delivery may run at the same time as the original.

It reports the throughput, the percentiles of the webhook's acknowledgement time and the
non-2xx answers. With an admin token (--token or MM_ADMIN_TOKEN) and --team it then reads
the Mattermost REST API and waits (up to --wait) until the posts and lead channels
appear, and says whether anything was lost or posted twice:

  expected 1000 posts, found 1000; expected 50 lead channels, found 50

Lead channels are the team's private channels named fb-* or ig-* created since the run
started; posts are the posts in lead channels whose props.social_inbox_native_id is one
of the run's mids. Only messages the webhook acknowledged with a 2xx are expected.

At most ceil(messages/batch) POSTs plus the duplicates are sent. Ctrl-C stops sending
and reports what was sent. Exit codes: 0 every POST answered 2xx and the counts match,
1 otherwise, 2 usage.
`

type loadConfig struct {
	url, secret    string
	pageID, igID   string
	platform       string
	messages       int
	senders        int
	concurrency    int
	duplicates     float64
	batch          int
	server, token  string
	team           string
	wait, timeout  time.Duration
	pollInterval   time.Duration
	sinceAllowance time.Duration
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	cfg := loadConfig{pollInterval: 2 * time.Second, sinceAllowance: 5 * time.Second}
	fs := newFlagSet("load", loadHelp, stderr)
	fs.StringVar(&cfg.url, "url", "", "the plugin's webhook `URL` (default: <server>"+webhookPath+")")
	fs.StringVar(&cfg.secret, "secret", "", "Meta App `secret` to sign with (default: $META_APP_SECRET)")
	fs.StringVar(&cfg.pageID, "page-id", defaultPageID, "Facebook Page `ID`")
	fs.StringVar(&cfg.igID, "ig-id", defaultIGID, "Instagram professional account `ID`")
	fs.StringVar(&cfg.platform, "platform", "messenger", "`messenger` or instagram")
	fs.IntVar(&cfg.messages, "messages", 100, "how many messages to send (`N`)")
	fs.IntVar(&cfg.senders, "senders", 10, "how many distinct customers send them (`M`)")
	fs.IntVar(&cfg.concurrency, "concurrency", 4, "POSTs in flight at once (`C`)")
	fs.Float64Var(&cfg.duplicates, "duplicates", 0, "`fraction` of POSTs delivered a second time, 0 to 1 (e.g. 0.1)")
	fs.IntVar(&cfg.batch, "batch", 1, "messages per POST (`K`), each in its own entry, at most 1000")
	fs.StringVar(&cfg.server, "server", defaultServerURL, "Mattermost `URL` for the REST API")
	fs.StringVar(&cfg.token, "token", "", "Mattermost system admin `token` (default: $MM_ADMIN_TOKEN); without it nothing is counted")
	fs.StringVar(&cfg.team, "team", "", "`team` name (URL name) the plugin creates lead channels in")
	fs.DurationVar(&cfg.wait, "wait", 60*time.Second, "how long to wait for the posts to appear")
	fs.DurationVar(&cfg.timeout, "timeout", 15*time.Second, "timeout of one webhook POST")
	positional, err := fs.parse(args)
	if err == nil {
		err = cfg.complete(positional, getenv)
	}
	if err != nil {
		return fs.exit(err, stdout, stderr)
	}

	start := time.Now()
	plan := planLoad(cfg, start)
	fmt.Fprintf(stdout, "load: %d messages from %d senders in %d POSTs of up to %d (+%d duplicate deliveries), concurrency %d → %s\n",
		cfg.messages, len(plan.senders), plan.originals, cfg.batch, len(plan.jobs)-plan.originals, cfg.concurrency, cfg.url)

	transport := &http.Transport{MaxIdleConnsPerHost: cfg.concurrency, MaxConnsPerHost: cfg.concurrency}
	defer transport.CloseIdleConnections()
	client := &http.Client{Timeout: cfg.timeout, Transport: transport}
	res := executeLoad(ctx, client, cfg.url, cfg.secret, plan.jobs, cfg.concurrency)
	report(stdout, res)
	ok := res.allAcknowledged(len(plan.jobs))

	if cfg.token == "" {
		fmt.Fprintln(stdout, "Mattermost: not checked (pass --token or set MM_ADMIN_TOKEN, and --team, to count posts and lead channels)")
	} else if ctx.Err() != nil {
		fmt.Fprintln(stdout, "Mattermost: not checked (interrupted)")
	} else {
		mm := &mmClient{base: cfg.server, token: cfg.token, http: &http.Client{Timeout: 30 * time.Second}}
		match, err := checkMattermost(ctx, stdout, mm, cfg, start, res)
		if err != nil {
			fmt.Fprintln(stderr, "metasim:", err)
			return exitFailure
		}
		ok = ok && match
	}
	if !ok {
		return exitFailure
	}
	return exitOK
}

func (cfg *loadConfig) complete(positional []string, getenv env) error {
	switch {
	case len(positional) > 0:
		return usageErrorf("load takes no arguments (got %s)", strings.Join(positional, " "))
	case cfg.messages < 1:
		return usageErrorf("--messages must be at least 1")
	case cfg.senders < 1:
		return usageErrorf("--senders must be at least 1")
	case cfg.concurrency < 1:
		return usageErrorf("--concurrency must be at least 1")
	case cfg.batch < 1 || cfg.batch > 1000:
		return usageErrorf("--batch must be between 1 and 1000 (Meta's largest batch)")
	case cfg.duplicates < 0 || cfg.duplicates > 1 || math.IsNaN(cfg.duplicates):
		return usageErrorf("--duplicates is a fraction between 0 and 1")
	case cfg.platform != "messenger" && cfg.platform != "instagram":
		return usageErrorf("--platform is messenger or instagram")
	}
	if cfg.url == "" {
		cfg.url = strings.TrimRight(cfg.server, "/") + webhookPath
	}
	if cfg.secret == "" {
		cfg.secret = getenv("META_APP_SECRET")
	}
	if cfg.secret == "" {
		return usageErrorf("no App Secret: pass --secret or set META_APP_SECRET")
	}
	if cfg.token == "" {
		cfg.token = getenv("MM_ADMIN_TOKEN")
	}
	if cfg.token != "" && cfg.team == "" {
		return usageErrorf("--team is needed to count lead channels (the team's URL name)")
	}
	return nil
}

// loadJob is one POST.
type loadJob struct {
	body      []byte
	mids      []string
	senders   []string
	duplicate bool
}

type loadPlan struct {
	jobs      []loadJob
	originals int
	senders   []string
}

// planLoad builds every body up front, so that sending measures only the webhook.
func planLoad(cfg loadConfig, now time.Time) loadPlan {
	senders := make([]string, min(cfg.senders, cfg.messages))
	for i := range senders {
		senders[i] = newScopedID()
	}
	account, object := cfg.pageID, meta.ObjectPage
	if cfg.platform == "instagram" {
		account, object = cfg.igID, meta.ObjectInstagram
	}
	run := newPostRef()[:6]

	type batchItems struct {
		items   []meta.Messaging
		mids    []string
		senders []string
	}
	var batches []batchItems
	for i := 0; i < cfg.messages; i += cfg.batch {
		var b batchItems
		for j := i; j < min(i+cfg.batch, cfg.messages); j++ {
			sender := senders[j%len(senders)]
			mid := newMessengerMID()
			if cfg.platform == "instagram" {
				mid = newInstagramMID(cfg.igID)
			}
			item := from(sender, account, now.Add(time.Duration(j)*time.Millisecond))
			item.Message = &meta.Message{MID: mid, Text: fmt.Sprintf("Load test %s: message %d of %d", run, j+1, cfg.messages)}
			b.items = append(b.items, item)
			b.mids = append(b.mids, mid)
			b.senders = append(b.senders, sender)
		}
		batches = append(batches, b)
	}
	encode := func(b batchItems, sentAt time.Time) []byte {
		entries := make([]meta.Entry, len(b.items))
		for i, item := range b.items {
			entries[i] = messagingEntry(account, sentAt, item)
		}
		body, err := encodeWebhook(meta.Webhook{Object: object, Entry: entries})
		if err != nil {
			panic("encode load body: " + err.Error()) // plain structs of strings and numbers
		}
		return body
	}

	type keyed struct {
		key float64
		job loadJob
	}
	var all []keyed
	for i, b := range batches {
		all = append(all, keyed{float64(i), loadJob{body: encode(b, now), mids: b.mids, senders: b.senders}})
	}
	// A re-delivery has the same items and a later entry.time (Meta's retries do), and
	// goes out at a random point after its original, possibly while it is in flight.
	dups := int(math.Round(cfg.duplicates * float64(len(batches))))
	for _, i := range rand.Perm(len(batches))[:dups] {
		b := batches[i]
		key := float64(i) + 0.5 + rand.Float64()*float64(len(batches)-i)
		all = append(all, keyed{key, loadJob{body: encode(b, now.Add(1500*time.Millisecond)), mids: b.mids, senders: b.senders, duplicate: true}})
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].key < all[b].key })
	plan := loadPlan{originals: len(batches), senders: senders}
	for _, k := range all {
		plan.jobs = append(plan.jobs, k.job)
	}
	return plan
}

// loadResult is what the webhook answered.
type loadResult struct {
	mu              sync.Mutex
	requests        int
	statuses        map[int]int
	transportErrors int
	firstError      string
	latencies       []time.Duration
	elapsed         time.Duration
	messagesSent    int // messages in original POSTs answered 2xx
	ackedMIDs       map[string]bool
	ackedSenders    map[string]bool
	interrupted     bool
}

func (r *loadResult) allAcknowledged(planned int) bool {
	ok := r.requests == planned && r.transportErrors == 0 && !r.interrupted
	for status, n := range r.statuses {
		if n > 0 && (status < 200 || status > 299) {
			ok = false
		}
	}
	return ok
}

// executeLoad sends the jobs with `concurrency` workers. Cancelling ctx stops handing
// out jobs; POSTs already in flight finish.
func executeLoad(ctx context.Context, client *http.Client, url, secret string, jobs []loadJob, concurrency int) *loadResult {
	res := &loadResult{statuses: map[int]int{}, ackedMIDs: map[string]bool{}, ackedSenders: map[string]bool{}}
	queue := make(chan loadJob)
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range queue {
				d, err := deliver(context.WithoutCancel(ctx), client, url, secret, job.body)
				res.record(job, d, err)
			}
		}()
	}
feed:
	for _, job := range jobs {
		select {
		case <-ctx.Done():
			res.interrupted = true
			break feed
		case queue <- job:
		}
	}
	close(queue)
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func (r *loadResult) record(job loadJob, d *delivery, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if err != nil {
		r.transportErrors++
		if r.firstError == "" {
			r.firstError = err.Error()
		}
		return
	}
	r.statuses[d.Status]++
	r.latencies = append(r.latencies, d.Elapsed)
	if d.Status >= 200 && d.Status < 300 {
		if !job.duplicate {
			r.messagesSent += len(job.mids)
		}
		for i, mid := range job.mids {
			r.ackedMIDs[mid] = true
			r.ackedSenders[job.senders[i]] = true
		}
	}
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func report(w io.Writer, r *loadResult) {
	secs := r.elapsed.Seconds()
	if secs <= 0 {
		secs = math.SmallestNonzeroFloat64
	}
	if r.interrupted {
		fmt.Fprintf(w, "interrupted: sent %d POSTs before Ctrl-C\n", r.requests)
	}
	fmt.Fprintf(w, "sent %d POSTs in %s: %.1f messages/s acknowledged (%.1f POSTs/s)\n",
		r.requests, r.elapsed.Round(time.Millisecond), float64(r.messagesSent)/secs, float64(r.requests)/secs)
	lat := append([]time.Duration(nil), r.latencies...)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	if len(lat) > 0 {
		fmt.Fprintf(w, "acknowledgement latency: p50 %s  p90 %s  p99 %s  max %s\n",
			ms(percentile(lat, 50)), ms(percentile(lat, 90)), ms(percentile(lat, 99)), ms(lat[len(lat)-1]))
	}
	codes := make([]int, 0, len(r.statuses))
	for c := range r.statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var ok, bad []string
	for _, c := range codes {
		s := fmt.Sprintf("%d ×%d", c, r.statuses[c])
		if c >= 200 && c < 300 {
			ok = append(ok, s)
		} else {
			bad = append(bad, s)
		}
	}
	if len(ok) > 0 {
		fmt.Fprintf(w, "2xx: %s\n", strings.Join(ok, ", "))
	}
	if len(bad) > 0 {
		fmt.Fprintf(w, "non-2xx: %s\n", strings.Join(bad, ", "))
	} else {
		fmt.Fprintln(w, "non-2xx: none")
	}
	if r.transportErrors > 0 {
		fmt.Fprintf(w, "transport errors: %d (first: %s)\n", r.transportErrors, r.firstError)
	}
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// checkMattermost waits until the plugin created one post per acknowledged message and
// one lead channel per sender, or --wait runs out, and reports the counts.
func checkMattermost(ctx context.Context, w io.Writer, mm *mmClient, cfg loadConfig, start time.Time, res *loadResult) (bool, error) {
	teamID, err := mm.teamID(ctx, cfg.team)
	if err != nil {
		return false, err
	}
	expectedPosts, expectedChannels := len(res.ackedMIDs), len(res.ackedSenders)
	since := start.Add(-cfg.sinceAllowance).UnixMilli()
	fmt.Fprintf(w, "Mattermost %s, team %s: waiting up to %s for %d posts and %d lead channels…\n",
		cfg.server, cfg.team, cfg.wait, expectedPosts, expectedChannels)
	deadline := time.Now().Add(cfg.wait)
	var count mmCount
	for {
		count, err = countCreated(ctx, mm, teamID, since, res.ackedMIDs)
		if err != nil {
			return false, err
		}
		done := len(count.PostsByMID) == expectedPosts && count.LeadChannels >= expectedChannels
		if done || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(cfg.pollInterval):
		}
	}
	duplicated := 0
	for _, n := range count.PostsByMID {
		if n > 1 {
			duplicated++
		}
	}
	missing := expectedPosts - len(count.PostsByMID)
	fmt.Fprintf(w, "expected %d posts, found %d; expected %d lead channels, found %d\n",
		expectedPosts, count.posts(), expectedChannels, count.LeadChannels)
	if missing > 0 {
		fmt.Fprintf(w, "  %d acknowledged messages have no post (lost, or still being processed after %s)\n", missing, cfg.wait)
	}
	if duplicated > 0 {
		fmt.Fprintf(w, "  %d messages were posted more than once\n", duplicated)
	}
	if count.LeadChannels > expectedChannels {
		fmt.Fprintf(w, "  %d more lead channels than senders (a sender got two channels, or other leads arrived meanwhile)\n", count.LeadChannels-expectedChannels)
	}
	return missing == 0 && duplicated == 0 && count.LeadChannels == expectedChannels, nil
}
