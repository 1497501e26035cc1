package connection

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
)

// The business of the shared Meta samples, and made-up secrets.
const (
	appID      = "1438265907712354"
	appSecret  = "5ecretAppSecret0f1438265907"
	pageID     = "108245671983342"
	pageToken  = "EAAUtestPageTokenQ9xZk81mWvT"
	igID       = "17841459302718465"
	webhookURL = "https://mm.example.com/plugins/social-inbox/webhook/meta"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// fakeGraph answers the checker's calls with canned values and records them.
type fakeGraph struct {
	token    graph.TokenInfo
	tokenErr error
	page     graph.Page
	pageErr  error
	ig       graph.InstagramAccount
	igErr    error
	apps     []graph.SubscribedApp
	appsErr  error
	// wait, when set, runs at the start of every call (to block or meet the others).
	wait func(ctx context.Context) error

	mu    sync.Mutex
	calls []string
	debug [3]string // appID, appSecret, inputToken of DebugToken
}

func (f *fakeGraph) record(call string, ctx context.Context) error {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if f.wait != nil {
		return f.wait(ctx)
	}
	return nil
}

func (f *fakeGraph) DebugToken(ctx context.Context, id, secret, input string) (graph.TokenInfo, error) {
	f.mu.Lock()
	f.debug = [3]string{id, secret, input}
	f.mu.Unlock()
	if err := f.record("debug_token", ctx); err != nil {
		return graph.TokenInfo{}, err
	}
	return f.token, f.tokenErr
}

func (f *fakeGraph) Page(ctx context.Context, id string) (graph.Page, error) {
	if err := f.record("page "+id, ctx); err != nil {
		return graph.Page{}, err
	}
	return f.page, f.pageErr
}

func (f *fakeGraph) InstagramAccount(ctx context.Context, id string) (graph.InstagramAccount, error) {
	if err := f.record("instagram "+id, ctx); err != nil {
		return graph.InstagramAccount{}, err
	}
	return f.ig, f.igErr
}

func (f *fakeGraph) SubscribedApps(ctx context.Context, id string) ([]graph.SubscribedApp, error) {
	if err := f.record("subscribed_apps "+id, ctx); err != nil {
		return nil, err
	}
	return f.apps, f.appsErr
}

func (f *fakeGraph) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// healthy is a fake Graph for a connection where everything is right.
func healthy() *fakeGraph {
	return &fakeGraph{
		token: graph.TokenInfo{
			Valid: true, AppID: appID, Application: "Social Inbox", Type: "PAGE", ProfileID: pageID,
			UserID: "10229384756102938", IssuedAt: now.Add(-30 * 24 * time.Hour),
			Scopes: []string{"pages_show_list", "pages_messaging", "pages_manage_metadata", "pages_read_engagement",
				"instagram_basic", "instagram_manage_messages", "public_profile"},
			GranularScopes: []graph.GranularScope{
				{Scope: "pages_messaging", TargetIDs: []string{pageID}},
				{Scope: "pages_manage_metadata", TargetIDs: []string{pageID}},
				{Scope: "instagram_manage_messages", TargetIDs: []string{igID}},
			},
		},
		page: graph.Page{ID: pageID, Name: "Treasure Valley Pools & Spas", InstagramAccountID: igID},
		ig:   graph.InstagramAccount{ID: igID, Username: "tv_pools_spas"},
		apps: []graph.SubscribedApp{{ID: appID, Name: "Social Inbox", SubscribedFields: SubscribedFields()}},
	}
}

func goodConfig() Config {
	return Config{
		AppID: appID, AppSecret: appSecret, PageID: pageID, PageToken: pageToken,
		InstagramAccountID: igID, WebhookURL: webhookURL, GraphURL: "https://graph.facebook.com",
	}
}

func run(t *testing.T, g *fakeGraph, cfg Config) Report {
	t.Helper()
	c := &Checker{Graph: g, Now: func() time.Time { return now }, Timeout: 2 * time.Second}
	return c.Run(context.Background(), cfg)
}

// statuses renders the report as "id=status" in order, which reads as the spec.
func statuses(r Report) string {
	parts := make([]string, 0, len(r.Checks))
	for _, c := range r.Checks {
		parts = append(parts, c.ID+"="+string(c.Status))
	}
	return strings.Join(parts, " ")
}

func check(t *testing.T, r Report, id string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s in %s", id, statuses(r))
	return Check{}
}

func metaErr(status, code, subcode int, msg string) *graph.Error {
	return &graph.Error{HTTPStatus: status, Message: msg, Type: "OAuthException", Code: code, Subcode: subcode, FBTraceID: "AbC12dEfGh"}
}

func wrapped(err error, what string) error { return errors.Wrap(err, what) }

var refused = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}

func TestChecks(t *testing.T) {
	type tc struct {
		name  string
		cfg   func(*Config)
		graph func(*fakeGraph)
		// want is every check's status in report order.
		want string
		ok   bool
		// detail and fix: substrings expected in the named checks.
		detail map[string][]string
		fix    map[string][]string
	}
	const allPass = "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass"
	cases := []tc{
		{
			name: "everything right passes",
			want: allPass, ok: true,
			detail: map[string][]string{
				CheckAppSecret:    {"“Social Inbox” (" + appID + ")"},
				CheckPageToken:    {"pages_messaging, pages_manage_metadata, instagram_manage_messages"},
				CheckTokenExpiry:  {"never expires"},
				CheckPage:         {"“Treasure Valley Pools & Spas” (" + pageID + ")"},
				CheckInstagram:    {"@tv_pools_spas (" + igID + ")", "Connected tools"},
				CheckSubscription: {"every field", "Instagram webhook fields"},
				CheckWebhookURL:   {webhookURL},
			},
		},
		{
			name: "without Instagram the Instagram check is skipped and its permission not needed",
			cfg:  func(c *Config) { c.InstagramAccountID = "" },
			graph: func(g *fakeGraph) {
				g.token.Scopes = []string{"pages_messaging", "pages_manage_metadata"}
				g.page.InstagramAccountID = ""
			},
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=skip subscription=pass webhook_url=pass",
			ok:     true,
			detail: map[string][]string{CheckInstagram: {"no Instagram account ID is set"}},
		},
		{
			name: "missing settings skip everything that needs them",
			cfg:  func(c *Config) { c.AppSecret, c.PageToken = "", "" },
			want: "settings=fail app_secret=skip page_token=skip token_expiry=skip page=skip instagram=skip subscription=skip webhook_url=pass",
			detail: map[string][]string{
				CheckSettings:  {"Not set: Meta App Secret, Page access token."},
				CheckAppSecret: {"Skipped: the Meta App ID or App Secret is not set"},
				CheckPageToken: {"Skipped: no Page access token is set"},
				CheckPage:      {"Skipped:"},
			},
			fix: map[string][]string{CheckSettings: {"System Console > Plugins > Social Inbox"}},
		},
		{
			name:  "an @username instead of the Instagram account ID",
			cfg:   func(c *Config) { c.InstagramAccountID = "@tv_pools_spas" },
			graph: func(g *fakeGraph) { g.page.InstagramAccountID = igID },
			want:  "settings=fail app_secret=pass page_token=fail token_expiry=pass page=pass instagram=fail subscription=pass webhook_url=pass",
			detail: map[string][]string{
				CheckSettings:  {"Not a numeric ID: Instagram account ID"},
				CheckPageToken: {"instagram_manage_messages (granted for other accounts only)"},
				CheckInstagram: {"not to @tv_pools_spas"},
			},
		},
		{
			name: "a wrong App Secret fails and leaves the token uninspected",
			graph: func(g *fakeGraph) {
				g.tokenErr = wrapped(metaErr(400, 190, 0, "Invalid OAuth access token signature."), "inspect")
			},
			want: "settings=pass app_secret=fail page_token=skip token_expiry=skip page=pass instagram=pass subscription=pass webhook_url=pass",
			detail: map[string][]string{
				CheckAppSecret:   {"Meta refused the App ID and App Secret pair", "“Invalid OAuth access token signature” (error 190, trace AbC12dEfGh)", "refuses everything Meta sends"},
				CheckPageToken:   {"App Secret check failed"},
				CheckTokenExpiry: {"App Secret check failed"},
			},
			fix: map[string][]string{CheckAppSecret: {"App Dashboard > App settings > Basic"}},
		},
		{
			name: "a Page token of another app",
			graph: func(g *fakeGraph) {
				g.tokenErr = metaErr(400, 100, 0, "(#100) The App_id in the input_token did not match the Viewing App")
			},
			want: "settings=pass app_secret=pass page_token=fail token_expiry=skip page=pass instagram=pass subscription=pass webhook_url=pass",
			detail: map[string][]string{
				CheckPageToken:   {"different Meta app than app " + appID},
				CheckTokenExpiry: {"another app"},
			},
			fix: map[string][]string{CheckPageToken: {"Generate the Page token with app " + appID}},
		},
		{
			name: "an expired token fails, and the calls made with it are skipped",
			graph: func(g *fakeGraph) {
				g.token.Valid = false
				g.token.ExpiresAt = now.Add(-2 * time.Hour)
				g.token.Scopes = nil
				g.token.Problem = &graph.TokenProblem{Code: 190, Subcode: 463, Message: "Error validating access token: Session has expired on Sunday, 22-Nov-26 02:00:00 PST."}
				g.pageErr = metaErr(400, 190, 463, "Error validating access token: Session has expired")
			},
			want: "settings=pass app_secret=pass page_token=fail token_expiry=fail page=skip instagram=skip subscription=skip webhook_url=pass",
			detail: map[string][]string{
				CheckPageToken:    {"not valid: It has expired", "error 190/463"},
				CheckTokenExpiry:  {"expired on 22 Nov 2026 10:00 UTC"},
				CheckPage:         {"not valid"},
				CheckSubscription: {"not valid"},
			},
			fix: map[string][]string{CheckPageToken: {"GET /me/accounts"}, CheckTokenExpiry: {"does not expire"}},
		},
		{
			name: "a revoked token that has not expired",
			graph: func(g *fakeGraph) {
				g.token.Valid = false
				g.token.Problem = &graph.TokenProblem{Code: 190, Subcode: 460, Message: "The session has been invalidated because the user changed their password."}
			},
			want:   "settings=pass app_secret=pass page_token=fail token_expiry=skip page=skip instagram=skip subscription=skip webhook_url=pass",
			detail: map[string][]string{CheckPageToken: {"changed their password", "error 190/460"}, CheckTokenExpiry: {"not valid"}},
		},
		{
			name: "a user token instead of a Page token",
			graph: func(g *fakeGraph) {
				g.token.Type, g.token.ProfileID = "USER", ""
			},
			want:   "settings=pass app_secret=pass page_token=fail token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckPageToken: {"It is a user token, not a Page token"}},
			fix:    map[string][]string{CheckPageToken: {"GET /me/accounts", "access_token of Page " + pageID}},
		},
		{
			name:   "the token of another Page",
			graph:  func(g *fakeGraph) { g.token.ProfileID = "112233445566778" },
			want:   "settings=pass app_secret=pass page_token=fail token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckPageToken: {"belongs to Page 112233445566778, not Page " + pageID}},
		},
		{
			name:   "a token issued for another app (debug_token through a developer)",
			graph:  func(g *fakeGraph) { g.token.AppID = "999000111222333" },
			want:   "settings=pass app_secret=pass page_token=fail token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckPageToken: {"issued for app 999000111222333, not app " + appID}},
		},
		{
			name: "missing permissions are named",
			graph: func(g *fakeGraph) {
				g.token.Scopes = []string{"pages_show_list", "pages_messaging", "instagram_basic"}
			},
			want:   "settings=pass app_secret=pass page_token=fail token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckPageToken: {"Missing permissions: pages_manage_metadata, instagram_manage_messages."}},
			fix:    map[string][]string{CheckPageToken: {"grants pages_manage_metadata, instagram_manage_messages", "App Review"}},
		},
		{
			name: "a permission granted for other Pages only",
			graph: func(g *fakeGraph) {
				g.token.GranularScopes[0].TargetIDs = []string{"112233445566778"}
			},
			want:   "settings=pass app_secret=pass page_token=fail token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckPageToken: {"pages_messaging (granted for other accounts only)"}},
		},
		{
			name:   "a token expiring within 7 days warns",
			graph:  func(g *fakeGraph) { g.token.ExpiresAt = now.Add(3*24*time.Hour + time.Hour) },
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=warn page=pass instagram=pass subscription=pass webhook_url=pass",
			ok:     true,
			detail: map[string][]string{CheckTokenExpiry: {"expires on 25 Nov 2026 13:00 UTC (in 3 days)"}},
			fix:    map[string][]string{CheckTokenExpiry: {"does not expire"}},
		},
		{
			name:   "a token expiring tomorrow says hours",
			graph:  func(g *fakeGraph) { g.token.ExpiresAt = now.Add(20 * time.Hour) },
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=warn page=pass instagram=pass subscription=pass webhook_url=pass",
			ok:     true,
			detail: map[string][]string{CheckTokenExpiry: {"in 20 hours"}},
		},
		{
			name:   "a token expiring in 50 days passes with its date",
			graph:  func(g *fakeGraph) { g.token.ExpiresAt = now.Add(50 * 24 * time.Hour) },
			want:   allPass,
			ok:     true,
			detail: map[string][]string{CheckTokenExpiry: {"expires on 11 Jan 2027 12:00 UTC (in 50 days)", "never expires saves"}},
		},
		{
			name: "an unknown Page ID",
			graph: func(g *fakeGraph) {
				g.pageErr = wrapped(metaErr(400, 100, 33, "Unsupported get request. Object with ID '108245671983342' does not exist, cannot be loaded due to missing permissions, or does not support this operation."), "read the Page")
			},
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=fail instagram=skip subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckPage: {"could not find the object", "error 100/33"}, CheckInstagram: {"Page could not be read"}},
			fix:    map[string][]string{CheckPage: {"Page transparency"}},
		},
		{
			name:   "a Page without a linked Instagram account",
			graph:  func(g *fakeGraph) { g.page.InstagramAccountID = "" },
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=fail subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckInstagram: {"no Instagram professional account linked to the Page"}},
			fix:    map[string][]string{CheckInstagram: {"Meta Business Suite"}},
		},
		{
			name:   "a Page linked to another Instagram account",
			graph:  func(g *fakeGraph) { g.page.InstagramAccountID = "17841400000000001" },
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=fail subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckInstagram: {"linked to Instagram account 17841400000000001, not to " + igID}},
			fix:    map[string][]string{CheckInstagram: {"Set Instagram account ID to 17841400000000001"}},
		},
		{
			name: "an Instagram account whose API access is broken",
			graph: func(g *fakeGraph) {
				g.igErr = metaErr(400, 10, 2534077, "(#10) The Instagram account is not linked properly")
			},
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=fail subscription=pass webhook_url=pass",
			detail: map[string][]string{CheckInstagram: {"error 10/2534077"}},
			fix:    map[string][]string{CheckInstagram: {"Connected tools"}},
		},
		{
			name: "an app not subscribed to the Page",
			graph: func(g *fakeGraph) {
				g.apps = []graph.SubscribedApp{{ID: "263902037430900", Name: "Page Inbox", SubscribedFields: []string{"messages"}}}
			},
			want: "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=fail webhook_url=pass",
			detail: map[string][]string{CheckSubscription: {
				"App " + appID + " is not subscribed", "an hour of failed deliveries", "Subscribed apps: Page Inbox (263902037430900).",
			}},
			fix: map[string][]string{CheckSubscription: {
				"POST /" + pageID + "/subscribed_apps?subscribed_fields=messages,message_echoes,messaging_postbacks,messaging_referrals,message_reactions,message_reads,message_deliveries,message_edits,standby,feed",
				"Messenger API Settings > Webhooks",
			}},
		},
		{
			name: "a subscription without feed and reads fails and names both",
			graph: func(g *fakeGraph) {
				g.apps[0].SubscribedFields = []string{"messages", "message_echoes", "messaging_postbacks", "messaging_referrals", "message_reactions", "message_deliveries", "message_edits", "standby"}
			},
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=fail webhook_url=pass",
			detail: map[string][]string{CheckSubscription: {"not to feed, so these never arrive: comments on the Page's posts.", "Also missing: message_reads."}},
		},
		{
			name: "a subscription without receipts only warns",
			graph: func(g *fakeGraph) {
				g.apps[0].SubscribedFields = []string{"messages", "message_echoes", "messaging_postbacks", "messaging_referrals", "standby", "feed"}
			},
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=warn webhook_url=pass",
			ok:     true,
			detail: map[string][]string{CheckSubscription: {"not to message_reactions, message_reads, message_deliveries, message_edits"}},
		},
		{
			name: "reading the subscription needs pages_manage_metadata",
			graph: func(g *fakeGraph) {
				g.appsErr = metaErr(403, 200, 0, "(#200) Requires pages_manage_metadata permission to manage the object")
			},
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=fail webhook_url=pass",
			detail: map[string][]string{CheckSubscription: {"lacks a permission", "error 200"}},
			fix:    map[string][]string{CheckSubscription: {"pages_manage_metadata"}},
		},
		{
			name:   "no Site URL",
			cfg:    func(c *Config) { c.WebhookURL = "" },
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=fail",
			detail: map[string][]string{CheckWebhookURL: {"Site URL is not set"}},
			fix:    map[string][]string{CheckWebhookURL: {"Environment > Web Server > Site URL", "/plugins/social-inbox/webhook/meta"}},
		},
		{
			name:   "an http Site URL warns",
			cfg:    func(c *Config) { c.WebhookURL = "http://localhost:8065/plugins/social-inbox/webhook/meta" },
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=warn",
			ok:     true,
			detail: map[string][]string{CheckWebhookURL: {"only delivers to https"}},
		},
		{
			name: "a Graph outage fails every call with what happened",
			graph: func(g *fakeGraph) {
				g.tokenErr = wrapped(refused, "inspect the access token")
				g.pageErr = wrapped(refused, "read the Page")
				g.igErr = wrapped(refused, "read the Instagram account")
				g.appsErr = wrapped(refused, "list")
			},
			want: "settings=pass app_secret=fail page_token=skip token_expiry=skip page=fail instagram=skip subscription=fail webhook_url=pass",
			detail: map[string][]string{
				CheckAppSecret:    {"The Graph API (https://graph.facebook.com) could not be reached while checking the App Secret", "connection refused"},
				CheckPage:         {"could not be reached while reading the Page"},
				CheckSubscription: {"could not be reached"},
			},
			fix: map[string][]string{CheckPage: {"proxy, firewall"}},
		},
		{
			name: "Meta's temporary errors say so",
			graph: func(g *fakeGraph) {
				tmp := metaErr(500, 2, 0, "An unexpected error has occurred. Please retry your request later.")
				g.tokenErr, g.pageErr, g.igErr, g.appsErr = tmp, tmp, tmp, tmp
			},
			want:   "settings=pass app_secret=fail page_token=skip token_expiry=skip page=fail instagram=skip subscription=fail webhook_url=pass",
			detail: map[string][]string{CheckPage: {"Meta had a problem while reading the Page", "error 2"}},
			fix:    map[string][]string{CheckPage: {"Try again in a few minutes"}},
		},
		{
			name: "throttling says wait",
			graph: func(g *fakeGraph) {
				g.appsErr = metaErr(400, 4, 0, "(#4) Application request limit reached")
			},
			want:   "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=fail webhook_url=pass",
			detail: map[string][]string{CheckSubscription: {"rate limiting"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := healthy()
			if c.graph != nil {
				c.graph(g)
			}
			cfg := goodConfig()
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			r := run(t, g, cfg)
			require.Equal(t, c.want, statuses(r))
			require.Equal(t, c.ok, r.OK)
			require.Equal(t, now.UnixMilli(), r.CheckedAt)
			for id, subs := range c.detail {
				for _, s := range subs {
					require.Contains(t, check(t, r, id).Detail, s, id)
				}
			}
			for id, subs := range c.fix {
				for _, s := range subs {
					require.Contains(t, check(t, r, id).Fix, s, id)
				}
			}
			for _, ch := range r.Checks {
				require.NotEmpty(t, ch.Label)
				require.NotEmpty(t, ch.Detail, ch.ID)
				switch ch.Status {
				case StatusFail, StatusWarn:
					require.NotEmpty(t, ch.Fix, "a %s check says what to do: %s", ch.Status, ch.ID)
				case StatusSkip:
					require.True(t, strings.HasPrefix(ch.Detail, "Skipped: "), "a skipped check says why: %s", ch.Detail)
				}
			}
			requireNoSecrets(t, r, cfg)
		})
	}
}

func requireNoSecrets(t *testing.T, r Report, cfg Config) {
	t.Helper()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	for _, s := range []string{cfg.AppSecret, cfg.PageToken} {
		if s != "" {
			require.NotContains(t, string(b), s)
		}
	}
}

func TestChecksAskMetaOnlyWhatIsConfigured(t *testing.T) {
	g := healthy()
	r := run(t, g, goodConfig())
	require.True(t, r.OK)
	require.ElementsMatch(t, []string{"debug_token", "page " + pageID, "instagram " + igID, "subscribed_apps " + pageID}, g.calls)
	require.Equal(t, [3]string{appID, appSecret, pageToken}, g.debug, "debug_token inspects the Page token as the app")

	g = healthy()
	cfg := goodConfig()
	cfg.InstagramAccountID = ""
	cfg.AppSecret = ""
	run(t, g, cfg)
	require.ElementsMatch(t, []string{"page " + pageID, "subscribed_apps " + pageID}, g.calls)

	g = healthy()
	run(t, g, Config{WebhookURL: webhookURL})
	require.Zero(t, g.callCount(), "nothing configured, nothing asked")
}

func TestChecksTrimSettings(t *testing.T) {
	g := healthy()
	cfg := goodConfig()
	cfg.PageID = " " + pageID + "\n"
	cfg.PageToken = pageToken + " "
	r := run(t, g, cfg)
	require.True(t, r.OK, statuses(r))
	require.Equal(t, pageToken, g.debug[2])
}

// The four Graph calls are independent: each waits here until all four are under way,
// which only happens if they run at once.
func TestGraphCallsRunConcurrently(t *testing.T) {
	g := healthy()
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{})
	g.wait = func(ctx context.Context) error {
		mu.Lock()
		arrived++
		if arrived == 4 {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r := run(t, g, goodConfig())
	require.Equal(t, "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass", statuses(r))
}

// One timeout bounds every call; a Graph API that never answers gives a report that
// says so, in about the timeout.
func TestGraphTimeout(t *testing.T) {
	g := healthy()
	g.wait = func(ctx context.Context) error {
		<-ctx.Done()
		return wrapped(ctx.Err(), "call graph API")
	}
	c := &Checker{Graph: g, Now: func() time.Time { return now }, Timeout: 150 * time.Millisecond}
	start := time.Now()
	r := c.Run(context.Background(), goodConfig())
	require.Less(t, time.Since(start), 2*time.Second)
	require.Equal(t, "settings=pass app_secret=fail page_token=skip token_expiry=skip page=fail instagram=skip subscription=fail webhook_url=pass", statuses(r))
	require.Contains(t, check(t, r, CheckPage).Detail, "Meta did not answer within 150ms while reading the Page")
	require.False(t, r.OK)
}

func TestDefaultTimeoutIsTenSeconds(t *testing.T) {
	g := healthy()
	var deadline time.Time
	g.wait = func(ctx context.Context) error {
		d, _ := ctx.Deadline()
		g.mu.Lock()
		deadline = d
		g.mu.Unlock()
		return nil
	}
	start := time.Now()
	(&Checker{Graph: g}).Run(context.Background(), goodConfig())
	g.mu.Lock()
	defer g.mu.Unlock()
	require.WithinDuration(t, start.Add(DefaultTimeout), deadline, time.Second)
}

// Whatever Meta echoes, neither the App Secret nor the Page token reaches the report.
func TestReportNeverCarriesSecrets(t *testing.T) {
	g := healthy()
	g.tokenErr = metaErr(400, 190, 0, "Invalid OAuth access token signature for "+appID+"|"+appSecret)
	g.pageErr = metaErr(400, 190, 0, "Malformed access token "+pageToken)
	g.token.Problem = &graph.TokenProblem{Code: 190, Message: pageToken}
	r := run(t, g, goodConfig())
	requireNoSecrets(t, r, goodConfig())
	require.Contains(t, check(t, r, CheckPage).Detail, "[redacted]")
}
