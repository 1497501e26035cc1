package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

const testAdminToken = "mm-admin-token-7f3k2"

// fakeMattermost is a webhook that behaves like the plugin (a lead channel per customer,
// a post per message) plus the bits of the REST API load reads.
type fakeMattermost struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// dedup posts each mid once, as the plugin must; false posts every delivery.
	dedup bool
	// failEvery answers 503 to every n-th webhook POST without processing it.
	failEvery int
	// lose answers 200 to the lose-th webhook POST without processing it.
	lose int
	// onWebhook runs for every webhook POST (before it is processed).
	onWebhook func(n int)
	webhooks  int
	channels  []*mmChannel
	bySender  map[string]*mmChannel
	posts     map[string][]mmPost // by channel ID, oldest first
	seen      map[string]bool
}

func newFakeMattermost(t *testing.T, dedup bool) *fakeMattermost {
	f := &fakeMattermost{t: t, dedup: dedup, bySender: map[string]*mmChannel{}, posts: map[string][]mmPost{}, seen: map[string]bool{}}
	// Channels that must not be counted: an older lead channel and a private channel
	// that is not a lead channel.
	old := time.Now().Add(-time.Hour).UnixMilli()
	f.channels = append(f.channels,
		&mmChannel{ID: "old", Name: "fb-dana-kowalski-1a2b3c4d", Type: "P", CreateAt: old, LastPostAt: old},
		&mmChannel{ID: "mgmt", Name: "sales-management", Type: "P", CreateAt: time.Now().UnixMilli(), LastPostAt: time.Now().UnixMilli()},
	)
	f.posts["old"] = []mmPost{{ID: "p-old", ChannelID: "old", CreateAt: old, Props: map[string]any{nativeIDProp: "m_old"}}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

var channelPostsPath = regexp.MustCompile(`^/api/v4/channels/([^/]+)/posts$`)

func (f *fakeMattermost) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == webhookPath && r.Method == http.MethodPost {
		f.webhook(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testAdminToken {
		http.Error(w, `{"id":"api.context.session_expired.app_error"}`, http.StatusUnauthorized)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	perPage, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	if perPage == 0 {
		perPage = 60
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/api/v4/teams/name/sales":
		writeTestJSON(w, map[string]string{"id": "team-sales", "name": "sales"})
	case r.URL.Path == "/api/v4/teams/team-sales/channels/private":
		out := []mmChannel{}
		for i := page * perPage; i < min((page+1)*perPage, len(f.channels)); i++ {
			out = append(out, *f.channels[i])
		}
		writeTestJSON(w, out)
	case channelPostsPath.MatchString(r.URL.Path):
		posts := f.posts[channelPostsPath.FindStringSubmatch(r.URL.Path)[1]]
		list := mmPostList{Order: []string{}, Posts: map[string]mmPost{}}
		for i := len(posts) - 1 - page*perPage; i >= 0 && i > len(posts)-1-(page+1)*perPage; i-- {
			list.Order = append(list.Order, posts[i].ID)
			list.Posts[posts[i].ID] = posts[i]
		}
		writeTestJSON(w, list)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeMattermost) webhook(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := meta.VerifySignature(body, r.Header.Get(meta.SignatureHeader), testSecret); err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	f.mu.Lock()
	f.webhooks++
	n, hook := f.webhooks, f.onWebhook
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	if f.failEvery > 0 && n%f.failEvery == 0 {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	if n == f.lose {
		w.WriteHeader(http.StatusOK)
		return
	}
	batch, err := meta.Parse(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ev := range batch.Events {
		if ev.Kind != meta.KindMessage || (f.dedup && f.seen[ev.NativeID]) {
			continue
		}
		f.seen[ev.NativeID] = true
		now := time.Now().UnixMilli()
		ch := f.bySender[ev.CustomerID]
		if ch == nil {
			prefix := "fb-"
			if ev.Platform == meta.Instagram {
				prefix = "ig-"
			}
			ch = &mmChannel{ID: fmt.Sprintf("ch%d", len(f.channels)), Name: prefix + "buyer-" + ev.CustomerID[:8], Type: "P", CreateAt: now}
			f.channels = append(f.channels, ch)
			f.bySender[ev.CustomerID] = ch
		}
		ch.LastPostAt = now
		f.posts[ch.ID] = append(f.posts[ch.ID], mmPost{
			ID: fmt.Sprintf("p%d", len(f.seen)+len(f.posts[ch.ID])), ChannelID: ch.ID, CreateAt: now,
			Props: map[string]any{nativeIDProp: ev.NativeID, "social_inbox_kind": "inbound"},
		})
	}
	w.WriteHeader(http.StatusOK)
}

func (f *fakeMattermost) webhookCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.webhooks
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func loadArgs(f *fakeMattermost, extra ...string) []string {
	return append([]string{"load", "--server", f.srv.URL, "--team", "sales", "--wait", "5s"}, extra...)
}

var loadEnv = map[string]string{"META_APP_SECRET": testSecret, "MM_ADMIN_TOKEN": testAdminToken}

func TestLoadFindsOnePostPerMessageAndOneChannelPerSender(t *testing.T) {
	f := newFakeMattermost(t, true)
	// 210 senders: more lead channels than one page of the REST API.
	code, stdout, stderr := runMetasim(t, nil, loadEnv, loadArgs(f, "--messages", "300", "--senders", "210", "--concurrency", "8", "--duplicates", "0.1")...)
	require.Equal(t, exitOK, code, "stdout %s\nstderr %s", stdout, stderr)
	assert.Equal(t, 330, f.webhookCount(), "300 POSTs plus 30 re-deliveries, no more")
	assert.Contains(t, stdout, "load: 300 messages from 210 senders in 300 POSTs of up to 1 (+30 duplicate deliveries), concurrency 8")
	assert.Contains(t, stdout, "2xx: 200 ×330")
	assert.Contains(t, stdout, "non-2xx: none")
	assert.Contains(t, stdout, "expected 300 posts, found 300; expected 210 lead channels, found 210")
	assert.Regexp(t, `sent 330 POSTs in \S+: [0-9.]+ messages/s acknowledged \([0-9.]+ POSTs/s\)`, stdout)
	assert.Regexp(t, `acknowledgement latency: p50 \S+  p90 \S+  p99 \S+  max \S+`, stdout)
	assert.NotContains(t, stdout+stderr, testAdminToken)
	assert.NotContains(t, stdout+stderr, testSecret)
}

func TestLoadCountsRefusalsAndExpectsOnlyAcknowledgedMessages(t *testing.T) {
	f := newFakeMattermost(t, true)
	f.failEvery = 4
	code, stdout, stderr := runMetasim(t, nil, loadEnv, loadArgs(f, "--messages", "40", "--senders", "5", "--batch", "2", "--duplicates", "0.5", "--concurrency", "3")...)
	assert.Equal(t, exitFailure, code, "non-2xx answers fail the run: %s", stderr)
	assert.Equal(t, 30, f.webhookCount(), "20 POSTs of 2 messages plus 10 re-deliveries")
	assert.Contains(t, stdout, "2xx: 200 ×23")
	assert.Contains(t, stdout, "non-2xx: 503 ×7")
	f.mu.Lock()
	acked := len(f.seen)
	f.mu.Unlock()
	assert.Contains(t, stdout, fmt.Sprintf("expected %d posts, found %d;", acked, acked),
		"messages the webhook refused are not expected (a re-delivery may still have been acknowledged)")
}

func TestLoadShowsMessagesPostedTwice(t *testing.T) {
	f := newFakeMattermost(t, false) // a plugin that does not deduplicate
	code, stdout, _ := runMetasim(t, nil, loadEnv, loadArgs(f, "--messages", "10", "--senders", "2", "--duplicates", "1", "--wait", "0s")...)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stdout, "expected 10 posts, found 20; expected 2 lead channels, found 2")
	assert.Contains(t, stdout, "10 messages were posted more than once")
}

func TestLoadShowsLostMessages(t *testing.T) {
	f := newFakeMattermost(t, true)
	f.lose = 2 // a plugin that acknowledges the second POST and then loses it
	code, stdout, _ := runMetasim(t, nil, loadEnv, loadArgs(f, "--messages", "5", "--senders", "5", "--concurrency", "1", "--wait", "0s")...)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stdout, "non-2xx: none")
	assert.Contains(t, stdout, "expected 5 posts, found 4; expected 5 lead channels, found 4")
	assert.Contains(t, stdout, "1 acknowledged messages have no post")
}

func TestLoadStopsOnCtrlC(t *testing.T) {
	f := newFakeMattermost(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.onWebhook = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	start := time.Now()
	code, stdout, _ := runMetasim(t, ctx, loadEnv, loadArgs(f, "--messages", "1000", "--concurrency", "2")...)
	assert.Equal(t, exitFailure, code)
	assert.Less(t, f.webhookCount(), 10, "no new POSTs after Ctrl-C")
	assert.Contains(t, stdout, "interrupted: sent")
	assert.Contains(t, stdout, "Mattermost: not checked (interrupted)")
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestLoadWithoutAdminTokenOnlyMeasures(t *testing.T) {
	f := newFakeMattermost(t, true)
	code, stdout, stderr := runMetasim(t, nil, map[string]string{"META_APP_SECRET": testSecret},
		"load", "--url", f.srv.URL+webhookPath, "--messages", "6", "--platform", "instagram")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "Mattermost: not checked (pass --token or set MM_ADMIN_TOKEN")
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.channels[2:] {
		assert.True(t, strings.HasPrefix(ch.Name, "ig-"), "instagram messages: %s", ch.Name)
	}
}

func TestLoadReportsARefusedAdminToken(t *testing.T) {
	f := newFakeMattermost(t, true)
	code, _, stderr := runMetasim(t, nil, map[string]string{"META_APP_SECRET": testSecret},
		loadArgs(f, "--messages", "2", "--token", "wrong-token")...)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "Mattermost refused the admin token (HTTP 401)")
	assert.NotContains(t, stderr, "wrong-token")
}

func TestLoadPlanBatchesAndBoundsRequests(t *testing.T) {
	cfg := loadConfig{pageID: defaultPageID, igID: defaultIGID, platform: "messenger", messages: 12, senders: 4, batch: 5}
	plan := planLoad(cfg, time.Now())
	require.Len(t, plan.jobs, 3)
	var sizes []int
	mids := map[string]bool{}
	for _, job := range plan.jobs {
		batch, err := meta.Parse(job.body)
		require.NoError(t, err)
		w := struct {
			Entry []json.RawMessage `json:"entry"`
		}{}
		require.NoError(t, json.Unmarshal(job.body, &w))
		assert.Len(t, w.Entry, len(batch.Events), "one entry per item")
		sizes = append(sizes, len(batch.Events))
		for _, ev := range batch.Events {
			assert.Equal(t, meta.KindMessage, ev.Kind)
			mids[ev.NativeID] = true
		}
	}
	assert.Equal(t, []int{5, 5, 2}, sizes)
	assert.Len(t, mids, 12)
	assert.Len(t, plan.senders, 4)

	cfg.duplicates = 1
	plan = planLoad(cfg, time.Now())
	require.Len(t, plan.jobs, 6, "every POST once more")
	firstSeen := map[string]int{}
	for i, job := range plan.jobs {
		key := strings.Join(job.mids, ",")
		if job.duplicate {
			first, ok := firstSeen[key]
			require.True(t, ok, "a re-delivery comes after its original")
			assert.Less(t, first, i)
			continue
		}
		firstSeen[key] = i
	}

	cfg = loadConfig{pageID: defaultPageID, platform: "messenger", messages: 3, senders: 10, batch: 1}
	assert.Len(t, planLoad(cfg, time.Now()).senders, 3, "never more senders than messages")
}

func TestPercentileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	cases := []struct {
		data []time.Duration
		p    float64
		want time.Duration
	}{
		{d, 50, 50 * time.Millisecond},
		{d, 90, 90 * time.Millisecond},
		{d, 99, 99 * time.Millisecond},
		{d, 100, 100 * time.Millisecond},
		{d[:1], 99, time.Millisecond},
		{[]time.Duration{1, 2, 3}, 50, 2},
		{[]time.Duration{1, 2, 3, 4}, 90, 4},
		{nil, 50, 0},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, percentile(tc.data, tc.p), "p%v of %d values", tc.p, len(tc.data))
	}
}

func TestPostsArePagedUntilOlderThanTheRun(t *testing.T) {
	f := newFakeMattermost(t, true)
	since := time.Now().UnixMilli()
	var posts []mmPost
	for i := range 450 {
		at := since + int64(i-200) // 200 older posts, 250 from the run
		posts = append(posts, mmPost{ID: fmt.Sprintf("p%03d", i), ChannelID: "busy", CreateAt: at, Props: map[string]any{nativeIDProp: fmt.Sprintf("m_%d", i)}})
	}
	f.mu.Lock()
	f.posts["busy"] = posts
	f.mu.Unlock()
	c := &mmClient{base: f.srv.URL, token: testAdminToken, http: http.DefaultClient}
	got, err := c.postsSince(context.Background(), "busy", since)
	require.NoError(t, err)
	ids := make([]string, len(got))
	for i, p := range got {
		ids[i] = p.ID
	}
	sort.Strings(ids)
	assert.Len(t, ids, 250)
	assert.Equal(t, "p200", ids[0])
}

func TestLoadCommandLineMistakes(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"no App Secret":         {nil, []string{"load"}, "no App Secret: pass --secret or set META_APP_SECRET"},
		"token without a team":  {loadEnv, []string{"load"}, "--team is needed"},
		"duplicates above one":  {loadEnv, []string{"load", "--team", "t", "--duplicates", "1.5"}, "--duplicates is a fraction"},
		"batch of zero":         {loadEnv, []string{"load", "--team", "t", "--batch", "0"}, "--batch must be between 1 and 1000"},
		"batch above Meta's":    {loadEnv, []string{"load", "--team", "t", "--batch", "1001"}, "--batch must be between 1 and 1000"},
		"no messages":           {loadEnv, []string{"load", "--team", "t", "--messages", "0"}, "--messages must be at least 1"},
		"no concurrency":        {loadEnv, []string{"load", "--team", "t", "--concurrency", "0"}, "--concurrency must be at least 1"},
		"unknown platform":      {loadEnv, []string{"load", "--team", "t", "--platform", "whatsapp"}, "--platform is messenger or instagram"},
		"a positional argument": {loadEnv, []string{"load", "--team", "t", "1000"}, "load takes no arguments"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runMetasim(t, nil, tc.env, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, stderr, tc.want)
		})
	}
}
