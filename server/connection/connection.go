// Package connection checks the plugin's Meta connection the way an admin would by
// hand: are the settings filled in, does Meta accept the App Secret and the Page
// token, does the token belong to this app and Page with the permissions the plugin
// needs and how long it lives, can the Page and its Instagram account be read, is the
// app subscribed to the Page's webhook fields, and does Mattermost know the address
// Meta must deliver to. Each answer is a Check with a status, what was found, and what
// to do about it. The package only reads from Meta and never sees Mattermost.
package connection

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
)

// Status is the outcome of one check.
type Status string

// Statuses. A skipped check could not run because something it needs is missing or
// failed; its detail says which.
const (
	StatusPass Status = "pass"
	StatusFail Status = "fail"
	StatusWarn Status = "warn"
	StatusSkip Status = "skip"
)

// Check is one line of the report (docs/inbox-api.md, Check).
type Check struct {
	ID     string `json:"id"`
	Label  string `json:"label"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the whole check, in a fixed order: each check comes after the ones it
// depends on.
type Report struct {
	// OK: no check failed (warnings and skipped optional checks are OK).
	OK bool `json:"ok"`
	// CheckedAt is Unix milliseconds.
	CheckedAt int64   `json:"checked_at"`
	Checks    []Check `json:"checks"`
}

// Check IDs, in report order.
const (
	CheckSettings     = "settings"
	CheckAppSecret    = "app_secret"
	CheckPageToken    = "page_token"
	CheckTokenExpiry  = "token_expiry"
	CheckPage         = "page"
	CheckInstagram    = "instagram"
	CheckSubscription = "subscription"
	CheckWebhookURL   = "webhook_url"
)

// Config is what is checked: the plugin's settings, and where Meta must deliver.
type Config struct {
	AppID              string
	AppSecret          string
	PageID             string
	PageToken          string
	InstagramAccountID string
	// WebhookURL is the callback Meta must be given; "" when Mattermost's Site URL is
	// not set.
	WebhookURL string
	// GraphURL is where the Graph API is called, only to say so when it is unreachable.
	GraphURL string
}

// Graph is what the checks ask Meta (implemented by *graph.Client).
type Graph interface {
	// DebugToken inspects inputToken as the app (appID|appSecret).
	DebugToken(ctx context.Context, appID, appSecret, inputToken string) (graph.TokenInfo, error)
	// Page, InstagramAccount and SubscribedApps use the configured Page token.
	Page(ctx context.Context, pageID string) (graph.Page, error)
	InstagramAccount(ctx context.Context, accountID string) (graph.InstagramAccount, error)
	SubscribedApps(ctx context.Context, pageID string) ([]graph.SubscribedApp, error)
}

// DefaultTimeout bounds the Graph calls of one check, all together.
const DefaultTimeout = 10 * time.Second

// ExpiryWarning is how close to its expiry a token is reported as a warning.
const ExpiryWarning = 7 * 24 * time.Hour

// Checker runs the connection check.
type Checker struct {
	Graph Graph
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Timeout bounds the Graph calls; DefaultTimeout when 0.
	Timeout time.Duration
}

// Permissions the Page token needs (fact sheet section 9).
var (
	// scopesPage: pages_messaging to send, pages_manage_metadata to subscribe the
	// webhooks and read the subscription.
	scopesPage = []string{"pages_messaging", "pages_manage_metadata"}
	// scopesInstagram: Instagram messaging through the Page (Facebook Login).
	scopesInstagram = []string{"instagram_manage_messages"}
)

// Webhook fields the app must be subscribed to on the Page (README, Connect Meta).
// Without a core field whole kinds of leads or replies are lost; without an extra field
// only reactions, receipts and edits are.
var (
	coreFields  = []string{"messages", "message_echoes", "messaging_postbacks", "messaging_referrals", "standby", "feed"}
	extraFields = []string{"message_reactions", "message_reads", "message_deliveries", "message_edits"}
)

// SubscribedFields is every Page field the plugin uses, in the order of the README's
// subscribe call.
func SubscribedFields() []string {
	return []string{
		"messages", "message_echoes", "messaging_postbacks", "messaging_referrals", "message_reactions",
		"message_reads", "message_deliveries", "message_edits", "standby", "feed",
	}
}

// answers holds what Meta said; a call that was not made has ran false.
type answers struct {
	tokenRan bool
	token    graph.TokenInfo
	tokenErr error

	pageRan bool
	page    graph.Page
	pageErr error

	igRan bool
	ig    graph.InstagramAccount
	igErr error

	appsRan bool
	apps    []graph.SubscribedApp
	appsErr error
}

// Run checks cfg. The Graph calls do not depend on each other, so they run at once,
// under one timeout; the checks are then derived from their answers in order. A
// failure of the Graph API itself (unreachable, timeout, Meta's temporary errors) shows
// as failing checks that say so: the report always comes back.
func (c *Checker) Run(ctx context.Context, cfg Config) Report {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cfg = trimmed(cfg)
	a := c.ask(ctx, cfg, timeout)
	e := evaluator{cfg: cfg, a: a, now: now(), timeout: timeout}

	checks := []Check{
		e.settings(),
		e.appSecret(),
		e.pageToken(),
		e.tokenExpiry(),
		e.pageCheck(),
		e.instagram(),
		e.subscription(),
		e.webhookURL(),
	}
	r := Report{OK: true, CheckedAt: e.now.UnixMilli(), Checks: make([]Check, 0, len(checks))}
	for _, ch := range checks {
		if ch.Status == StatusFail {
			r.OK = false
		}
		r.Checks = append(r.Checks, redactCheck(ch, cfg))
	}
	return r
}

func trimmed(cfg Config) Config {
	for _, s := range []*string{&cfg.AppID, &cfg.AppSecret, &cfg.PageID, &cfg.PageToken, &cfg.InstagramAccountID} {
		*s = strings.TrimSpace(*s)
	}
	return cfg
}

// ask makes the Graph calls whose settings are present, concurrently.
func (c *Checker) ask(ctx context.Context, cfg Config, timeout time.Duration) answers {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var a answers
	var wg sync.WaitGroup
	run := func(ran *bool, call func()) {
		*ran = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			call()
		}()
	}
	if cfg.AppID != "" && cfg.AppSecret != "" && cfg.PageToken != "" {
		run(&a.tokenRan, func() { a.token, a.tokenErr = c.Graph.DebugToken(ctx, cfg.AppID, cfg.AppSecret, cfg.PageToken) })
	}
	if cfg.PageID != "" && cfg.PageToken != "" {
		run(&a.pageRan, func() { a.page, a.pageErr = c.Graph.Page(ctx, cfg.PageID) })
		run(&a.appsRan, func() { a.apps, a.appsErr = c.Graph.SubscribedApps(ctx, cfg.PageID) })
	}
	if cfg.InstagramAccountID != "" && cfg.PageToken != "" {
		run(&a.igRan, func() { a.ig, a.igErr = c.Graph.InstagramAccount(ctx, cfg.InstagramAccountID) })
	}
	wg.Wait()
	return a
}

// redactCheck is the last guard of invariant 9: whatever Meta or a setting put into the
// text, the App Secret and the Page token never leave in a report.
func redactCheck(ch Check, cfg Config) Check {
	secrets := []string{cfg.AppSecret, cfg.PageToken}
	if cfg.AppSecret != "" {
		secrets = append([]string{cfg.AppID + "|" + cfg.AppSecret}, secrets...)
	}
	for _, s := range []*string{&ch.Label, &ch.Detail, &ch.Fix} {
		for _, secret := range secrets {
			if len(secret) >= 4 {
				*s = strings.ReplaceAll(*s, secret, "[redacted]")
			}
		}
	}
	return ch
}
