package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"time"

	"github.com/gorilla/mux"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

var leadIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// handleAuditExport lets a system admin download a lead's audit trail as JSON or CSV:
// GET /plugins/social-inbox/api/v1/leads/{lead}/audit?format=csv
func (p *Plugin) handleAuditExport(w http.ResponseWriter, r *http.Request) {
	leadID := mux.Vars(r)["lead"]
	if !leadIDPattern.MatchString(leadID) {
		http.Error(w, "not a lead ID", http.StatusBadRequest)
		return
	}
	var conv store.Conversation
	found, err := p.store.Get(store.ConversationKey(leadID), &conv)
	if err != nil {
		http.Error(w, "could not read the lead", http.StatusInternalServerError)
		return
	}
	if !found {
		http.Error(w, "no such lead", http.StatusNotFound)
		return
	}
	trail, err := p.store.AuditTrail(leadID)
	if err != nil {
		http.Error(w, "could not read the audit trail", http.StatusInternalServerError)
		return
	}
	name := "social-inbox-audit-" + conv.ChannelName
	switch r.URL.Query().Get("format") {
	case "", "json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		_ = json.NewEncoder(w).Encode(map[string]any{"lead_id": leadID, "channel": conv.ChannelName, "events": trail})
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"time_utc", "actor", "actor_id", "action", "subject", "before", "after", "detail"})
		for _, ev := range trail {
			_ = cw.Write([]string{
				time.UnixMilli(ev.At).UTC().Format(time.RFC3339), ev.Actor, ev.ActorID, ev.Action,
				ev.Subject, ev.Before, ev.After, csvSafe(ev.Detail),
			})
		}
		cw.Flush()
	default:
		http.Error(w, "format must be json or csv", http.StatusBadRequest)
	}
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
