package e2e

// The /social slash command, driven through the server's own command routing
// (POST /api/v4/commands/execute with the operator's session), as the webapp does.
// Answers are ephemeral: the REST call returns them in CommandResponse.text.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Texts the plugin answers with (server/command/command.go).
const (
	msgOnlyOperatorsFmt = "Only members of the operator pool (the queue channel) can work leads. Ask an admin to add you to ~%s."
	msgRunInLeadChannel = "Run this in a lead channel (its name starts with fb- or ig-). Open one from the queue: `/social queue` lists the open leads with links."
)

// socialSubCommands are the sub-commands /social registers and documents.
var socialSubCommands = []string{"claim", "release", "transfer", "close", "reopen", "note", "status", "queue", "review", "clear-review", "audit", "help"}

// social runs one /social command line as op in a channel through the server and returns
// the ephemeral answer's text.
func (sc *scenario) social(op *operator, channelID, line string) string {
	sc.t.Helper()
	began := time.Now()
	resp, r, err := op.client.ExecuteCommand(context.Background(), channelID, line)
	status := 0
	if r != nil {
		status = r.StatusCode
	}
	require.NoError(sc.t, err, "%q as %s in channel %s (status %d)", line, op.user.Username, channelID, status)
	require.NotNil(sc.t, resp, "%q: no command response", line)
	assert.Equal(sc.t, model.CommandResponseTypeEphemeral, resp.ResponseType, "%q: response type", line)
	sc.t.Logf("%s by %s (%s): %s", line, op.user.Username, time.Since(began).Round(time.Millisecond), truncate(resp.Text, 400))
	return resp.Text
}

// townSquare is the team's default channel, where every team member is.
func (sc *scenario) townSquare() *model.Channel {
	sc.t.Helper()
	ch, _, err := env.admin.GetChannelByName(context.Background(), model.DefaultChannelName, sc.team.Id, "")
	require.NoError(sc.t, err, "town-square of team %s", sc.team.Name)
	return ch
}

// cardStatus is the value of the card's "Status" field ("" when there is none).
func cardStatus(atts []cardAttachment) string {
	for _, a := range atts {
		for _, f := range a.Fields {
			if f.Title == "Status" {
				return fmt.Sprint(f.Value)
			}
		}
	}
	return ""
}

// waitForCardStatus waits until the card's Status field satisfies want.
func (sc *scenario) waitForCardStatus(cardID, what string, want func(string) bool) {
	sc.t.Helper()
	waitFor(sc.t, "the card's Status field to "+what, func() (bool, string) {
		atts := cardAttachments(sc.getPost(cardID))
		return want(cardStatus(atts)), fmt.Sprintf("Status %q; card %s", cardStatus(atts), describeCard(atts))
	})
}

func TestSocialCommandRegisteredWithAutocomplete(t *testing.T) {
	sc := newScenario(t)
	op := sc.operators[0]
	ctx := context.Background()

	// GET /api/v4/commands?team_id=…: what the webapp lists for a team member.
	cmds, _, err := op.client.ListCommands(ctx, sc.team.Id, false)
	require.NoError(t, err, "list commands of team %s as operator", sc.team.Name)
	var social *model.Command
	var triggers []string
	for _, c := range cmds {
		triggers = append(triggers, c.Trigger)
		if c.Trigger == "social" {
			social = c
		}
	}
	require.NotNil(t, social, "GET /api/v4/commands?team_id=%s has no trigger \"social\"; triggers %v", sc.team.Id, triggers)
	assert.True(t, social.AutoComplete, "/social autocomplete flag")
	assert.NotEmpty(t, social.AutoCompleteDesc, "/social autocomplete description")
	if assert.NotNil(t, social.AutocompleteData, "/social autocomplete data") {
		var subs []string
		for _, s := range social.AutocompleteData.SubCommands {
			subs = append(subs, s.Trigger)
		}
		assert.ElementsMatch(t, socialSubCommands, subs, "/social autocomplete sub-commands")
	}

	// GET /api/v4/teams/{id}/commands/autocomplete.
	auto, _, err := op.client.ListAutocompleteCommands(ctx, sc.team.Id)
	require.NoError(t, err, "autocomplete commands of team %s", sc.team.Name)
	found := false
	for _, c := range auto {
		found = found || (c.Trigger == "social" && c.AutoComplete)
	}
	assert.True(t, found, "the team's autocomplete commands must include /social")

	// What the user sees after typing "/social ".
	suggestions, _, err := op.client.ListCommandAutocompleteSuggestions(ctx, "/social ", sc.team.Id)
	require.NoError(t, err, "autocomplete suggestions for %q", "/social ")
	var suggested []string
	for _, s := range suggestions {
		suggested = append(suggested, s.Suggestion)
	}
	sort.Strings(suggested)
	assert.ElementsMatch(t, socialSubCommands, suggested, "suggestions after typing \"/social \"")

	help := sc.social(op, sc.townSquare().Id, "/social help")
	for _, want := range []string{
		"/social claim", "/social release", "/social transfer @username", "/social close [reason]",
		"/social reopen", "/social note <text>", "/social review [reason]", "/social clear-review",
		"/social status", "/social audit", "/social queue [mine|unclaimed|all]", "/social help",
	} {
		assert.Contains(t, help, "`"+want, "/social help must list %q", want)
	}
}

func TestSocialClaimStatusTransferClose(t *testing.T) {
	sc := newScenario(t)
	card, _ := sc.buyerWrites(time.Now().Add(-time.Minute))
	ch := card.ChannelId
	op1, op2 := sc.operators[0], sc.operators[1]
	at1, at2 := "@"+op1.user.Username, "@"+op2.user.Username
	require.Equal(t, "Open · unclaimed", cardStatus(cardAttachments(card)), "new card %s", describeCard(cardAttachments(card)))

	answer := sc.social(op1, ch, "/social claim")
	assert.Equal(t, "You claimed this lead. Answer here: your posts go to the buyer.", answer, "/social claim answer")
	sc.waitForCardStatus(card.Id, "name the claimer "+at1, func(s string) bool { return strings.Contains(s, at1) })
	assert.Equal(t, "Claimed by "+at1, cardStatus(cardAttachments(sc.getPost(card.Id))), "card Status after /social claim")

	status := sc.social(op1, ch, "/social status")
	assert.Contains(t, status, "Dana Kowalski", "/social status must name the contact")
	assert.Contains(t, status, "**Handoff:** claimed by "+at1, "/social status must name the owner")
	assert.Contains(t, status, "~"+sc.channel(ch).Name, "/social status must link the lead channel")

	mark := time.Now()
	answer = sc.social(op1, ch, "/social transfer "+at2)
	assert.Equal(t, at2+" now owns this lead; they were mentioned in the channel.", answer, "/social transfer answer")
	sc.waitForCardStatus(card.Id, "name the new owner "+at2, func(s string) bool { return strings.Contains(s, at2) })
	assert.Equal(t, "Claimed by "+at2, cardStatus(cardAttachments(sc.getPost(card.Id))), "card Status after /social transfer")
	notices := queryPosts(t, `channelid = $1 AND createat >= $2 AND props::jsonb->>'social_inbox_kind' = 'handoff_notice'`, ch, mark.UnixMilli())
	if assertPosts(t, 1, notices, "handoff notices after the transfer") {
		assert.Equal(t, "🔁 "+at1+" handed this lead to "+at2+".", notices[0].Message, "handoff notice text")
		assert.Equal(t, env.botUserID, notices[0].UserID, "handoff notice author")
	}

	answer = sc.social(op2, ch, "/social close done")
	assert.Equal(t, "Lead closed (done). It reopens if the buyer writes again.", answer, "/social close answer")
	sc.waitForCardStatus(card.Id, "show Closed", func(s string) bool { return s == "Closed" })
	assert.Contains(t, sc.social(op2, ch, "/social status"), "**Handoff:** closed", "/social status of the closed lead")

	answer = sc.social(op2, ch, "/social reopen")
	assert.Equal(t, "Lead reopened: it is back in the queue, unclaimed. Claim it to answer the buyer.", answer, "/social reopen answer")
	sc.waitForCardStatus(card.Id, "be open again", func(s string) bool { return s == "Open · unclaimed" })
	assert.Contains(t, actionIDs(cardAttachments(sc.getPost(card.Id))), "claim", "the reopened card offers Claim again")

	audit := sc.social(op2, ch, "/social audit")
	for _, want := range []string{
		"· " + at1 + " · handoff claimed · open → claimed by " + at1,
		"· " + at1 + " · handoff transferred · claimed by " + at1 + " → claimed by " + at2,
		"· " + at2 + " · handoff closed · claimed by " + at2 + " → closed (owner " + at2 + ") · done",
		"· " + at2 + " · handoff reopened · closed (owner " + at2 + ") → open",
	} {
		assert.Contains(t, audit, want, "/social audit must list the event")
	}
	order := []string{"handoff claimed", "handoff transferred", "handoff closed", "handoff reopened"}
	last := -1
	for _, a := range order {
		i := strings.Index(audit, a)
		assert.Greater(t, i, last, "/social audit lists %q after %v (oldest first)", a, order)
		last = i
	}
}

func TestSocialNoteIsNeverRelayed(t *testing.T) {
	sc := newScenario(t)
	// The buyer wrote a minute ago and op1 owns the lead: an ordinary post by op1 here
	// would be sent to the buyer.
	card, _ := sc.buyerWrites(time.Now().Add(-time.Minute))
	ch := card.ChannelId
	op := sc.operators[0]
	require.Equal(t, "You claimed this lead. Answer here: your posts go to the buyer.", sc.social(op, ch, "/social claim"), "/social claim answer")
	sc.waitForCardStatus(card.Id, "name "+"@"+op.user.Username, func(s string) bool { return strings.Contains(s, "@"+op.user.Username) })

	mark := time.Now()
	answer := sc.social(op, ch, "/social note call back Tuesday")
	assert.Equal(t, "Note added to the channel. The buyer does not see it.", answer, "/social note answer")

	var notes []dbPost
	waitFor(t, "a note post in the lead channel", func() (bool, string) {
		notes = queryPosts(t, `channelid = $1 AND createat >= $2 AND props::jsonb->>'social_inbox_kind' = 'note'`, ch, mark.UnixMilli())
		return len(notes) >= 1, describePosts(queryPosts(t, `channelid = $1 AND createat >= $2`, ch, mark.UnixMilli()))
	})
	if assertPosts(t, 1, notes, "note posts in the lead channel") {
		assert.Equal(t, env.botUserID, notes[0].UserID, "the note is the bot's post")
		assert.Contains(t, notes[0].Message, "call back Tuesday", "note text")
		assert.Equal(t, "📝 Note from @"+op.user.Username+": call back Tuesday", notes[0].Message, "note message")
	}

	time.Sleep(settle)
	sends := env.graph.Sends(mark)
	assert.Empty(t, sends, "a note must never reach the Send API: %s", describeSends(sends))
	for _, n := range notes {
		assert.Empty(t, botReactions(t, n.ID), "no delivery reaction on a note")
	}
	all := queryPosts(t, `channelid = $1 AND createat >= $2`, ch, mark.UnixMilli())
	assertPosts(t, 1, all, "posts in the lead channel after /social note (the note only)")
	assert.Contains(t, sc.social(op, ch, "/social audit"), "note added", "the note is audited")
}

func TestSocialCommandsRefuseOutsiders(t *testing.T) {
	sc := newScenario(t)
	card, _ := sc.buyerWrites(time.Now().Add(-time.Minute))
	ch := card.ChannelId
	town := sc.townSquare()
	out := sc.outsider
	require.NotContains(t, sc.channelMemberIDs(ch), out.user.Id, "the outsider must not be in the lead channel")

	mark := time.Now()
	refusal := fmt.Sprintf(msgOnlyOperatorsFmt, sc.settings.QueueChannelName)
	for _, line := range []string{"/social queue", "/social queue all", "/social claim", "/social note hi"} {
		assert.Equal(t, refusal, sc.social(out, town.Id, line), "%q by a team member outside the operator pool", line)
	}

	// An operator in a channel that is no lead channel.
	op := sc.operators[0]
	for _, line := range []string{"/social claim", "/social status", "/social note hi"} {
		assert.Equal(t, msgRunInLeadChannel, sc.social(op, town.Id, line), "%q by an operator in town-square", line)
	}

	time.Sleep(settle)
	after := cardAttachments(sc.getPost(card.Id))
	assert.Equal(t, "Open · unclaimed", cardStatus(after), "nothing changed on the card: %s", describeCard(after))
	assertPosts(t, 0, queryPosts(t, `channelid = $1 AND createat >= $2`, ch, mark.UnixMilli()), "posts in the lead channel after refused commands")
	assertPosts(t, 0, queryPosts(t, `channelid = $1 AND createat >= $2`, town.Id, mark.UnixMilli()), "posts in town-square after refused commands")
	assert.Empty(t, env.graph.Sends(mark), "refused commands send nothing: %s", describeSends(env.graph.Sends(mark)))
	status := sc.social(op, ch, "/social status")
	assert.Contains(t, status, "**Handoff:** open, unclaimed", "the lead stays unclaimed")
	audit := sc.social(op, ch, "/social audit")
	assert.NotContains(t, audit, "handoff claimed", "no claim was audited")
	assert.NotContains(t, audit, "note added", "no note was audited")
}

func TestSocialQueueListsLeads(t *testing.T) {
	sc := newScenario(t)
	// Written now: its reply window closes last of the open windows, and leads with an
	// open window come before the ones without, so the lead is on the (capped) list.
	card, _ := sc.buyerWrites(time.Now())
	name := sc.channel(card.ChannelId).Name
	op := sc.operators[0]
	town := sc.townSquare()

	queue := sc.social(op, town.Id, "/social queue all")
	assert.True(t, strings.HasPrefix(queue, "#### Open leads: "), "/social queue all heading: %q", truncate(queue, 200))
	row := "| ~" + name + " | Dana Kowalski | Messenger | open, unclaimed |"
	assert.Contains(t, queue, row, "/social queue all must list the lead")

	assert.Contains(t, sc.social(op, town.Id, "/social queue unclaimed"), "| ~"+name+" |", "/social queue unclaimed must list the unclaimed lead")
	mine := sc.social(op, town.Id, "/social queue mine")
	assert.NotContains(t, mine, "~"+name, "/social queue mine must not list a lead nobody claimed")

	require.Equal(t, "You claimed this lead. Answer here: your posts go to the buyer.", sc.social(op, card.ChannelId, "/social claim"))
	mine = sc.social(op, town.Id, "/social queue mine")
	assert.Contains(t, mine, "| ~"+name+" | Dana Kowalski | Messenger | claimed by @"+op.user.Username+" |", "/social queue mine lists the claimed lead")
}
