package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"
)

func (e *env) alertPosts(channelID string) []*model.Post {
	var out []*model.Post
	for _, p := range e.botPosts(channelID) {
		if k, _ := p.GetProp(propKind).(string); strings.HasPrefix(k, "alert_") {
			out = append(out, p)
		}
	}
	return out
}

func TestAlertsReachTheQueueOrTheOwnerOnce(t *testing.T) {
	e := newEnv(t, 2)
	cfg := testConfig(e.graph.URL)
	cfg["UnansweredAlertMinutes"] = 15 // the System Console defaults
	cfg["WindowWarningMinutes"] = 120
	e.srv.SetPluginConfig(manifestID, cfg)
	for _, n := range e.nodes {
		require.NoError(t, n.OnConfigurationChange())
	}
	e.setNow(buyerWroteAt.Add(10 * time.Minute))
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	ch := e.leadChannels()[0]

	e.nodes[0].sweepAlerts()
	require.Empty(t, e.alertPosts(e.queueID), "10 minutes is below the 15-minute threshold")

	e.setNow(buyerWroteAt.Add(16 * time.Minute))
	e.nodes[0].sweepAlerts()
	e.nodes[1].sweepAlerts() // the job may run twice, on two nodes
	alerts := e.alertPosts(e.queueID)
	require.Len(t, alerts, 1)
	require.Contains(t, alerts[0].Message, "has waited 16 minutes for an answer")
	require.Contains(t, alerts[0].Message, "Nobody has claimed it: ~"+ch.Name)

	// Claimed: the window warning goes to the owner, in the lead channel, once.
	card := e.cardPost()
	_, text := e.action(0, e.ops[0].Id, card, actionClaim)
	require.Contains(t, text, "You claimed this lead")
	e.setNow(buyerWroteAt.Add(22*time.Hour + 30*time.Minute))
	e.nodes[1].sweepAlerts()
	e.nodes[0].sweepAlerts()
	warnings := e.alertPosts(ch.Id)
	require.Len(t, warnings, 1)
	require.Contains(t, warnings[0].Message, "@alice")
	require.Contains(t, warnings[0].Message, "closes in 1 hour 30 minutes")
	require.Len(t, e.alertPosts(e.queueID), 1, "no second unanswered alert for the same message")

	// An answer stops the alerts.
	e.setNow(buyerWroteAt.Add(30 * time.Minute))
	_, reason := e.reply(0, e.ops[0], ch.Id, "On it!")
	require.Empty(t, reason)
	e.setNow(buyerWroteAt.Add(23 * time.Hour))
	e.nodes[0].sweepAlerts()
	require.Len(t, e.alertPosts(ch.Id), 1)
}
