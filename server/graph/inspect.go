package graph

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// Inspection calls: what the System Console connection check asks Meta about the
// configured app, token, Page and Instagram account. They only read.

// TokenInfo is what debug_token says about an access token.
type TokenInfo struct {
	// Valid is Meta's is_valid. An invalid token still comes with its app, type and
	// expiry when Meta can still read them, and with Problem.
	Valid       bool
	AppID       string
	Application string
	// Type is PAGE, USER, SYSTEM_USER or APP.
	Type string
	// ProfileID is the Page a Page token belongs to.
	ProfileID string
	UserID    string
	// ExpiresAt is zero when the token never expires (Page tokens made from a long-lived
	// user token, system-user tokens).
	ExpiresAt time.Time
	// DataAccessExpiresAt is when the person who granted the token must log in again
	// for it to keep reading their data; zero when Meta does not say.
	DataAccessExpiresAt time.Time
	IssuedAt            time.Time
	Scopes              []string
	// GranularScopes says which Pages or accounts a scope was granted for.
	GranularScopes []GranularScope
	// Problem is why the token is invalid; nil when Meta reports none.
	Problem *TokenProblem
}

// GranularScope is a permission and the objects it was granted for; no TargetIDs means
// every object the person manages.
type GranularScope struct {
	Scope     string
	TargetIDs []string
}

// TokenProblem is the error debug_token reports inside data for an invalid token
// (the 190 family: 463 expired, 460 password changed, 458 app removed, ...).
type TokenProblem struct {
	Code    int
	Subcode int
	Message string
}

// Page is the Facebook Page as the Page token sees it.
type Page struct {
	ID   string
	Name string
	// InstagramAccountID is the Instagram professional account linked to the Page; ""
	// when none is.
	InstagramAccountID string
}

// InstagramAccount is an Instagram professional account.
type InstagramAccount struct {
	ID       string
	Username string
}

// SubscribedApp is one app subscribed to a Page's webhooks, with the fields it gets.
type SubscribedApp struct {
	ID               string
	Name             string
	SubscribedFields []string
}

// unixTime reads Meta's Unix seconds; 0 (or absent) is the zero time.
type unixTime int64

func (u unixTime) time() time.Time {
	if u <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(u), 0).UTC()
}

// DebugToken inspects inputToken with debug_token, authenticated as the app:
// GET /debug_token?input_token=<token> with the app access token <app id>|<app secret>.
// The app token travels in the Authorization header, not the URL. Meta only inspects
// tokens of the viewing app: a token of another app answers (#100) "The App_id in the
// input_token did not match the Viewing App", and a wrong secret answers 190 "Invalid
// OAuth access token signature" (both as *Error). An invalid input token is not an
// error: it comes back with Valid false and its Problem.
func (c *Client) DebugToken(ctx context.Context, appID, appSecret, inputToken string) (TokenInfo, error) {
	switch {
	case appID == "" || !validPageID(appID):
		return TokenInfo{}, errors.New("the Meta App ID is missing or not an ID")
	case appSecret == "":
		return TokenInfo{}, errors.New("no Meta App Secret is configured")
	case inputToken == "":
		return TokenInfo{}, ErrNoToken
	}
	var out struct {
		Data struct {
			AppID               meta.FlexString `json:"app_id"`
			Type                string          `json:"type"`
			Application         string          `json:"application"`
			ProfileID           meta.FlexString `json:"profile_id"`
			UserID              meta.FlexString `json:"user_id"`
			IsValid             bool            `json:"is_valid"`
			ExpiresAt           unixTime        `json:"expires_at"`
			DataAccessExpiresAt unixTime        `json:"data_access_expires_at"`
			IssuedAt            unixTime        `json:"issued_at"`
			Scopes              []string        `json:"scopes"`
			GranularScopes      []struct {
				Scope     string            `json:"scope"`
				TargetIDs []meta.FlexString `json:"target_ids"`
			} `json:"granular_scopes"`
			Error *struct {
				Code    int    `json:"code"`
				Subcode int    `json:"subcode"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"data"`
	}
	query := url.Values{"input_token": {inputToken}}
	if err := c.getAs(ctx, appID+"|"+appSecret, "debug_token", query, &out, appSecret, inputToken); err != nil {
		return TokenInfo{}, errors.Wrap(err, "inspect the access token")
	}
	d := out.Data
	info := TokenInfo{
		Valid:               d.IsValid,
		AppID:               string(d.AppID),
		Application:         d.Application,
		Type:                d.Type,
		ProfileID:           string(d.ProfileID),
		UserID:              string(d.UserID),
		ExpiresAt:           d.ExpiresAt.time(),
		DataAccessExpiresAt: d.DataAccessExpiresAt.time(),
		IssuedAt:            d.IssuedAt.time(),
		Scopes:              d.Scopes,
	}
	for _, g := range d.GranularScopes {
		gs := GranularScope{Scope: g.Scope}
		for _, id := range g.TargetIDs {
			gs.TargetIDs = append(gs.TargetIDs, string(id))
		}
		info.GranularScopes = append(info.GranularScopes, gs)
	}
	if d.Error != nil {
		msg := strings.ReplaceAll(strings.ReplaceAll(d.Error.Message, inputToken, "[redacted]"), appSecret, "[redacted]")
		info.Problem = &TokenProblem{Code: d.Error.Code, Subcode: d.Error.Subcode, Message: msg}
	}
	return info, nil
}

// Page reads the configured Page with the Page token: GET /{page-id}?fields=id,name,instagram_business_account.
func (c *Client) Page(ctx context.Context, pageID string) (Page, error) {
	if !validPageID(pageID) {
		return Page{}, errors.New("invalid Page ID")
	}
	var out struct {
		ID      meta.FlexString `json:"id"`
		Name    string          `json:"name"`
		Account *struct {
			ID meta.FlexString `json:"id"`
		} `json:"instagram_business_account"`
	}
	if err := c.getConfigured(ctx, pageID, url.Values{"fields": {"id,name,instagram_business_account"}}, &out); err != nil {
		return Page{}, errors.Wrap(err, "read the Page")
	}
	p := Page{ID: string(out.ID), Name: out.Name}
	if out.Account != nil {
		p.InstagramAccountID = string(out.Account.ID)
	}
	return p, nil
}

// InstagramAccount reads an Instagram professional account with the Page token (the
// Messenger API for Instagram reaches it through the linked Page): GET /{ig-id}?fields=id,username.
func (c *Client) InstagramAccount(ctx context.Context, accountID string) (InstagramAccount, error) {
	if !validPageID(accountID) {
		return InstagramAccount{}, errors.New("invalid Instagram account ID")
	}
	var out struct {
		ID       meta.FlexString `json:"id"`
		Username string          `json:"username"`
	}
	if err := c.getConfigured(ctx, accountID, url.Values{"fields": {"id,username"}}, &out); err != nil {
		return InstagramAccount{}, errors.Wrap(err, "read the Instagram account")
	}
	return InstagramAccount{ID: string(out.ID), Username: out.Username}, nil
}

// SubscribedApps lists the apps subscribed to the Page's webhooks and their fields:
// GET /{page-id}/subscribed_apps with the Page token. Meta unsubscribes an app after an
// hour of failed deliveries, so this is where a silent stop shows.
func (c *Client) SubscribedApps(ctx context.Context, pageID string) ([]SubscribedApp, error) {
	if !validPageID(pageID) {
		return nil, errors.New("invalid Page ID")
	}
	var out struct {
		Data []struct {
			ID               meta.FlexString `json:"id"`
			Name             string          `json:"name"`
			SubscribedFields []string        `json:"subscribed_fields"`
		} `json:"data"`
	}
	if err := c.getConfigured(ctx, pageID+"/subscribed_apps", nil, &out); err != nil {
		return nil, errors.Wrap(err, "list the Page's subscribed apps")
	}
	apps := make([]SubscribedApp, 0, len(out.Data))
	for _, a := range out.Data {
		apps = append(apps, SubscribedApp{ID: string(a.ID), Name: a.Name, SubscribedFields: a.SubscribedFields})
	}
	return apps, nil
}

// getConfigured is getAs with the configured Page token.
func (c *Client) getConfigured(ctx context.Context, p string, query url.Values, out any) error {
	token := c.settings().Token
	if token == "" {
		return ErrNoToken
	}
	return c.getAs(ctx, token, p, query, out)
}

// getAs calls a Graph endpoint with token in the Authorization header and decodes the
// answer into out. Transport errors lose the URL (it may hold an input_token), and
// Meta's error text is cleared of the token and of the extra secrets given.
func (c *Client) getAs(ctx context.Context, token, p string, query url.Values, out any, secrets ...string) error {
	s := c.settings()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(s, p, query), nil)
	if err != nil {
		return errors.New("build graph request")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return transportError(err)
	}
	if resp.StatusCode >= 300 {
		ge := parseError(resp.StatusCode, body)
		for _, secret := range append(secrets, token) {
			redact(ge, secret)
		}
		return ge
	}
	if err := json.Unmarshal(body, out); err != nil {
		return errors.Errorf("the Graph API answered HTTP %s with a body that is not the expected JSON", strconv.Itoa(resp.StatusCode))
	}
	return nil
}
