package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

func (e *env) cardPost() *model.Post {
	chans := e.leadChannels()
	require.Len(e.t, chans, 1)
	for _, p := range e.botPosts(chans[0].Id) {
		if len(p.Attachments()) > 0 {
			return p
		}
	}
	e.t.Fatal("no card post")
	return nil
}

func (e *env) freshCard() *model.Post {
	p, appErr := e.nodes[0].API.GetPost(e.cardPost().Id)
	require.Nil(e.t, appErr)
	return p
}

func TestClaimAndCloseFromTheCard(t *testing.T) {
	e := newEnv(t, 1)
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	card := e.cardPost()

	rec, text := e.action(0, e.ops[0].Id, card, actionClaim)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, text, "You claimed this lead")
	card = e.freshCard()
	require.Contains(t, card.Attachments()[0].Fields[1].Value, "Claimed by @alice")
	notice := e.botPosts(e.queueID)[0]
	require.Contains(t, notice.Attachments()[0].Fields[1].Value, "Claimed by @alice", "the queue notice follows the card")
	require.Empty(t, notice.Attachments()[0].Actions, "a claimed lead has no Claim button in the queue")

	var ids []string
	for _, a := range card.Attachments()[0].Actions {
		ids = append(ids, a.Id)
	}
	require.Equal(t, []string{actionRelease, actionClose, actionReview}, ids, "a claimed lead can be released, closed or flagged")
	_, text = e.action(0, e.ops[1].Id, card, actionClose)
	require.Contains(t, text, "Only the lead's owner or an admin can close a claimed lead")
	require.Contains(t, text, "@alice")

	_, text = e.action(0, e.ops[0].Id, card, actionClose)
	require.Contains(t, text, "Lead closed")
	card = e.freshCard()
	require.Equal(t, "Closed", card.Attachments()[0].Fields[1].Value)
	require.Len(t, card.Attachments()[0].Actions, 1)
	require.Equal(t, actionReopen, card.Attachments()[0].Actions[0].Id, "a closed lead offers Reopen only")

	leadID := card.GetProp(propLeadID).(string)
	open, err := e.nodes[0].store.OpenLeads()
	require.NoError(t, err)
	require.NotContains(t, open, leadID)
	trail, err := e.nodes[0].store.AuditTrail(leadID)
	require.NoError(t, err)
	var claimed, closed *store.AuditEvent
	for i := range trail {
		switch trail[i].Action {
		case "handoff.claimed":
			claimed = &trail[i]
		case "handoff.closed":
			closed = &trail[i]
		}
	}
	require.NotNil(t, claimed)
	require.Equal(t, e.ops[0].Id, claimed.ActorID)
	require.Equal(t, "open", claimed.Before)
	require.Equal(t, "claimed:"+e.ops[0].Id, claimed.After)
	require.NotNil(t, closed)

	// The buyer writes again: the lead reopens and the card says so.
	again := strings.ReplaceAll(string(sample(t, "messenger_text.json")), `"mid":"m_oSZ`, `"mid":"m_again`)
	again = strings.ReplaceAll(again, "1795209247312", "1795209347312")
	require.Equal(t, http.StatusOK, e.post(0, []byte(again)).Code)
	card = e.freshCard()
	require.Contains(t, card.Attachments()[0].Fields[1].Value, "unclaimed")
	open, err = e.nodes[0].store.OpenLeads()
	require.NoError(t, err)
	require.Contains(t, open, leadID)
}

func TestReleaseReviewAndReopenFromTheCard(t *testing.T) {
	e := newEnv(t, 1)
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	steps := []struct {
		user   int
		action string
		text   string
		status string
	}{
		{0, actionClaim, "You claimed this lead", "Claimed by @alice"},
		{1, actionReview, "flagged for policy review", "Under policy review"},
		{0, actionClear, "", ""}, // the owner cannot clear a review of their own lead
		{1, actionClear, "Policy review cleared", "Claimed by @alice"},
		{0, actionRelease, "You released this lead", "unclaimed"},
		{1, actionClose, "Lead closed", "Closed"},
		{1, actionReopen, "Lead reopened", "unclaimed"},
	}
	for _, st := range steps {
		_, text := e.action(0, e.ops[st.user].Id, e.freshCard(), st.action)
		if st.text == "" {
			require.NotContains(t, text, "cleared", st.action)
			require.Contains(t, e.freshCard().Attachments()[0].Fields[1].Value, "Under policy review")
			continue
		}
		require.Contains(t, text, st.text, st.action)
		require.Contains(t, e.freshCard().Attachments()[0].Fields[1].Value, st.status, st.action)
	}
}

func TestConcurrentClaimsOnTwoNodesHaveOneWinner(t *testing.T) {
	e := newEnv(t, 2)
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	card := e.cardPost()
	texts := make([]string, 2)
	var wg sync.WaitGroup
	for i := range e.ops {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rec, text := e.action(i, e.ops[i].Id, card, actionClaim)
			texts[i] = fmt.Sprintf("%d %s %s", rec.Code, text, rec.Body.String())
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, text := range texts {
		if strings.Contains(text, "You claimed this lead") {
			wins++
		} else {
			require.Contains(t, text, "already claimed")
			require.Contains(t, text, "Owner: @")
		}
	}
	require.Equal(t, 1, wins, texts)
}

func TestForgedOrUnauthorisedActionsAreRefused(t *testing.T) {
	e := newEnv(t, 1)
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	card := e.cardPost()
	good := card.Attachments()[0].Actions[0].Integration.Context
	leadID := good["lead_id"].(string)
	otherPost, appErr := e.nodes[0].API.CreatePost(&model.Post{UserId: e.ops[0].Id, ChannelId: card.ChannelId, Message: "hi"})
	require.Nil(t, appErr)

	tests := []struct {
		name   string
		user   string
		action string
		req    *model.PostActionIntegrationRequest
		status int
		text   string
	}{
		{"no session", "", actionClaim, &model.PostActionIntegrationRequest{PostId: card.Id, ChannelId: card.ChannelId, Context: good}, http.StatusUnauthorized, ""},
		{"unsigned context", e.ops[0].Id, actionClaim, &model.PostActionIntegrationRequest{PostId: card.Id, ChannelId: card.ChannelId, Context: map[string]any{"lead_id": leadID, "action": "claim"}}, http.StatusForbidden, ""},
		{"signature for another action", e.ops[0].Id, actionClose, &model.PostActionIntegrationRequest{PostId: card.Id, ChannelId: card.ChannelId, Context: good}, http.StatusForbidden, ""},
		{"signature for another lead", e.ops[0].Id, actionClaim, &model.PostActionIntegrationRequest{PostId: card.Id, ChannelId: card.ChannelId, Context: map[string]any{"lead_id": strings.Repeat("a", 32), "sig": good["sig"]}}, http.StatusForbidden, ""},
		{"post not authored by the bot", e.ops[0].Id, actionClaim, &model.PostActionIntegrationRequest{PostId: otherPost.Id, ChannelId: card.ChannelId, Context: good}, http.StatusForbidden, ""},
		{"post in another channel", e.ops[0].Id, actionClaim, &model.PostActionIntegrationRequest{PostId: card.Id, ChannelId: e.queueID, Context: good}, http.StatusForbidden, ""},
		{"unknown post", e.ops[0].Id, actionClaim, &model.PostActionIntegrationRequest{PostId: model.NewId(), ChannelId: card.ChannelId, Context: good}, http.StatusNotFound, ""},
		{"user outside the operator pool", e.outsider.Id, actionClaim, &model.PostActionIntegrationRequest{PostId: card.Id, ChannelId: card.ChannelId, Context: good}, http.StatusOK, "Only members of the operator pool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, text := e.rawAction(0, tc.user, tc.action, tc.req)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.text != "" {
				require.Contains(t, text, tc.text)
			}
			var ho store.Handoff
			_, err := e.nodes[0].store.Get(store.HandoffKey(leadID), &ho)
			require.NoError(t, err)
			require.Equal(t, store.HandoffOpen, ho.State, "nothing changed")
		})
	}
}

func TestNoSecretReachesLogsOrPosts(t *testing.T) {
	e := newEnv(t, 2)
	e.graph.setDown(true)
	for _, body := range [][]byte{sample(t, "messenger_text.json"), sample(t, "instagram_image.json"), []byte("{bad")} {
		e.post(0, body)
		e.postWith(1, body, map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("0", 64)})
	}
	for _, l := range e.srv.Logs() {
		line := l.String()
		for _, secret := range []string{testSecret, testToken} {
			require.NotContains(t, line, secret)
		}
	}
	for _, ch := range e.leadChannels() {
		for _, p := range e.srv.PostsInChannel(ch.Id) {
			require.NotContains(t, p.Message, testToken)
		}
	}
}
