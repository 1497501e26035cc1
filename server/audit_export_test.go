package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdminsExportTheAuditTrail(t *testing.T) {
	e, _, leadID := newLeadEnv(t, 1)
	admin := e.srv.AddUser("root", true)
	get := func(user, query string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/leads/"+leadID+"/audit"+query, nil)
		if user != "" {
			r.Header.Set("Mattermost-User-Id", user)
		}
		rec := httptest.NewRecorder()
		e.nodes[0].ServeHTTP(nil, rec, r)
		return rec
	}
	require.Equal(t, http.StatusUnauthorized, get("", "").Code)
	require.Equal(t, http.StatusForbidden, get(e.ops[0].Id, "").Code, "operators use /social audit; export is for admins")

	rec := get(admin.Id, "?format=json")
	require.Equal(t, http.StatusOK, rec.Code)
	var out struct {
		LeadID string `json:"lead_id"`
		Events []struct {
			Action string `json:"action"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	require.Equal(t, leadID, out.LeadID)
	require.Equal(t, "lead.created", out.Events[0].Action)

	rec = get(admin.Id, "?format=csv")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Disposition"), ".csv")
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"time_utc", "actor", "actor_id", "action", "subject", "before", "after", "detail"}, rows[0])
	require.Len(t, rows, len(out.Events)+1)

	require.Equal(t, http.StatusBadRequest, get(admin.Id, "?format=xml").Code)
	r := httptest.NewRequest(http.MethodGet, "/api/v1/leads/"+strings.Repeat("0", 32)+"/audit", nil)
	r.Header.Set("Mattermost-User-Id", admin.Id)
	rec = httptest.NewRecorder()
	e.nodes[0].ServeHTTP(nil, rec, r)
	require.Equal(t, http.StatusNotFound, rec.Code)
	require.Equal(t, "'=cmd", csvSafe("=cmd"))
}
