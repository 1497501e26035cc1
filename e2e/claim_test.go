package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOperatorClaimsLead(t *testing.T) {
	sc := newScenario(t)
	body := sc.sample("messenger_text.json")
	sc.deliver(body.Bytes)
	card := sc.waitForNativePost(body.Messages()[0].NativeID)
	require.Contains(t, actionIDs(cardAttachments(card)), "claim", "card %s", describeCard(cardAttachments(card)))
	ctx := context.Background()

	// The outsider is on the team but not in the operator pool, so not in the lead channel:
	// the server refuses before the plugin is reached.
	resp, err := sc.outsider.client.DoPostAction(ctx, card.Id, "claim")
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	assert.Error(t, err, "a claim by a non-member must be refused (status %d)", status)
	assert.False(t, status >= 200 && status < 300, "claim by a non-member: status %d, want non-2xx", status)
	after := cardAttachments(sc.getPost(card.Id))
	assert.False(t, cardMentions(after, "@"+sc.outsider.user.Username), "a refused claim must not change the owner: %s", describeCard(after))

	op := sc.operators[0]
	resp, err = op.client.DoPostAction(ctx, card.Id, "claim")
	status = 0
	if resp != nil {
		status = resp.StatusCode
	}
	require.NoError(t, err, "claim by operator %s (status %d)", op.user.Username, status)
	assert.Equal(t, http.StatusOK, status, "claim by an operator")

	mention := "@" + op.user.Username
	waitFor(t, "the card to name the claiming operator "+mention, func() (bool, string) {
		atts := cardAttachments(sc.getPost(card.Id))
		return cardMentions(atts, mention), describeCard(atts)
	})
	final := sc.getPost(card.Id)
	assert.Equal(t, env.botUserID, final.UserId, "the card stays the bot's post")
	if !strings.Contains(final.Message, body.Messages()[0].Text) {
		t.Logf("note: after the claim the card message no longer holds the buyer text: %q", truncate(final.Message, 200))
	}
}
