package intake

// Test doubles for the engine's ports, with the semantics of the real Mattermost
// workspace, and an environment that runs one or several engines ("nodes") over one
// shared in-memory KV store, one workspace and one controllable clock.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store/memkv"
)

// The business the samples in shared/meta-samples were written for.
const (
	testPageID    = "108245671983342"
	testIGID      = "17841459302718465"
	testAppID     = "1438265907712354"
	inboxAppID    = "263902037430900" // Facebook Page Inbox / Business Suite
	testTeamID    = "team-sales"
	testQueueName = "social-inbox-queue"
)

// ---------------------------------------------------------------------------------
// Clock

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// ---------------------------------------------------------------------------------
// Workspace

// errInjected is what injected faults return.
var errInjected = errors.New("injected workspace failure")

// crash is what a "crash" fault panics with: the node dies between a side effect and
// recording it, so nothing after it (not even releasing a lease) runs.
type crash struct{ method string }

// faultMode says when an injected fault strikes.
type faultMode int

const (
	failBefore  faultMode = iota // the call fails without its side effect
	failAfter                    // the side effect happens, then the call reports an error
	crashAfter                   // the side effect happens, then the node dies (panic)
	crashBefore                  // the node dies before the side effect (panic)
)

type fault struct {
	mode  faultMode
	match func(arg any) bool // nil matches every call
	left  int                // calls left to fail; <0 means forever
	err   error
}

type fakeChannel struct {
	ID   string
	Spec ChannelSpec
}

type fakePost struct {
	ID        string
	ChannelID string
	Post      Post // a copy of what the engine asked for
	CreateAt  time.Time
	UpdateAt  time.Time
	Updates   int
}

type fakeFile struct {
	ID        string
	ChannelID string
	Name      string
	Data      []byte
}

// fakeWorkspace is a goroutine-safe Workspace with the semantics of the plugin's real
// one: one team where channel names are unique (creating an existing name adopts that
// channel, as workspace.CreateLeadChannel does), posts with IDs that carry the native-ID
// marker, FindPost by marker and time, file uploads, and a queue channel created on
// first use. Every call is counted and any method can be made to fail.
type fakeWorkspace struct {
	mu         sync.Mutex
	restored   []string // channels restored, in order
	clock      *fakeClock
	seq        int
	channels   map[string]*fakeChannel // by ID
	byName     map[string]string       // name -> ID
	posts      map[string]*fakePost
	postOrder  []string
	files      map[string]*fakeFile
	queueID    string
	calls      map[string]int
	adopted    int
	faults     map[string][]*fault
	updates    []string // lead IDs passed to LeadUpdated
	onCall     func(method string, arg any)
	callTrace  []string
	traceCalls bool
}

func newFakeWorkspace(clock *fakeClock) *fakeWorkspace {
	return &fakeWorkspace{
		clock:    clock,
		channels: map[string]*fakeChannel{},
		byName:   map[string]string{},
		posts:    map[string]*fakePost{},
		files:    map[string]*fakeFile{},
		calls:    map[string]int{},
		faults:   map[string][]*fault{},
	}
}

func (w *fakeWorkspace) nextID(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s%04d", prefix, w.seq)
}

// Fail makes the next n calls of method (that match, when match is non-nil) fail in the
// given mode. n < 0 fails every matching call until ClearFaults.
func (w *fakeWorkspace) Fail(method string, n int, mode faultMode, match func(arg any) bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults[method] = append(w.faults[method], &fault{mode: mode, match: match, left: n, err: errInjected})
}

// FailNext makes the next n calls of method fail without their side effect.
func (w *fakeWorkspace) FailNext(method string, n int) { w.Fail(method, n, failBefore, nil) }

// FailCreatePostAfterCreating makes the next n CreatePost calls create the post and then
// report an error, as when the node fails between creating the post and recording it.
func (w *fakeWorkspace) FailCreatePostAfterCreating(n int) {
	w.Fail("CreatePost", n, failAfter, nil)
}

func (w *fakeWorkspace) ClearFaults() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.faults = map[string][]*fault{}
}

// enter counts a call and returns the fault that strikes it, if any. Must hold mu.
// Callers hold mu with a deferred unlock, so a simulated crash (panic) releases it.
func (w *fakeWorkspace) enter(method string, arg any) *fault {
	f := w.match(method, arg)
	if f != nil && f.mode == crashBefore {
		panic(crash{method: method})
	}
	return f
}

func (w *fakeWorkspace) match(method string, arg any) *fault {
	w.calls[method]++
	if w.traceCalls {
		w.callTrace = append(w.callTrace, method)
	}
	if w.onCall != nil {
		w.onCall(method, arg)
	}
	for _, f := range w.faults[method] {
		if f.left == 0 || (f.match != nil && !f.match(arg)) {
			continue
		}
		if f.left > 0 {
			f.left--
		}
		return f
	}
	return nil
}

// strike applies the "after" half of a fault, outside the lock.
func strike(method string, f *fault) error {
	if f == nil {
		return nil
	}
	if f.mode == crashAfter {
		panic(crash{method: method})
	}
	return errors.Wrap(f.err, method)
}

func (w *fakeWorkspace) Calls(method string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[method]
}

func (w *fakeWorkspace) CreateLeadChannel(ctx context.Context, spec ChannelSpec) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.enter("CreateLeadChannel", spec)
	if f != nil && f.mode == failBefore {
		return "", errors.Wrap(f.err, "CreateLeadChannel")
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if spec.Name == "" || len(spec.Name) > 64 || strings.ToLower(spec.Name) != spec.Name {
		return "", errors.Errorf("invalid channel name %q", spec.Name)
	}
	id, ok := w.byName[spec.Name]
	if ok {
		// The real workspace adopts the channel an earlier attempt created.
		w.adopted++
	} else {
		id = w.nextID("ch")
		w.channels[id] = &fakeChannel{ID: id, Spec: spec}
		w.byName[spec.Name] = id
	}
	if err := strike("CreateLeadChannel", f); err != nil {
		return "", err
	}
	return id, nil
}

func copyPost(p *Post) Post {
	c := *p
	c.FileIDs = append([]string(nil), p.FileIDs...)
	if p.Card != nil {
		card := *p.Card
		c.Card = &card
	}
	return c
}

func (w *fakeWorkspace) RestoreLeadChannel(channelID string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.restored = append(w.restored, channelID)
	return nil
}

func (w *fakeWorkspace) CreatePost(p *Post) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.enter("CreatePost", p)
	if f != nil && f.mode == failBefore {
		return "", errors.Wrap(f.err, "CreatePost")
	}
	if _, ok := w.channels[p.ChannelID]; !ok {
		return "", errors.Errorf("CreatePost: no channel %q", p.ChannelID)
	}
	for _, fid := range p.FileIDs {
		if file, ok := w.files[fid]; !ok || file.ChannelID != p.ChannelID {
			return "", errors.Errorf("CreatePost: file %q is not uploaded to channel %q", fid, p.ChannelID)
		}
	}
	id := w.nextID("post")
	now := w.clock.Now()
	w.posts[id] = &fakePost{ID: id, ChannelID: p.ChannelID, Post: copyPost(p), CreateAt: now, UpdateAt: now}
	w.postOrder = append(w.postOrder, id)
	if err := strike("CreatePost", f); err != nil {
		return "", err
	}
	return id, nil
}

func (w *fakeWorkspace) UpdatePost(postID string, p *Post) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.enter("UpdatePost", p)
	if f != nil && f.mode == failBefore {
		return errors.Wrap(f.err, "UpdatePost")
	}
	cur, ok := w.posts[postID]
	if !ok {
		return errors.Errorf("UpdatePost: no post %q", postID)
	}
	next := copyPost(p)
	if p.KeepMessage {
		next.Message = cur.Post.Message
	}
	if p.Card == nil {
		next.Card = cur.Post.Card
	}
	if next.NativeID == "" {
		next.NativeID = cur.Post.NativeID
	}
	if len(next.FileIDs) == 0 {
		next.FileIDs = cur.Post.FileIDs
	}
	next.KeepMessage = false
	cur.Post = next
	cur.UpdateAt = w.clock.Now()
	cur.Updates++
	return strike("UpdatePost", f)
}

func (w *fakeWorkspace) FindPost(channelID, nativeID string, since time.Time) (string, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if f := w.enter("FindPost", nativeID); f != nil {
		return "", false, strike("FindPost", &fault{mode: failBefore, err: f.err})
	}
	// GetPostsSince returns posts created or changed since the time.
	for _, id := range w.postOrder {
		p := w.posts[id]
		if p.ChannelID != channelID || p.Post.NativeID != nativeID {
			continue
		}
		if !p.CreateAt.Before(since) || !p.UpdateAt.Before(since) {
			return id, true, nil
		}
	}
	return "", false, nil
}

func (w *fakeWorkspace) UploadFile(channelID, name string, data []byte) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.enter("UploadFile", name)
	if f != nil && f.mode == failBefore {
		return "", errors.Wrap(f.err, "UploadFile")
	}
	if _, ok := w.channels[channelID]; !ok {
		return "", errors.Errorf("UploadFile: no channel %q", channelID)
	}
	id := w.nextID("file")
	w.files[id] = &fakeFile{ID: id, ChannelID: channelID, Name: name, Data: append([]byte(nil), data...)}
	if err := strike("UploadFile", f); err != nil {
		return "", err
	}
	return id, nil
}

func (w *fakeWorkspace) QueueChannelID() (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if f := w.enter("QueueChannelID", nil); f != nil {
		return "", strike("QueueChannelID", &fault{mode: failBefore, err: f.err})
	}
	if w.queueID == "" {
		w.queueID = w.nextID("queue")
		w.channels[w.queueID] = &fakeChannel{ID: w.queueID, Spec: ChannelSpec{Name: testQueueName}}
		w.byName[testQueueName] = w.queueID
	}
	return w.queueID, nil
}

func (w *fakeWorkspace) LeadUpdated(leadID, _ string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls["LeadUpdated"]++
	w.updates = append(w.updates, leadID)
}

// Inspection helpers.

// LeadChannels returns the lead channels (every channel but the queue).
func (w *fakeWorkspace) LeadChannels() []fakeChannel {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []fakeChannel
	for _, c := range w.channels {
		if c.ID != w.queueID {
			out = append(out, *c)
		}
	}
	return out
}

func (w *fakeWorkspace) Channel(id string) (fakeChannel, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.channels[id]
	if !ok {
		return fakeChannel{}, false
	}
	return *c, true
}

// Posts returns the posts in creation order, optionally only those matching keep.
func (w *fakeWorkspace) Posts(keep func(p fakePost) bool) []fakePost {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []fakePost
	for _, id := range w.postOrder {
		p := *w.posts[id]
		if keep == nil || keep(p) {
			out = append(out, p)
		}
	}
	return out
}

func (w *fakeWorkspace) PostsFor(nativeID string) []fakePost {
	return w.Posts(func(p fakePost) bool { return p.Post.NativeID == nativeID })
}

func (w *fakeWorkspace) Post(id string) (fakePost, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.posts[id]
	if !ok {
		return fakePost{}, false
	}
	return *p, true
}

func (w *fakeWorkspace) QueuePosts() []fakePost {
	w.mu.Lock()
	q := w.queueID
	w.mu.Unlock()
	return w.Posts(func(p fakePost) bool { return p.ChannelID == q })
}

func (w *fakeWorkspace) Files() []fakeFile {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []fakeFile
	for _, f := range w.files {
		out = append(out, *f)
	}
	return out
}

// ---------------------------------------------------------------------------------
// Profiles

type profileResult struct {
	profile Profile
	err     error
}

// fakeProfiles answers per customer; unknown customers get a name derived from the ID
// (or defaultErr, when set). Calls are counted per customer.
type fakeProfiles struct {
	mu         sync.Mutex
	results    map[string]profileResult
	defaultErr error
	calls      map[string]int
	hook       func(customerID string)
}

func newFakeProfiles() *fakeProfiles {
	return &fakeProfiles{results: map[string]profileResult{}, calls: map[string]int{}}
}

func (p *fakeProfiles) Set(customerID string, prof Profile, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.results[customerID] = profileResult{profile: prof, err: err}
}

func (p *fakeProfiles) Profile(ctx context.Context, _ meta.Platform, customerID string) (Profile, error) {
	p.mu.Lock()
	p.calls[customerID]++
	r, ok := p.results[customerID]
	defErr, hook := p.defaultErr, p.hook
	p.mu.Unlock()
	if hook != nil {
		hook(customerID)
	}
	if err := ctx.Err(); err != nil {
		return Profile{}, err
	}
	if ok {
		return r.profile, r.err
	}
	if defErr != nil {
		return Profile{}, defErr
	}
	return Profile{Name: "Customer " + customerID, AvatarURL: "https://cdn.example/avatar/" + customerID}, nil
}

// SetHook runs fn (outside the lock) in every lookup, e.g. to line concurrent
// attempts up at the same point.
func (p *fakeProfiles) SetHook(fn func(customerID string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = fn
}

func (p *fakeProfiles) Calls(customerID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[customerID]
}

func (p *fakeProfiles) TotalCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		n += c
	}
	return n
}

// ---------------------------------------------------------------------------------
// Media

type mediaResult struct {
	d   Download
	err error
}

// fakeMedia serves bytes per URL; unknown URLs get a small image. An optional delay is
// cut short by the context, as a real HTTP download is.
type fakeMedia struct {
	mu      sync.Mutex
	results map[string]mediaResult
	delay   time.Duration
	calls   map[string]int
}

func newFakeMedia() *fakeMedia {
	return &fakeMedia{results: map[string]mediaResult{}, calls: map[string]int{}}
}

func (m *fakeMedia) Set(url string, d Download, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.results[url] = mediaResult{d: d, err: err}
}

func (m *fakeMedia) SetDelay(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delay = d
}

func (m *fakeMedia) Download(ctx context.Context, url string) (Download, error) {
	m.mu.Lock()
	m.calls[url]++
	delay := m.delay
	r, ok := m.results[url]
	m.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return Download{}, ctx.Err()
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return Download{}, err
	}
	if ok {
		return r.d, r.err
	}
	return Download{Name: "photo.jpg", ContentType: "image/jpeg", Data: []byte("\xff\xd8\xff jpeg of " + url)}, nil
}

func (m *fakeMedia) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.calls {
		n += c
	}
	return n
}

// ---------------------------------------------------------------------------------
// Logger

type logEntry struct {
	Level string
	Msg   string
	KV    []any
}

type testLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *testLogger) add(level, msg string, kv []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, logEntry{Level: level, Msg: msg, KV: kv})
}

func (l *testLogger) Debug(msg string, kv ...any) { l.add("debug", msg, kv) }
func (l *testLogger) Warn(msg string, kv ...any)  { l.add("warn", msg, kv) }
func (l *testLogger) Error(msg string, kv ...any) { l.add("error", msg, kv) }

func (l *testLogger) Count(level, contains string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.entries {
		if e.Level == level && strings.Contains(e.Msg, contains) {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------------
// Environment

// testEnv is one cluster: a shared KV store, workspace, Graph API and clock, and any
// number of engines (nodes) over them.
type testEnv struct {
	t        *testing.T
	kv       *memkv.KV
	st       *store.Store
	ws       *fakeWorkspace
	profiles *fakeProfiles
	media    *fakeMedia
	log      *testLogger
	clock    *fakeClock

	cfgMu sync.Mutex
	cfg   Config

	engine *Engine // the first node
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvKV(t, nil)
}

// newTestEnvKV builds an environment whose engines reach the shared memkv through
// wrap (nil: directly), e.g. to lose compare-and-set replies.
func newTestEnvKV(t *testing.T, wrap func(*memkv.KV) store.KV) *testEnv {
	t.Helper()
	clock := newClock()
	kv := memkv.New()
	kv.SetNow(clock.Now)
	var skv store.KV = kv
	if wrap != nil {
		skv = wrap(kv)
	}
	e := &testEnv{
		t:        t,
		kv:       kv,
		st:       store.New(skv),
		ws:       newFakeWorkspace(clock),
		profiles: newFakeProfiles(),
		media:    newFakeMedia(),
		log:      &testLogger{},
		clock:    clock,
		cfg:      Config{PageID: testPageID, InstagramAccountID: testIGID, AppID: testAppID},
	}
	e.engine = e.node("node-a")
	return e
}

// node builds another engine (cluster node) over the environment's shared state.
func (e *testEnv) node(name string) *Engine {
	eng := New(e.st, e.ws, e.profiles, e.media, e.config, e.log, name)
	eng.Now = e.clock.Now
	return eng
}

func (e *testEnv) config() Config {
	e.cfgMu.Lock()
	defer e.cfgMu.Unlock()
	return e.cfg
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// apply applies one event on the first node and fails the test on an error.
func (e *testEnv) apply(ev meta.Event) (Outcome, string) {
	e.t.Helper()
	out, reason, err := e.engine.Apply(testCtx(e.t), ev)
	if err != nil {
		e.t.Fatalf("Apply(%s %s): %v", ev.Kind, short(ev.NativeID), err)
	}
	return out, reason
}

// applyExpect applies one event and checks the outcome.
func (e *testEnv) applyExpect(ev meta.Event, want Outcome) {
	e.t.Helper()
	if got, reason := e.apply(ev); got != want {
		e.t.Fatalf("Apply(%s %s) = %s (%s), want %s", ev.Kind, short(ev.NativeID), outcomeName(got), reason, outcomeName(want))
	}
}

// applyCrashSafe applies an event on a node and turns a simulated crash into crashed=true.
func applyCrashSafe(ctx context.Context, eng *Engine, ev meta.Event) (out Outcome, reason string, err error, crashed bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crash); !ok {
				panic(r)
			}
			crashed = true
		}
	}()
	out, reason, err = eng.Apply(ctx, ev)
	return out, reason, err, false
}

func short(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

func outcomeName(o Outcome) string {
	switch o {
	case Applied:
		return "Applied"
	case Duplicate:
		return "Duplicate"
	case Busy:
		return "Busy"
	case Ignored:
		return "Ignored"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

func leadOf(ev meta.Event) string {
	return store.LeadID(string(ev.Platform), ev.AccountID, ev.CustomerID)
}

func (e *testEnv) message(ev meta.Event) (store.Message, bool) {
	e.t.Helper()
	var m store.Message
	found, err := e.st.Get(store.MessageKey(string(ev.Platform), ev.AccountID, ev.NativeID), &m)
	if err != nil {
		e.t.Fatal(err)
	}
	return m, found
}

func (e *testEnv) mustMessage(ev meta.Event) store.Message {
	e.t.Helper()
	m, found := e.message(ev)
	if !found {
		e.t.Fatalf("no message record for %s", short(ev.NativeID))
	}
	return m
}

func (e *testEnv) conv(leadID string) (store.Conversation, bool) {
	e.t.Helper()
	var c store.Conversation
	found, err := e.st.Get(store.ConversationKey(leadID), &c)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, found
}

func (e *testEnv) mustConv(leadID string) store.Conversation {
	e.t.Helper()
	c, found := e.conv(leadID)
	if !found {
		e.t.Fatalf("no conversation for lead %s", leadID)
	}
	return c
}

func (e *testEnv) handoff(leadID string) store.Handoff {
	e.t.Helper()
	var h store.Handoff
	if found, err := e.st.Get(store.HandoffKey(leadID), &h); err != nil || !found {
		e.t.Fatalf("handoff of %s: found=%v err=%v", leadID, found, err)
	}
	return h
}

func (e *testEnv) contact(ev meta.Event) (store.Contact, bool) {
	e.t.Helper()
	var c store.Contact
	found, err := e.st.Get(store.ContactKey(string(ev.Platform), ev.AccountID, ev.CustomerID), &c)
	if err != nil {
		e.t.Fatal(err)
	}
	return c, found
}

func (e *testEnv) audit(leadID string) []store.AuditEvent {
	e.t.Helper()
	trail, err := e.st.AuditTrail(leadID)
	if err != nil {
		e.t.Fatal(err)
	}
	return trail
}

// auditCount counts a lead's audit events with the action (and subject, when given).
func (e *testEnv) auditCount(leadID, action, subject string) int {
	e.t.Helper()
	n := 0
	for _, ev := range e.audit(leadID) {
		if ev.Action == action && (subject == "" || ev.Subject == subject) {
			n++
		}
	}
	return n
}

func (e *testEnv) openLeads() map[string]int {
	e.t.Helper()
	ids, err := e.st.OpenLeads()
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, id := range ids {
		out[id]++
	}
	return out
}

// checkLeadComplete checks that a lead and its inbound messages are completely and
// exactly once recorded: one channel, one card, one queue notice, one post per
// message in that channel, done message records pointing at their posts, the lead,
// handoff, open-queue and channel-index records, and the audit trail.
func (e *testEnv) checkLeadComplete(leadID string, inbound ...meta.Event) {
	e.t.Helper()
	conv := e.mustConv(leadID)
	if conv.ChannelID == "" {
		e.t.Fatalf("lead %s has no channel", leadID)
	}
	if _, ok := e.ws.Channel(conv.ChannelID); !ok {
		e.t.Fatalf("lead %s points at channel %s that does not exist", leadID, conv.ChannelID)
	}
	chans := 0
	for _, c := range e.ws.LeadChannels() {
		if c.Spec.LeadID == leadID {
			chans++
		}
	}
	if chans != 1 {
		e.t.Errorf("lead %s has %d channels, want 1", leadID, chans)
	}
	var indexed string
	if found, err := e.st.Get(store.ChannelKey(conv.ChannelID), &indexed); err != nil || !found || indexed != leadID {
		e.t.Errorf("channel index of %s = %q (found %v, err %v), want %s", conv.ChannelID, indexed, found, err, leadID)
	}
	var lead store.Lead
	if found, _ := e.st.Get(store.LeadKey(leadID), &lead); !found || lead.ID != leadID || lead.Stage != store.StageNew {
		e.t.Errorf("lead record = %+v (found %v)", lead, found)
	}
	e.handoff(leadID)

	notices := e.ws.Posts(func(p fakePost) bool { return p.Post.Kind == PostQueueNotice && p.Post.LeadID == leadID })
	if len(notices) != 1 {
		e.t.Errorf("lead %s has %d queue notices, want 1", leadID, len(notices))
	} else if conv.QueueNotice.PostID != notices[0].ID {
		e.t.Errorf("conversation records queue notice %q, the notice is %q", conv.QueueNotice.PostID, notices[0].ID)
	}
	cards := e.ws.Posts(func(p fakePost) bool {
		return p.Post.Card != nil && p.Post.LeadID == leadID && p.Post.Kind == PostInbound
	})
	if len(cards) != 1 {
		e.t.Errorf("lead %s has %d card posts, want 1", leadID, len(cards))
	} else if conv.Card.PostID != cards[0].ID {
		e.t.Errorf("conversation records card %q, the card is on %q", conv.Card.PostID, cards[0].ID)
	}
	if n := e.auditCount(leadID, "lead.created", ""); n != 1 {
		e.t.Errorf("lead.created audited %d times, want 1", n)
	}
	if n := e.auditCount(leadID, "handoff.opened", ""); n != 1 {
		e.t.Errorf("handoff.opened audited %d times, want 1", n)
	}
	ids := map[string]bool{}
	for _, a := range e.audit(leadID) {
		if ids[a.ID] {
			e.t.Errorf("audit event %s appears twice", a.ID)
		}
		ids[a.ID] = true
	}
	for _, ev := range inbound {
		m := e.mustMessage(ev)
		if m.State != store.MessageDone || m.Lease.Owner != "" {
			e.t.Errorf("message %s: state %s lease %+v, want done and no lease", short(ev.NativeID), m.State, m.Lease)
		}
		posts := e.ws.PostsFor(ev.NativeID)
		if len(posts) != 1 {
			e.t.Errorf("message %s has %d posts, want 1", short(ev.NativeID), len(posts))
			continue
		}
		if m.Post.PostID != posts[0].ID || m.ChannelID != conv.ChannelID || posts[0].ChannelID != conv.ChannelID {
			e.t.Errorf("message %s: record post %s channel %s; post %s in %s; lead channel %s",
				short(ev.NativeID), m.Post.PostID, m.ChannelID, posts[0].ID, posts[0].ChannelID, conv.ChannelID)
		}
		if n := e.auditCount(leadID, "message.received", ev.NativeID); n != 1 {
			e.t.Errorf("message.received of %s audited %d times, want 1", short(ev.NativeID), n)
		}
	}
}

// closeLead closes a lead's handoff as an operator does from the card, and re-renders
// the lead card and the queue notice from the records as the plugin's action handler
// (refreshLeadViews) does.
func (e *testEnv) closeLead(leadID, userID string) {
	e.t.Helper()
	if _, err := handoff.Close(e.st, leadID, userID, true, "", e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	conv := e.mustConv(leadID)
	ho := e.handoff(leadID)
	for _, view := range []struct {
		postID, kind string
		compact      bool
	}{{conv.Card.PostID, PostInbound, false}, {conv.QueueNotice.PostID, PostQueueNotice, true}} {
		if err := e.ws.UpdatePost(view.postID, &Post{Kind: view.kind, LeadID: leadID, KeepMessage: true, Card: BuildCard(&conv, &ho, view.compact)}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// ---------------------------------------------------------------------------------
// Webhook bodies

// body builds a webhook body for one entry's messaging items.
func messagingBody(object, account string, items ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"object": object,
		"entry":  []any{map[string]any{"id": account, "time": 1795209247800, "messaging": items}},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// parseOne parses a body that holds exactly one event.
func parseOne(t *testing.T, body []byte) meta.Event {
	t.Helper()
	b, err := meta.Parse(body)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(b.Events) != 1 {
		t.Fatalf("Parse gave %d events (skips %v), want 1", len(b.Events), b.Skips)
	}
	return b.Events[0]
}

// fbTime is the base time of the generated events: 2026-11-20 18:00 UTC in ms.
var fbTime = time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC).UnixMilli()

func fbText(t *testing.T, psid, mid, text string, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": testPageID},
		"timestamp": tsMillis, "message": map[string]any{"mid": mid, "text": text},
	}))
}

func igText(t *testing.T, igsid, mid, text string, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("instagram", testIGID, map[string]any{
		"sender": map[string]any{"id": igsid}, "recipient": map[string]any{"id": testIGID},
		"timestamp": tsMillis, "message": map[string]any{"mid": mid, "text": text},
	}))
}

func fbImage(t *testing.T, psid, mid, url string, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": testPageID},
		"timestamp": tsMillis, "message": map[string]any{"mid": mid, "text": "see photo",
			"attachments": []any{map[string]any{"type": "image", "payload": map[string]any{"url": url}}}},
	}))
}

func fbEcho(t *testing.T, psid, mid, appID, metadata, text string, tsMillis int64) meta.Event {
	t.Helper()
	msg := map[string]any{"mid": mid, "is_echo": true, "text": text}
	if appID != "" {
		msg["app_id"] = json.Number(appID)
	}
	if metadata != "" {
		msg["metadata"] = metadata
	}
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": testPageID}, "recipient": map[string]any{"id": psid},
		"timestamp": tsMillis, "message": msg,
	}))
}

func fbPostback(t *testing.T, psid, title, payload string, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": testPageID},
		"timestamp": tsMillis, "postback": map[string]any{"title": title, "payload": payload},
	}))
}

func fbReferral(t *testing.T, psid, ref string, ts int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": testPageID},
		"timestamp": ts, "referral": map[string]any{"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"},
	}))
}

func fbReaction(t *testing.T, psid, targetMID, action, emoji string, tsMillis int64) meta.Event {
	t.Helper()
	r := map[string]any{"mid": targetMID, "action": action}
	if emoji != "" {
		r["reaction"] = "love"
		r["emoji"] = emoji
	}
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": testPageID},
		"timestamp": tsMillis, "reaction": r,
	}))
}

func fbEdit(t *testing.T, psid, targetMID, text string, numEdit int, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": testPageID},
		"timestamp": tsMillis, "message_edit": map[string]any{"mid": targetMID, "text": text, "num_edit": numEdit},
	}))
}

func igEdit(t *testing.T, igsid, targetMID, text string, numEdit int, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("instagram", testIGID, map[string]any{
		"sender": map[string]any{"id": igsid}, "recipient": map[string]any{"id": testIGID},
		"timestamp": tsMillis, "message_edit": map[string]any{"mid": targetMID, "text": text, "num_edit": numEdit},
	}))
}

func fbRead(t *testing.T, psid string, watermark, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": testPageID},
		"timestamp": tsMillis, "read": map[string]any{"watermark": watermark},
	}))
}

func fbDelivery(t *testing.T, psid string, watermark, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("page", testPageID, map[string]any{
		"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": testPageID},
		"timestamp": tsMillis, "delivery": map[string]any{"watermark": watermark},
	}))
}

func igUnsend(t *testing.T, igsid, mid string, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("instagram", testIGID, map[string]any{
		"sender": map[string]any{"id": igsid}, "recipient": map[string]any{"id": testIGID},
		"timestamp": tsMillis, "message": map[string]any{"mid": mid, "is_deleted": true},
	}))
}

func igStoryMention(t *testing.T, igsid, mid, url string, tsMillis int64) meta.Event {
	t.Helper()
	return parseOne(t, messagingBody("instagram", testIGID, map[string]any{
		"sender": map[string]any{"id": igsid}, "recipient": map[string]any{"id": testIGID},
		"timestamp": tsMillis, "message": map[string]any{"mid": mid,
			"attachments": []any{map[string]any{"type": "story_mention", "payload": map[string]any{"url": url}}}},
	}))
}

// fbComment builds a Page feed comment; createdSeconds is in seconds, as Meta sends it.
func fbComment(t *testing.T, fromID, fromName, commentID, text string, createdSeconds int64) meta.Event {
	t.Helper()
	postID := testPageID + "_122134958273049817"
	body, _ := json.Marshal(map[string]any{
		"object": "page",
		"entry": []any{map[string]any{"id": testPageID, "time": createdSeconds + 3, "changes": []any{map[string]any{
			"field": "feed",
			"value": map[string]any{
				"from": map[string]any{"id": fromID, "name": fromName}, "item": "comment", "verb": "add",
				"post_id": postID, "parent_id": postID, "comment_id": commentID,
				"message": text, "created_time": createdSeconds,
			},
		}}}},
	})
	return parseOne(t, body)
}
