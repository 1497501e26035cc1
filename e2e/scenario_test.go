package e2e

// A scenario is one test's world: its own team, queue channel, operator pool, secrets and
// customer ids, with the plugin configured to use them. Tests run one after another (the
// plugin has one configuration), so each scenario re-points the plugin at its own team.

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

const (
	// waitMax bounds every wait for asynchronous processing.
	waitMax = 10 * time.Second
	// settle is how long a test keeps watching for something that must NOT happen
	// (a second post, a post for an ignored event).
	settle = 2500 * time.Millisecond
	// lateGrace is how long a failed wait keeps watching, to report how late it was.
	lateGrace = 30 * time.Second
	// drainMax bounds the wait for the plugin's retry backlog between tests.
	drainMax = 60 * time.Second
)

type operator struct {
	user   *model.User
	client *model.Client4
}

type scenario struct {
	t         *testing.T
	ids       *idMapper
	team      *model.Team
	queue     *model.Channel // nil until it exists
	operators []*operator    // members of the queue channel: the operator pool
	outsider  *operator      // team member outside the pool
	settings  pluginSettings
	started   time.Time
}

type scenarioOptions struct {
	operators   int
	createQueue bool
}

// newScenario creates a team with a private queue channel holding two operators, an
// outsider on the team, and configures the plugin for them.
func newScenario(t *testing.T) *scenario {
	return newScenarioWith(t, scenarioOptions{operators: 2, createQueue: true})
}

func newScenarioWith(t *testing.T, opts scenarioOptions) *scenario {
	t.Helper()
	ctx := context.Background()
	suffix := model.NewId()[:10]
	sc := &scenario{t: t, ids: newIDMapper(), started: time.Now()}
	drainPending(t)
	t.Cleanup(func() { drainPending(t) })
	env.graph.AnswerSends(nil) // every Send API call succeeds unless the test says otherwise
	t.Cleanup(func() { env.graph.AnswerSends(nil) })

	team, _, err := env.admin.CreateTeam(ctx, &model.Team{
		Name:        "si-" + suffix, // "plug…" and other reserved prefixes are refused
		DisplayName: "Social Inbox e2e " + suffix,
		Type:        model.TeamInvite,
	})
	if err != nil {
		t.Fatalf("create team: %v", err)
	}
	sc.team = team
	queueName := "lead-queue-" + suffix[:6]

	for i := 0; i < opts.operators; i++ {
		sc.operators = append(sc.operators, sc.newUser(fmt.Sprintf("op%d", i+1)))
	}
	sc.outsider = sc.newUser("outsider")

	if opts.createQueue {
		queue, _, err := env.admin.CreateChannel(ctx, &model.Channel{
			TeamId:      team.Id,
			Name:        queueName,
			DisplayName: "Lead queue",
			Type:        model.ChannelTypePrivate,
		})
		if err != nil {
			t.Fatalf("create queue channel: %v", err)
		}
		sc.queue = queue
		for _, op := range sc.operators {
			if _, _, err = env.admin.AddChannelMember(ctx, queue.Id, op.user.Id); err != nil {
				t.Fatalf("add operator to queue: %v", err)
			}
		}
		// The admin created the channel and so is a member; the pool is the operators only.
		// (With no operators the admin stays, so the channel is never memberless; such a test
		// removes the admin itself.)
		if len(sc.operators) > 0 {
			sc.removeAdminFromQueue()
		}
	}

	sc.settings = pluginSettings{
		MetaAppID:           sampleMetaAppID,
		MetaAppSecret:       "app-secret-" + model.NewId(),
		WebhookVerifyToken:  "verify-" + model.NewId(),
		PageID:              samplePageID,
		PageAccessToken:     "EAAGe2e" + model.NewId() + model.NewId(),
		InstagramAccountID:  sampleIGAccountID,
		GraphAPIBaseURL:     env.graph.URL(),
		GraphAPIVersion:     "v26.0",
		TeamName:            team.Name,
		QueueChannelName:    queueName,
		EnableHumanAgentTag: false,
	}
	configurePlugin(t, sc.settings)
	sc.started = time.Now()
	return sc
}

func (sc *scenario) removeAdminFromQueue() {
	sc.t.Helper()
	if _, err := env.admin.RemoveUserFromChannel(context.Background(), sc.queue.Id, env.adminUser.Id); err != nil {
		sc.t.Fatalf("remove admin from queue: %v", err)
	}
}

func (sc *scenario) newUser(role string) *operator {
	sc.t.Helper()
	ctx := context.Background()
	name := role + "-" + model.NewId()[:8]
	user, _, err := env.admin.CreateUser(ctx, &model.User{
		Email:    name + "@e2e.social-inbox.test",
		Username: name,
		Password: userPassword,
	})
	if err != nil {
		sc.t.Fatalf("create user %s: %v", name, err)
	}
	if _, _, err = env.admin.AddTeamMember(ctx, sc.team.Id, user.Id); err != nil {
		sc.t.Fatalf("add %s to team: %v", name, err)
	}
	client := model.NewAPIv4Client(env.siteURL)
	if _, _, err = client.Login(ctx, name, userPassword); err != nil {
		sc.t.Fatalf("login %s: %v", name, err)
	}
	return &operator{user: user, client: client}
}

func (sc *scenario) operatorIDs() []string {
	ids := make([]string, 0, len(sc.operators))
	for _, op := range sc.operators {
		ids = append(ids, op.user.Id)
	}
	return ids
}

// sample reads a sample and rewrites its ids with this scenario's mapping.
func (sc *scenario) sample(name string) sampleBody {
	sc.t.Helper()
	return sc.ids.rewrite(sc.t, readSample(sc.t, name))
}

func (sc *scenario) sign(body []byte) map[string]string {
	return map[string]string{"X-Hub-Signature-256": signSHA256(sc.settings.MetaAppSecret, body)}
}

// deliver POSTs a correctly signed body and requires 200.
func (sc *scenario) deliver(body []byte) {
	sc.t.Helper()
	began := time.Now()
	resp := postWebhook(sc.t, body, sc.sign(body))
	if took := time.Since(began); took > time.Second {
		sc.t.Logf("webhook answered %d after %s", resp.Status, took.Round(time.Millisecond))
	}
	if resp.Status != 200 {
		sc.t.Fatalf("webhook POST of a correctly signed body: status %d, want 200 (body %q)", resp.Status, truncate(resp.Body, 300))
	}
}

// ---- waiting ----

// waitFor polls cond until it reports true or waitMax passes. On timeout it keeps
// watching for up to lateGrace more, only to tell the report whether (and when) the
// condition became true late, then fails with cond's last description of what it saw.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	began := time.Now()
	deadline := began.Add(waitMax)
	var last string
	for {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	lateDeadline := time.Now().Add(lateGrace)
	for time.Now().Before(lateDeadline) {
		time.Sleep(250 * time.Millisecond)
		if ok, seen := cond(); ok {
			t.Fatalf("not within %s: %s (last seen at the deadline: %s); it happened only after %s",
				waitMax, what, last, time.Since(began).Round(100*time.Millisecond))
		} else {
			last = seen
		}
	}
	t.Fatalf("not within %s (nor %s later): %s; last seen: %s", waitMax, lateGrace, what, last)
}

// drainPending waits (bounded) until the plugin has no stored-for-retry webhook events, so
// work a failed test left behind cannot land in the next test's team. It reads the
// plugin's pend_ records: a harness aid, not part of the contract (no such keys → no wait).
func drainPending(t *testing.T) {
	deadline := time.Now().Add(drainMax)
	for {
		var n int
		err := env.db.QueryRow(`SELECT count(*) FROM pluginkeyvaluestore WHERE pluginid = $1 AND starts_with(pkey, 'pend_') AND (expireat = 0 OR expireat > $2)`,
			pluginID, time.Now().UnixMilli()).Scan(&n)
		if err != nil || n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("harness: %d pend_ records still present after %s; later tests may see their posts", n, drainMax)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// ---- posts ----

type dbPost struct {
	ID        string
	ChannelID string
	UserID    string
	Type      string
	Message   string
	Props     map[string]any
	FileIDs   []string
	CreateAt  int64
}

func queryPosts(t *testing.T, where string, args ...any) []dbPost {
	t.Helper()
	rows, err := env.db.Query(`SELECT id, channelid, userid, type, message, COALESCE(props::text, '{}'), COALESCE(fileids, '[]'), createat
		FROM posts WHERE deleteat = 0 AND `+where+` ORDER BY createat, id`, args...)
	if err != nil {
		t.Fatalf("query posts: %v", err)
	}
	defer rows.Close()
	var out []dbPost
	for rows.Next() {
		var p dbPost
		var props, files string
		if err = rows.Scan(&p.ID, &p.ChannelID, &p.UserID, &p.Type, &p.Message, &props, &files, &p.CreateAt); err != nil {
			t.Fatalf("scan post: %v", err)
		}
		_ = json.Unmarshal([]byte(props), &p.Props)
		_ = json.Unmarshal([]byte(files), &p.FileIDs)
		out = append(out, p)
	}
	if err = rows.Err(); err != nil {
		t.Fatalf("read posts: %v", err)
	}
	return out
}

// postsWithNativeID returns every live post whose props carry the native id.
func postsWithNativeID(t *testing.T, nativeID string) []dbPost {
	t.Helper()
	return queryPosts(t, `props::jsonb->>'social_inbox_native_id' = $1`, nativeID)
}

// botPostsSince returns the bot's non-system posts in the scenario's team since a time.
func (sc *scenario) botPostsSince(since time.Time) []dbPost {
	sc.t.Helper()
	return queryPosts(sc.t, `userid = $1 AND createat >= $2 AND type = '' AND channelid IN (SELECT id FROM channels WHERE teamid = $3)`,
		env.botUserID, since.UnixMilli(), sc.team.Id)
}

// assertPosts checks how many posts there are and, when the count is wrong, says which.
func assertPosts(t *testing.T, want int, posts []dbPost, what string, args ...any) bool {
	t.Helper()
	if len(posts) == want {
		return true
	}
	t.Errorf("%s: got %d posts, want %d: %s", fmt.Sprintf(what, args...), len(posts), want, describePosts(posts))
	return false
}

// describePosts is a compact, bounded rendering of posts for failure messages.
func describePosts(posts []dbPost) string {
	const show = 8
	if len(posts) == 0 {
		return "no posts"
	}
	parts := make([]string, 0, show+1)
	for i, p := range posts {
		if i == show {
			parts = append(parts, fmt.Sprintf("… and %d more", len(posts)-show))
			break
		}
		parts = append(parts, fmt.Sprintf("{id %s channel %s user %s type %q kind %v native %v message %q files %d}",
			p.ID, p.ChannelID, p.UserID, p.Type, p.Props["social_inbox_kind"], p.Props["social_inbox_native_id"], truncate(p.Message, 120), len(p.FileIDs)))
	}
	return strings.Join(parts, ", ")
}

// waitForNativePost waits until a post for nativeID exists and returns it through the
// REST API (so props and file ids are what a client sees).
func (sc *scenario) waitForNativePost(nativeID string) *model.Post {
	sc.t.Helper()
	var found []dbPost
	waitFor(sc.t, "a post with props.social_inbox_native_id = "+nativeID, func() (bool, string) {
		found = postsWithNativeID(sc.t, nativeID)
		return len(found) > 0, describePosts(found)
	})
	return sc.getPost(found[0].ID)
}

func (sc *scenario) getPost(id string) *model.Post {
	sc.t.Helper()
	post, _, err := env.admin.GetPost(context.Background(), id, "")
	if err != nil {
		sc.t.Fatalf("get post %s: %v", id, err)
	}
	return post
}

func (sc *scenario) channelPosts(channelID string) []*model.Post {
	sc.t.Helper()
	list, _, err := env.admin.GetPostsForChannel(context.Background(), channelID, 0, 200, "", false, false)
	if err != nil {
		sc.t.Fatalf("get posts of channel %s: %v", channelID, err)
	}
	posts := make([]*model.Post, 0, len(list.Order))
	for i := len(list.Order) - 1; i >= 0; i-- { // oldest first
		posts = append(posts, list.Posts[list.Order[i]])
	}
	return posts
}

func (sc *scenario) channel(id string) *model.Channel {
	sc.t.Helper()
	ch, _, err := env.admin.GetChannel(context.Background(), id, "")
	if err != nil {
		sc.t.Fatalf("get channel %s: %v", id, err)
	}
	return ch
}

func (sc *scenario) channelMemberIDs(channelID string) []string {
	sc.t.Helper()
	members, _, err := env.admin.GetChannelMembers(context.Background(), channelID, 0, 200, "")
	if err != nil {
		sc.t.Fatalf("get members of %s: %v", channelID, err)
	}
	ids := make([]string, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.UserId)
	}
	sort.Strings(ids)
	return ids
}

// queueNotices returns the queue channel's queue_notice posts that link the lead channel.
func (sc *scenario) queueNotices(leadChannelName string) []dbPost {
	sc.t.Helper()
	if sc.queue == nil {
		return nil
	}
	all := queryPosts(sc.t, `channelid = $1 AND props::jsonb->>'social_inbox_kind' = 'queue_notice'`, sc.queue.Id)
	var out []dbPost
	for _, p := range all {
		if leadChannelName == "" || strings.Contains(p.Message, "~"+leadChannelName) {
			out = append(out, p)
		}
	}
	return out
}

// ---- cards ----

type cardAttachment struct {
	Pretext string `json:"pretext"`
	Title   string `json:"title"`
	Text    string `json:"text"`
	Fields  []struct {
		Title string `json:"title"`
		Value any    `json:"value"`
	} `json:"fields"`
	Actions []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"actions"`
}

func cardAttachments(post *model.Post) []cardAttachment {
	raw, ok := post.GetProp("attachments").([]any)
	if !ok {
		return nil
	}
	data, _ := json.Marshal(raw)
	var out []cardAttachment
	_ = json.Unmarshal(data, &out)
	return out
}

func actionIDs(atts []cardAttachment) []string {
	var ids []string
	for _, a := range atts {
		for _, act := range a.Actions {
			ids = append(ids, act.ID)
		}
	}
	return ids
}

// cardMentions reports whether an attachment's text or one of its fields mentions s.
func cardMentions(atts []cardAttachment, s string) bool {
	for _, a := range atts {
		if strings.Contains(a.Text, s) {
			return true
		}
		for _, f := range a.Fields {
			if strings.Contains(f.Title, s) || strings.Contains(fmt.Sprint(f.Value), s) {
				return true
			}
		}
	}
	return false
}

func describeCard(atts []cardAttachment) string {
	data, _ := json.Marshal(atts)
	return truncate(string(data), 600)
}

// ---- KV store ----

var kvPrefixes = []string{"msg_", "cv_", "con_", "lead_", "ho_", "aud_", "chan_"}

// kvCounts counts the plugin's live KV keys per record prefix.
func kvCounts(t *testing.T) map[string]int {
	t.Helper()
	rows, err := env.db.Query(`SELECT pkey FROM pluginkeyvaluestore WHERE pluginid = $1 AND (expireat = 0 OR expireat > $2)`,
		pluginID, time.Now().UnixMilli())
	if err != nil {
		t.Fatalf("query KV store: %v", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var key string
		if err = rows.Scan(&key); err != nil {
			t.Fatalf("scan KV key: %v", err)
		}
		for _, p := range kvPrefixes {
			if strings.HasPrefix(key, p) {
				counts[p]++
			}
		}
	}
	return counts
}

func kvDelta(before, after map[string]int) map[string]int {
	d := map[string]int{}
	for _, p := range kvPrefixes {
		d[p] = after[p] - before[p]
	}
	return d
}

// kvValuesContaining counts the plugin's KV records under prefix whose value contains s.
func kvValuesContaining(t *testing.T, prefix, s string) int {
	t.Helper()
	var n int
	err := env.db.QueryRow(`SELECT count(*) FROM pluginkeyvaluestore WHERE pluginid = $1 AND starts_with(pkey, $2) AND position(convert_to($3, 'UTF8') in pvalue) > 0`,
		pluginID, prefix, s).Scan(&n)
	if err != nil {
		t.Fatalf("query KV values: %v", err)
	}
	return n
}
