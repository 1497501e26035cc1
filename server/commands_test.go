package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/command"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/internal/mmfake"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// The buyer's messages in messenger_text.json and instagram_text.json were sent at
// these times.
var (
	cmdMessengerAt = time.UnixMilli(1795209247312)
	cmdInstagramAt = time.UnixMilli(1795212247515)
)

// newCommandEnv is an environment with one Messenger lead, an hour after the buyer
// wrote, and a system admin outside the operator pool.
func newCommandEnv(t *testing.T, nodes int) (e *env, leadChannel *model.Channel, leadID string, admin *model.User) {
	e = newEnv(t, nodes)
	e.setNow(cmdMessengerAt.Add(time.Hour))
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	chans := e.leadChannels()
	require.Len(t, chans, 1)
	found, err := e.nodes[0].store.Get(store.ChannelKey(chans[0].Id), &leadID)
	require.NoError(t, err)
	require.True(t, found)
	admin = e.srv.AddUser("boss", true)
	e.srv.AddTeamMember(e.team.Id, admin.Id)
	return e, chans[0], leadID, admin
}

// social runs a /social command line as user in the channel on a node and returns the
// ephemeral answer.
func (e *env) social(node int, user *model.User, channelID, line string) string {
	e.t.Helper()
	resp, appErr := e.nodes[node].ExecuteCommand(nil, &model.CommandArgs{
		UserId: user.Id, ChannelId: channelID, TeamId: e.team.Id, Command: "/social " + line,
	})
	require.Nil(e.t, appErr, "refusals are answers, not AppErrors")
	require.NotNil(e.t, resp)
	require.Equal(e.t, model.CommandResponseTypeEphemeral, resp.ResponseType)
	return resp.Text
}

func (e *env) cmdHandoff(leadID string) store.Handoff {
	e.t.Helper()
	var ho store.Handoff
	found, err := e.nodes[0].store.Get(store.HandoffKey(leadID), &ho)
	require.NoError(e.t, err)
	require.True(e.t, found)
	return ho
}

// cmdAudit lists the lead's audit events as "action by actor: before -> after".
func (e *env) cmdAudit(leadID string) []string {
	e.t.Helper()
	trail, err := e.nodes[0].store.AuditTrail(leadID)
	require.NoError(e.t, err)
	var out []string
	for _, ev := range trail {
		out = append(out, ev.Action+" by "+ev.ActorID+": "+ev.Before+" -> "+ev.After)
	}
	return out
}

func (e *env) cardStatus(channelID string) string {
	e.t.Helper()
	for _, p := range e.botPosts(channelID) {
		if len(p.Attachments()) > 0 {
			fresh, appErr := e.nodes[0].API.GetPost(p.Id)
			require.Nil(e.t, appErr)
			v, _ := fresh.Attachments()[0].Fields[1].Value.(string)
			return v
		}
	}
	e.t.Fatal("no card post")
	return ""
}

func (e *env) isOpenLead(leadID string) bool {
	e.t.Helper()
	ids, err := e.nodes[0].store.OpenLeads()
	require.NoError(e.t, err)
	for _, id := range ids {
		if id == leadID {
			return true
		}
	}
	return false
}

func (e *env) townSquare() string {
	e.t.Helper()
	ch, appErr := e.nodes[0].API.GetChannelByName(e.team.Id, "town-square", false)
	require.Nil(e.t, appErr)
	return ch.Id
}

func TestSocialCommandIsRegisteredOnEveryNodeWithAutocomplete(t *testing.T) {
	e := newEnv(t, 2)
	for i, p := range e.nodes {
		require.NoError(t, p.registerCommands())
		cmds := p.API.(*mmfake.API).Commands()
		require.Len(t, cmds, 1, "node %d", i)
		c := cmds[0]
		require.Equal(t, "social", c.Trigger)
		require.True(t, c.AutoComplete)
		require.NoError(t, c.AutocompleteData.IsValid())
		for _, sub := range c.AutocompleteData.SubCommands {
			if sub.Trigger == "transfer" {
				require.Equal(t, "/plugins/social-inbox/api/v1/autocomplete/operators",
					sub.Arguments[0].Data.(*model.AutocompleteDynamicListArg).FetchURL)
			}
		}
	}
	require.NoError(t, e.nodes[0].registerCommands(), "registering again replaces the command")
	require.Len(t, e.nodes[0].API.(*mmfake.API).Commands(), 1)
}

func TestSocialClaimReleaseTransferCloseReopen(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	alice, bob := e.ops[0], e.ops[1]

	require.Contains(t, e.social(0, alice, ch.Id, "claim"), "You claimed this lead")
	require.Equal(t, "claimed", e.cmdHandoff(leadID).State)
	require.Contains(t, e.cardStatus(ch.Id), "Claimed by @alice", "the card follows the command")
	require.Equal(t, "This lead is already claimed. Owner: @alice.", e.social(0, bob, ch.Id, "claim"))
	require.Equal(t, "Only the lead's owner or an admin can release a claimed lead. Owner: @alice.", e.social(0, bob, ch.Id, "release"))

	require.Contains(t, e.social(0, alice, ch.Id, "release"), "You released this lead. It is back in the queue")
	ho := e.cmdHandoff(leadID)
	require.Equal(t, "open", ho.State)
	require.Empty(t, ho.OwnerID)
	require.Contains(t, e.cardStatus(ch.Id), "unclaimed")
	require.Equal(t, "This lead is not claimed, so there is nothing to release.", e.social(0, alice, ch.Id, "release"))

	require.Contains(t, e.social(0, alice, ch.Id, "claim"), "You claimed this lead")
	require.Equal(t, "@bob now owns this lead; they were mentioned in the channel.", e.social(0, alice, ch.Id, "transfer @bob"))
	require.Equal(t, bob.Id, e.cmdHandoff(leadID).OwnerID)
	require.Contains(t, e.cardStatus(ch.Id), "Claimed by @bob")
	var notice *model.Post
	for _, p := range e.botPosts(ch.Id) {
		if p.GetProp(propKind) == postKindHandoff {
			notice = p
		}
	}
	require.NotNil(t, notice, "the new owner is told in the channel")
	require.Equal(t, "🔁 @alice handed this lead to @bob.", notice.Message)

	require.Contains(t, e.social(0, bob, ch.Id, "close sold, 2 saunas"), "Lead closed (sold, 2 saunas).")
	ho = e.cmdHandoff(leadID)
	require.Equal(t, "closed", ho.State)
	require.Equal(t, "sold, 2 saunas", ho.CloseReason)
	require.False(t, e.isOpenLead(leadID))
	require.Equal(t, "Closed", e.cardStatus(ch.Id))
	require.Equal(t, "This lead is closed. Reopen it before handing it to someone.", e.social(0, bob, ch.Id, "transfer @alice"))

	require.Contains(t, e.social(0, alice, ch.Id, "reopen"), "Lead reopened")
	ho = e.cmdHandoff(leadID)
	require.Equal(t, "open", ho.State)
	require.Equal(t, 1, ho.Reopens)
	require.True(t, e.isOpenLead(leadID))
	require.Contains(t, e.cardStatus(ch.Id), "unclaimed")
	require.Equal(t, "This lead is already open.", e.social(0, alice, ch.Id, "reopen"))

	var mine []string
	for _, a := range e.cmdAudit(leadID) {
		if strings.HasPrefix(a, "handoff.") && !strings.HasPrefix(a, "handoff.opened") {
			mine = append(mine, a)
		}
	}
	require.Equal(t, []string{
		"handoff.claimed by " + alice.Id + ": open -> claimed:" + alice.Id,
		"handoff.released by " + alice.Id + ": claimed:" + alice.Id + " -> open",
		"handoff.claimed by " + alice.Id + ": open -> claimed:" + alice.Id,
		"handoff.transferred by " + alice.Id + ": claimed:" + alice.Id + " -> claimed:" + bob.Id,
		"handoff.closed by " + bob.Id + ": claimed:" + bob.Id + " -> closed:" + bob.Id,
		"handoff.reopened by " + alice.Id + ": closed:" + bob.Id + " -> open",
	}, mine)
}

func TestSocialTransferChecksTheTarget(t *testing.T) {
	e, ch, leadID, admin := newCommandEnv(t, 1)
	alice, bob := e.ops[0], e.ops[1]
	require.Contains(t, e.social(0, alice, ch.Id, "transfer"), "/social transfer @username")
	require.Contains(t, e.social(0, alice, ch.Id, "transfer @nobody"), "There is no user @nobody.")
	require.Contains(t, e.social(0, alice, ch.Id, "transfer @mallory"), "@mallory is not in the operator pool")
	require.Contains(t, e.social(0, alice, ch.Id, "transfer @boss"), "@boss is not in the operator pool", "admins outside the pool cannot own leads")
	require.Equal(t, "open", e.cmdHandoff(leadID).State, "nothing changed")

	// An operator who joined the pool after the lead channel was created.
	carol := e.srv.AddUser("carol", false)
	e.srv.AddTeamMember(e.team.Id, carol.Id)
	e.srv.AddChannelMember(e.queueID, carol.Id)
	require.NotContains(t, e.srv.ChannelMembers(ch.Id), carol.Id)
	require.Contains(t, e.social(0, alice, ch.Id, "transfer @Carol"), "@carol now owns this lead")
	require.Contains(t, e.srv.ChannelMembers(ch.Id), carol.Id, "the new owner can reach the lead channel")

	require.Equal(t, "Only the lead's owner or an admin can transfer a claimed lead. Owner: @carol.", e.social(0, bob, ch.Id, "transfer @bob"))
	require.Contains(t, e.social(0, admin, ch.Id, "transfer @bob"), "@bob now owns this lead", "an admin reassigns")
	require.Equal(t, []string{"🔁 @alice handed this lead to @carol.", "🔁 @boss handed this lead from @carol to @bob."}, e.handoffNotices(ch.Id))
}

func TestSocialReviewAndClearReview(t *testing.T) {
	e, ch, leadID, admin := newCommandEnv(t, 1)
	alice, bob := e.ops[0], e.ops[1]
	require.Contains(t, e.social(0, alice, ch.Id, "claim"), "You claimed")

	require.Contains(t, e.social(0, alice, ch.Id, "review Buyer asks for a health claim"), "This lead is now under policy review")
	ho := e.cmdHandoff(leadID)
	require.Equal(t, store.ReasonPolicyReview, ho.Reason)
	require.Equal(t, "claimed", ho.State, "a review does not change who owns the lead")
	require.Equal(t, "This lead is already under policy review.", e.social(0, bob, ch.Id, "review"))
	status := e.social(0, bob, ch.Id, "status")
	require.Contains(t, status, "**Policy review:** ⚠️ under review (Buyer asks for a health claim).")

	require.Equal(t, "You own this lead, so you cannot clear its policy review yourself. Ask another operator or an admin to review it.",
		e.social(0, alice, ch.Id, "clear-review"))
	require.Equal(t, store.ReasonPolicyReview, e.cmdHandoff(leadID).Reason)
	require.Contains(t, e.social(0, bob, ch.Id, "clear-review"), "Policy review cleared.")
	require.Equal(t, store.ReasonFollowUp, e.cmdHandoff(leadID).Reason)
	require.Equal(t, "This lead is not under policy review.", e.social(0, admin, ch.Id, "clear-review"))
	require.NotContains(t, e.social(0, bob, ch.Id, "status"), "Policy review")

	trail := e.cmdAudit(leadID)
	require.Contains(t, trail, "handoff.review_requested by "+alice.Id+": social_dm_follow_up_needed -> social_dm_policy_review")
	require.Contains(t, trail, "handoff.review_cleared by "+bob.Id+": social_dm_policy_review -> social_dm_follow_up_needed")
}

func TestSocialNoteIsABotPostThatNeverReachesTheBuyer(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 1)
	alice := e.ops[0]
	require.Equal(t, "Note added to the channel. The buyer does not see it.", e.social(0, alice, ch.Id, "note Called back.\nWants a quote by Friday."))

	var note *model.Post
	for _, p := range e.botPosts(ch.Id) {
		if p.GetProp(propKind) == postKindNote {
			note = p
		}
	}
	require.NotNil(t, note)
	require.Equal(t, "📝 Note from @alice: Called back.\nWants a quote by Friday.", note.Message)
	require.Equal(t, e.nodes[0].botUserID, note.UserId)
	require.Equal(t, leadID, note.GetProp(propLeadID))

	// What the server does next: the hooks see the bot's post and relay nothing.
	e.nodes[0].MessageHasBeenPosted(nil, note)
	require.Empty(t, e.graph.sent(), "a note is never sent to the buyer")

	trail, err := e.nodes[0].store.AuditTrail(leadID)
	require.NoError(t, err)
	last := trail[len(trail)-1]
	require.Equal(t, "note.added", last.Action)
	require.Equal(t, alice.Id, last.ActorID)
	require.Equal(t, note.Id, last.Subject)
	require.Equal(t, "open", e.cmdHandoff(leadID).State, "a note does not claim the lead")

	require.Contains(t, e.social(0, alice, ch.Id, "note"), "Write the note after the command")
}

func TestSocialStatusShowsWindowAndWaitingBuyer(t *testing.T) {
	e, ch, _, _ := newCommandEnv(t, 1)
	alice := e.ops[0]
	status := e.social(0, alice, ch.Id, "status")
	for _, want := range []string{
		"#### Dana K7462 · Messenger lead",
		"**Channel:** ~" + ch.Name,
		"**Source:** Direct message on Messenger",
		"**Handoff:** open, unclaimed for less than a minute", // intake opened it when the message arrived
		"**Reply window:** open, 23h left (24-hour window, until Sat Nov 21 21:14 UTC)",
		"**Human Agent window (7 days):** 6d 23h left, but the Human Agent tag is not enabled",
		"**Buyer last wrote:** 1h ago, **unanswered**",
	} {
		require.Contains(t, status, want)
	}

	e.social(0, alice, ch.Id, "claim")
	e.setNow(cmdMessengerAt.Add(30 * time.Hour))
	status = e.social(0, alice, ch.Id, "status")
	require.Contains(t, status, "**Handoff:** claimed by @alice 1d 5h ago")
	require.Contains(t, status, "**Reply window:** closed 6h ago")
	require.Contains(t, status, "**Buyer last wrote:** 1d 6h ago, **unanswered**")
}

func TestSocialQueueListsOpenLeadsByRiskAnywhere(t *testing.T) {
	e, ch, _, _ := newCommandEnv(t, 1)
	alice, bob := e.ops[0], e.ops[1]
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "instagram_text.json")).Code)
	e.setNow(cmdInstagramAt.Add(time.Hour))
	var igChannel *model.Channel
	for _, c := range e.leadChannels() {
		if strings.HasPrefix(c.Name, "ig-") {
			igChannel = c
		}
	}
	require.NotNil(t, igChannel)
	e.social(0, alice, ch.Id, "claim")

	town := e.townSquare()
	queue := e.social(0, bob, town, "queue")
	require.Contains(t, queue, "#### Open leads: 2")
	fb := strings.Index(queue, "| ~"+ch.Name+" | Dana K7462 | Messenger | claimed by @alice | 1h 50m ago · **unanswered** | 22h 9m left |")
	ig := strings.Index(queue, "| ~"+igChannel.Name+" | Tom Vander | Instagram | open, unclaimed | 1h ago · **unanswered** | 23h left |")
	require.True(t, fb > 0 && ig > 0, queue)
	require.Less(t, fb, ig, "the window that closes first comes first")

	mine := e.social(0, alice, town, "queue mine")
	require.Contains(t, mine, "#### Your open leads: 1")
	require.Contains(t, mine, "~"+ch.Name)
	unclaimed := e.social(0, alice, igChannel.Id, "queue unclaimed")
	require.Contains(t, unclaimed, "#### Unclaimed leads: 1")
	require.Contains(t, unclaimed, "~"+igChannel.Name)
	require.NotContains(t, unclaimed, "~"+ch.Name)
	require.Contains(t, e.social(0, bob, town, "queue mine"), "You have no open leads.")

	e.social(0, alice, ch.Id, "close")
	require.Contains(t, e.social(0, bob, town, "queue"), "#### Open leads: 1")
}

func TestSocialAuditIsReadable(t *testing.T) {
	e, ch, _, _ := newCommandEnv(t, 1)
	alice := e.ops[0]
	e.social(0, alice, ch.Id, "claim")
	e.social(0, alice, ch.Id, "close spam")
	audit := e.social(0, alice, ch.Id, "audit")
	lines := strings.Split(audit, "\n")
	require.Equal(t, "#### Audit trail (newest last)", lines[0])
	require.Equal(t, "- `2026-11-20 22:14:07 UTC` · @alice · handoff closed · claimed by @alice → closed (owner @alice) · spam", lines[len(lines)-1])
	require.Contains(t, audit, "· Meta (webhook) · lead created · — → dm · facebook")
	require.Contains(t, audit, "· @alice · handoff claimed · open → claimed by @alice")
}

func TestSocialRefusesOutsidersAndAdmitsAdmins(t *testing.T) {
	e, ch, leadID, admin := newCommandEnv(t, 1)
	alice, mallory := e.ops[0], e.outsider
	before := len(e.cmdAudit(leadID))
	// Mallory could only run commands in channels she can see; the check must not rely
	// on that.
	for _, line := range []string{"claim", "close", "note hi", "status", "audit", "queue", "review", "transfer @mallory"} {
		require.Equal(t, "Only members of the operator pool (the queue channel) can work leads. Ask an admin to add you to ~social-inbox-queue.",
			e.social(0, mallory, ch.Id, line), line)
	}
	require.Equal(t, "open", e.cmdHandoff(leadID).State)
	require.Len(t, e.cmdAudit(leadID), before, "nothing was audited")
	require.Contains(t, e.social(0, mallory, ch.Id, "help"), "/social claim", "help is for everyone")

	e.social(0, alice, ch.Id, "claim")
	require.Equal(t, "You released this lead from @alice. It is back in the queue for any operator to claim.", e.social(0, admin, ch.Id, "release"))
	e.social(0, alice, ch.Id, "claim")
	require.Contains(t, e.social(0, admin, ch.Id, "close duplicate"), "Lead closed (duplicate).")
	require.Equal(t, admin.Id, e.cmdHandoff(leadID).ClosedBy)
}

func TestSocialLeadCommandsOutsideALeadChannel(t *testing.T) {
	e, _, leadID, _ := newCommandEnv(t, 1)
	alice := e.ops[0]
	town := e.townSquare()
	for _, line := range []string{"claim", "release", "close", "reopen", "transfer @bob", "note hi", "status", "review", "clear-review", "audit"} {
		require.True(t, strings.HasPrefix(e.social(0, alice, town, line), "Run this in a lead channel (its name starts with fb- or ig-)"), line)
	}
	require.True(t, strings.HasPrefix(e.social(0, alice, e.queueID, "claim"), "Run this in a lead channel"), "the queue channel is no lead channel")
	require.Equal(t, "open", e.cmdHandoff(leadID).State)
	require.Contains(t, e.social(0, alice, town, "queue"), "#### Open leads: 1")
}

func TestSocialHelpAndUnknownSubCommands(t *testing.T) {
	e, ch, _, _ := newCommandEnv(t, 1)
	alice := e.ops[0]
	help := e.social(0, alice, ch.Id, "help")
	require.Contains(t, help, "/social transfer @username")
	resp, appErr := e.nodes[0].ExecuteCommand(nil, &model.CommandArgs{UserId: alice.Id, ChannelId: ch.Id, Command: "/social"})
	require.Nil(t, appErr)
	require.Equal(t, help, resp.Text)
	require.True(t, strings.HasPrefix(e.social(0, alice, ch.Id, "assign @bob"), "`assign` is not a /social command. Here is what it can do:"))
}

func TestSocialConcurrentClaimsOnTwoNodesHaveOneWinner(t *testing.T) {
	e, ch, leadID, _ := newCommandEnv(t, 2)
	answers := make([]string, 2)
	var wg sync.WaitGroup
	for i := range e.ops {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			answers[i] = e.social(i, e.ops[i], ch.Id, "claim")
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, a := range answers {
		if strings.HasPrefix(a, "You claimed this lead") {
			wins++
		} else {
			require.Contains(t, a, "This lead is already claimed. Owner: @")
		}
	}
	require.Equal(t, 1, wins, answers)
	require.Equal(t, 1, e.auditCount(leadID, "handoff.claimed"), "one claim is audited")
}

func TestOperatorAutocompleteListsThePoolToOperatorsOnly(t *testing.T) {
	e, _, _, admin := newCommandEnv(t, 1)
	list := func(userID string) []model.AutocompleteListItem {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/autocomplete/operators?user_input=transfer+%40&parsed=transfer+", nil)
		r.Header.Set("Mattermost-User-Id", userID)
		rec := httptest.NewRecorder()
		e.nodes[0].handleOperatorAutocomplete(rec, r)
		require.Equal(t, http.StatusOK, rec.Code)
		var items []model.AutocompleteListItem
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &items))
		return items
	}
	names := func(items []model.AutocompleteListItem) []string {
		var out []string
		for _, it := range items {
			out = append(out, it.Item)
		}
		return out
	}
	require.Equal(t, []string{"@alice", "@bob"}, names(list(e.ops[0].Id)), "bots are not offered")
	require.Equal(t, []string{"@alice", "@bob"}, names(list(admin.Id)))
	require.Empty(t, list(e.outsider.Id))
	require.Empty(t, list(""))
}

func TestCommandStatesMatchTheStore(t *testing.T) {
	require.Equal(t, store.HandoffOpen, command.StateOpen)
	require.Equal(t, store.HandoffClaimed, command.StateClaimed)
	require.Equal(t, store.HandoffClosed, command.StateClosed)
}
