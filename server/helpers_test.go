package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/internal/mmfake"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

const (
	testSecret = "s3cret-app-secret"
	testToken  = "EAAG-page-token-xyz"
	testVerify = "verify-me-please"
	testPageID = "108245671983342"
	testIGID   = "17841459302718465"
	testAppID  = "1438265907712354"
	testTeam   = "sales"
	queueName  = "social-inbox-queue"
)

// env is one fake Mattermost "cluster" with the plugin running on one or more nodes,
// a team, operators in the queue channel, and a local Graph API stand-in.
type env struct {
	t        testing.TB
	srv      *mmfake.Server
	nodes    []*Plugin
	team     *model.Team
	ops      []*model.User
	outsider *model.User
	graph    *graphStub
	queueID  string

	clockMu sync.Mutex
	clock   time.Time
}

// now is the plugin's clock in tests: real time unless a test sets it.
func (e *env) now() time.Time {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	if e.clock.IsZero() {
		return time.Now()
	}
	return e.clock
}

func (e *env) setNow(t time.Time) {
	e.clockMu.Lock()
	defer e.clockMu.Unlock()
	e.clock = t
}

// graphStub answers profile lookups and serves media like Meta's Graph API and CDN.
type graphStub struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
	down     bool
	// sends are the Send API request bodies, in order.
	sends []map[string]any
	// sendAnswer, when set, answers Send API calls (status, body); nil means success.
	sendAnswer func(n int) (int, string)
}

func newGraphStub(t testing.TB) *graphStub {
	g := &graphStub{}
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	var pngBytes bytes.Buffer
	require.NoError(t, png.Encode(&pngBytes, img))
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.requests = append(g.requests, r.Method+" "+r.URL.Path)
		down := g.down
		g.mu.Unlock()
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") {
			g.serveSend(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/media/") {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(pngBytes.Bytes())
			return
		}
		if down {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"Atrace"}}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+testToken || r.URL.Query().Get("access_token") != "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"Btrace"}}`))
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/v26.0/") {
			http.NotFound(w, r)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/v26.0/")
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Query().Get("fields"), "username") {
			_, _ = fmt.Fprintf(w, `{"name":"Tom Vander","username":"tom_%s","profile_pic":"%s/media/tom.png"}`, id[len(id)-4:], g.URL)
			return
		}
		_, _ = fmt.Fprintf(w, `{"first_name":"Dana","last_name":"K%s","profile_pic":"%s/media/dana.png"}`, id[len(id)-4:], g.URL)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *graphStub) serveSend(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/") {
		_ = r.ParseMultipartForm(32 << 20)
		body = map[string]any{"multipart": true}
		for k, v := range r.MultipartForm.Value {
			var decoded any
			if json.Unmarshal([]byte(v[0]), &decoded) == nil {
				body[k] = decoded
			} else {
				body[k] = v[0]
			}
		}
		if f, ok := r.MultipartForm.File["filedata"]; ok {
			body["filedata"] = f[0].Filename
		}
	} else {
		_ = json.NewDecoder(r.Body).Decode(&body)
	}
	body["authorization"] = r.Header.Get("Authorization")
	body["path"] = r.URL.Path
	g.mu.Lock()
	g.sends = append(g.sends, body)
	n := len(g.sends)
	answer := g.sendAnswer
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if answer != nil {
		if status, resp := answer(n); status != 0 {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(resp))
			return
		}
	}
	_, _ = fmt.Fprintf(w, `{"recipient_id":"7284619053817462","message_id":"m_sent_%d"}`, n)
}

func (g *graphStub) sent() []map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]map[string]any(nil), g.sends...)
}

func (g *graphStub) answerSends(fn func(n int) (int, string)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sendAnswer = fn
}

func (g *graphStub) setDown(down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = down
}

func (g *graphStub) count(prefix string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, r := range g.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func testConfig(graphURL string) map[string]any {
	return map[string]any{
		"MetaAppID":          testAppID,
		"MetaAppSecret":      testSecret,
		"WebhookVerifyToken": testVerify,
		"PageID":             testPageID,
		"PageAccessToken":    testToken,
		"InstagramAccountID": testIGID,
		"GraphAPIBaseURL":    graphURL,
		"GraphAPIVersion":    "v26.0",
		"TeamName":           testTeam,
		"QueueChannelName":   queueName,
	}
}

// newEnv starts nodes plugin instances on one fake server and puts two operators in
// the pool.
func newEnv(t testing.TB, nodes int) *env {
	e := &env{t: t, srv: mmfake.NewServer(), graph: newGraphStub(t)}
	e.srv.SetBundlePath("..")
	e.srv.SetSiteURL("http://mm.example.com")
	e.srv.SetPluginConfig(manifestID, testConfig(e.graph.URL))
	e.team = e.srv.AddTeam(testTeam)
	for i := 0; i < nodes; i++ {
		e.nodes = append(e.nodes, e.startNode())
	}
	var err error
	e.queueID, err = e.nodes[0].workspace.QueueChannelID()
	require.NoError(t, err)
	for _, name := range []string{"alice", "bob"} {
		u := e.srv.AddUser(name, false)
		e.srv.AddTeamMember(e.team.Id, u.Id)
		e.srv.AddChannelMember(e.queueID, u.Id)
		e.ops = append(e.ops, u)
	}
	e.outsider = e.srv.AddUser("mallory", false)
	e.srv.AddTeamMember(e.team.Id, e.outsider.Id)
	return e
}

func (e *env) startNode() *Plugin {
	p := &Plugin{now: e.now}
	p.SetAPI(e.srv.API(manifestID))
	require.NoError(e.t, p.OnConfigurationChange())
	require.NoError(e.t, p.OnActivate())
	e.t.Cleanup(func() { _ = p.OnDeactivate() })
	return p
}

func sample(t testing.TB, name string) []byte {
	dir := os.Getenv("SOCIAL_INBOX_SAMPLES")
	if dir == "" {
		dir = "../../shared/meta-samples"
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return b
}

func testdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("meta", "testdata", name))
	require.NoError(t, err)
	return b
}

// post sends a signed delivery to a node's webhook through its HTTP handler.
func (e *env) post(node int, body []byte) *httptest.ResponseRecorder {
	return e.postWith(node, body, map[string]string{meta.SignatureHeader: meta.Sign(testSecret, body)})
}

func (e *env) postWith(node int, body []byte, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhook/meta", bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.nodes[node].ServeHTTP(nil, rec, req)
	return rec
}

func (e *env) leadChannels() []*model.Channel {
	var out []*model.Channel
	for _, ch := range e.srv.ChannelsInTeam(e.team.Id) {
		if strings.HasPrefix(ch.Name, "fb-") || strings.HasPrefix(ch.Name, "ig-") {
			out = append(out, ch)
		}
	}
	return out
}

// botPosts lists the bot's posts in a channel (not the system join messages).
func (e *env) botPosts(channelID string) []*model.Post {
	var out []*model.Post
	for _, p := range e.srv.PostsInChannel(channelID) {
		if p.UserId == e.nodes[0].botUserID && p.Type == "" {
			out = append(out, p)
		}
	}
	return out
}

// postsByNativeID counts the bot's posts per native ID across lead channels.
func (e *env) postsByNativeID() map[string]int {
	out := map[string]int{}
	for _, ch := range e.leadChannels() {
		for _, p := range e.botPosts(ch.Id) {
			if id, _ := p.GetProp(propNativeID).(string); id != "" {
				out[id]++
			}
		}
	}
	return out
}

func (e *env) kvKeys(prefix string) []string {
	var out []string
	for _, k := range e.srv.KVKeys(manifestID) {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// action clicks a card button as user, the way the server forwards a click.
func (e *env) action(node int, userID string, post *model.Post, actionID string) (*httptest.ResponseRecorder, string) {
	var ctx map[string]any
	for _, a := range post.Attachments() {
		for _, act := range a.Actions {
			if act.Id == actionID {
				ctx = act.Integration.Context
			}
		}
	}
	require.NotNil(e.t, ctx, "post has no %s action", actionID)
	return e.rawAction(node, userID, actionID, &model.PostActionIntegrationRequest{
		UserId: userID, PostId: post.Id, ChannelId: post.ChannelId, Context: ctx,
	})
}

func (e *env) rawAction(node int, userID, actionID string, req *model.PostActionIntegrationRequest) (*httptest.ResponseRecorder, string) {
	body, err := json.Marshal(req)
	require.NoError(e.t, err)
	r := httptest.NewRequest(http.MethodPost, "/api/v1/actions/"+actionID, bytes.NewReader(body))
	if userID != "" {
		r.Header.Set("Mattermost-User-Id", userID)
	}
	rec := httptest.NewRecorder()
	e.nodes[node].ServeHTTP(nil, rec, r)
	var resp model.PostActionIntegrationResponse
	_ = json.Unmarshal(rec.Body.Bytes(), &resp)
	return rec, resp.EphemeralText
}

// reply posts as an operator the way the server does: MessageWillBePosted may reject
// or change the post, then the post is saved and MessageHasBeenPosted runs.
func (e *env) reply(node int, user *model.User, channelID, text string, fileIDs ...string) (*model.Post, string) {
	post := &model.Post{UserId: user.Id, ChannelId: channelID, Message: text, FileIds: fileIDs}
	p := e.nodes[node]
	changed, reason := p.MessageWillBePosted(nil, post)
	if reason != "" {
		return nil, reason
	}
	if changed != nil {
		post = changed
	}
	saved, appErr := e.srv.PostAsUser(post)
	require.Nil(e.t, appErr)
	p.MessageHasBeenPosted(nil, saved)
	return saved, ""
}

func (e *env) waitFor(cond func() bool, what string) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("timed out waiting for %s", what)
}

// api calls an inbox API route (path below /api/v1) on a node as userID, the way the
// server forwards an authenticated request; an empty userID is a request without a
// session. body is sent as is when it is a string, JSON-encoded otherwise (nil: none).
func (e *env) api(node int, userID, method, path string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	var reader *bytes.Reader
	switch b := body.(type) {
	case nil:
		reader = bytes.NewReader(nil)
	case string:
		reader = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		require.NoError(e.t, err)
		reader = bytes.NewReader(data)
	}
	r := httptest.NewRequest(method, "/api/v1"+path, reader)
	if userID != "" {
		r.Header.Set("Mattermost-User-Id", userID)
	}
	rec := httptest.NewRecorder()
	e.nodes[node].ServeHTTP(nil, rec, r)
	return rec
}

// wsEvents lists the published websocket events with this name, in order.
func (e *env) wsEvents(event string) []mmfake.WebSocketEvent {
	var out []mmfake.WebSocketEvent
	for _, ev := range e.srv.WebSocketEvents() {
		if ev.Event == event {
			out = append(out, ev)
		}
	}
	return out
}

// handoffNotices lists the bot's handoff notices (transfers) in a lead channel, in order.
func (e *env) handoffNotices(channelID string) []string {
	var notices []string
	for _, p := range e.botPosts(channelID) {
		if p.GetProp(propKind) == postKindHandoff {
			notices = append(notices, p.Message)
		}
	}
	return notices
}

// auditCount counts a lead's audit entries whose action starts with action.
func (e *env) auditCount(leadID, action string) int {
	n := 0
	for _, a := range e.cmdAudit(leadID) {
		if strings.HasPrefix(a, action) {
			n++
		}
	}
	return n
}
