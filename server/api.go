package main

import (
	"encoding/json"
	"net/http"
	"runtime/debug"

	"github.com/gorilla/mux"
	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// initRouter wires the HTTP routes. The Meta webhook is public (Meta has no Mattermost
// session) and authenticates by signature; everything under /api/v1 needs a user.
func (p *Plugin) initRouter() *mux.Router {
	r := mux.NewRouter()
	r.Use(p.withRecovery)
	r.HandleFunc("/webhook/meta", p.handleVerify).Methods(http.MethodGet)
	r.HandleFunc("/webhook/meta", p.handleWebhook).Methods(http.MethodPost)

	api := r.PathPrefix("/api/v1").Subrouter()
	api.Use(p.requireUser)
	api.HandleFunc("/actions/{action:[a-z]+}", p.handleAction).Methods(http.MethodPost)
	api.HandleFunc("/stats", p.requireAdmin(p.handleStats)).Methods(http.MethodGet)
	api.HandleFunc("/leads/{lead}/audit", p.requireAdmin(p.handleAuditExport)).Methods(http.MethodGet)
	api.HandleFunc("/autocomplete/operators", p.handleOperatorAutocomplete).Methods(http.MethodGet)
	p.initLeadRoutes(api)
	p.initConnectionRoutes(api)
	return r
}

// ServeHTTP routes plugin HTTP requests (the server strips /plugins/social-inbox).
func (p *Plugin) ServeHTTP(_ *plugin.Context, w http.ResponseWriter, r *http.Request) {
	p.router.ServeHTTP(w, r)
}

func (p *Plugin) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if x := recover(); x != nil {
				p.API.LogError("recovered from a panic in an HTTP handler", "url", r.URL.Path, "error", x, "stack", string(debug.Stack()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// requireUser admits requests the server authenticated: it sets Mattermost-User-Id and
// strips any such header coming from outside.
func (p *Plugin) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Mattermost-User-Id") == "" {
			respondError(w, http.StatusUnauthorized, "Log in to Mattermost to use the Social Inbox.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (p *Plugin) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	return p.requireAdminSaying("Only system admins can do this.", next)
}

// requireAdminSaying lets system admins through and answers anyone else 403 with the
// refusal as a JSON sentence.
func (p *Plugin) requireAdminSaying(refusal string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !p.API.HasPermissionTo(r.Header.Get("Mattermost-User-Id"), model.PermissionManageSystem) {
			respondError(w, http.StatusForbidden, refusal)
			return
		}
		next(w, r)
	}
}

// handleStats reports intake health for admins: what was skipped and why, and how many
// events wait for the retry job.
func (p *Plugin) handleStats(w http.ResponseWriter, _ *http.Request) {
	var stats store.IntakeStats
	if _, err := p.store.Get(store.KeyIntakeStats, &stats); err != nil {
		http.Error(w, "could not read statistics", http.StatusInternalServerError)
		return
	}
	pending, err := p.store.PendingIDs()
	if err != nil {
		http.Error(w, "could not read the retry queue", http.StatusInternalServerError)
		return
	}
	open, err := p.store.OpenLeads()
	if err != nil {
		http.Error(w, "could not read the open queue", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"skipped":         stats.Skipped,
		"pending_batches": len(pending),
		"open_leads":      len(open),
		"config_problems": p.getConfiguration().Problems(),
	})
}
