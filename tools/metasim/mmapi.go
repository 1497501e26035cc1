package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pkg/errors"
)

// mmClient reads the Mattermost REST API with an admin's token. It needs only the
// standard library: load counts what the plugin created, nothing more.
type mmClient struct {
	base  string
	token string
	http  *http.Client
}

type mmChannel struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	CreateAt   int64  `json:"create_at"`
	LastPostAt int64  `json:"last_post_at"`
	DeleteAt   int64  `json:"delete_at"`
}

type mmPost struct {
	ID        string         `json:"id"`
	ChannelID string         `json:"channel_id"`
	CreateAt  int64          `json:"create_at"`
	Props     map[string]any `json:"props"`
}

type mmPostList struct {
	Order []string          `json:"order"`
	Posts map[string]mmPost `json:"posts"`
}

// nativeIDProp is the post prop the plugin stamps with the Meta native ID (mid).
const nativeIDProp = "social_inbox_native_id"

const mmPageSize = 200

func (c *mmClient) get(ctx context.Context, path string, query url.Values, out any) error {
	u := strings.TrimRight(c.base, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return errors.Wrap(err, "build Mattermost request")
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return errors.Errorf("cannot reach Mattermost at %s: %v", c.base, rootCause(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return errors.Wrapf(err, "read GET %s", path)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return errors.New("Mattermost refused the admin token (HTTP 401): check --token or MM_ADMIN_TOKEN")
	case resp.StatusCode == http.StatusForbidden:
		return errors.Errorf("the token is not a system admin's (HTTP 403 on GET %s): listing a team's private channels needs manage_system", path)
	case resp.StatusCode >= 300:
		return errors.Errorf("GET %s answered HTTP %d: %s", path, resp.StatusCode, oneLine(body, 200))
	}
	return errors.Wrapf(json.Unmarshal(body, out), "decode GET %s", path)
}

// teamID resolves a team's URL name (GET /api/v4/teams/name/{name}).
func (c *mmClient) teamID(ctx context.Context, name string) (string, error) {
	var team struct {
		ID string `json:"id"`
	}
	if err := c.get(ctx, "/api/v4/teams/name/"+url.PathEscape(name), nil, &team); err != nil {
		return "", errors.Wrapf(err, "find team %q", name)
	}
	return team.ID, nil
}

// leadChannels lists the team's private channels named like lead channels
// (GET /api/v4/teams/{team_id}/channels/private, system admins only).
func (c *mmClient) leadChannels(ctx context.Context, teamID string) ([]mmChannel, error) {
	var out []mmChannel
	for page := 0; ; page++ {
		var channels []mmChannel
		q := url.Values{"page": {fmt.Sprint(page)}, "per_page": {fmt.Sprint(mmPageSize)}}
		if err := c.get(ctx, "/api/v4/teams/"+url.PathEscape(teamID)+"/channels/private", q, &channels); err != nil {
			return nil, errors.Wrap(err, "list private channels")
		}
		for _, ch := range channels {
			if strings.HasPrefix(ch.Name, "fb-") || strings.HasPrefix(ch.Name, "ig-") {
				out = append(out, ch)
			}
		}
		if len(channels) < mmPageSize {
			return out, nil
		}
	}
}

// postsSince returns a channel's posts created at or after since (ms), newest first
// (GET /api/v4/channels/{channel_id}/posts?page=N&per_page=200).
func (c *mmClient) postsSince(ctx context.Context, channelID string, since int64) ([]mmPost, error) {
	var out []mmPost
	for page := 0; ; page++ {
		var list mmPostList
		q := url.Values{"page": {fmt.Sprint(page)}, "per_page": {fmt.Sprint(mmPageSize)}}
		if err := c.get(ctx, "/api/v4/channels/"+url.PathEscape(channelID)+"/posts", q, &list); err != nil {
			return nil, errors.Wrap(err, "list posts")
		}
		older := false
		for _, id := range list.Order {
			p, ok := list.Posts[id]
			if !ok {
				continue
			}
			if p.CreateAt < since {
				older = true
				continue
			}
			out = append(out, p)
		}
		if older || len(list.Order) < mmPageSize {
			return out, nil
		}
	}
}

// mmCount is what the plugin created in Mattermost during a load run.
type mmCount struct {
	// LeadChannels created since the run started.
	LeadChannels int
	// Posts per native ID sent by the run (more than one is a duplicate post).
	PostsByMID map[string]int
}

func (m mmCount) posts() int {
	n := 0
	for _, c := range m.PostsByMID {
		n += c
	}
	return n
}

// countCreated counts lead channels created since `since` (ms) and the posts in lead
// channels that carry one of the run's native IDs.
func countCreated(ctx context.Context, c *mmClient, teamID string, since int64, mids map[string]bool) (mmCount, error) {
	count := mmCount{PostsByMID: map[string]int{}}
	channels, err := c.leadChannels(ctx, teamID)
	if err != nil {
		return count, err
	}
	for _, ch := range channels {
		if ch.CreateAt >= since {
			count.LeadChannels++
		}
		if ch.LastPostAt < since && ch.CreateAt < since {
			continue
		}
		posts, err := c.postsSince(ctx, ch.ID, since)
		if err != nil {
			return count, errors.Wrapf(err, "read channel %s", ch.Name)
		}
		for _, p := range posts {
			if mid, _ := p.Props[nativeIDProp].(string); mids[mid] {
				count.PostsByMID[mid]++
			}
		}
	}
	return count, nil
}
