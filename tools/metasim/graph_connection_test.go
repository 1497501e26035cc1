package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/connection"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
)

// The plugin's System Console connection check, run against the stand-in: with the
// plugin set up as the README's "Try it locally" says, every check passes.
func runConnectionCheck(t *testing.T, gt *graphTest, cfg connection.Config) connection.Report {
	t.Helper()
	client := graph.New(nil, func() graph.Settings {
		return graph.Settings{BaseURL: gt.srv.URL, Version: "v26.0", Token: cfg.PageToken}
	})
	checker := &connection.Checker{Graph: client, Timeout: 5 * time.Second}
	return checker.Run(context.Background(), cfg)
}

func checkStatuses(r connection.Report) string {
	parts := make([]string, 0, len(r.Checks))
	for _, c := range r.Checks {
		parts = append(parts, c.ID+"="+string(c.Status))
	}
	return strings.Join(parts, " ")
}

func standInConfig() connection.Config {
	return connection.Config{
		AppID: defaultAppID, AppSecret: testSecret, PageID: defaultPageID, PageToken: testPageToken,
		InstagramAccountID: defaultIGID, WebhookURL: "https://mm.example.com/plugins/social-inbox/webhook/meta",
	}
}

func TestConnectionCheckPassesAgainstTheStandIn(t *testing.T) {
	gt := newGraphTest(t, graphConfig{Token: testPageToken})
	r := runConnectionCheck(t, gt, standInConfig())
	require.True(t, r.OK, checkStatuses(r))
	require.Equal(t, "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=pass webhook_url=pass", checkStatuses(r))
	require.Contains(t, r.Checks[4].Detail, "Treasure Valley Pools & Spas")
	require.Contains(t, r.Checks[5].Detail, "@tv_pools_spas")

	log := gt.log.String()
	require.Contains(t, log, "GET /v26.0/debug_token?input_token=***")
	require.NotContains(t, log, testPageToken)
	require.NotContains(t, log, testSecret)
}

func TestConnectionCheckAgainstTheStandInFindsProblems(t *testing.T) {
	// --unsubscribed: as after Meta disabled the webhook.
	gt := newGraphTest(t, graphConfig{Token: testPageToken, Unsubscribed: true})
	r := runConnectionCheck(t, gt, standInConfig())
	require.Equal(t, "settings=pass app_secret=pass page_token=pass token_expiry=pass page=pass instagram=pass subscription=fail webhook_url=pass", checkStatuses(r))

	// A Page token the stand-in does not accept (--token mismatch) reads as expired.
	gt = newGraphTest(t, graphConfig{Token: testPageToken})
	cfg := standInConfig()
	cfg.PageToken = "EAAstaletoken0000"
	r = runConnectionCheck(t, gt, cfg)
	require.Equal(t, "settings=pass app_secret=pass page_token=fail token_expiry=fail page=skip instagram=skip subscription=skip webhook_url=pass", checkStatuses(r))

	// The plugin set up with another app's ID.
	cfg = standInConfig()
	cfg.AppID = "999000111222333"
	r = runConnectionCheck(t, gt, cfg)
	require.Equal(t, "settings=pass app_secret=pass page_token=fail token_expiry=skip page=pass instagram=pass subscription=fail webhook_url=pass", checkStatuses(r))
}
