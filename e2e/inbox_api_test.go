package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inboxLead is the part of the inbox API's LeadView (docs/inbox-api.md) these tests read.
type inboxLead struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
	TeamName  string `json:"team_name"`
	Platform  string `json:"platform"`
	Contact   struct {
		Name string `json:"name"`
	} `json:"contact"`
	Handoff struct {
		State   string `json:"state"`
		OwnerID string `json:"owner_id"`
	} `json:"handoff"`
	Send struct {
		Mode   string `json:"mode"`
		Reason string `json:"reason"`
		Until  int64  `json:"until"`
	} `json:"send"`
	Unanswered bool `json:"unanswered"`
}

// apiAsUser calls a plugin API path with op's session (nil op: no session at all), as
// the webapp does (X-Requested-With, JSON body).
func apiAsUser(t *testing.T, op *operator, method, path string, body any) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		reader = strings.NewReader(string(data))
	}
	req, err := http.NewRequest(method, env.siteURL+"/plugins/"+pluginID+"/api/v1"+path, reader)
	require.NoError(t, err)
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if op != nil {
		req.Header.Set("Authorization", "Bearer "+op.client.AuthToken)
	}
	resp, err := webhookHTTP.Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, data
}

func decodeJSON[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(data, &v), "decode %s", truncate(string(data), 400))
	return v
}

// The inbox API through the real server's routing and session handling: who may read
// the queue, what a lead says about sending, and that a claim through the API is the
// same handoff as the card button's.
func TestInboxAPIThroughRealServer(t *testing.T) {
	sc := newScenario(t)
	card, _ := sc.buyerWrites(time.Now())
	op1, op2 := sc.operators[0], sc.operators[1]

	status, data := apiAsUser(t, nil, http.MethodGet, "/leads", nil)
	assert.Equal(t, http.StatusUnauthorized, status, "no session: %s", truncate(string(data), 200))

	status, data = apiAsUser(t, sc.outsider, http.MethodGet, "/leads", nil)
	require.Equal(t, http.StatusForbidden, status, "outsider: %s", truncate(string(data), 200))
	assert.Contains(t, decodeJSON[map[string]string](t, data)["error"], "operator pool", "the refusal says how to get access")

	status, data = apiAsUser(t, op1, http.MethodGet, "/leads", nil)
	require.Equal(t, http.StatusOK, status, "operator lists the queue: %s", truncate(string(data), 300))
	queue := decodeJSON[struct {
		Leads []inboxLead `json:"leads"`
		Now   int64       `json:"now"`
	}](t, data)
	var lead *inboxLead
	for i := range queue.Leads {
		if queue.Leads[i].ChannelID == card.ChannelId {
			lead = &queue.Leads[i]
		}
	}
	require.NotNil(t, lead, "the new lead is in the queue: %s", truncate(string(data), 500))
	assert.Equal(t, "open", lead.Handoff.State)
	assert.Equal(t, "response", lead.Send.Mode, "a fresh DM can be answered normally")
	assert.InDelta(t, (24 * time.Hour).Milliseconds(), lead.Send.Until-queue.Now, float64(5*time.Minute.Milliseconds()), "the standard window ends 24 h after the buyer wrote")
	assert.True(t, lead.Unanswered)
	assert.Equal(t, sc.team.Name, lead.TeamName)

	status, data = apiAsUser(t, op1, http.MethodGet, "/channels/"+card.ChannelId+"/lead", nil)
	require.Equal(t, http.StatusOK, status, "%s", truncate(string(data), 300))
	assert.Equal(t, lead.ID, decodeJSON[inboxLead](t, data).ID, "the channel resolves to its lead")
	status, _ = apiAsUser(t, op1, http.MethodGet, "/channels/"+sc.townSquare().Id+"/lead", nil)
	assert.Equal(t, http.StatusNotFound, status, "an ordinary channel is not a lead channel")

	status, data = apiAsUser(t, op1, http.MethodPost, "/leads/"+lead.ID+"/actions/claim", map[string]string{})
	require.Equal(t, http.StatusOK, status, "claim: %s", truncate(string(data), 300))
	claimed := decodeJSON[struct {
		Lead    inboxLead `json:"lead"`
		Message string    `json:"message"`
	}](t, data)
	assert.Equal(t, op1.user.Id, claimed.Lead.Handoff.OwnerID)
	assert.NotEmpty(t, claimed.Message)

	status, data = apiAsUser(t, op2, http.MethodPost, "/leads/"+lead.ID+"/actions/claim", nil)
	require.Equal(t, http.StatusConflict, status, "second claim: %s", truncate(string(data), 300))
	conflict := decodeJSON[struct {
		Error string    `json:"error"`
		Lead  inboxLead `json:"lead"`
	}](t, data)
	assert.Contains(t, conflict.Error, "@"+op1.user.Username, "the refusal names the owner")
	assert.Equal(t, op1.user.Id, conflict.Lead.Handoff.OwnerID, "the 409 carries the lead as it is")

	// The same decision MessageWillBePosted makes: op2 would be refused.
	status, data = apiAsUser(t, op2, http.MethodGet, "/leads/"+lead.ID, nil)
	require.Equal(t, http.StatusOK, status)
	forOp2 := decodeJSON[inboxLead](t, data)
	assert.Equal(t, "blocked", forOp2.Send.Mode, "another operator's reply to a claimed lead is blocked")
	assert.NotEmpty(t, forOp2.Send.Reason)
	_, replyStatus, err := sc.reply(op2, card.ChannelId, "I can help too")
	assert.Error(t, err, "the server refuses what the API called blocked (status %d)", replyStatus)

	// The card shows the API's claim, as a button click would.
	sc.waitForCardStatus(card.Id, "name @"+op1.user.Username, func(s string) bool {
		return strings.Contains(s, "@"+op1.user.Username)
	})

	// The owner's reply is delivered, and the deliveries route reports it.
	since := time.Now()
	reply, replyStatus, err := sc.reply(op1, card.ChannelId, "Hi! The 6-seat model is in stock.")
	require.NoError(t, err, "owner's reply (status %d)", replyStatus)
	waitForSends(t, since, 1)
	waitFor(t, "the deliveries route to report the reply as sent", func() (bool, string) {
		status, data := apiAsUser(t, op1, http.MethodGet, "/deliveries?post_id="+reply.Id, nil)
		if status != http.StatusOK {
			return false, fmt.Sprintf("status %d: %s", status, truncate(string(data), 200))
		}
		var res struct {
			Deliveries map[string]struct {
				State string `json:"state"`
			} `json:"deliveries"`
		}
		if err := json.Unmarshal(data, &res); err != nil {
			return false, err.Error()
		}
		return res.Deliveries[reply.Id].State == "sent", truncate(string(data), 300)
	})
	status, _ = apiAsUser(t, sc.outsider, http.MethodGet, "/deliveries?post_id="+reply.Id, nil)
	assert.Equal(t, http.StatusForbidden, status, "outsiders cannot read delivery state")
}
