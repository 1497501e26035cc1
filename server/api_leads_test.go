package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/relay"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

const notOperator = "Only members of the operator pool (~social-inbox-queue) can work leads. Ask an admin to add you."

// apiRefusal is an error answer; a 409 carries the lead as it is.
type apiRefusal struct {
	Error    string        `json:"error"`
	Lead     *leadView     `json:"lead"`
	Delivery *deliveryView `json:"delivery"`
}

type apiActionResult struct {
	Lead    *leadView `json:"lead"`
	Message string    `json:"message"`
}

type apiQueue struct {
	Leads    []leadView   `json:"leads"`
	Now      int64        `json:"now"`
	Settings settingsView `json:"settings"`
}

type apiDeliveries struct {
	Deliveries map[string]deliveryView `json:"deliveries"`
}

func decodeAs[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"), rec.Body.String())
	var v T
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v), rec.Body.String())
	return v
}

func (e *env) getLead(userID, leadID string) leadView {
	e.t.Helper()
	rec := e.api(0, userID, http.MethodGet, "/leads/"+leadID, nil)
	require.Equal(e.t, http.StatusOK, rec.Code, rec.Body.String())
	var v leadView
	require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &v))
	return v
}

func (e *env) leadAction(node int, userID, leadID, action string, body any) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.api(node, userID, http.MethodPost, "/leads/"+leadID+"/actions/"+action, body)
}

func (e *env) enableHumanAgent(cfg map[string]any) {
	e.t.Helper()
	if cfg == nil {
		cfg = testConfig(e.graph.URL)
	}
	cfg["EnableHumanAgentTag"] = true
	e.srv.SetPluginConfig(manifestID, cfg)
	for _, n := range e.nodes {
		require.NoError(e.t, n.OnConfigurationChange())
	}
}

func (e *env) leadOf(channel *model.Channel) string {
	e.t.Helper()
	id, ok := e.nodes[0].leadOfChannel(channel.Id)
	require.True(e.t, ok)
	return id
}

func TestInboxRoutesRefuseCallersWithoutSessionOrOutsideThePool(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	reply, reason := e.reply(0, e.ops[0], ch.Id, "Hi Dana!")
	require.Empty(t, reason)
	routes := []struct {
		name, method, path string
	}{
		{"queue", http.MethodGet, "/leads"},
		{"lead", http.MethodGet, "/leads/" + leadID},
		{"channel's lead", http.MethodGet, "/channels/" + ch.Id + "/lead"},
		{"action", http.MethodPost, "/leads/" + leadID + "/actions/release"},
		{"deliveries", http.MethodGet, "/deliveries?post_id=" + reply.Id},
		{"retry", http.MethodPost, "/deliveries/" + reply.Id + "/retry"},
	}
	auditBefore := len(e.cmdAudit(leadID))
	for _, rt := range routes {
		t.Run(rt.name+" without a session", func(t *testing.T) {
			rec := e.api(0, "", rt.method, rt.path, nil)
			require.Equal(t, http.StatusUnauthorized, rec.Code)
			require.NotEmpty(t, decodeAs[apiRefusal](t, rec).Error, "the 401 is JSON too")
		})
		t.Run(rt.name+" outside the operator pool", func(t *testing.T) {
			rec := e.api(0, e.outsider.Id, rt.method, rt.path, nil)
			require.Equal(t, http.StatusForbidden, rec.Code)
			require.Equal(t, notOperator, decodeAs[apiRefusal](t, rec).Error)
		})
		t.Run(rt.name+" by an unknown user", func(t *testing.T) {
			rec := e.api(0, model.NewId(), rt.method, rt.path, nil)
			require.Equal(t, http.StatusForbidden, rec.Code)
		})
	}
	ho := e.cmdHandoff(leadID)
	require.Equal(t, store.HandoffClaimed, ho.State, "nothing changed")
	require.Equal(t, e.ops[0].Id, ho.OwnerID)
	require.Len(t, e.cmdAudit(leadID), auditBefore, "nothing was audited")
}

func TestAdminOutsideThePoolMayWorkLeadsThroughTheAPI(t *testing.T) {
	e, _, leadID, admin := newCommandEnv(t, 1)
	rec := e.api(0, admin.Id, http.MethodGet, "/leads", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Len(t, decodeAs[apiQueue](t, rec).Leads, 1)

	rec = e.leadAction(0, admin.Id, leadID, "claim", nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	res := decodeAs[apiActionResult](t, rec)
	require.Equal(t, admin.Id, res.Lead.Handoff.OwnerID)
	require.Equal(t, "boss", res.Lead.Handoff.OwnerUsername, "the bare username")
	require.Equal(t, relay.Standard, res.Lead.Send.Mode, "the owner may answer")
}

// TestLeadViewShape pins the JSON names of docs/inbox-api.md on a fresh Messenger lead.
func TestLeadViewShape(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	rec := e.api(0, e.ops[0].Id, http.MethodGet, "/leads/"+leadID, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	t.Logf("LeadView: %s", rec.Body.String())
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))

	var conv store.Conversation
	_, err := e.nodes[0].store.Get(store.ConversationKey(leadID), &conv)
	require.NoError(t, err)
	ho := e.cmdHandoff(leadID)
	ms := func(v int64) any { return float64(v) }
	require.Equal(t, map[string]any{
		"id":           leadID,
		"channel_id":   ch.Id,
		"channel_name": ch.Name,
		"team_name":    testTeam,
		"platform":     "facebook",
		"contact":      map[string]any{"name": "Dana K7462", "avatar_url": e.graph.URL + "/media/dana.png"},
		"source":       map[string]any{"kind": "dm"},
		"handoff":      map[string]any{"state": "open", "under_review": false, "opened_at": ms(ho.OpenedAt)},
		"window": map[string]any{
			"last_customer_at":    ms(cmdMessengerAt.UnixMilli()),
			"standard_until":      ms(cmdMessengerAt.Add(24 * time.Hour).UnixMilli()),
			"human_agent_until":   ms(cmdMessengerAt.Add(7 * 24 * time.Hour).UnixMilli()),
			"human_agent_enabled": false,
		},
		"send":         map[string]any{"mode": "response", "until": ms(cmdMessengerAt.Add(24 * time.Hour).UnixMilli())},
		"last_excerpt": conv.LastExcerpt,
		"unanswered":   true,
		"updated_at":   ms(max(conv.UpdatedAt, ho.UpdatedAt)),
	}, got)
	require.NotEmpty(t, conv.LastExcerpt)
}

func TestSendModeIsTheDecisionMessageWillBePostedMakes(t *testing.T) {
	day := 24 * time.Hour
	standardUntil := cmdMessengerAt.Add(day).UnixMilli()
	humanAgentUntil := cmdMessengerAt.Add(7 * day).UnixMilli()
	tests := []struct {
		name       string
		after      time.Duration
		humanAgent bool
		// setup runs before the clock moves; alice (ops[0]) is the caller.
		setup        func(e *env, leadID string)
		mode         relay.Mode
		until        int64
		reason       string
		reviewReason string
	}{
		{name: "inside the 24-hour window", after: day - time.Minute, mode: relay.Standard, until: standardUntil},
		{name: "after 24 hours without Human Agent", after: day + time.Minute, mode: relay.Blocked, reason: "24-hour reply window has closed"},
		{name: "after 24 hours with Human Agent", after: day + time.Minute, humanAgent: true, mode: relay.HumanAgent, until: humanAgentUntil},
		{name: "after 7 days with Human Agent", after: 7*day + time.Minute, humanAgent: true, mode: relay.Blocked, reason: "7 days at most"},
		{name: "closed", after: time.Hour, setup: func(e *env, leadID string) {
			require.Equal(t, http.StatusOK, e.leadAction(0, e.ops[1].Id, leadID, "close", nil).Code)
		}, mode: relay.Blocked, reason: "This lead is closed."},
		{name: "claimed by someone else", after: time.Hour, setup: func(e *env, leadID string) {
			require.Equal(t, http.StatusOK, e.leadAction(0, e.ops[1].Id, leadID, "claim", nil).Code)
		}, mode: relay.Blocked, reason: "This lead is claimed by @bob"},
		{name: "claimed by the caller", after: time.Hour, setup: func(e *env, leadID string) {
			require.Equal(t, http.StatusOK, e.leadAction(0, e.ops[0].Id, leadID, "claim", nil).Code)
		}, mode: relay.Standard, until: standardUntil},
		{name: "under policy review", after: time.Hour, setup: func(e *env, leadID string) {
			require.Equal(t, http.StatusOK, e.leadAction(0, e.ops[1].Id, leadID, "review", map[string]string{"reason": "asks for a discount"}).Code)
		}, mode: relay.Blocked, reason: "under policy review", reviewReason: "asks for a discount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ch, leadID, _ := newCommandEnv(t, 1)
			if tc.humanAgent {
				e.enableHumanAgent(nil)
			}
			if tc.setup != nil {
				tc.setup(e, leadID)
			}
			e.setNow(cmdMessengerAt.Add(tc.after))
			v := e.getLead(e.ops[0].Id, leadID)
			require.Equal(t, tc.mode, v.Send.Mode)
			require.Equal(t, tc.until, v.Send.Until)
			require.Equal(t, tc.humanAgent, v.Window.HumanAgentEnabled)
			require.Equal(t, tc.reviewReason, v.Handoff.ReviewReason)
			require.Equal(t, tc.reviewReason != "", v.Handoff.UnderReview)
			// The server hook agrees, word for word.
			_, hookReason := e.reply(0, e.ops[0], ch.Id, "Still interested?")
			if tc.reason == "" {
				require.Empty(t, v.Send.Reason)
				require.Empty(t, hookReason)
				return
			}
			require.Contains(t, v.Send.Reason, tc.reason)
			require.Equal(t, hookReason, v.Send.Reason)
		})
	}
}

func TestCommentLeadOffersItsOnePrivateReply(t *testing.T) {
	e := newEnv(t, 1)
	e.setNow(time.Unix(1795214247, 0).Add(time.Hour))
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "facebook_feed_comment_add.json")).Code)
	ch := e.leadChannels()[0]
	leadID := e.leadOf(ch)
	v := e.getLead(e.ops[0].Id, leadID)
	require.Equal(t, "comment", v.Source.Kind)
	require.NotEmpty(t, v.Source.CommentID)
	require.Equal(t, relay.PrivateReply, v.Send.Mode)
	require.NotZero(t, v.Send.Until)
	require.Equal(t, v.Send.Until, v.Window.PrivateReplyUntil)

	_, reason := e.reply(0, e.ops[0], ch.Id, "Yes, we service Boise!")
	require.Empty(t, reason)
	v = e.getLead(e.ops[0].Id, leadID)
	require.Equal(t, relay.Blocked, v.Send.Mode, "the one private reply is spent")
	require.Contains(t, v.Send.Reason, "already got its one private reply")
	require.Zero(t, v.Window.PrivateReplyUntil)
	require.False(t, v.Unanswered)
	require.NotZero(t, v.FirstResponseAt)
}

func TestLeadQueueListsOpenLeadsAndSkipsAnUnreadableOne(t *testing.T) {
	e, fbChannel, fbLead, _ := newCommandEnv(t, 1)
	cfg := testConfig(e.graph.URL)
	cfg["WindowWarningMinutes"] = 90
	cfg["UnansweredAlertMinutes"] = 30
	e.enableHumanAgent(cfg)
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "instagram_text.json")).Code)
	e.setNow(cmdInstagramAt.Add(time.Hour))
	var igLead string
	for _, c := range e.leadChannels() {
		if strings.HasPrefix(c.Name, "ig-") {
			igLead = e.leadOf(c)
		}
	}
	require.NotEmpty(t, igLead)

	list := func() apiQueue {
		rec := e.api(0, e.ops[1].Id, http.MethodGet, "/leads", nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		return decodeAs[apiQueue](t, rec)
	}
	byID := func(q apiQueue) map[string]leadView {
		out := map[string]leadView{}
		for _, l := range q.Leads {
			out[l.ID] = l
		}
		return out
	}
	q := list()
	require.Equal(t, e.now().UnixMilli(), q.Now)
	require.Equal(t, settingsView{WindowWarningMinutes: 90, UnansweredAlertMinutes: 30, HumanAgentEnabled: true}, q.Settings)
	leads := byID(q)
	require.Len(t, leads, 2)
	require.Equal(t, "facebook", leads[fbLead].Platform)
	require.Equal(t, fbChannel.Id, leads[fbLead].ChannelID)
	ig := leads[igLead]
	require.Equal(t, "instagram", ig.Platform)
	require.Equal(t, "Tom Vander", ig.Contact.Name)
	require.NotEmpty(t, ig.Contact.Username)
	require.Equal(t, "https://www.instagram.com/"+ig.Contact.Username, ig.Contact.ProfileURL, "the profile link built from the Instagram username")
	require.Equal(t, relay.Standard, ig.Send.Mode)

	// One lead whose record cannot be read is left out; the rest of the queue shows.
	broken := store.ConversationKey(igLead)
	e.srv.SetKVHook(func(op, key string) error {
		if op == "get" && key == broken {
			return errors.New("disk on fire")
		}
		return nil
	})
	q = list()
	require.Len(t, q.Leads, 1)
	require.Equal(t, fbLead, q.Leads[0].ID)
	e.srv.SetKVHook(nil)
	warned := false
	for _, l := range e.srv.Logs() {
		if strings.Contains(l.String(), "could not load an open lead for the inbox") && strings.Contains(l.String(), igLead) {
			warned = true
		}
	}
	require.True(t, warned, "the skipped lead is logged")

	// Closed leads leave the queue.
	require.Equal(t, http.StatusOK, e.leadAction(0, e.ops[0].Id, fbLead, "close", nil).Code)
	q = list()
	require.Len(t, q.Leads, 1)
	require.Equal(t, igLead, q.Leads[0].ID)
}

func TestLeadRoutes404(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	alice := e.ops[0].Id
	tests := []struct {
		name, method, path, err string
	}{
		{"unknown lead", http.MethodGet, "/leads/" + strings.Repeat("ab", 16), msgNoLead},
		{"malformed lead ID", http.MethodGet, "/leads/not-a-lead", msgNoLead},
		{"action on an unknown lead", http.MethodPost, "/leads/" + strings.Repeat("ab", 16) + "/actions/claim", msgNoLead},
		{"ordinary channel", http.MethodGet, "/channels/" + e.townSquare() + "/lead", "not a lead channel"},
		{"queue channel", http.MethodGet, "/channels/" + e.queueID + "/lead", "not a lead channel"},
		{"unknown channel", http.MethodGet, "/channels/" + model.NewId() + "/lead", "not a lead channel"},
		{"malformed channel ID", http.MethodGet, "/channels/town-square/lead", "not a lead channel"},
		{"retry of an unknown post", http.MethodPost, "/deliveries/" + model.NewId() + "/retry", "This post is not a reply to a buyer, so there is nothing to retry."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.api(0, alice, tc.method, tc.path, nil)
			require.Equal(t, http.StatusNotFound, rec.Code, rec.Body.String())
			require.Equal(t, tc.err, decodeAs[apiRefusal](t, rec).Error)
		})
	}

	t.Run("the channel's lead and a closed lead are found", func(t *testing.T) {
		rec := e.api(0, alice, http.MethodGet, "/channels/"+ch.Id+"/lead", nil)
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, leadID, decodeAs[leadView](t, rec).ID)
		require.Equal(t, http.StatusOK, e.leadAction(0, alice, leadID, "close", nil).Code)
		v := e.getLead(alice, leadID)
		require.Equal(t, store.HandoffClosed, v.Handoff.State)
		require.Equal(t, e.now().UnixMilli(), v.Handoff.ClosedAt)
		require.Empty(t, v.Handoff.OwnerID)
	})
}

func TestLeadActionsAreTheCardTransitions(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	alice, bob := e.ops[0], e.ops[1]
	steps := []struct {
		user        *model.User
		action      string
		body        any
		status      int
		text        string
		state       string
		owner       string
		underReview bool
		card        string
	}{
		{alice, "claim", nil, http.StatusOK, "You claimed this lead. Answer in the lead channel: your posts go to the buyer.", "claimed", alice.Id, false, "Claimed by @alice"},
		{bob, "review", map[string]string{"reason": "asks for a discount we cannot give"}, http.StatusOK, "Lead flagged for policy review: nothing can be sent to the buyer until someone else clears it.", "claimed", alice.Id, true, "Under policy review"},
		{alice, "clear-review", nil, http.StatusConflict, "You own this lead, so you cannot clear its policy review yourself. Ask another operator or an admin to review it.", "claimed", alice.Id, true, "Under policy review"},
		{bob, "clear-review", "", http.StatusOK, "Policy review cleared: operators can answer again.", "claimed", alice.Id, false, "Claimed by @alice"},
		{bob, "release", nil, http.StatusConflict, "Only the lead's owner or an admin can release a claimed lead. Owner: @alice.", "claimed", alice.Id, false, "Claimed by @alice"},
		{alice, "release", map[string]string{}, http.StatusOK, "You released this lead; any operator can claim it now.", "open", "", false, "unclaimed"},
		{bob, "close", map[string]string{"reason": "duplicate"}, http.StatusOK, "Lead closed. It reopens if the buyer writes again.", "closed", "", false, "Closed"},
		{bob, "close", nil, http.StatusConflict, "This lead is already closed.", "closed", "", false, "Closed"},
		{alice, "reopen", nil, http.StatusOK, "Lead reopened.", "open", "", false, "unclaimed"},
	}
	for i, st := range steps {
		events := len(e.wsEvents("lead_updated"))
		rec := e.leadAction(0, st.user.Id, leadID, st.action, st.body)
		require.Equal(t, st.status, rec.Code, "step %d %s: %s", i, st.action, rec.Body.String())
		var lead *leadView
		if st.status == http.StatusOK {
			res := decodeAs[apiActionResult](t, rec)
			require.Equal(t, st.text, res.Message, st.action)
			lead = res.Lead
			evs := e.wsEvents("lead_updated")
			require.Greater(t, len(evs), events, "step %d: the change is published", i)
			require.Equal(t, ch.Id, evs[len(evs)-1].Broadcast.ChannelId)
			require.Equal(t, leadID, evs[len(evs)-1].Payload["lead_id"])
		} else {
			res := decodeAs[apiRefusal](t, rec)
			require.Equal(t, st.text, res.Error, st.action)
			lead = res.Lead
		}
		require.NotNil(t, lead, "step %d: the answer carries the lead as it is", i)
		require.Equal(t, st.state, lead.Handoff.State, "step %d", i)
		require.Equal(t, st.owner, lead.Handoff.OwnerID, "step %d", i)
		require.Equal(t, st.underReview, lead.Handoff.UnderReview, "step %d", i)
		require.Contains(t, e.cardStatus(ch.Id), st.card, "step %d: the card follows", i)
	}
	var closed store.AuditEvent
	trail, err := e.nodes[0].store.AuditTrail(leadID)
	require.NoError(t, err)
	for _, ev := range trail {
		if ev.Action == "handoff.closed" {
			closed = ev
		}
	}
	require.Equal(t, bob.Id, closed.ActorID)
	require.Equal(t, "duplicate", closed.Detail, "the reason reaches the audit trail")
}

func TestConcurrentClaimsThroughTheAPIHaveOneWinner(t *testing.T) {
	e, _, leadID, _ := newCommandEnv(t, 2)
	recs := make([]*httptest.ResponseRecorder, 2)
	var wg sync.WaitGroup
	for i := range e.ops {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			recs[i] = e.leadAction(i, e.ops[i].Id, leadID, "claim", nil)
		}(i)
	}
	wg.Wait()
	var winner, loser int
	switch {
	case recs[0].Code == http.StatusOK && recs[1].Code == http.StatusConflict:
		winner, loser = 0, 1
	case recs[1].Code == http.StatusOK && recs[0].Code == http.StatusConflict:
		winner, loser = 1, 0
	default:
		t.Fatalf("want one 200 and one 409, got %d %s / %d %s", recs[0].Code, recs[0].Body, recs[1].Code, recs[1].Body)
	}
	w := e.ops[winner]
	refusal := decodeAs[apiRefusal](t, recs[loser])
	require.Equal(t, "This lead is already claimed. Owner: @"+w.Username+".", refusal.Error)
	require.NotNil(t, refusal.Lead)
	require.Equal(t, w.Id, refusal.Lead.Handoff.OwnerID, "the 409 carries the current lead")
	require.Equal(t, w.Username, refusal.Lead.Handoff.OwnerUsername)
	require.Equal(t, relay.Blocked, refusal.Lead.Send.Mode, "the loser cannot answer")

	// Claiming again is a conflict without an "Owner" hint: the caller is the owner.
	rec := e.leadAction(0, w.Id, leadID, "claim", nil)
	require.Equal(t, http.StatusConflict, rec.Code)
	require.Equal(t, "You already own this lead.", decodeAs[apiRefusal](t, rec).Error)
	require.Equal(t, 1, e.auditCount(leadID, "handoff.claimed"), "one claim is audited")
}

func TestActionRequestsAreValidated(t *testing.T) {
	e, ch, leadID, admin := newCommandEnv(t, 1)
	alice, bob := e.ops[0], e.ops[1]
	tests := []struct {
		name   string
		action string
		body   any
		status int
		err    string
	}{
		{"transfer without a target", "transfer", nil, http.StatusBadRequest, "Say who should take the lead over: to_user_id is required for a transfer."},
		{"transfer to an unknown user", "transfer", map[string]string{"to_user_id": model.NewId()}, http.StatusNotFound, "There is no such user to hand the lead to."},
		{"transfer to a malformed user ID", "transfer", map[string]string{"to_user_id": "../../x"}, http.StatusNotFound, "There is no such user to hand the lead to."},
		{"transfer outside the pool", "transfer", map[string]string{"to_user_id": e.outsider.Id}, http.StatusBadRequest, "@mallory is not in the operator pool, so they cannot work leads. An admin can add them to ~social-inbox-queue first."},
		{"transfer to an admin outside the pool", "transfer", map[string]string{"to_user_id": admin.Id}, http.StatusBadRequest, "@boss is not in the operator pool"},
		{"malformed JSON", "claim", `{"reason":`, http.StatusBadRequest, "The request body must be JSON"},
		{"a body that is not an object", "claim", `["claim"]`, http.StatusBadRequest, "The request body must be JSON"},
		{"a body that is too large", "close", map[string]string{"reason": strings.Repeat("x", maxActionBody)}, http.StatusBadRequest, "The request body is larger than"},
		{"a reason that is too long", "close", map[string]string{"reason": strings.Repeat("é", maxActionReasonRunes+1)}, http.StatusBadRequest, "This reason is 501 characters long"},
		{"an unknown action", "promote", nil, http.StatusBadRequest, `Unknown action "promote".`},
		{"the card's spelling of clear-review", "clearreview", nil, http.StatusBadRequest, "Unknown action"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.leadAction(0, alice.Id, leadID, tc.action, tc.body)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Contains(t, decodeAs[apiRefusal](t, rec).Error, tc.err)
		})
	}
	require.Equal(t, store.HandoffOpen, e.cmdHandoff(leadID).State, "nothing changed")

	t.Run("transfer to an operator who joined the pool later", func(t *testing.T) {
		carol := e.srv.AddUser("carol", false)
		e.srv.AddTeamMember(e.team.Id, carol.Id)
		e.srv.AddChannelMember(e.queueID, carol.Id)
		require.NotContains(t, e.srv.ChannelMembers(ch.Id), carol.Id)
		rec := e.leadAction(0, alice.Id, leadID, "transfer", map[string]string{"to_user_id": carol.Id})
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		res := decodeAs[apiActionResult](t, rec)
		require.Equal(t, "@carol now owns this lead; they were mentioned in the channel.", res.Message)
		require.Equal(t, carol.Id, res.Lead.Handoff.OwnerID)
		require.Contains(t, e.srv.ChannelMembers(ch.Id), carol.Id, "the new owner can reach the lead channel")

		rec = e.leadAction(0, bob.Id, leadID, "transfer", map[string]string{"to_user_id": bob.Id})
		require.Equal(t, http.StatusConflict, rec.Code)
		require.Equal(t, "Only the lead's owner or an admin can transfer a claimed lead. Owner: @carol.", decodeAs[apiRefusal](t, rec).Error)

		rec = e.leadAction(0, admin.Id, leadID, "transfer", map[string]string{"to_user_id": bob.Id})
		require.Equal(t, http.StatusOK, rec.Code, "an admin reassigns")
		require.Equal(t, []string{"🔁 @alice handed this lead to @carol.", "🔁 @boss handed this lead from @carol to @bob."}, e.handoffNotices(ch.Id))
	})
}

func TestStoreFailuresAnswer500WithoutDetails(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	const secret = "pq: password authentication failed for user mmuser"
	tests := []struct {
		name, method, path, failKey string
	}{
		{"lead", http.MethodGet, "/leads/" + leadID, store.HandoffKey(leadID)},
		{"channel's lead", http.MethodGet, "/channels/" + ch.Id + "/lead", store.ChannelKey(ch.Id)},
		{"queue", http.MethodGet, "/leads", store.OpenIndexKey(leadID)},
		{"claim", http.MethodPost, "/leads/" + leadID + "/actions/claim", store.HandoffKey(leadID)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.srv.SetKVHook(func(op, key string) error {
				if key == tc.failKey {
					return errors.New(secret)
				}
				return nil
			})
			rec := e.api(0, e.ops[0].Id, tc.method, tc.path, nil)
			e.srv.SetKVHook(nil)
			require.Equal(t, http.StatusInternalServerError, rec.Code, rec.Body.String())
			require.NotEmpty(t, decodeAs[apiRefusal](t, rec).Error)
			require.NotContains(t, rec.Body.String(), "password")
			require.NotContains(t, rec.Body.String(), "cv_")
		})
	}
	require.Equal(t, store.HandoffOpen, e.cmdHandoff(leadID).State, "nothing changed")
}

func TestDeliveriesListOnlyRepliesInTheOutbox(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	alice := e.ops[0].Id
	reply, reason := e.reply(0, e.ops[0], ch.Id, "Hi Dana!")
	require.Empty(t, reason)
	card := e.cardPost()

	ids := func(ids ...string) string { return "/deliveries?post_id=" + strings.Join(ids, "&post_id=") }
	rec := e.api(0, alice, http.MethodGet, ids(reply.Id, card.Id, model.NewId(), reply.Id), nil)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	got := decodeAs[apiDeliveries](t, rec).Deliveries
	require.Len(t, got, 1, "the card and an unknown post are not replies")
	d := got[reply.Id]
	require.Equal(t, reply.Id, d.PostID)
	require.Equal(t, leadID, d.LeadID)
	require.Equal(t, relay.StateSent, d.State)
	require.False(t, d.Retryable)
	require.Empty(t, d.Error)
	require.NotZero(t, d.UpdatedAt)

	many := make([]string, maxDeliveryIDs)
	for i := range many {
		many[i] = model.NewId()
	}
	many[0] = reply.Id
	tests := []struct {
		name   string
		path   string
		status int
		err    string
	}{
		{"no post", "/deliveries", http.StatusBadRequest, "Name the posts"},
		{"an empty post_id", "/deliveries?post_id=", http.StatusBadRequest, "Mattermost post ID"},
		{"a malformed post ID", ids(reply.Id, "../../etc"), http.StatusBadRequest, "Mattermost post ID"},
		{"100 posts", ids(many...), http.StatusOK, ""},
		{"101 posts", ids(append(many, model.NewId())...), http.StatusBadRequest, "at most 100 posts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.api(0, alice, http.MethodGet, tc.path, nil)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			if tc.err != "" {
				require.Contains(t, decodeAs[apiRefusal](t, rec).Error, tc.err)
				return
			}
			require.Len(t, decodeAs[apiDeliveries](t, rec).Deliveries, 1)
		})
	}
}

func TestRetryRouteSendsAFailedReplyAgain(t *testing.T) {
	e, ch, _, _ := newCommandEnv(t, 1)
	alice := e.ops[0].Id
	e.graph.answerSends(func(int) (int, string) {
		return http.StatusBadRequest, string(sample(t, "send_api_error_outside_window.json"))
	})
	reply, reason := e.reply(0, e.ops[0], ch.Id, "Hello?")
	require.Empty(t, reason)
	delivery := func() deliveryView {
		rec := e.api(0, alice, http.MethodGet, "/deliveries?post_id="+reply.Id, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		return decodeAs[apiDeliveries](t, rec).Deliveries[reply.Id]
	}
	retry := func() *httptest.ResponseRecorder {
		return e.api(0, e.ops[1].Id, http.MethodPost, "/deliveries/"+reply.Id+"/retry", nil)
	}
	d := delivery()
	require.Equal(t, relay.StateFailed, d.State)
	require.NotEmpty(t, d.Error)
	require.True(t, d.Retryable, "the window is open again here, so Retry can send it")

	t.Run("still blocked", func(t *testing.T) {
		e.setNow(cmdMessengerAt.Add(25 * time.Hour))
		defer e.setNow(cmdMessengerAt.Add(2 * time.Hour))
		require.False(t, delivery().Retryable)
		rec := retry()
		require.Equal(t, http.StatusConflict, rec.Code)
		res := decodeAs[apiRefusal](t, rec)
		require.Contains(t, res.Error, "Still not possible: The buyer last wrote 25 hours ago and Meta's 24-hour reply window has closed.")
		require.Equal(t, relay.StateFailed, res.Delivery.State)
	})

	t.Run("sent again once Meta accepts", func(t *testing.T) {
		e.graph.answerSends(nil)
		events := len(e.wsEvents("delivery_updated"))
		rec := retry()
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var res struct {
			Delivery deliveryView `json:"delivery"`
			Message  string       `json:"message"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
		require.Equal(t, "Sending again.", res.Message)
		require.Equal(t, relay.StatePending, res.Delivery.State)
		require.Zero(t, res.Delivery.Attempts)
		e.waitFor(func() bool { return delivery().State == relay.StateSent }, "the retried reply to be sent")
		require.Len(t, e.graph.sent(), 2)
		var states []string
		for _, ev := range e.wsEvents("delivery_updated")[events:] {
			states = append(states, ev.Payload["state"].(string))
		}
		require.Equal(t, []string{"pending", "sent"}, states, "every operator sees the retry")
	})

	t.Run("not failed any more", func(t *testing.T) {
		rec := retry()
		require.Equal(t, http.StatusConflict, rec.Code)
		require.Equal(t, "This reply is not waiting for a retry (it was sent).", decodeAs[apiRefusal](t, rec).Error)
	})
}

func TestDeliveryUpdatedFollowsTheOutbox(t *testing.T) {
	transient := `{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"Atrace"}}`
	unknown := `{"error":{"message":"Received Invalid JSON reply.","type":"OAuthException","code":1,"error_subcode":1357046,"fbtrace_id":"Ctrace"}}`
	tests := []struct {
		name   string
		status int
		body   func(t *testing.T) string
		// states of the events for the reply, in order; the last one has error and
		// retryable as given.
		states    []string
		withError bool
		retryable bool
	}{
		{"delivered", 0, nil, []string{"pending", "sent"}, false, false},
		{"retried later", http.StatusInternalServerError, func(*testing.T) string { return transient }, []string{"pending", "pending"}, true, false},
		{"outcome unknown", http.StatusInternalServerError, func(*testing.T) string { return unknown }, []string{"pending", "unknown"}, true, false},
		{"failed", http.StatusBadRequest, func(t *testing.T) string { return string(sample(t, "send_api_error_outside_window.json")) }, []string{"pending", "failed"}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ch, leadID, _ := newCommandEnv(t, 1)
			if tc.body != nil {
				body := tc.body(t)
				e.graph.answerSends(func(int) (int, string) { return tc.status, body })
			}
			reply, reason := e.reply(0, e.ops[0], ch.Id, "Hi Dana!")
			require.Empty(t, reason)
			var evs []map[string]any
			for _, ev := range e.wsEvents("delivery_updated") {
				require.Equal(t, &model.WebsocketBroadcast{ChannelId: ch.Id}, ev.Broadcast, "to the lead channel's members")
				require.Equal(t, "custom_"+manifestID+"_delivery_updated", ev.Type)
				if ev.Payload["post_id"] == reply.Id {
					evs = append(evs, ev.Payload)
				}
			}
			require.Len(t, evs, len(tc.states))
			for i, ev := range evs {
				keys := make([]string, 0, len(ev))
				for k, v := range ev {
					keys = append(keys, k)
					switch v.(type) {
					case string, bool, int, int64:
					default:
						t.Fatalf("payload %s is a %T: only primitives cross the RPC", k, v)
					}
				}
				sort.Strings(keys)
				require.Equal(t, []string{"attempts", "channel_id", "error", "lead_id", "next_at", "post_id", "retryable", "state", "updated_at"}, keys)
				require.Equal(t, tc.states[i], ev["state"], "event %d", i)
				require.Equal(t, leadID, ev["lead_id"])
				require.Equal(t, ch.Id, ev["channel_id"])
			}
			last := evs[len(evs)-1]
			require.Equal(t, tc.withError, last["error"] != "", last["error"])
			require.Equal(t, tc.retryable, last["retryable"])

			// What the event said is what the route says.
			rec := e.api(0, e.ops[1].Id, http.MethodGet, "/deliveries?post_id="+reply.Id, nil)
			d := decodeAs[apiDeliveries](t, rec).Deliveries[reply.Id]
			require.Equal(t, last["state"], d.State)
			require.Equal(t, last["retryable"], d.Retryable)
			require.Equal(t, last["attempts"], d.Attempts, "the event carries the attempt count")
			require.Equal(t, last["next_at"], d.NextAt, "and when the next try is due")
			if last["state"] == "pending" {
				require.NotZero(t, last["next_at"], "a reply waiting for a retry says when")
			}
		})
	}

	t.Run("a queued reply whose post is deleted is canceled", func(t *testing.T) {
		e, ch, _, _ := newCommandEnv(t, 1)
		e.graph.answerSends(func(int) (int, string) { return http.StatusInternalServerError, transient })
		reply, reason := e.reply(0, e.ops[0], ch.Id, "Hi Dana!")
		require.Empty(t, reason)
		e.nodes[0].MessageHasBeenDeleted(nil, reply)
		evs := e.wsEvents("delivery_updated")
		last := evs[len(evs)-1].Payload
		require.Equal(t, reply.Id, last["post_id"])
		require.Equal(t, relay.StateCanceled, last["state"])
		require.Equal(t, false, last["retryable"])
	})
}

// TestOneRuleForCardsAPIAndCommand: the pool check is the same for every surface; an
// operator who leaves the pool loses access everywhere at once.
func TestOneRuleForCardsAPIAndCommand(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	bob := e.ops[1]
	require.Equal(t, http.StatusOK, e.api(0, bob.Id, http.MethodGet, "/leads/"+leadID, nil).Code)
	_, appErr := e.nodes[0].API.GetChannelMember(e.queueID, bob.Id)
	require.Nil(t, appErr)
	require.Nil(t, e.nodes[0].API.DeleteChannelMember(e.queueID, bob.Id))

	rec := e.api(0, bob.Id, http.MethodGet, "/leads/"+leadID, nil)
	require.Equal(t, http.StatusForbidden, rec.Code)
	_, text := e.action(0, bob.Id, e.cardPost(), actionClaim)
	require.Equal(t, notOperator, text)
	require.Contains(t, e.social(0, bob, ch.Id, "claim"), "Only members of the operator pool")
	require.Equal(t, store.HandoffOpen, e.cmdHandoff(leadID).State)
}
