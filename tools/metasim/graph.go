package main

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const graphHelp = `
Usage: metasim graph [flags]

Runs a local stand-in for the Graph API endpoints the plugin calls. Point the plugin at
it with System Console > Plugins > Social Inbox > Graph API base URL = http://127.0.0.1:8787
(paths carry the version, e.g. /v26.0/...). It answers:

  POST /{version}/{page-or-ig-id}/messages, /{version}/me/messages
       Send API: checks the body shape (recipient id or comment_id, messaging_type,
       HUMAN_AGENT tag only with MESSAGE_TAG, 2000-character Messenger and 1000-byte
       Instagram text limits, attachments, quick replies, metadata) and answers
       {"recipient_id","message_id"}; a second private reply to a comment answers
       10900 (Facebook) or 100/2534025 (Instagram).
  GET  /{version}/{psid-or-igsid}?fields=...   a plausible profile; IDs that do not look
       like a scoped user ID (15 to 18 digits) answer 100/2018218 "No profile available",
       locale/timezone/gender answer 100/2018247.
  GET  /{version}/{page-id}?fields=...         the Page (name, instagram_business_account)
  GET|POST|DELETE /{version}/{page-id}/subscribed_apps
  GET  /{version}/{ig-id}?fields=id,username    the Instagram professional account
  GET  /{version}/debug_token?input_token=...  token debug (is_valid, expires_at, scopes);
       an app token (<app-id>|<secret>) of another app than --app-id answers Meta's
       (#100) "The App_id in the input_token did not match the Viewing App"
  GET  /media/<name>                           a small generated PNG (no token needed)

Instagram or Messenger? A send is Instagram when it goes to /{ig-id}/messages, answers a
comment ID without "_" (Instagram comment IDs have none), or goes to someone looked up
with Instagram profile fields; otherwise it is Messenger.

Every request is logged on one line (method, path, a compact summary of the body);
tokens are never printed. With --token the token (Authorization: Bearer, or the
access_token parameter) must match, otherwise the answer is Meta's 190/463
expired-token error.
`

// failModes are the Send API errors --fail can force, with Meta's bodies (the first
// three are the fact sheet's samples, byte for byte) and HTTP statuses. Meta answers
// most errors with 400, even throttling; transient server errors come with a 5xx.
var failModes = map[string]failMode{
	"outside-window":        {status: 400, file: "send_api_error_outside_window.json", instagramFile: "send_api_error_outside_window_instagram.json"},
	"rate-limited":          {status: 400, file: "send_api_error_rate_limited.json"},
	"token-expired":         {status: 400, file: "send_api_error_token_expired.json"},
	"temporary":             {status: 500, file: "send_api_error_temporary.json"},
	"user-unavailable":      {status: 400, file: "send_api_error_user_unavailable.json"},
	"already-replied":       {status: 400, file: "send_api_error_already_replied.json", instagramFile: "send_api_error_already_replied_instagram.json"},
	"invalid-json-but-sent": {status: 500, file: "send_api_error_invalid_json_but_sent.json", delivered: true},
}

type failMode struct {
	status int
	// file is Meta's body; instagramFile its Instagram variant where the codes differ.
	file, instagramFile string
	// delivered: Meta reports an error although the message went out (1/1357046).
	delivered bool
}

func (m failMode) body(instagram bool) []byte {
	if instagram && m.instagramFile != "" {
		return mustBody(m.instagramFile)
	}
	return mustBody(m.file)
}

func failModeNames() []string {
	names := make([]string, 0, len(failModes))
	for n := range failModes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

//go:embed graphbodies/*.json
var graphBodies embed.FS

func mustBody(name string) []byte {
	b, err := graphBodies.ReadFile("graphbodies/" + name)
	if err != nil {
		panic("missing embedded Graph body " + name)
	}
	return b
}

// graphConfig configures the stand-in.
type graphConfig struct {
	// Token, when set, is the only access token accepted.
	Token               string
	PageID, IGID, AppID string
	// Fail forces a Send API error (a failModes key) on every send, or on the next
	// FailCount sends when FailCount > 0.
	Fail      string
	FailCount int
	Latency   time.Duration
	// PublicURL is the stand-in's own address, for media URLs in its answers.
	PublicURL string
	// EchoURL, when set, receives a message_echoes webhook for every message sent, signed
	// with EchoSecret, the way Meta echoes the Page's own sends.
	EchoURL, EchoSecret string
	// Unsubscribed starts with no app subscribed to the Page (as after Meta disabled it).
	Unsubscribed bool
	Log          io.Writer
	Client       *http.Client
}

// graphStandIn is the Graph API stand-in; it is an http.Handler.
type graphStandIn struct {
	cfg graphConfig

	mu         sync.Mutex
	failsLeft  int             // sends still to fail; -1 forever
	replied    map[string]bool // comment and post IDs that got their one private reply
	igUsers    map[string]bool // IDs looked up with Instagram profile fields
	subscribed map[string][]string

	logMu  sync.Mutex
	echoes sync.WaitGroup
}

// defaultSubscribedFields are the Page fields the plugin needs (fact sheet section 9).
var defaultSubscribedFields = []string{
	"messages", "message_echoes", "messaging_postbacks", "messaging_referrals", "message_reactions",
	"message_reads", "message_deliveries", "message_edits", "standby", "feed",
}

// newGraphHandler builds the stand-in. Tests run it in httptest.
func newGraphHandler(cfg graphConfig) *graphStandIn {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 15 * time.Second}
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	g := &graphStandIn{
		cfg:        cfg,
		replied:    map[string]bool{},
		igUsers:    map[string]bool{},
		subscribed: map[string][]string{},
	}
	if cfg.Fail != "" {
		g.failsLeft = -1
		if cfg.FailCount > 0 {
			g.failsLeft = cfg.FailCount
		}
	}
	if !cfg.Unsubscribed {
		g.subscribed[cfg.PageID] = defaultSubscribedFields
	}
	return g
}

// waitEchoes waits for the echo webhooks under way.
func (g *graphStandIn) waitEchoes() { g.echoes.Wait() }

var versionedPath = regexp.MustCompile(`^/(v\d+\.\d+)(/.*)?$`)

// graphRequest is one request with what the handlers need from it.
type graphRequest struct {
	r       *http.Request
	version string
	parts   []string   // path segments after the version
	params  url.Values // query plus form parameters
	body    []byte
	token   string
	// upload is the file of a Send API attachment upload (multipart "filedata").
	upload *uploadedFile
}

// uploadedFile describes a file sent with the Send API's attachment upload form.
type uploadedFile struct {
	Name        string
	ContentType string
	Size        int
}

func (g *graphStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// Send API attachments may be up to 25 MB.
	body, _ := io.ReadAll(io.LimitReader(r.Body, 26<<20))
	rec := &recordingWriter{ResponseWriter: w, status: http.StatusOK}
	req := g.parse(r, body)
	tokenNote := g.serve(rec, req)
	g.logRequest(start, req, tokenNote, rec)
}

func (g *graphStandIn) parse(r *http.Request, body []byte) *graphRequest {
	req := &graphRequest{r: r, body: body, params: url.Values{}}
	p := r.URL.Path
	if m := versionedPath.FindStringSubmatch(p); m != nil {
		req.version, p = m[1], m[2]
	}
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		if s != "" {
			req.parts = append(req.parts, s)
		}
	}
	for k, v := range r.URL.Query() {
		req.params[k] = v
	}
	if mt, mp, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		mr := multipart.NewReader(bytes.NewReader(body), mp["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(part)
			if part.FileName() != "" || part.FormName() == "filedata" {
				req.upload = &uploadedFile{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Size: len(data)}
				continue
			}
			req.params.Add(part.FormName(), string(data))
		}
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range form {
				req.params[k] = v
			}
		}
	}
	auth := r.Header.Get("Authorization")
	for _, scheme := range []string{"Bearer ", "OAuth "} {
		if strings.HasPrefix(auth, scheme) {
			req.token = strings.TrimSpace(auth[len(scheme):])
		}
	}
	if req.token == "" {
		req.token = req.params.Get("access_token")
	}
	return req
}

// serve answers the request and returns a note on the token for the log.
func (g *graphStandIn) serve(w http.ResponseWriter, req *graphRequest) (tokenNote string) {
	if g.cfg.Latency > 0 {
		select {
		case <-time.After(g.cfg.Latency):
		case <-req.r.Context().Done():
			return "client gone"
		}
	}
	if len(req.parts) > 0 && req.parts[0] == "media" && req.version == "" {
		g.serveMedia(w, req)
		return ""
	}
	if len(req.parts) == 1 && req.parts[0] == "debug_token" {
		g.debugToken(w, req)
		return ""
	}

	switch {
	case req.token == "" && g.cfg.Token != "":
		g.writeRaw(w, req, http.StatusBadRequest, mustBody("send_api_error_token_expired.json"))
		return "token=none (answered 190/463)"
	case req.token == "":
		tokenNote = "token=none"
	case g.cfg.Token != "" && req.token != g.cfg.Token:
		g.writeRaw(w, req, http.StatusBadRequest, mustBody("send_api_error_token_expired.json"))
		return "token=WRONG (answered 190/463)"
	case g.cfg.Token != "":
		tokenNote = "token=ok"
	default:
		tokenNote = "token=given"
	}

	switch {
	case len(req.parts) == 2 && req.parts[1] == "messages" && req.r.Method == http.MethodPost:
		g.sendAPI(w, req)
	case len(req.parts) == 2 && req.parts[1] == "subscribed_apps":
		g.subscribedApps(w, req)
	case len(req.parts) == 1 && req.r.Method == http.MethodGet:
		g.object(w, req)
	default:
		g.writeError(w, req, unsupported(req))
	}
	return tokenNote
}

// unsupported is Graph's answer for an object that does not exist or an edge it does
// not have.
func unsupported(req *graphRequest) graphError {
	return graphError{
		Status: http.StatusBadRequest, Type: "GraphMethodException", Code: 100, Subcode: 33,
		Message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. (The metasim Graph stand-in knows the Send API of --page-id and --ig-id, profiles, the Page, subscribed_apps, debug_token and /media/.)",
			strings.ToLower(req.r.Method), strings.Join(req.parts, "/")),
	}
}

// graphError is Meta's error body: {"error":{message,type,code,error_subcode,...}}.
type graphError struct {
	Status    int    `json:"-"`
	Message   string `json:"message"`
	Type      string `json:"type"`
	Transient bool   `json:"is_transient,omitempty"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode,omitempty"`
	TraceID   string `json:"fbtrace_id"`
}

// paramError is the code-100 error Meta gives for a malformed parameter. The wording of
// these validation messages is the stand-in's; the code is Meta's.
func paramError(format string, args ...any) graphError {
	return graphError{Status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Message: "(#100) " + fmt.Sprintf(format, args...)}
}

func (g *graphStandIn) writeError(w http.ResponseWriter, req *graphRequest, e graphError) {
	if e.Type == "" {
		e.Type = "OAuthException"
	}
	e.TraceID = newTraceID()
	g.writeJSON(w, req, e.Status, map[string]graphError{"error": e})
}

func (g *graphStandIn) writeJSON(w http.ResponseWriter, req *graphRequest, status int, v any) {
	body, err := encodeMeta(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":{"message":"metasim could not encode its answer","type":"OAuthException","code":1}}`)
	}
	g.writeRaw(w, req, status, body)
}

func (g *graphStandIn) writeRaw(w http.ResponseWriter, req *graphRequest, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	version := req.version
	if version == "" {
		version = "v26.0"
	}
	h.Set("facebook-api-version", version)
	h.Set("x-fb-trace-id", newTraceID())
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// The command.

func runGraph(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	cfg := graphConfig{Log: stdout}
	var addr, publicURL string
	fs := newFlagSet("graph", graphHelp, stderr)
	fs.StringVar(&addr, "addr", defaultGraphAddr, "`address` to listen on")
	fs.StringVar(&cfg.Token, "token", "", "Page access `token` to accept; others get the 190/463 expired-token error (default: accept any)")
	fs.StringVar(&cfg.PageID, "page-id", defaultPageID, "Facebook Page `ID`")
	fs.StringVar(&cfg.IGID, "ig-id", defaultIGID, "Instagram professional account `ID`")
	fs.StringVar(&cfg.AppID, "app-id", defaultAppID, "Meta app `ID` (subscribed_apps, debug_token, echoes)")
	fs.StringVar(&cfg.Fail, "fail", "", "answer Send API calls with Meta's `error`: "+strings.Join(failModeNames(), ", "))
	fs.IntVar(&cfg.FailCount, "fail-count", 0, "with --fail, fail only the next `N` sends (0: every send)")
	fs.DurationVar(&cfg.Latency, "latency", 0, "wait this long before every answer (e.g. 300ms)")
	fs.StringVar(&publicURL, "public-url", "", "`URL` the plugin reaches the stand-in at, for media and avatar links (default: http://<addr>)")
	fs.StringVar(&cfg.EchoURL, "echo-url", "", "post a message_echoes webhook for every message sent to this webhook `URL`, as Meta does (off by default)")
	fs.StringVar(&cfg.EchoSecret, "secret", "", "App `secret` to sign echoes with (default: $META_APP_SECRET)")
	fs.BoolVar(&cfg.Unsubscribed, "unsubscribed", false, "start with the app not subscribed to the Page (as after Meta disabled the webhook)")
	positional, err := fs.parse(args)
	if err == nil && len(positional) > 0 {
		err = usageErrorf("graph takes no arguments (got %s)", strings.Join(positional, " "))
	}
	if err == nil && cfg.Fail != "" {
		if _, ok := failModes[cfg.Fail]; !ok {
			err = usageErrorf("unknown --fail %q: use one of %s", cfg.Fail, strings.Join(failModeNames(), ", "))
		}
	}
	if err == nil && (cfg.FailCount < 0 || (cfg.FailCount > 0 && cfg.Fail == "")) {
		err = usageErrorf("--fail-count needs --fail and a count of 0 or more")
	}
	if err == nil && cfg.EchoURL != "" {
		if cfg.EchoSecret == "" {
			cfg.EchoSecret = getenv("META_APP_SECRET")
		}
		if cfg.EchoSecret == "" {
			err = usageErrorf("no App Secret: pass --secret or set META_APP_SECRET (needed to sign --echo-url webhooks)")
		}
	}
	if err != nil {
		return fs.exit(err, stdout, stderr)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "metasim: cannot listen on %s: %v\n", addr, rootCause(err))
		return exitFailure
	}
	if publicURL == "" {
		publicURL = "http://" + reachableAddr(ln.Addr().(*net.TCPAddr))
	}
	cfg.PublicURL = publicURL
	handler := newGraphHandler(cfg)
	printGraphBanner(stdout, cfg)

	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintln(stderr, "metasim:", err)
		return exitFailure
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	handler.waitEchoes()
	fmt.Fprintln(stdout, "stopped")
	return exitOK
}

// reachableAddr is a listening address as a client can dial it: a wildcard listener
// (":8787", "0.0.0.0:8787") is reachable on the loopback address.
func reachableAddr(a *net.TCPAddr) string {
	if a.IP == nil || a.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port))
	}
	return a.String()
}

func printGraphBanner(w io.Writer, cfg graphConfig) {
	fmt.Fprintf(w, "Graph API stand-in on %s\n", cfg.PublicURL)
	fmt.Fprintf(w, "  Plugin setting: System Console > Plugins > Social Inbox > Graph API base URL = %s\n", cfg.PublicURL)
	fmt.Fprintf(w, "  Page %s, Instagram account %s, app %s\n", cfg.PageID, cfg.IGID, cfg.AppID)
	if cfg.Token != "" {
		fmt.Fprintln(w, "  Access token: checked against --token (a mismatch answers 190/463)")
	} else {
		fmt.Fprintln(w, "  Access token: any (pass --token to check it)")
	}
	switch {
	case cfg.Fail != "" && cfg.FailCount > 0:
		fmt.Fprintf(w, "  Send API: the next %d send(s) fail with %s, then sends succeed\n", cfg.FailCount, cfg.Fail)
	case cfg.Fail != "":
		fmt.Fprintf(w, "  Send API: every send fails with %s\n", cfg.Fail)
	}
	if cfg.Latency > 0 {
		fmt.Fprintf(w, "  Latency: %s per request\n", cfg.Latency)
	}
	if cfg.EchoURL != "" {
		fmt.Fprintf(w, "  Echoes: every message sent is echoed to %s\n", cfg.EchoURL)
	}
	if cfg.Unsubscribed {
		fmt.Fprintln(w, "  subscribed_apps: the app starts unsubscribed from the Page")
	}
	fmt.Fprintf(w, "  Media: %s/media/<name>.png\n", cfg.PublicURL)
	fmt.Fprintln(w, "Press Ctrl-C to stop. Requests:")
}
