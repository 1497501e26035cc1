package main

import (
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/connection"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
)

// connectionWebhookPath is where Meta delivers, below the Site URL (the server strips
// the /plugins/<id> prefix before ServeHTTP, which routes /webhook/meta).
const connectionWebhookPath = "/plugins/" + manifestID + "/webhook/meta"

// connectionCheckHTTPTimeout bounds one Graph request of the check; the check as a
// whole is bounded by connection.DefaultTimeout.
const connectionCheckHTTPTimeout = 15 * time.Second

// initConnectionRoutes mounts the System Console connection routes (docs/inbox-api.md)
// on the authenticated API. Both are for system admins only.
func (p *Plugin) initConnectionRoutes(api *mux.Router) {
	api.HandleFunc("/connection", p.requireAdminSaying(connectionRefusal, p.handleGetConnection)).Methods(http.MethodGet)
	api.HandleFunc("/connection/check", p.requireAdminSaying(connectionRefusal, p.handleCheckConnection)).Methods(http.MethodPost)
}

// connectionInfo is what the admin pastes into Meta's webhook setup.
type connectionInfo struct {
	WebhookURL  string `json:"webhook_url"`
	VerifyToken string `json:"verify_token"`
	SiteURLSet  bool   `json:"site_url_set"`
}

// connectionRefusal tells a non-admin where the connection check lives.
const connectionRefusal = "Only system admins can see or test the Meta connection. Ask a system admin to open System Console > Plugins > Social Inbox."

// handleGetConnection answers the webhook URL and the verify token. The verify token is
// shown to system admins on purpose: they must paste it into Meta's webhook setup, and
// the System Console shows them the same setting. It only proves to the plugin that a
// verification handshake comes from the app's own setup; deliveries are authenticated
// by the App Secret's signature, and neither the App Secret nor the Page token is ever
// returned. no-store keeps the token out of browser and proxy caches.
func (p *Plugin) handleGetConnection(w http.ResponseWriter, _ *http.Request) {
	siteURL := p.connectionSiteURL()
	w.Header().Set("Cache-Control", "no-store")
	respondJSON(w, http.StatusOK, connectionInfo{
		WebhookURL:  siteURL + connectionWebhookPath,
		VerifyToken: p.getConfiguration().WebhookVerifyToken,
		SiteURLSet:  siteURL != "",
	})
}

// handleCheckConnection runs the connection check against the saved settings. It
// always answers 200 with the report: an unreachable Graph API is a failing check that
// says so, not an HTTP error.
func (p *Plugin) handleCheckConnection(w http.ResponseWriter, r *http.Request) {
	// Secrets come from the plugin's own configuration (LoadPluginConfiguration); the
	// server's GetConfig would return them masked. One snapshot serves every call, so a
	// save during the check cannot mix two configurations.
	cfg := p.getConfiguration()
	httpClient := p.httpClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: connectionCheckHTTPTimeout}
	}
	client := graph.New(httpClient, func() graph.Settings { return cfg.graphSettings() })
	checker := &connection.Checker{Graph: client, Now: p.now}

	graphURL := strings.TrimRight(cfg.GraphAPIBaseURL, "/")
	if graphURL == "" {
		graphURL = graph.DefaultBaseURL
	}
	webhookURL := ""
	if siteURL := p.connectionSiteURL(); siteURL != "" {
		webhookURL = siteURL + connectionWebhookPath
	}
	report := checker.Run(r.Context(), connection.Config{
		AppID:              cfg.MetaAppID,
		AppSecret:          cfg.MetaAppSecret,
		PageID:             cfg.PageID,
		PageToken:          cfg.PageAccessToken,
		InstagramAccountID: cfg.InstagramAccountID,
		WebhookURL:         webhookURL,
		GraphURL:           graphURL,
	})

	var failed []string
	for _, c := range report.Checks {
		if c.Status == connection.StatusFail {
			failed = append(failed, c.ID)
		}
	}
	p.API.LogInfo("Meta connection checked", "user_id", r.Header.Get("Mattermost-User-Id"), "ok", report.OK, "failed", strings.Join(failed, ","))

	w.Header().Set("Cache-Control", "no-store")
	respondJSON(w, http.StatusOK, report)
}

// connectionSiteURL is Mattermost's Site URL without a trailing slash, "" when not set.
// It is not a secret, so the server configuration is the place to read it.
func (p *Plugin) connectionSiteURL() string {
	cfg := p.API.GetConfig()
	if cfg == nil || cfg.ServiceSettings.SiteURL == nil {
		return ""
	}
	return strings.TrimRight(strings.TrimSpace(*cfg.ServiceSettings.SiteURL), "/")
}
