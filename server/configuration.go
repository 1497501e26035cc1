package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
)

// configuration is the plugin's System Console settings (plugin.json settings_schema).
// Read it through getConfiguration and never mutate it: a new configuration replaces
// the old one whole.
type configuration struct {
	MetaAppID           string
	MetaAppSecret       string
	InstagramAppSecret  string
	WebhookVerifyToken  string
	PageID              string
	PageAccessToken     string
	InstagramAccountID  string
	GraphAPIBaseURL     string
	GraphAPIVersion     string
	TeamName            string
	QueueChannelName    string
	EnableHumanAgentTag bool
	// Alert thresholds in minutes; 0 turns an alert off.
	UnansweredAlertMinutes int
	WindowWarningMinutes   int
	// ArchiveClosedAfterHours archives a closed lead's channel after this long; 0 never.
	ArchiveClosedAfterHours int
}

// Clone returns a copy (the struct holds only values).
func (c *configuration) Clone() *configuration {
	clone := *c
	return &clone
}

var (
	graphVersionPattern = regexp.MustCompile(`^v\d+\.\d+$`)
	numericIDPattern    = regexp.MustCompile(`^\d+$`)
	channelNamePattern  = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)
)

// defaultQueueChannel is used when QueueChannelName is empty.
const defaultQueueChannel = "social-inbox-queue"

func (c *configuration) queueChannelName() string {
	if c.QueueChannelName == "" {
		return defaultQueueChannel
	}
	return c.QueueChannelName
}

func (c *configuration) graphSettings() graph.Settings {
	return graph.Settings{BaseURL: c.GraphAPIBaseURL, Version: c.GraphAPIVersion, Token: c.PageAccessToken}
}

func (c *configuration) intakeConfig() intake.Config {
	return intake.Config{PageID: c.PageID, InstagramAccountID: c.InstagramAccountID, AppID: c.MetaAppID}
}

// webhookSecrets are the secrets a webhook signature may be made with.
func (c *configuration) webhookSecrets() []string {
	return []string{c.MetaAppSecret, c.InstagramAppSecret}
}

// Problems lists what is wrong or missing, in words an admin can act on. The plugin
// keeps running with problems: the webhook refuses what it cannot handle safely.
func (c *configuration) Problems() []string {
	var out []string
	if c.MetaAppSecret == "" && c.InstagramAppSecret == "" {
		out = append(out, "Meta App Secret is empty: the webhook refuses every delivery until it is set (Meta App Dashboard > App settings > Basic).")
	}
	if c.PageID == "" && c.InstagramAccountID == "" {
		out = append(out, "Neither a Facebook Page ID nor an Instagram account ID is set: every event is ignored.")
	}
	if c.PageID != "" && !numericIDPattern.MatchString(c.PageID) {
		out = append(out, fmt.Sprintf("Facebook Page ID %q is not a number; copy it from the Page's About > Page transparency section.", c.PageID))
	}
	if c.InstagramAccountID != "" && !numericIDPattern.MatchString(c.InstagramAccountID) {
		out = append(out, fmt.Sprintf("Instagram account ID %q is not a number; it is the Instagram professional account ID, not the @username.", c.InstagramAccountID))
	}
	if c.MetaAppID != "" && !numericIDPattern.MatchString(c.MetaAppID) {
		out = append(out, fmt.Sprintf("Meta App ID %q is not a number.", c.MetaAppID))
	}
	if c.PageAccessToken == "" {
		out = append(out, "Page access token is empty: buyer names cannot be looked up (leads get fallback names) and replies cannot be sent.")
	}
	if c.TeamName == "" {
		out = append(out, "Team is empty: lead channels cannot be created. Set the team's URL name (the part after the server address).")
	}
	if !channelNamePattern.MatchString(c.queueChannelName()) {
		out = append(out, fmt.Sprintf("Queue channel name %q is not a channel URL name: use lower-case letters, digits, - and _.", c.QueueChannelName))
	}
	if c.GraphAPIBaseURL != "" {
		if u, err := url.Parse(c.GraphAPIBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			out = append(out, fmt.Sprintf("Graph API base URL %q is not an http(s) address.", c.GraphAPIBaseURL))
		}
	}
	if c.ArchiveClosedAfterHours < 0 {
		out = append(out, "Archive closed leads after (hours) must be 0 (never) or a positive number.")
	}
	if c.UnansweredAlertMinutes < 0 || c.WindowWarningMinutes < 0 || c.WindowWarningMinutes >= 24*60 {
		out = append(out, "Alert thresholds must be 0 (off) or a positive number of minutes, and the window warning less than 1440 (24 hours).")
	}
	if c.GraphAPIVersion != "" && !graphVersionPattern.MatchString(c.GraphAPIVersion) {
		out = append(out, fmt.Sprintf("Graph API version %q should look like v26.0.", c.GraphAPIVersion))
	}
	return out
}

func (p *Plugin) getConfiguration() *configuration {
	p.configurationLock.RLock()
	defer p.configurationLock.RUnlock()
	if p.configuration == nil {
		return &configuration{}
	}
	return p.configuration
}

func (p *Plugin) setConfiguration(c *configuration) {
	p.configurationLock.Lock()
	defer p.configurationLock.Unlock()
	p.configuration = c
}

// OnConfigurationChange loads the settings (LoadPluginConfiguration reads the real
// secrets; GetPluginConfig would return them masked) and reports problems.
func (p *Plugin) OnConfigurationChange() error {
	cfg := new(configuration)
	if err := p.API.LoadPluginConfiguration(cfg); err != nil {
		return errors.Wrap(err, "load plugin configuration")
	}
	cfg.TeamName = strings.TrimSpace(cfg.TeamName)
	cfg.QueueChannelName = strings.TrimSpace(cfg.QueueChannelName)
	cfg.PageID = strings.TrimSpace(cfg.PageID)
	cfg.InstagramAccountID = strings.TrimSpace(cfg.InstagramAccountID)
	p.setConfiguration(cfg)
	if p.workspace != nil {
		p.workspace.reset()
	}
	for _, problem := range cfg.Problems() {
		p.API.LogWarn("Social Inbox configuration: " + problem)
	}
	return nil
}

// ensureVerifyToken generates the webhook verify token on first activation. It saves
// the whole configuration as loaded (real values, not the console's masked ones), so
// no secret is overwritten.
func (p *Plugin) ensureVerifyToken() error {
	cfg := p.getConfiguration()
	if cfg.WebhookVerifyToken != "" {
		return nil
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return errors.Wrap(err, "generate verify token")
	}
	next := cfg.Clone()
	next.WebhookVerifyToken = base64.RawURLEncoding.EncodeToString(b)
	settings := map[string]any{}
	v := reflect.ValueOf(*next)
	for i := 0; i < v.NumField(); i++ {
		settings[v.Type().Field(i).Name] = v.Field(i).Interface()
	}
	if err := p.API.SavePluginConfig(settings); err != nil {
		return errors.Wrap(err, "save generated verify token")
	}
	p.setConfiguration(next)
	return nil
}
