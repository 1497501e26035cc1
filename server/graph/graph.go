// Package graph talks to Meta's Graph API over HTTP: profile lookups, media downloads
// and the Send API. Errors are classified by Meta's code and subcode, never by
// message text. Tokens travel in the Authorization header, never in URLs, so they do
// not reach logs.
package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// DefaultBaseURL is Meta's Graph host.
const DefaultBaseURL = "https://graph.facebook.com"

// DefaultVersion is the Graph API version used when none is configured.
const DefaultVersion = "v26.0"

// MaxMediaBytes caps a downloaded attachment (Meta's own attachment limit is 25 MB).
const MaxMediaBytes = 25 << 20

const maxErrorBody = 64 << 10

// Error is an error answer of the Graph API.
type Error struct {
	HTTPStatus  int    `json:"-"`
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	UserTitle   string `json:"error_user_title"`
	UserMessage string `json:"error_user_msg"`
	FBTraceID   string `json:"fbtrace_id"`
}

func (e *Error) Error() string {
	trace := ""
	if e.FBTraceID != "" {
		trace = ", trace " + e.FBTraceID
	}
	return fmt.Sprintf("graph API error %d/%d (HTTP %d%s): %s", e.Code, e.Subcode, e.HTTPStatus, trace, e.Message)
}

// Settings tells the client where and how to call.
type Settings struct {
	BaseURL string
	Version string
	Token   string
}

// Client calls the Graph API. It is safe for concurrent use.
type Client struct {
	http     *http.Client
	settings func() Settings
}

// New builds a client; settings is read on every call, so configuration changes apply
// without a restart.
func New(httpClient *http.Client, settings func() Settings) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{http: httpClient, settings: settings}
}

func (c *Client) endpoint(s Settings, p string, query url.Values) string {
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	v := s.Version
	if v == "" {
		v = DefaultVersion
	}
	u := base + "/" + v + "/" + strings.TrimLeft(p, "/")
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

// get calls a Graph endpoint and decodes the JSON answer into out.
func (c *Client) get(ctx context.Context, p string, query url.Values, out any) error {
	s := c.settings()
	if s.Token == "" {
		return errors.New("no Page access token is configured")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(s, p, query), nil)
	if err != nil {
		return errors.Wrap(err, "build graph request")
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := c.http.Do(req)
	if err != nil {
		return errors.Wrap(scrub(err), "call graph API")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return errors.Wrap(err, "read graph answer")
	}
	if resp.StatusCode >= 300 {
		return parseError(resp.StatusCode, body)
	}
	return errors.Wrap(json.Unmarshal(body, out), "decode graph answer")
}

// parseError decodes Meta's {"error":{...}} body; an unexpected body still gives an
// Error carrying the HTTP status.
func parseError(status int, body []byte) *Error {
	var env struct {
		Error *Error `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
		return &Error{HTTPStatus: status, Message: http.StatusText(status)}
	}
	env.Error.HTTPStatus = status
	return env.Error
}

// scrub drops the URL from transport errors (it is ours and holds no token, but media
// URLs carry signed query strings that have no place in logs).
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.Errorf("%s: %v", ue.Op, ue.Err)
	}
	return err
}

// Profile looks a customer up: Messenger User Profile API for PSIDs, the Instagram
// user profile for IGSIDs. Only fields that need no extra permission are asked for:
// asking for locale or timezone without them fails the whole call (2018247).
func (c *Client) Profile(ctx context.Context, platform meta.Platform, customerID string) (intake.Profile, error) {
	if customerID == "" || strings.ContainsAny(customerID, "/?#") {
		return intake.Profile{}, errors.New("invalid customer ID")
	}
	fields := "first_name,last_name,name,profile_pic"
	if platform == meta.Instagram {
		fields = "name,username,profile_pic"
	}
	var p struct {
		FirstName  string `json:"first_name"`
		LastName   string `json:"last_name"`
		Name       string `json:"name"`
		Username   string `json:"username"`
		ProfilePic string `json:"profile_pic"`
	}
	if err := c.get(ctx, customerID, url.Values{"fields": {fields}}, &p); err != nil {
		return intake.Profile{}, errors.Wrap(err, "look up profile")
	}
	name := p.Name
	if name == "" {
		name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	out := intake.Profile{Name: name, Username: p.Username, AvatarURL: p.ProfilePic}
	out.ProfileURL = ProfileURL(platform, p.Username)
	return out, nil
}

// ProfileURL is the public profile link of a customer, where one can be built: Instagram
// profiles live at their username; Messenger's page-scoped IDs have no public link.
func ProfileURL(platform meta.Platform, username string) string {
	if platform != meta.Instagram || username == "" {
		return ""
	}
	return "https://www.instagram.com/" + url.PathEscape(username)
}

// Download fetches an attachment from Meta's CDN (signed URLs that need no token).
func (c *Client) Download(ctx context.Context, rawURL string) (intake.Download, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return intake.Download{}, errors.New("the attachment URL is not a web address")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return intake.Download{}, errors.Wrap(err, "build download request")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return intake.Download{}, errors.Wrap(scrub(err), "download")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return intake.Download{}, errors.Errorf("the media server answered HTTP %d; the link may have expired", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxMediaBytes+1))
	if err != nil {
		return intake.Download{}, errors.Wrap(err, "read download")
	}
	if len(data) > MaxMediaBytes {
		return intake.Download{}, errors.Errorf("the file is larger than %d MB", MaxMediaBytes>>20)
	}
	ctype := resp.Header.Get("Content-Type")
	return intake.Download{Name: fileName(u, ctype), ContentType: ctype, Data: data}, nil
}

func fileName(u *url.URL, contentType string) string {
	name := path.Base(u.Path)
	if name == "." || name == "/" || !strings.Contains(name, ".") {
		name = "attachment"
		if mt, _, err := mime.ParseMediaType(contentType); err == nil {
			if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
				name += exts[0]
			}
		}
	}
	if len(name) > 100 {
		name = name[len(name)-100:]
	}
	return name
}
