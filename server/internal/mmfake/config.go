package mmfake

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// config returns the server configuration with every plugin's settings, sanitised like
// GetSanitizedConfig when sanitize is set. The result is cached until a setter changes
// the configuration and must not be modified; callers hand out copies. s.mu must be
// held.
func (s *Server) config(sanitize bool) *model.Config {
	if cached := s.cfgCache[sanitize]; cached != nil {
		return cached
	}
	cfg := s.cfg.Clone()
	cfg.ServiceSettings.SiteURL = model.NewPointer(s.siteURL)
	cfg.PluginSettings.Plugins = map[string]map[string]any{}
	for id, m := range s.pluginConfigs {
		cfg.PluginSettings.Plugins[id] = jsonCopyMap(m)
	}
	if sanitize {
		// PluginSettings.Sanitize drops the settings of plugins it has no manifest for;
		// a plugin without a registered manifest is treated as defining no secrets.
		var manifests []*model.Manifest
		for id := range cfg.PluginSettings.Plugins {
			if m := s.manifests[id]; m != nil {
				manifests = append(manifests, m)
			} else {
				manifests = append(manifests, &model.Manifest{Id: id})
			}
		}
		cfg.Sanitize(manifests, nil)
	}
	s.cfgCache[sanitize] = cfg
	return cfg
}

// configChanged drops the cached configurations. s.mu must be held.
func (s *Server) configChanged() { clear(s.cfgCache) }

// LoadPluginConfiguration decodes the plugin's settings into dest: manifest defaults,
// overlaid with the stored values, keys lower-cased, then JSON. Like the server it logs
// a decoding error and returns nil.
func (a *API) LoadPluginConfiguration(dest any) error {
	const m = "LoadPluginConfiguration"
	if failed, err := a.enter(m); failed {
		return err
	}
	a.s.mu.Lock()
	final := map[string]any{}
	if man := a.s.manifests[a.pluginID]; man != nil && man.SettingsSchema != nil {
		for _, setting := range man.SettingsSchema.Settings {
			final[strings.ToLower(setting.Key)] = setting.Default
		}
	}
	for k, v := range a.s.pluginConfigs[a.pluginID] {
		final[strings.ToLower(k)] = v
	}
	raw, err := json.Marshal(final)
	a.s.mu.Unlock()
	if err != nil {
		a.serverLog("error", "Error marshaling config for plugin", "err", err)
		return nil
	}
	if err := json.Unmarshal(raw, dest); err != nil {
		a.serverLog("error", "Error unmarshaling config for plugin", "err", err)
	}
	return nil
}

// GetConfig returns the sanitised server configuration with default values,
// ServiceSettings.SiteURL as set with SetSiteURL and the plugins' settings (secrets
// masked as model.FakeSetting).
func (a *API) GetConfig() *model.Config {
	if failed, _ := a.enter("GetConfig"); failed {
		return nil
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return mustRPCCopy(a.s.config(true))
}

// GetUnsanitizedConfig is GetConfig without masking.
func (a *API) GetUnsanitizedConfig() *model.Config {
	if failed, _ := a.enter("GetUnsanitizedConfig"); failed {
		return nil
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return mustRPCCopy(a.s.config(false))
}

// GetPluginConfig returns the plugin's stored settings, sanitised (secret settings read
// as model.FakeSetting). It does not include manifest defaults.
func (a *API) GetPluginConfig() map[string]any {
	if failed, _ := a.enter("GetPluginConfig"); failed {
		return nil
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if m := a.s.config(true).PluginSettings.Plugins[a.pluginID]; len(m) > 0 {
		return mustRPCCopyMap(m)
	}
	return map[string]any{}
}

// SavePluginConfig replaces the plugin's stored settings with cfg, as given.
func (a *API) SavePluginConfig(cfg map[string]any) *model.AppError {
	const m = "SavePluginConfig"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	c, err := rpcCopyMap(cfg)
	if err != nil {
		a.rpcFailed(m, err)
		return nil
	}
	n, err := jsonNormalize(c)
	if err != nil {
		return newAppError(m, "app.save_config.app_error", 500, err.Error())
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.s.pluginConfigs[a.pluginID] = n
	a.s.configChanged()
	return nil
}

// GetServerVersion reports ServerVersion.
func (a *API) GetServerVersion() string {
	if failed, _ := a.enter("GetServerVersion"); failed {
		return ""
	}
	return ServerVersion
}

// GetBundlePath returns the directory set with SetBundlePath (default ".").
func (a *API) GetBundlePath() (string, error) {
	if failed, err := a.enter("GetBundlePath"); failed {
		return "", err
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.bundlePath, nil
}

// GetDiagnosticId returns the server's telemetry id.
func (a *API) GetDiagnosticId() string {
	if failed, _ := a.enter("GetDiagnosticId"); failed {
		return ""
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.telemetryID
}

// GetTelemetryId returns the server's telemetry id.
func (a *API) GetTelemetryId() string {
	if failed, _ := a.enter("GetTelemetryId"); failed {
		return ""
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.telemetryID
}

// GetLicense returns nil: the fake is an unlicensed server.
func (a *API) GetLicense() *model.License {
	a.enter("GetLicense")
	return nil
}

// IsEnterpriseReady returns false.
func (a *API) IsEnterpriseReady() bool {
	a.enter("IsEnterpriseReady")
	return false
}

// GetSystemInstallDate returns the time the Server was created, in milliseconds.
func (a *API) GetSystemInstallDate() (int64, *model.AppError) {
	const m = "GetSystemInstallDate"
	if failed, err := a.enter(m); failed {
		return 0, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.installDate, nil
}

// GetPluginID returns the id of the plugin this node runs.
func (a *API) GetPluginID() string {
	if failed, _ := a.enter("GetPluginID"); failed {
		return ""
	}
	return a.pluginID
}

// ---- logging ----

// LogDebug records a debug line.
func (a *API) LogDebug(msg string, keyValuePairs ...any) {
	a.pluginLog("LogDebug", "debug", msg, keyValuePairs)
}

// LogInfo records an info line.
func (a *API) LogInfo(msg string, keyValuePairs ...any) {
	a.pluginLog("LogInfo", "info", msg, keyValuePairs)
}

// LogWarn records a warning.
func (a *API) LogWarn(msg string, keyValuePairs ...any) {
	a.pluginLog("LogWarn", "warn", msg, keyValuePairs)
}

// LogError records an error line.
func (a *API) LogError(msg string, keyValuePairs ...any) {
	a.pluginLog("LogError", "error", msg, keyValuePairs)
}

func (a *API) pluginLog(method, level, msg string, kv []any) {
	if failed, _ := a.enter(method); failed {
		return
	}
	a.s.log(LogEntry{Source: "plugin", Level: level, Message: msg, PluginID: a.pluginID, NodeID: a.nodeID, KeyValues: stringify(kv)})
}

// serverLog records a line the server would log about this plugin. s.mu must not be held.
func (a *API) serverLog(level, msg string, kv ...any) {
	a.s.log(LogEntry{Source: "server", Level: level, Message: msg, PluginID: a.pluginID, NodeID: a.nodeID, KeyValues: stringify(kv)})
}

// serverLogLocked is serverLog with s.mu held; call the returned function after
// unlocking.
func (a *API) serverLogLocked(level, msg string, kv ...any) func() {
	return a.s.logLocked(LogEntry{Source: "server", Level: level, Message: msg, PluginID: a.pluginID, NodeID: a.nodeID, KeyValues: stringify(kv)})
}

// stringify mirrors the plugin RPC client, which sends log values as fmt "%+v" strings.
func stringify(kv []any) []any {
	if kv == nil {
		return nil
	}
	out := make([]any, len(kv))
	for i, v := range kv {
		out[i] = fmt.Sprintf("%+v", v)
	}
	return out
}
