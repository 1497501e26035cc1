package graph

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/require"
)

const (
	testAppID     = "1438265907712354"
	testAppSecret = "f3c9a1e07b5d4c2e8a6b9d0e1f2a3b4c"
	testIGID      = "17841459302718465"
)

// Graph answers as Meta gives them (debug_token, Page, Instagram account and
// subscribed_apps reads; error bodies with Meta's codes). Meta's JSON escapes "/" in
// URLs, as in the subscribed_apps answer.
const (
	bodyDebugTokenPage                = `{"data":{"app_id":"1438265907712354","type":"PAGE","application":"Social Inbox","data_access_expires_at":1803124800,"expires_at":0,"is_valid":true,"issued_at":1792756800,"profile_id":"108245671983342","scopes":["pages_show_list","pages_messaging","pages_manage_metadata","pages_read_engagement","instagram_basic","instagram_manage_messages","public_profile"],"granular_scopes":[{"scope":"pages_show_list","target_ids":["108245671983342"]},{"scope":"pages_messaging","target_ids":["108245671983342"]},{"scope":"pages_manage_metadata","target_ids":["108245671983342"]},{"scope":"pages_read_engagement","target_ids":["108245671983342"]},{"scope":"instagram_basic","target_ids":["17841459302718465"]},{"scope":"instagram_manage_messages","target_ids":["17841459302718465"]}],"user_id":"10229384756102938"}}`
	bodyDebugTokenExpired             = `{"data":{"app_id":"1438265907712354","type":"PAGE","application":"Social Inbox","data_access_expires_at":0,"error":{"code":190,"message":"Error validating access token: Session has expired on Friday, 20-Nov-26 12:00:00 PST. The current time is Friday, 20-Nov-26 14:16:09 PST.","subcode":463},"expires_at":1795204800,"is_valid":false,"profile_id":"108245671983342","scopes":[],"user_id":"10229384756102938"}}`
	bodyDebugTokenMalformed           = `{"data":{"error":{"code":190,"message":"Invalid OAuth access token - Cannot parse access token"},"is_valid":false,"scopes":[]}}`
	bodyDebugTokenErrorBadSecret      = `{"error":{"message":"Invalid OAuth access token signature.","type":"OAuthException","code":190,"fbtrace_id":"AvT3kLm9QxZ0pR7sYw2nB4c"}}`
	bodyDebugTokenErrorOtherApp       = `{"error":{"message":"(#100) The App_id in the input_token did not match the Viewing App","type":"OAuthException","code":100,"fbtrace_id":"A1sD4fG7hJ0kL3zX6cV9bN2"}}`
	bodyPage                          = `{"id":"108245671983342","name":"Treasure Valley Pools & Spas","instagram_business_account":{"id":"17841459302718465"}}`
	bodyPageNoInstagram               = `{"id":"108245671983342","name":"Treasure Valley Pools & Spas"}`
	bodyPageErrorUnknownObject        = `{"error":{"message":"Unsupported get request. Object with ID '108245671983342' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"AQ7mN2bV5cX8zL1kJ4hG0fD"}}`
	bodyInstagramAccount              = `{"id":"17841459302718465","username":"tv_pools_spas"}`
	bodySubscribedApps                = `{"data":[{"category":"Business","link":"https:\/\/www.facebook.com\/games\/?app_id=1438265907712354","name":"Social Inbox","id":"1438265907712354","subscribed_fields":["messages","message_echoes","messaging_postbacks","messaging_referrals","message_reactions","message_reads","message_deliveries","message_edits","standby","feed"]},{"category":"Business","link":"https:\/\/www.facebook.com\/games\/?app_id=263902037430900","name":"Page Inbox","id":"263902037430900","subscribed_fields":["messages"]}]}`
	bodySubscribedAppsErrorPermission = `{"error":{"message":"(#200) Requires pages_manage_metadata permission to manage the object","type":"OAuthException","code":200,"fbtrace_id":"AzK8pL2mQ5rT9vW1xY4bC7d"}}`
)

// requireNoSecret checks an error says nothing of the app secret or the Page token.
func requireNoSecret(t *testing.T, err error) {
	t.Helper()
	requireNoToken(t, err)
	if err != nil {
		require.NotContains(t, err.Error(), testAppSecret)
		require.NotContains(t, Classify(err).Reason, testAppSecret)
	}
}

func TestInspectDebugTokenAsTheApp(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(bodyDebugTokenPage))
	c := testClient(f.URL, nil)

	info, err := c.DebugToken(context.Background(), testAppID, testAppSecret, testToken)
	require.NoError(t, err)
	require.Equal(t, TokenInfo{
		Valid:               true,
		AppID:               testAppID,
		Application:         "Social Inbox",
		Type:                "PAGE",
		ProfileID:           testPageID,
		UserID:              "10229384756102938",
		ExpiresAt:           time.Time{},
		DataAccessExpiresAt: time.Unix(1803124800, 0).UTC(),
		IssuedAt:            time.Unix(1792756800, 0).UTC(),
		Scopes: []string{"pages_show_list", "pages_messaging", "pages_manage_metadata", "pages_read_engagement",
			"instagram_basic", "instagram_manage_messages", "public_profile"},
		GranularScopes: []GranularScope{
			{Scope: "pages_show_list", TargetIDs: []string{testPageID}},
			{Scope: "pages_messaging", TargetIDs: []string{testPageID}},
			{Scope: "pages_manage_metadata", TargetIDs: []string{testPageID}},
			{Scope: "pages_read_engagement", TargetIDs: []string{testPageID}},
			{Scope: "instagram_basic", TargetIDs: []string{testIGID}},
			{Scope: "instagram_manage_messages", TargetIDs: []string{testIGID}},
		},
	}, info)

	reqs := f.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	require.Equal(t, http.MethodGet, r.Method)
	require.Equal(t, "/"+testVersion+"/debug_token", r.Path)
	// The app token goes in the header; only the token being inspected is a parameter.
	require.Equal(t, "Bearer "+testAppID+"|"+testAppSecret, r.Auth)
	q, err := url.ParseQuery(r.RawQuery)
	require.NoError(t, err)
	require.Equal(t, url.Values{"input_token": {testToken}}, q)
	require.NotContains(t, r.RawQuery, testAppSecret)
}

func TestInspectDebugTokenOfAnInvalidTokenIsAnAnswer(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       TokenInfo
	}{
		{
			name: "expired", body: bodyDebugTokenExpired,
			want: TokenInfo{
				AppID: testAppID, Application: "Social Inbox", Type: "PAGE", ProfileID: testPageID, UserID: "10229384756102938",
				ExpiresAt: time.Unix(1795204800, 0).UTC(), Scopes: []string{},
				Problem: &TokenProblem{Code: 190, Subcode: 463, Message: "Error validating access token: Session has expired on Friday, 20-Nov-26 12:00:00 PST. The current time is Friday, 20-Nov-26 14:16:09 PST."},
			},
		},
		{
			name: "not a token", body: bodyDebugTokenMalformed,
			want: TokenInfo{Scopes: []string{}, Problem: &TokenProblem{Code: 190, Message: "Invalid OAuth access token - Cannot parse access token"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t, http.StatusOK, []byte(tc.body))
			info, err := testClient(f.URL, nil).DebugToken(context.Background(), testAppID, testAppSecret, testToken)
			require.NoError(t, err)
			require.Equal(t, tc.want, info)
			require.False(t, info.Valid)
		})
	}
}

func TestInspectDebugTokenRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, body    string
		code, subcode int
		class         Class
	}{
		{name: "wrong app secret", body: bodyDebugTokenErrorBadSecret, code: 190, class: ClassToken},
		{name: "token of another app", body: bodyDebugTokenErrorOtherApp, code: 100, class: ClassBadRequest},
		{name: "temporary", body: string(fixture(t, "send_api_error_temporary.json")), code: 2, class: ClassTemporary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t, http.StatusBadRequest, []byte(tc.body))
			_, err := testClient(f.URL, nil).DebugToken(context.Background(), testAppID, testAppSecret, testToken)
			var ge *Error
			require.True(t, errors.As(err, &ge), "%v", err)
			require.Equal(t, tc.code, ge.Code)
			require.Equal(t, tc.subcode, ge.Subcode)
			require.Equal(t, http.StatusBadRequest, ge.HTTPStatus)
			require.NotEmpty(t, ge.FBTraceID)
			require.Equal(t, tc.class, Classify(err).Class)
			requireNoSecret(t, err)
		})
	}
}

func TestInspectDebugTokenNeedsItsInputs(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(bodyDebugTokenPage))
	c := testClient(f.URL, nil)
	ctx := context.Background()
	for _, args := range [][3]string{
		{"", testAppSecret, testToken},
		{"1438/../me", testAppSecret, testToken},
		{testAppID, "", testToken},
		{testAppID, testAppSecret, ""},
	} {
		_, err := c.DebugToken(ctx, args[0], args[1], args[2])
		require.Error(t, err)
		requireNoSecret(t, err)
	}
	_, err := c.DebugToken(ctx, testAppID, testAppSecret, "")
	require.ErrorIs(t, err, ErrNoToken)
	require.Empty(t, f.requests(), "nothing is asked with missing inputs")
}

// Meta's IDs are strings, but some answers carry numbers; both read the same.
func TestInspectDebugTokenNumericIDs(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(`{"data":{"app_id":1438265907712354,"type":"PAGE","profile_id":108245671983342,"user_id":null,"is_valid":true,"expires_at":1795204800,"scopes":["pages_messaging"],"granular_scopes":[{"scope":"pages_messaging","target_ids":[108245671983342]}]}}`))
	info, err := testClient(f.URL, nil).DebugToken(context.Background(), testAppID, testAppSecret, testToken)
	require.NoError(t, err)
	require.Equal(t, testAppID, info.AppID)
	require.Equal(t, testPageID, info.ProfileID)
	require.Empty(t, info.UserID)
	require.Equal(t, []GranularScope{{Scope: "pages_messaging", TargetIDs: []string{testPageID}}}, info.GranularScopes)
	require.Equal(t, time.Unix(1795204800, 0).UTC(), info.ExpiresAt)
}

func TestInspectPage(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(bodyPage))
	page, err := testClient(f.URL, nil).Page(context.Background(), testPageID)
	require.NoError(t, err)
	require.Equal(t, Page{ID: testPageID, Name: "Treasure Valley Pools & Spas", InstagramAccountID: testIGID}, page)

	r := f.requests()[0]
	require.Equal(t, "/"+testVersion+"/"+testPageID, r.Path)
	require.Equal(t, "fields=id%2Cname%2Cinstagram_business_account", r.RawQuery)
	require.Equal(t, "Bearer "+testToken, r.Auth)

	f = newFakeGraph(t, http.StatusOK, []byte(bodyPageNoInstagram))
	page, err = testClient(f.URL, nil).Page(context.Background(), testPageID)
	require.NoError(t, err)
	require.Equal(t, Page{ID: testPageID, Name: "Treasure Valley Pools & Spas"}, page)
}

func TestInspectPageErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body    string
		code, subcode int
		class         Class
	}{
		{name: "unknown object", body: bodyPageErrorUnknownObject, code: 100, subcode: 33, class: ClassBadRequest},
		{name: "expired token", body: string(sample(t, "send_api_error_token_expired.json")), code: 190, subcode: 463, class: ClassToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t, http.StatusBadRequest, []byte(tc.body))
			_, err := testClient(f.URL, nil).Page(context.Background(), testPageID)
			var ge *Error
			require.True(t, errors.As(err, &ge), "%v", err)
			require.Equal(t, tc.code, ge.Code)
			require.Equal(t, tc.subcode, ge.Subcode)
			require.Equal(t, tc.class, Classify(err).Class)
			requireNoToken(t, err)
		})
	}
}

func TestInspectInstagramAccount(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(bodyInstagramAccount))
	acct, err := testClient(f.URL, nil).InstagramAccount(context.Background(), testIGID)
	require.NoError(t, err)
	require.Equal(t, InstagramAccount{ID: testIGID, Username: "tv_pools_spas"}, acct)
	r := f.requests()[0]
	require.Equal(t, "/"+testVersion+"/"+testIGID, r.Path)
	require.Equal(t, "fields=id%2Cusername", r.RawQuery)
	require.Equal(t, "Bearer "+testToken, r.Auth)
}

func TestInspectSubscribedApps(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(bodySubscribedApps))
	apps, err := testClient(f.URL, nil).SubscribedApps(context.Background(), testPageID)
	require.NoError(t, err)
	require.Equal(t, []SubscribedApp{
		{ID: testAppID, Name: "Social Inbox", SubscribedFields: []string{
			"messages", "message_echoes", "messaging_postbacks", "messaging_referrals", "message_reactions",
			"message_reads", "message_deliveries", "message_edits", "standby", "feed",
		}},
		{ID: "263902037430900", Name: "Page Inbox", SubscribedFields: []string{"messages"}},
	}, apps)
	r := f.requests()[0]
	require.Equal(t, http.MethodGet, r.Method)
	require.Equal(t, "/"+testVersion+"/"+testPageID+"/subscribed_apps", r.Path)
	require.Empty(t, r.RawQuery)
	require.Equal(t, "Bearer "+testToken, r.Auth)

	// No app subscribed: Meta answers an empty list, not an error.
	f = newFakeGraph(t, http.StatusOK, []byte(`{"data":[]}`))
	apps, err = testClient(f.URL, nil).SubscribedApps(context.Background(), testPageID)
	require.NoError(t, err)
	require.Empty(t, apps)

	f = newFakeGraph(t, http.StatusBadRequest, []byte(bodySubscribedAppsErrorPermission))
	_, err = testClient(f.URL, nil).SubscribedApps(context.Background(), testPageID)
	require.Equal(t, ClassPermission, Classify(err).Class)
	requireNoToken(t, err)
}

func TestInspectRefusesIDsThatChangeThePath(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(bodyPage))
	c := testClient(f.URL, nil)
	ctx := context.Background()
	for _, id := range []string{"", "../debug_token", "1082?fields=access_token", "1082/feed", "1082#x"} {
		_, err := c.Page(ctx, id)
		require.Error(t, err, id)
		_, err = c.InstagramAccount(ctx, id)
		require.Error(t, err, id)
		_, err = c.SubscribedApps(ctx, id)
		require.Error(t, err, id)
	}
	require.Empty(t, f.requests())
}

func TestInspectWithoutPageToken(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(bodyPage))
	c := New(nil, func() Settings { return Settings{BaseURL: f.URL, Version: testVersion} })
	_, err := c.Page(context.Background(), testPageID)
	require.ErrorIs(t, err, ErrNoToken)
	_, err = c.SubscribedApps(context.Background(), testPageID)
	require.ErrorIs(t, err, ErrNoToken)
	_, err = c.InstagramAccount(context.Background(), testIGID)
	require.ErrorIs(t, err, ErrNoToken)
	require.Empty(t, f.requests())
}

// An unreachable Graph API is a network failure whose text carries no URL, so neither
// the input_token parameter nor the secret can leak through it.
func TestInspectGraphUnreachable(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, nil)
	base := f.URL
	f.Close()
	c := testClient(base, nil)
	_, err := c.DebugToken(context.Background(), testAppID, testAppSecret, testToken)
	require.Error(t, err)
	require.Equal(t, ClassNetwork, Classify(err).Class)
	require.NotContains(t, err.Error(), "input_token")
	requireNoSecret(t, err)

	_, err = c.Page(context.Background(), testPageID)
	require.Equal(t, ClassNetwork, Classify(err).Class)
	requireNoToken(t, err)
}

func TestInspectTimeout(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(bodyPage))
	f.setHandler(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := testClient(f.URL, nil).SubscribedApps(ctx, testPageID)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Equal(t, ClassNetwork, Classify(err).Class)
}

// Meta's error text is cleared of the tokens it may echo.
func TestInspectRedactsEchoedSecrets(t *testing.T) {
	f := newFakeGraph(t, http.StatusBadRequest, []byte(`{"error":{"message":"Malformed access token `+testAppID+`|`+testAppSecret+` for `+testToken+`","type":"OAuthException","code":190,"fbtrace_id":"Atrace"}}`))
	_, err := testClient(f.URL, nil).DebugToken(context.Background(), testAppID, testAppSecret, testToken)
	require.Error(t, err)
	requireNoSecret(t, err)
	require.Contains(t, err.Error(), "[redacted]")

	f = newFakeGraph(t, http.StatusOK, []byte(`{"data":{"is_valid":false,"error":{"code":190,"message":"Bad token `+testToken+`"}}}`))
	info, err := testClient(f.URL, nil).DebugToken(context.Background(), testAppID, testAppSecret, testToken)
	require.NoError(t, err)
	require.NotContains(t, info.Problem.Message, testToken)
}

func TestInspectUnexpectedBody(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(`<html>proxy login</html>`))
	_, err := testClient(f.URL, nil).Page(context.Background(), testPageID)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "not the expected JSON"), err.Error())
}
