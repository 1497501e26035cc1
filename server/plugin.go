package main

import (
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/pluginapi"
	"github.com/mattermost/mattermost/server/public/pluginapi/cluster"
	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/relay"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

const (
	botUsername    = "social-inbox"
	botDisplayName = "Social Inbox"
	// pendingJobEvery is how often the retry job applies stored events.
	pendingJobEvery = 10 * time.Second
	pendingJobLimit = 5 * time.Minute
)

// Plugin is the Social Inbox plugin. It wires Mattermost to the domain packages and
// holds no state that is the source of truth: that lives in the KV store.
type Plugin struct {
	plugin.MattermostPlugin

	client *pluginapi.Client

	configurationLock sync.RWMutex
	configuration     *configuration

	botUserID    string
	actionSecret []byte
	store        *store.Store
	graph        *graph.Client
	workspace    *workspace
	engine       *intake.Engine
	router       *mux.Router
	pendingJob   *cluster.Job
	alertJob     *cluster.Job
	outbox       *relay.Outbox
	leadCache    leadChannels

	// now is the clock; tests replace it.
	now func() time.Time
	// httpClient reaches the Graph API; tests may replace it before activation.
	httpClient *http.Client
	// serverVersion, when set, replaces the server's version (tests).
	serverVersion      func() string
	archiveUnsupported sync.Once
}

// OnActivate runs on every node when the plugin starts; everything here is idempotent.
func (p *Plugin) OnActivate() error {
	if p.now == nil {
		p.now = time.Now
	}
	p.client = pluginapi.NewClient(p.API, p.Driver)
	p.store = store.New(pluginKV{api: p.API})
	p.workspace = newWorkspace(p)

	if err := p.ensureVerifyToken(); err != nil {
		p.API.LogWarn("could not generate a webhook verify token; set one in the System Console", "error", err.Error())
	}
	botID, err := p.client.Bot.EnsureBot(&model.Bot{
		Username:    botUsername,
		DisplayName: botDisplayName,
		Description: "Posts Facebook and Instagram leads and relays operators' answers.",
	}, pluginapi.ProfileImagePath(filepath.Join("assets", "icon.png")))
	if err != nil {
		return errors.Wrap(err, "ensure the Social Inbox bot")
	}
	p.botUserID = botID
	if p.actionSecret, err = p.loadActionSecret(); err != nil {
		return err
	}
	httpClient := p.httpClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	p.graph = graph.New(httpClient, func() graph.Settings { return p.getConfiguration().graphSettings() })
	host, _ := os.Hostname()
	p.engine = intake.New(p.store, p.workspace, p.graph, p.graph,
		func() intake.Config { return p.getConfiguration().intakeConfig() }, logger{p.API}, host)
	p.engine.Now = p.now
	p.engine.OnOwnEcho = p.onOwnEcho
	p.outbox = relay.New(p.store, graphSender{p: p}, outboxNotifier{p}, host)
	p.outbox.Now = p.now
	p.outbox.OnSent = p.onSent
	p.router = p.initRouter()
	if err := p.registerCommands(); err != nil {
		return err
	}

	if p.pendingJob, err = cluster.Schedule(p.API, "social_inbox_pending", cluster.MakeWaitForInterval(pendingJobEvery), p.retryPending); err != nil {
		return errors.Wrap(err, "schedule the retry job")
	}
	if p.alertJob, err = cluster.Schedule(p.API, "social_inbox_alerts", cluster.MakeWaitForInterval(alertJobEvery), p.sweepAlerts); err != nil {
		return errors.Wrap(err, "schedule the alert job")
	}
	if problems := p.getConfiguration().Problems(); len(problems) > 0 {
		p.API.LogWarn("Social Inbox is active but not fully configured", "problems", len(problems))
	}
	return nil
}

// OnDeactivate stops the scheduled jobs; stored events and replies wait for the next
// activation.
func (p *Plugin) OnDeactivate() error {
	for _, job := range []*cluster.Job{p.pendingJob, p.alertJob} {
		if job != nil {
			if err := job.Close(); err != nil {
				return errors.Wrap(err, "stop a scheduled job")
			}
		}
	}
	return nil
}

// loadActionSecret returns the key that signs card buttons. It lives in the KV store,
// created with insert-if-absent, so every node of a cluster uses the same one.
func (p *Plugin) loadActionSecret() ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, errors.Wrap(err, "generate action secret")
	}
	var existing []byte
	inserted, err := p.store.Insert(store.KeyActionSecret, fresh, 0, &existing)
	if err != nil {
		return nil, errors.Wrap(err, "load action secret")
	}
	if inserted {
		return fresh, nil
	}
	return existing, nil
}

// retryPending applies events that were acknowledged to Meta but not applied inline,
// and delivers queued replies that are due. cluster.Schedule runs it on one node at a
// time; both steps are idempotent.
func (p *Plugin) retryPending() {
	ctx, cancel := context.WithTimeout(context.Background(), pendingJobLimit)
	defer cancel()
	if err := p.outbox.DrainAll(ctx); err != nil {
		p.API.LogWarn("the retry job could not deliver every queued reply; it tries again shortly", "error", err.Error())
	}
	applied, remaining, err := p.engine.RetryPending(ctx, applyWorkers)
	if err != nil {
		p.API.LogError("the retry job could not read its queue; it tries again shortly", "error", err.Error())
		return
	}
	if applied > 0 || remaining > 0 {
		p.API.LogInfo("retry job applied stored webhook events", "applied", applied, "remaining", remaining)
	}
}

// logger adapts the plugin API's logger to intake.Logger.
type logger struct{ api plugin.API }

func (l logger) Debug(msg string, kv ...any) { l.api.LogDebug(msg, kv...) }
func (l logger) Warn(msg string, kv ...any)  { l.api.LogWarn(msg, kv...) }
func (l logger) Error(msg string, kv ...any) { l.api.LogError(msg, kv...) }
