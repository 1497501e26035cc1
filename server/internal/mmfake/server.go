package mmfake

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
)

// ServerVersion is what GetServerVersion reports.
const ServerVersion = "11.1.0"

// DefaultSiteURL is the SiteURL of a new Server.
const DefaultSiteURL = "http://localhost:8065"

// LogEntry is one log line recorded by the fake.
type LogEntry struct {
	// Source is "plugin" for the LogDebug/LogInfo/LogWarn/LogError API methods, "server"
	// for lines the server itself would log (e.g. a configuration that does not decode)
	// and "rpc" for failures of the plugin RPC layer.
	Source   string
	Level    string // "debug", "info", "warn" or "error"
	Message  string
	PluginID string
	NodeID   string
	// KeyValues holds the key/value pairs, each value stringified with "%+v" exactly as
	// the plugin RPC client does before sending them.
	KeyValues []any
}

// String renders the entry on one line.
func (e LogEntry) String() string {
	return fmt.Sprintf("[%s %s %s] %s %v", e.Source, e.Level, e.PluginID, e.Message, e.KeyValues)
}

// WebSocketEvent is one PublishWebSocketEvent call.
type WebSocketEvent struct {
	PluginID string
	NodeID   string
	// Event is the event name the plugin passed; Type is what clients receive,
	// custom_<pluginid>_<event>.
	Event     string
	Type      string
	Payload   map[string]any
	Broadcast *model.WebsocketBroadcast
}

type fault struct {
	remaining int
	err       error
}

type kvEntry struct {
	value    []byte
	expireAt int64 // millis; 0 means never
}

type storedFile struct {
	info *model.FileInfo
	data []byte
}

// Server is the shared state behind any number of API values ("nodes").
type Server struct {
	mu sync.Mutex

	now func() time.Time

	calls     map[string]int
	faults    map[string]*fault
	dropKVSet int
	kvHook    func(op, key string) error

	nodes   []*API
	logs    []LogEntry
	logSink func(LogEntry)

	cfg           *model.Config
	cfgCache      map[bool]*model.Config // sanitised or not; see config
	siteURL       string
	bundlePath    string
	pluginConfigs map[string]map[string]any
	manifests     map[string]*model.Manifest
	telemetryID   string
	installDate   int64
	httpHandlers  map[string]http.Handler

	kv map[string]map[string]kvEntry // plugin id -> key -> entry

	users         map[string]*model.User
	userByName    map[string]string // username -> user id
	bots          map[string]*model.Bot
	profileImages map[string][]byte

	teams       map[string]*model.Team
	teamMembers map[string]map[string]*model.TeamMember // team id -> user id

	channels       map[string]*model.Channel
	channelMembers map[string]map[string]*model.ChannelMember // channel id -> user id

	posts        map[string]*model.Post
	channelPosts map[string][]string // channel id -> post ids in creation order
	reactions    map[string][]*model.Reaction
	ephemeral    map[string][]*model.Post // user id -> posts in send order
	files        map[string]*storedFile

	wsEvents []WebSocketEvent
}

// NewServer returns an empty server with a default configuration and the real clock.
func NewServer() *Server {
	cfg := &model.Config{}
	cfg.SetDefaults()
	return &Server{
		now:            time.Now,
		calls:          map[string]int{},
		faults:         map[string]*fault{},
		cfg:            cfg,
		cfgCache:       map[bool]*model.Config{},
		siteURL:        DefaultSiteURL,
		bundlePath:     ".",
		pluginConfigs:  map[string]map[string]any{},
		manifests:      map[string]*model.Manifest{},
		telemetryID:    model.NewId(),
		installDate:    time.Now().UnixMilli(),
		httpHandlers:   map[string]http.Handler{},
		kv:             map[string]map[string]kvEntry{},
		users:          map[string]*model.User{},
		userByName:     map[string]string{},
		bots:           map[string]*model.Bot{},
		profileImages:  map[string][]byte{},
		teams:          map[string]*model.Team{},
		teamMembers:    map[string]map[string]*model.TeamMember{},
		channels:       map[string]*model.Channel{},
		channelMembers: map[string]map[string]*model.ChannelMember{},
		posts:          map[string]*model.Post{},
		channelPosts:   map[string][]string{},
		reactions:      map[string][]*model.Reaction{},
		ephemeral:      map[string][]*model.Post{},
		files:          map[string]*storedFile{},
	}
}

// API returns a new node: a plugin.API for one instance of the plugin pluginID. Nodes of
// one Server share all state; each has its own node id, cluster event handler and
// registered slash commands.
func (s *Server) API(pluginID string) *API {
	a := &API{s: s, pluginID: pluginID, nodeID: model.NewId()}
	s.mu.Lock()
	s.nodes = append(s.nodes, a)
	s.mu.Unlock()
	return a
}

var _ plugin.API = (*API)(nil)

// ---- clock ----

// SetNow replaces the clock used for every timestamp and every KV expiry. fn must not
// call back into the Server. nil restores time.Now.
func (s *Server) SetNow(fn func() time.Time) {
	if fn == nil {
		fn = time.Now
	}
	s.mu.Lock()
	s.now = fn
	s.mu.Unlock()
}

// Now reads the server's clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// millis reads the clock in epoch milliseconds. s.mu must be held.
func (s *Server) millis() int64 { return s.now().UnixMilli() }

// ---- call counting and fault injection ----

// Calls returns how many times each API method was called since the last ResetCalls,
// failed and dropped calls included.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// ResetCalls sets every call counter to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	s.calls = map[string]int{}
	s.mu.Unlock()
}

// TotalCalls is the sum of Calls.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

// FailNext makes the next n calls of the API method fail, replacing any pending fault
// for that method. Methods returning *model.AppError return err when it is one and
// otherwise an AppError (500, id mmfake.injected) wrapping it; methods returning error
// return err itself. A nil err (or a nil *model.AppError) reproduces a failed plugin
// RPC: the call is not applied and returns its zero values with a nil error. Methods
// without an error result always behave that way. n <= 0 clears the fault.
func (s *Server) FailNext(method string, n int, err error) {
	if appErr, ok := err.(*model.AppError); ok && appErr == nil {
		err = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.faults, method)
		return
	}
	s.faults[method] = &fault{remaining: n, err: err}
}

// SetKVHook installs fn, called before every KV operation of a node with op "get"
// (KVGet), "set" (KVSet, KVSetWithExpiry, KVSetWithOptions, KVCompareAndSet), "delete"
// (KVDelete, KVCompareAndDelete, and KVDeleteAll with key "") or "list" (KVList, key
// ""). A non-nil error fails the operation without applying it; it is returned as is
// when it is a *model.AppError and wrapped in one (500) otherwise. fn runs without the
// server lock held, so it may block or inspect the server. nil removes the hook.
func (s *Server) SetKVHook(fn func(op, key string) error) {
	s.mu.Lock()
	s.kvHook = fn
	s.mu.Unlock()
}

// DropNextKVSet makes the next n KVSetWithOptions calls return (false, nil) without
// writing anything, which is what a plugin sees when the RPC call fails.
func (s *Server) DropNextKVSet(n int) {
	s.mu.Lock()
	s.dropKVSet = max(n, 0)
	s.mu.Unlock()
}

// ---- logs ----

// Logs returns every recorded log entry in order.
func (s *Server) Logs() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LogEntry, len(s.logs))
	for i, e := range s.logs {
		e.KeyValues = slices.Clone(e.KeyValues)
		out[i] = e
	}
	return out
}

// SetLogSink makes every new log entry also go to fn (e.g. t.Log), called without the
// server lock held. nil removes the sink.
func (s *Server) SetLogSink(fn func(LogEntry)) {
	s.mu.Lock()
	s.logSink = fn
	s.mu.Unlock()
}

// logLocked records an entry and returns the sink to call once the lock is released.
// s.mu must be held.
func (s *Server) logLocked(e LogEntry) func() {
	s.logs = append(s.logs, e)
	if sink := s.logSink; sink != nil {
		return func() { sink(e) }
	}
	return func() {}
}

// log records an entry. s.mu must not be held.
func (s *Server) log(e LogEntry) {
	s.mu.Lock()
	after := s.logLocked(e)
	s.mu.Unlock()
	after()
}

// ---- configuration ----

// SetSiteURL sets ServiceSettings.SiteURL as GetConfig reports it.
func (s *Server) SetSiteURL(u string) {
	s.mu.Lock()
	s.siteURL = u
	s.configChanged()
	s.mu.Unlock()
}

// SetBundlePath sets what GetBundlePath returns (default ".").
func (s *Server) SetBundlePath(p string) {
	s.mu.Lock()
	s.bundlePath = p
	s.mu.Unlock()
}

// SetPluginConfig stores the System Console values of a plugin
// (PluginSettings.Plugins[pluginID]), as an administrator saving the console would.
func (s *Server) SetPluginConfig(pluginID string, m map[string]any) {
	c := jsonCopyMap(m)
	s.mu.Lock()
	s.pluginConfigs[pluginID] = c
	s.configChanged()
	s.mu.Unlock()
}

// SetPluginManifest registers a plugin's manifest: its settings_schema defaults feed
// LoadPluginConfiguration and its secret settings are masked by GetConfig and
// GetPluginConfig.
func (s *Server) SetPluginManifest(m *model.Manifest) {
	if m == nil {
		return
	}
	c := mustRPCCopy(m)
	s.mu.Lock()
	s.manifests[m.Id] = c
	s.configChanged()
	s.mu.Unlock()
}

// UpdateConfig lets a test change the server configuration (e.g.
// TeamSettings.MaxChannelsPerTeam or FileSettings.MaxFileSize). fn must not call back
// into the Server. Plugin settings are managed with SetPluginConfig instead.
func (s *Server) UpdateConfig(fn func(cfg *model.Config)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.cfg)
	s.configChanged()
}

// SetPluginHTTPHandler makes PluginHTTP requests to /<pluginID>/... reach h, as
// another installed plugin (e.g. the Agents LLM bridge) would.
func (s *Server) SetPluginHTTPHandler(pluginID string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.httpHandlers, pluginID)
		return
	}
	s.httpHandlers[pluginID] = h
}

// ---- seeding helpers (not counted as API calls) ----

// AddUser creates a regular user, or a system admin when admin is true, with the
// email <username>@example.com. It panics if the user cannot be created.
func (s *Server) AddUser(username string, admin bool) *model.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	roles := model.SystemUserRoleId
	if admin {
		roles = model.SystemAdminRoleId + " " + model.SystemUserRoleId
	}
	u, appErr := s.saveUser(&model.User{Username: username, Email: username + "@example.com"}, roles)
	if appErr != nil {
		panic(fmt.Sprintf("mmfake: AddUser(%q): %v", username, appErr))
	}
	return mustRPCCopy(u)
}

// AddTeam creates an open team named name, with its default channels. It panics if the
// team cannot be created.
func (s *Server) AddTeam(name string) *model.Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, appErr := s.createTeam(&model.Team{Name: name, DisplayName: name, Type: model.TeamOpen})
	if appErr != nil {
		panic(fmt.Sprintf("mmfake: AddTeam(%q): %v", name, appErr))
	}
	return mustRPCCopy(t)
}

// AddTeamMember makes the user a member of the team exactly as CreateTeamMember does
// (default channels, join message). It panics on error.
func (s *Server) AddTeamMember(teamID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, appErr := s.addTeamMember(teamID, userID); appErr != nil {
		panic(fmt.Sprintf("mmfake: AddTeamMember(%q, %q): %v", teamID, userID, appErr))
	}
}

// AddChannelMember adds the user to the channel exactly as the AddChannelMember API
// method does (team membership required, join message). It panics on error.
func (s *Server) AddChannelMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, appErr := s.addChannelMember(channelID, userID, ""); appErr != nil {
		panic(fmt.Sprintf("mmfake: AddChannelMember(%q, %q): %v", channelID, userID, appErr))
	}
}

// PostAsUser creates a post the way a person posting from a client would (REST API,
// not counted as a plugin API call): no from_plugin prop, system post types and
// archived channels refused, CreateAt reset unless the author is a system admin. Use
// it to simulate operators writing in a channel.
func (s *Server) PostAsUser(post *model.Post) (*model.Post, *model.AppError) {
	p, err := rpcCopy(post)
	if p == nil || err != nil {
		return nil, badRequest("PostAsUser", "api.context.invalid_body_param.app_error", fmt.Sprint(err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !isSystemAdmin(s.users[p.UserId]) {
		p.CreateAt = 0
	}
	if ch, ok := s.channels[p.ChannelId]; !ok {
		return nil, badRequest("CreatePostAsUser", "api.context.invalid_param.app_error", "post.channel_id")
	} else if ch.DeleteAt != 0 {
		return nil, badRequest("createPost", "api.post.create_post.can_not_post_to_deleted.error", "")
	}
	if p.IsSystemMessage() {
		return nil, badRequest("CreatePostAsUser", "api.context.invalid_param.app_error", "post.type")
	}
	return s.createPost(p)
}

// ---- inspection helpers (not counted as API calls) ----

// ChannelsInTeam returns copies of all channels of the team, archived and default
// channels included, ordered by creation time.
func (s *Server) ChannelsInTeam(teamID string) []*model.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*model.Channel
	for _, ch := range s.channels {
		if ch.TeamId == teamID {
			out = append(out, mustRPCCopy(ch))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreateAt != out[j].CreateAt {
			return out[i].CreateAt < out[j].CreateAt
		}
		return out[i].Id < out[j].Id
	})
	return out
}

// ChannelMembers returns the ids of the channel's members, sorted.
func (s *Server) ChannelMembers(channelID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := slices.Collect(maps.Keys(s.channelMembers[channelID]))
	slices.Sort(ids)
	return ids
}

// PostsInChannel returns deep copies of every post of the channel ordered by CreateAt,
// deleted posts (DeleteAt != 0) and system messages included.
func (s *Server) PostsInChannel(channelID string) []*model.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	posts := s.channelPostsSorted(channelID, true)
	out := make([]*model.Post, len(posts))
	for i, p := range posts {
		out[i] = mustRPCCopy(p)
	}
	return out
}

// EphemeralPosts returns copies of the ephemeral posts currently shown to the user, in
// the order they were first sent (an UpdateEphemeralPost replaces in place, a
// DeleteEphemeralPost removes).
func (s *Server) EphemeralPosts(userID string) []*model.Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*model.Post, len(s.ephemeral[userID]))
	for i, p := range s.ephemeral[userID] {
		out[i] = mustRPCCopy(p)
	}
	return out
}

// WebSocketEvents returns every published websocket event in order.
func (s *Server) WebSocketEvents() []WebSocketEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]WebSocketEvent, len(s.wsEvents))
	for i, e := range s.wsEvents {
		e.Payload = mustRPCCopyMap(e.Payload)
		e.Broadcast = mustRPCCopy(e.Broadcast)
		out[i] = e
	}
	return out
}

// KVValue returns a copy of the live value of a plugin's key.
func (s *Server) KVValue(pluginID, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.kv[pluginID][key]
	if !ok || !e.liveAt(s.millis()) {
		return nil, false
	}
	return slices.Clone(e.value), true
}

// KVKeys returns the plugin's live keys, sorted.
func (s *Server) KVKeys(pluginID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveKeys(pluginID)
}

// File returns a copy of an uploaded file and its info.
func (s *Server) File(fileID string) (*model.FileInfo, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[fileID]
	if !ok {
		return nil, nil, false
	}
	return mustRPCCopy(f.info), slices.Clone(f.data), true
}
