package e2e

// The harness: one real Mattermost server for the whole test binary, started in-process
// against the PostgreSQL named by SOCIAL_INBOX_E2E_DSN, with the plugin bundle named by
// SOCIAL_INBOX_BUNDLE uploaded and enabled through the REST API exactly as an admin would.
// run.sh provides both variables.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // PostgreSQL driver for the fresh-database setup and the KV queries
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/shared/mlog"
	"github.com/mattermost/mattermost/server/v8/channels/api4"
	"github.com/mattermost/mattermost/server/v8/channels/app"
	"github.com/mattermost/mattermost/server/v8/channels/web"
	"github.com/mattermost/mattermost/server/v8/channels/wsapi"
	"github.com/mattermost/mattermost/server/v8/config"
)

const (
	pluginID       = "social-inbox"
	botUsername    = "social-inbox"
	adminPassword  = "Adm1n-e2e-Passw0rd!"
	userPassword   = "Us3r-e2e-Passw0rd!"
	pluginStartMax = 60 * time.Second
)

// env is the state shared by every test of the package; TestMain fills it.
var env *harness

type harness struct {
	server      *app.Server
	app         *app.App
	siteURL     string
	webhookURL  string
	admin       *model.Client4
	adminUser   *model.User
	db          *sql.DB
	graph       *graphStub
	samplesDir  string
	logFile     string
	botUserID   string
	manifest    *model.Manifest
	startupTook time.Duration
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	bundle := os.Getenv("SOCIAL_INBOX_BUNDLE")
	dsn := os.Getenv("SOCIAL_INBOX_E2E_DSN")
	if bundle == "" || dsn == "" {
		fmt.Fprintln(os.Stderr, "e2e: SOCIAL_INBOX_BUNDLE and SOCIAL_INBOX_E2E_DSN must be set; run `bash e2e/run.sh` (or `make e2e`) from the repository root")
		return 1
	}

	h, cleanup, err := startHarness(bundle, dsn)
	defer cleanup()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: harness setup failed: %v\n", err)
		if h != nil && h.logFile != "" {
			printLogTail(h.logFile, 80)
		}
		return 1
	}
	env = h

	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "e2e: server log (plugin lines included): %s\n", h.logFile)
	}
	return code
}

// startHarness starts PostgreSQL-backed Mattermost, creates the first user (who becomes
// system admin on an empty database), uploads and enables the bundle, and starts the Graph
// API stand-in. The returned cleanup is safe to call whatever happened.
func startHarness(bundlePath, dsn string) (*harness, func(), error) {
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	began := time.Now()
	h := &harness{}

	samples, err := samplesDirectory()
	if err != nil {
		return h, cleanup, err
	}
	h.samplesDir = samples

	workDir, err := os.MkdirTemp("", "social-inbox-e2e-")
	if err != nil {
		return h, cleanup, err
	}
	cleanups = append(cleanups, func() { _ = os.RemoveAll(workDir) })

	// The log survives the run (e2e/.work is git-ignored) so failures can be read afterwards.
	logDir, err := filepath.Abs(filepath.Join(".work", "logs"))
	if err != nil {
		return h, cleanup, err
	}
	if err = os.MkdirAll(logDir, 0o755); err != nil {
		return h, cleanup, err
	}
	h.logFile = filepath.Join(logDir, "mattermost.log")
	_ = os.Remove(h.logFile)

	runDSN, dropDB, err := freshDatabase(dsn)
	if err != nil {
		return h, cleanup, fmt.Errorf("prepare database: %w", err)
	}
	cleanups = append(cleanups, dropDB)

	h.db, err = sql.Open("postgres", runDSN)
	if err != nil {
		return h, cleanup, err
	}
	cleanups = append(cleanups, func() { _ = h.db.Close() })

	h.graph = newGraphStub()
	cleanups = append(cleanups, h.graph.Close)

	cfg := serverConfig(workDir, logDir, runDSN)
	// The server reads the client directory's parent when it unpacks webapp bundles; if it
	// is missing, plugins silently fail to start.
	if err = os.MkdirAll(filepath.Dir(*cfg.PluginSettings.ClientDirectory), 0o755); err != nil {
		return h, cleanup, err
	}

	memStore, err := config.NewMemoryStoreWithOptions(&config.MemoryStoreOptions{IgnoreEnvironmentOverrides: true})
	if err != nil {
		return h, cleanup, fmt.Errorf("config memory store: %w", err)
	}
	if err = memStore.Set(cfg); err != nil {
		return h, cleanup, fmt.Errorf("set config: %w", err)
	}
	configStore, err := config.NewStoreFromBacking(memStore, nil, false)
	if err != nil {
		return h, cleanup, fmt.Errorf("config store: %w", err)
	}

	logger, err := newServerLogger(&cfg.LogSettings)
	if err != nil {
		return h, cleanup, fmt.Errorf("logger: %w", err)
	}

	srv, err := app.NewServer(app.ConfigStore(configStore), app.SetLogger(logger))
	if err != nil {
		return h, cleanup, fmt.Errorf("new server: %w", err)
	}
	cleanups = append(cleanups, srv.Shutdown)
	if _, err = api4.Init(srv); err != nil {
		return h, cleanup, fmt.Errorf("api4 init: %w", err)
	}
	web.New(srv)
	wsapi.Init(srv)
	if err = srv.Start(); err != nil {
		return h, cleanup, fmt.Errorf("server start: %w", err)
	}
	h.server = srv
	h.app = app.New(app.ServerConnector(srv.Channels()))
	h.siteURL = "http://" + srv.ListenAddr.String()
	h.webhookURL = h.siteURL + "/plugins/" + pluginID + "/webhook/meta"
	h.app.UpdateConfig(func(c *model.Config) { *c.ServiceSettings.SiteURL = h.siteURL })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if err = h.createAdmin(ctx); err != nil {
		return h, cleanup, err
	}
	if err = h.installBundle(ctx, bundlePath); err != nil {
		return h, cleanup, err
	}
	h.startupTook = time.Since(began)
	fmt.Printf("e2e: Mattermost at %s, plugin %s %s running, Graph stand-in at %s (setup %s)\n",
		h.siteURL, h.manifest.Id, h.manifest.Version, h.graph.URL(), h.startupTook.Round(time.Millisecond))
	return h, cleanup, nil
}

func serverConfig(workDir, logDir, dsn string) *model.Config {
	cfg := &model.Config{}
	cfg.SetDefaults()

	*cfg.SqlSettings.DriverName = model.DatabaseDriverPostgres
	*cfg.SqlSettings.DataSource = dsn

	*cfg.ServiceSettings.ListenAddress = "127.0.0.1:0"
	*cfg.ServiceSettings.SiteURL = ""
	*cfg.ServiceSettings.EnableLocalMode = false
	*cfg.ServiceSettings.LicenseFileLocation = filepath.Join(workDir, "license.json")
	*cfg.ServiceSettings.EnableSecurityFixAlert = false
	// Attachment downloads in the tests go to the Graph stand-in on loopback.
	*cfg.ServiceSettings.AllowedUntrustedInternalConnections = "127.0.0.1 localhost"

	*cfg.PluginSettings.Enable = true
	*cfg.PluginSettings.EnableUploads = true
	*cfg.PluginSettings.RequirePluginSignature = false
	*cfg.PluginSettings.EnableMarketplace = false
	*cfg.PluginSettings.EnableRemoteMarketplace = false
	*cfg.PluginSettings.AutomaticPrepackagedPlugins = false
	*cfg.PluginSettings.Directory = filepath.Join(workDir, "plugins")
	*cfg.PluginSettings.ClientDirectory = filepath.Join(workDir, "client", "plugins")

	*cfg.FileSettings.DriverName = model.ImageDriverLocal
	*cfg.FileSettings.Directory = filepath.Join(workDir, "data")

	*cfg.LogSettings.EnableConsole = os.Getenv("SOCIAL_INBOX_E2E_CONSOLE_LOG") != ""
	*cfg.LogSettings.ConsoleLevel = mlog.LvlInfo.Name
	*cfg.LogSettings.EnableFile = true
	*cfg.LogSettings.FileLevel = mlog.LvlDebug.Name
	*cfg.LogSettings.FileJson = true
	*cfg.LogSettings.FileLocation = logDir
	*cfg.LogSettings.EnableDiagnostics = false
	*cfg.LogSettings.EnableSentry = false

	*cfg.AnnouncementSettings.AdminNoticesEnabled = false
	*cfg.AnnouncementSettings.UserNoticesEnabled = false
	*cfg.EmailSettings.SendEmailNotifications = false
	*cfg.EmailSettings.RequireEmailVerification = false
	*cfg.EmailSettings.EnableSignUpWithEmail = true
	*cfg.RateLimitSettings.Enable = false
	*cfg.TeamSettings.MaxUsersPerTeam = 1000
	*cfg.TeamSettings.EnableOpenServer = false
	return cfg
}

func newServerLogger(ls *model.LogSettings) (*mlog.Logger, error) {
	logger, err := mlog.NewLogger()
	if err != nil {
		return nil, err
	}
	logCfg, err := config.MloggerConfigFromLoggerConfig(ls, nil, config.GetLogFileLocation)
	if err != nil {
		return nil, err
	}
	if err = logger.ConfigureTargets(logCfg, nil); err != nil {
		return nil, err
	}
	// Keep the server from reconfiguring the logger (and re-enabling the console) at start.
	logger.LockConfiguration()
	return logger, nil
}

// freshDatabase makes sure the run gets an empty database, because the first user created
// on an empty database becomes the system admin. If the database named by dsn has no
// tables it is used as is (run.sh creates one); otherwise a new database is created next
// to it and dropped again at the end.
func freshDatabase(dsn string) (string, func(), error) {
	noop := func() {}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return "", noop, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var tables int
	if err = db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
		return "", noop, fmt.Errorf("inspect %s: %w", redactDSN(dsn), err)
	}
	if tables == 0 {
		return dsn, noop, nil
	}

	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "", noop, fmt.Errorf("database in SOCIAL_INBOX_E2E_DSN is not empty and the DSN is not a URL, so no fresh database can be derived from it")
	}
	name := fmt.Sprintf("social_inbox_e2e_%d_%d", time.Now().Unix(), os.Getpid())
	if _, err = db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return "", noop, fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	drop := func() {
		if os.Getenv("SOCIAL_INBOX_E2E_KEEP_DB") != "" {
			return
		}
		if admin, openErr := sql.Open("postgres", dsn); openErr == nil {
			_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			_ = admin.Close()
		}
	}
	return u.String(), drop, nil
}

func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		return u.String()
	}
	return "<dsn>"
}

func (h *harness) createAdmin(ctx context.Context) error {
	client := model.NewAPIv4Client(h.siteURL)
	admin := &model.User{
		Email:    "admin@e2e.social-inbox.test",
		Username: "e2e-admin",
		Password: adminPassword,
	}
	created, _, err := client.CreateUser(ctx, admin)
	if err != nil {
		return fmt.Errorf("create first user: %w", err)
	}
	if !created.IsSystemAdmin() {
		return fmt.Errorf("first user %q is not system admin (roles %q): the database was not empty", created.Username, created.Roles)
	}
	if _, _, err = client.Login(ctx, admin.Username, adminPassword); err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	h.admin = client
	h.adminUser = created
	return nil
}

// installBundle uploads the bundle through POST /api/v4/plugins (forced, so a re-run on the
// same database replaces it), enables it and waits until the plugin process runs.
func (h *harness) installBundle(ctx context.Context, bundlePath string) error {
	data, err := os.ReadFile(bundlePath)
	if err != nil {
		return fmt.Errorf("read bundle (run `make dist`): %w", err)
	}
	manifest, _, err := h.admin.UploadPluginForced(ctx, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("upload %s: %w", filepath.Base(bundlePath), err)
	}
	if manifest.Id != pluginID {
		return fmt.Errorf("bundle %s has plugin id %q, want %q", bundlePath, manifest.Id, pluginID)
	}
	h.manifest = manifest
	if _, err = h.admin.EnablePlugin(ctx, pluginID); err != nil {
		return fmt.Errorf("enable plugin: %w", err)
	}

	deadline := time.Now().Add(pluginStartMax)
	for {
		statuses, _, err := h.admin.GetPluginStatuses(ctx)
		if err != nil {
			return fmt.Errorf("plugin statuses: %w", err)
		}
		state := -1
		for _, s := range statuses {
			if s.PluginId == pluginID {
				state = s.State
			}
		}
		if state == model.PluginStateRunning {
			break
		}
		if state == model.PluginStateFailedToStart || state == model.PluginStateFailedToStayRunning || time.Now().After(deadline) {
			return fmt.Errorf("plugin did not reach running state (state %d); see %s", state, h.logFile)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The bot is created in OnActivate; resolve its id once for the author checks.
	for h.botUserID == "" {
		bot, _, err := h.admin.GetUserByUsername(ctx, botUsername, "")
		if err == nil && bot.IsBot {
			h.botUserID = bot.Id
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no bot account with username %q after enabling the plugin", botUsername)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil
}

// configurePlugin replaces PluginSettings.Plugins["social-inbox"] through PUT /api/v4/config,
// as the System Console does.
func configurePlugin(t *testing.T, settings pluginSettings) {
	t.Helper()
	ctx := context.Background()
	cfg, _, err := env.admin.GetConfig(ctx)
	if err != nil {
		t.Fatalf("get config: %v", err)
	}
	if cfg.PluginSettings.Plugins == nil {
		cfg.PluginSettings.Plugins = map[string]map[string]any{}
	}
	cfg.PluginSettings.Plugins[pluginID] = settings.asMap()
	if _, _, err = env.admin.UpdateConfig(ctx, cfg); err != nil {
		t.Fatalf("update config: %v", err)
	}
	env.graph.SetToken(settings.PageAccessToken)

	// OnConfigurationChange runs in a config listener; when the verify token changed, wait
	// (briefly, without failing here) until the webhook answers with it, so the new settings
	// are in force before the test sends anything.
	if settings.WebhookVerifyToken == "" {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		status, body := verifyRequest(t, "subscribe", settings.WebhookVerifyToken, "ready")
		if status == http.StatusOK && body == "ready" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pluginSettings mirrors the plugin's settings contract (JSON keys in
// PluginSettings.Plugins["social-inbox"]).
type pluginSettings struct {
	MetaAppID           string
	MetaAppSecret       string
	WebhookVerifyToken  string
	PageID              string
	PageAccessToken     string
	InstagramAccountID  string
	GraphAPIBaseURL     string
	GraphAPIVersion     string
	TeamName            string
	QueueChannelName    string
	EnableHumanAgentTag bool
}

func (s pluginSettings) asMap() map[string]any {
	return map[string]any{
		"MetaAppID":           s.MetaAppID,
		"MetaAppSecret":       s.MetaAppSecret,
		"WebhookVerifyToken":  s.WebhookVerifyToken,
		"PageID":              s.PageID,
		"PageAccessToken":     s.PageAccessToken,
		"InstagramAccountID":  s.InstagramAccountID,
		"GraphAPIBaseURL":     s.GraphAPIBaseURL,
		"GraphAPIVersion":     s.GraphAPIVersion,
		"TeamName":            s.TeamName,
		"QueueChannelName":    s.QueueChannelName,
		"EnableHumanAgentTag": s.EnableHumanAgentTag,
		// The alert job sweeps every open lead once a minute; leads left open by
		// earlier tests would post alerts into later tests' "no new post" windows.
		// Alerts are covered by the plugin's own tests (server/sla, server/alerts).
		"UnansweredAlertMinutes": 0,
		"WindowWarningMinutes":   0,
	}
}

func printLogTail(path string, lines int) {
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	fmt.Fprintf(os.Stderr, "---- last %d lines of %s ----\n%s\n----\n", len(all), path, strings.Join(all, "\n"))
}
