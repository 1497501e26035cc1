package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

func archiveEnv(t *testing.T, serverVersion string) (*env, string, string) {
	e := newEnv(t, 1)
	cfg := testConfig(e.graph.URL)
	cfg["ArchiveClosedAfterHours"] = 72
	e.srv.SetPluginConfig(manifestID, cfg)
	p := e.nodes[0]
	p.serverVersion = func() string { return serverVersion }
	require.NoError(t, p.OnConfigurationChange())
	e.setNow(buyerWroteAt.Add(time.Hour))
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	ch := e.leadChannels()[0]
	leadID, _ := p.leadOfChannel(ch.Id)
	_, text := e.action(0, e.ops[0].Id, e.cardPost(), actionClose)
	require.Contains(t, text, "Lead closed")
	return e, ch.Id, leadID
}

func (e *env) channelArchived(id string) bool {
	ch, appErr := e.nodes[0].API.GetChannel(id)
	require.Nil(e.t, appErr)
	return ch.DeleteAt != 0
}

func TestClosedLeadChannelIsArchivedAfterGraceAndRestoredWhenTheBuyerWrites(t *testing.T) {
	e, channelID, leadID := archiveEnv(t, "11.10.0")
	p := e.nodes[0]

	e.setNow(buyerWroteAt.Add(time.Hour + 71*time.Hour))
	p.sweepAlerts()
	require.False(t, e.channelArchived(channelID), "still within the grace period")

	e.setNow(buyerWroteAt.Add(time.Hour + 73*time.Hour))
	p.sweepAlerts()
	require.True(t, e.channelArchived(channelID))
	var conv store.Conversation
	_, err := p.store.Get(store.ConversationKey(leadID), &conv)
	require.NoError(t, err)
	require.True(t, conv.ChannelArchived)
	ids, err := p.store.ArchiveCandidates()
	require.NoError(t, err)
	require.Empty(t, ids)

	// The buyer writes again: same channel, restored, history intact, lead reopened.
	before := len(e.botPosts(channelID))
	again := strings.ReplaceAll(string(sample(t, "messenger_text.json")), `"mid":"m_oSZ`, `"mid":"m_back`)
	again = strings.ReplaceAll(again, "1795209247312", "1795509247312")
	require.Equal(t, http.StatusOK, e.post(0, []byte(again)).Code)
	require.False(t, e.channelArchived(channelID))
	require.Len(t, e.leadChannels(), 1, "no second channel")
	require.Len(t, e.botPosts(channelID), before+1)
	require.Equal(t, store.HandoffOpen, e.handoff(leadID).State)
	trail, err := p.store.AuditTrail(leadID)
	require.NoError(t, err)
	var actions []string
	for _, ev := range trail {
		actions = append(actions, ev.Action)
	}
	require.Contains(t, actions, "lead.channel_archived")
	require.Contains(t, actions, "lead.channel_restored")
}

func TestArchivingWaitsForAServerThatCanRestore(t *testing.T) {
	e, channelID, _ := archiveEnv(t, "11.1.0")
	p := e.nodes[0]
	e.setNow(buyerWroteAt.Add(10 * 24 * time.Hour))
	p.sweepAlerts()
	p.sweepAlerts()
	require.False(t, e.channelArchived(channelID), "RestoreChannel needs 11.10: never archive what cannot come back")
	warned := 0
	for _, l := range e.srv.Logs() {
		if strings.Contains(l.Message, "closed lead channels are not archived") {
			warned++
		}
	}
	require.Equal(t, 1, warned, "said once, not every minute")
	ids, err := p.store.ArchiveCandidates()
	require.NoError(t, err)
	require.Len(t, ids, 1, "kept for when the server is upgraded")
}

func TestVersionAtLeast(t *testing.T) {
	for _, tc := range []struct {
		v, min string
		want   bool
	}{
		{"11.10.0", "11.10.0", true}, {"11.9.3", "11.10.0", false}, {"12.0.0", "11.10.0", true},
		{"11.1.0", "11.10.0", false}, {"v11.11.1-rc2", "11.10.0", true}, {"", "11.10.0", false},
	} {
		require.Equal(t, tc.want, versionAtLeast(tc.v, tc.min), tc.v)
	}
}
