package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/connection"
)

// metaForCheck is a Graph API that answers the connection check's four calls the way
// Meta does for a healthy Page, checking the tokens: debug_token as the app
// (<app id>|<app secret>), everything else with the Page token.
type metaForCheck struct {
	*httptest.Server
	mu sync.Mutex
	// subscribed are the app's fields on the Page; nil answers an empty list.
	subscribed []string
	paths      []string
}

func newMetaForCheck(t *testing.T) *metaForCheck {
	m := &metaForCheck{subscribed: connection.SubscribedFields()}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.paths = append(m.paths, r.URL.Path)
		fields := m.subscribed
		m.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		badToken := func() {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"message":"Invalid OAuth access token signature.","type":"OAuthException","code":190,"fbtrace_id":"AvT3kLm9QxZ0pR7sYw2nB4c"}}`))
		}
		if r.URL.Query().Get("access_token") != "" {
			badToken() // the plugin never puts an access token in a URL
			return
		}
		auth := r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/v26.0/debug_token":
			if auth != "Bearer "+testAppID+"|"+testSecret || r.URL.Query().Get("input_token") != testToken {
				badToken()
				return
			}
			_, _ = fmt.Fprintf(w, `{"data":{"app_id":"%s","type":"PAGE","application":"Social Inbox","data_access_expires_at":0,"expires_at":0,"is_valid":true,"issued_at":1792756800,"profile_id":"%s","scopes":["pages_show_list","pages_messaging","pages_manage_metadata","pages_read_engagement","instagram_basic","instagram_manage_messages","public_profile"],"user_id":"10229384756102938"}}`, testAppID, testPageID)
			return
		}
		if auth != "Bearer "+testToken {
			badToken()
			return
		}
		switch r.URL.Path {
		case "/v26.0/" + testPageID:
			_, _ = fmt.Fprintf(w, `{"id":"%s","name":"Treasure Valley Pools & Spas","instagram_business_account":{"id":"%s"}}`, testPageID, testIGID)
		case "/v26.0/" + testIGID:
			_, _ = fmt.Fprintf(w, `{"id":"%s","username":"tv_pools_spas"}`, testIGID)
		case "/v26.0/" + testPageID + "/subscribed_apps":
			if fields == nil {
				_, _ = w.Write([]byte(`{"data":[]}`))
				return
			}
			b, _ := json.Marshal(fields)
			_, _ = fmt.Fprintf(w, `{"data":[{"category":"Business","link":"https:\/\/www.facebook.com\/games\/?app_id=%s","name":"Social Inbox","id":"%s","subscribed_fields":%s}]}`, testAppID, testAppID, b)
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"message":"Unsupported get request.","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"AQ7mN2bV5cX8zL1kJ4hG0fD"}}`))
		}
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *metaForCheck) setSubscribed(fields []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subscribed = fields
}

// connectionEnv is an env whose plugin calls graphURL, with an https Site URL, and a
// system admin.
func connectionEnv(t *testing.T, graphURL string) (*env, *model.User) {
	e := newEnv(t, 1)
	e.srv.SetSiteURL("https://mm.example.com")
	e.srv.SetPluginConfig(manifestID, testConfig(graphURL))
	require.NoError(t, e.nodes[0].OnConfigurationChange())
	return e, e.srv.AddUser("root", true)
}

// connectionCall makes an API request as userID ("" for no session) and checks that no
// answer ever carries the App Secret or the Page token.
func (e *env) connectionCall(method, path, userID string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, "/api/v1"+path, nil)
	if userID != "" {
		r.Header.Set("Mattermost-User-Id", userID)
	}
	rec := httptest.NewRecorder()
	e.nodes[0].ServeHTTP(nil, rec, r)
	body := rec.Body.String()
	for _, secret := range []string{testSecret, testToken} {
		require.NotContains(e.t, body, secret, "%s %s answered a secret", method, path)
		for k, vs := range rec.Header() {
			for _, v := range vs {
				require.NotContains(e.t, v, secret, "header %s", k)
			}
		}
	}
	return rec
}

func decodeConnectionReport(t *testing.T, rec *httptest.ResponseRecorder) connection.Report {
	t.Helper()
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	var report connection.Report
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &report))
	return report
}

func connectionStatuses(r connection.Report) string {
	parts := make([]string, 0, len(r.Checks))
	for _, c := range r.Checks {
		parts = append(parts, c.ID+"="+string(c.Status))
	}
	return strings.Join(parts, " ")
}

func TestConnectionRoutesNeedASession(t *testing.T) {
	e, _ := connectionEnv(t, newMetaForCheck(t).URL)
	require.Equal(t, http.StatusUnauthorized, e.connectionCall(http.MethodGet, "/connection", "").Code)
	require.Equal(t, http.StatusUnauthorized, e.connectionCall(http.MethodPost, "/connection/check", "").Code)
}

func TestConnectionRoutesAreForSystemAdminsOnly(t *testing.T) {
	meta := newMetaForCheck(t)
	e, _ := connectionEnv(t, meta.URL)
	for _, user := range []string{e.ops[0].Id, e.outsider.Id} {
		for _, call := range [][2]string{{http.MethodGet, "/connection"}, {http.MethodPost, "/connection/check"}} {
			rec := e.connectionCall(call[0], call[1], user)
			require.Equal(t, http.StatusForbidden, rec.Code, "%s %s", call[0], call[1])
			require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var body map[string]string
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			require.Contains(t, body["error"], "Only system admins")
			require.NotContains(t, rec.Body.String(), testVerify)
		}
	}
	require.Empty(t, meta.paths, "a refused check asks Meta nothing")
}

func TestConnectionShowsWebhookURLAndVerifyTokenToAdmins(t *testing.T) {
	e, admin := connectionEnv(t, newMetaForCheck(t).URL)
	rec := e.connectionCall(http.MethodGet, "/connection", admin.Id)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	require.JSONEq(t, `{
		"webhook_url": "https://mm.example.com/plugins/social-inbox/webhook/meta",
		"verify_token": "`+testVerify+`",
		"site_url_set": true
	}`, rec.Body.String())

	// A Site URL with a trailing slash gives the same address.
	e.srv.SetSiteURL("https://mm.example.com/")
	rec = e.connectionCall(http.MethodGet, "/connection", admin.Id)
	require.Contains(t, rec.Body.String(), `"webhook_url":"https://mm.example.com/plugins/social-inbox/webhook/meta"`)

	e.srv.SetSiteURL("")
	rec = e.connectionCall(http.MethodGet, "/connection", admin.Id)
	require.JSONEq(t, `{
		"webhook_url": "/plugins/social-inbox/webhook/meta",
		"verify_token": "`+testVerify+`",
		"site_url_set": false
	}`, rec.Body.String())
}

func TestConnectionCheckPassesAgainstAHealthyGraph(t *testing.T) {
	meta := newMetaForCheck(t)
	e, admin := connectionEnv(t, meta.URL)
	report := decodeConnectionReport(t, e.connectionCall(http.MethodPost, "/connection/check", admin.Id))
	require.True(t, report.OK, connectionStatuses(report))
	require.Equal(t, "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass", connectionStatuses(report))
	require.NotZero(t, report.CheckedAt)
	require.ElementsMatch(t, []string{
		"/v26.0/debug_token", "/v26.0/" + testPageID, "/v26.0/" + testIGID, "/v26.0/" + testPageID + "/subscribed_apps",
	}, meta.paths)

	for _, l := range e.srv.Logs() {
		line := fmt.Sprint(l)
		require.NotContains(t, line, testSecret)
		require.NotContains(t, line, testToken)
	}
}

func TestConnectionCheckReportsAMissingSubscription(t *testing.T) {
	meta := newMetaForCheck(t)
	e, admin := connectionEnv(t, meta.URL)

	meta.setSubscribed(nil)
	report := decodeConnectionReport(t, e.connectionCall(http.MethodPost, "/connection/check", admin.Id))
	require.False(t, report.OK)
	require.Equal(t, "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=fail webhook_url=pass", connectionStatuses(report))
	sub := report.Checks[6]
	require.Contains(t, sub.Detail, "App "+testAppID+" is not subscribed to the Page")
	require.Contains(t, sub.Fix, "POST /"+testPageID+"/subscribed_apps?subscribed_fields=messages,message_echoes,")

	meta.setSubscribed([]string{"messages", "message_echoes"})
	report = decodeConnectionReport(t, e.connectionCall(http.MethodPost, "/connection/check", admin.Id))
	require.False(t, report.OK)
	require.Contains(t, report.Checks[6].Detail, "not to messaging_postbacks, messaging_referrals, standby, feed")
}

func TestConnectionCheckWithWrongSecretAndNoSiteURL(t *testing.T) {
	meta := newMetaForCheck(t)
	e, admin := connectionEnv(t, meta.URL)
	cfg := testConfig(meta.URL)
	cfg["MetaAppSecret"] = "not-the-" + testSecret
	e.srv.SetPluginConfig(manifestID, cfg)
	require.NoError(t, e.nodes[0].OnConfigurationChange())
	e.srv.SetSiteURL("")

	rec := e.connectionCall(http.MethodPost, "/connection/check", admin.Id)
	require.NotContains(t, rec.Body.String(), "not-the-"+testSecret)
	report := decodeConnectionReport(t, rec)
	require.Equal(t, "settings=pass app_secret=fail page_token=skip token_expiry=skip page=pass instagram=pass subscription=pass webhook_url=fail", connectionStatuses(report))
	require.Contains(t, report.Checks[1].Detail, "Invalid OAuth access token signature")
}

// A Graph outage is a report of failing checks, not an HTTP error.
func TestConnectionCheckDuringAGraphOutage(t *testing.T) {
	meta := newMetaForCheck(t)
	e, admin := connectionEnv(t, meta.URL)
	meta.Close()

	report := decodeConnectionReport(t, e.connectionCall(http.MethodPost, "/connection/check", admin.Id))
	require.False(t, report.OK)
	require.Equal(t, "settings=pass app_secret=fail page_token=skip token_expiry=skip page=fail instagram=skip subscription=fail webhook_url=pass", connectionStatuses(report))
	require.Contains(t, report.Checks[4].Detail, "The Graph API ("+meta.URL+") could not be reached while reading the Page")
}
