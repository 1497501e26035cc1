package command_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/mock/gomock"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/command"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/command/mocks"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
)

var (
	now     = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	alice   = command.User{ID: "alice", Username: "alice", Operator: true}
	bob     = command.User{ID: "bob", Username: "bob", Operator: true}
	boss    = command.User{ID: "boss", Username: "boss", Admin: true}
	mallory = command.User{ID: "mallory", Username: "mallory"}
)

const (
	leadChan = "leadchannel"
	town     = "townsquare"
	leadID   = "0123456789abcdef0123456789abcdef"
)

// fixture is a handler over a strict mock: any call a test did not expect fails it, so
// each test also pins what the command does not touch.
type fixture struct {
	t     *testing.T
	leads *mocks.MockLeads
	h     *command.Handler
}

func setup(t *testing.T) *fixture {
	ctrl := gomock.NewController(t)
	m := mocks.NewMockLeads(ctrl)
	m.EXPECT().Name(gomock.Any()).DoAndReturn(func(id string) string { return "@" + id }).AnyTimes()
	m.EXPECT().QueueChannel().Return("social-inbox-queue").AnyTimes()
	return &fixture{t: t, leads: m, h: command.New(m, func() time.Time { return now })}
}

// as expects the user lookup for u.
func (f *fixture) as(u command.User) *fixture {
	f.leads.EXPECT().User(u.ID).Return(u, nil)
	return f
}

// inLead expects the channel lookup to find the lead.
func (f *fixture) inLead() *fixture {
	f.leads.EXPECT().LeadOfChannel(leadChan).Return(leadID, true, nil)
	return f
}

// run executes a command line and checks the answer is ephemeral.
func (f *fixture) run(userID, channelID, line string) (string, error) {
	f.t.Helper()
	resp, err := f.h.Execute(&model.CommandArgs{UserId: userID, ChannelId: channelID, Command: line})
	require.NotNil(f.t, resp)
	require.Equal(f.t, model.CommandResponseTypeEphemeral, resp.ResponseType, "every answer is private to the user")
	return resp.Text, err
}

func (f *fixture) say(userID, channelID, line string) string {
	f.t.Helper()
	text, err := f.run(userID, channelID, line)
	require.NoError(f.t, err)
	return text
}

var subCommands = []string{"claim", "release", "transfer", "close", "reopen", "note", "status", "queue", "review", "clear-review", "audit", "help"}

func TestAutocompleteDescribesEverySubCommand(t *testing.T) {
	cmd := command.Command("api/v1/autocomplete/operators")
	require.Equal(t, "social", cmd.Trigger)
	require.True(t, cmd.AutoComplete)
	require.NotEmpty(t, cmd.AutoCompleteDesc)
	ad := cmd.AutocompleteData
	require.NoError(t, ad.IsValid())

	byName := map[string]*model.AutocompleteData{}
	var names []string
	for _, sub := range ad.SubCommands {
		byName[sub.Trigger] = sub
		names = append(names, sub.Trigger)
		assert.NotEmpty(t, sub.HelpText, sub.Trigger)
	}
	require.ElementsMatch(t, subCommands, names)

	transfer := byName["transfer"]
	require.Equal(t, "@username", transfer.Hint)
	require.Len(t, transfer.Arguments, 1)
	require.Equal(t, model.AutocompleteArgTypeDynamicList, transfer.Arguments[0].Type)
	base, _ := url.Parse("/plugins/social-inbox")
	require.NoError(t, ad.UpdateRelativeURLsForPluginCommands(base))
	require.Equal(t, "/plugins/social-inbox/api/v1/autocomplete/operators", transfer.Arguments[0].Data.(*model.AutocompleteDynamicListArg).FetchURL)

	queue := byName["queue"]
	require.Equal(t, model.AutocompleteArgTypeStaticList, queue.Arguments[0].Type)
	require.False(t, queue.Arguments[0].Required)
	var items []string
	for _, it := range queue.Arguments[0].Data.(*model.AutocompleteStaticListArg).PossibleArguments {
		items = append(items, it.Item)
		assert.NotEmpty(t, it.HelpText)
	}
	require.Equal(t, []string{"mine", "unclaimed", "all"}, items)

	require.Len(t, byName["note"].Arguments, 1)
	require.Equal(t, model.AutocompleteArgTypeText, byName["note"].Arguments[0].Type)
	require.Equal(t, "<text>", byName["note"].Arguments[0].Data.(*model.AutocompleteTextArg).Hint)
	for _, name := range []string{"close", "review"} {
		require.Equal(t, "[reason]", byName[name].Hint, "optional arguments live in the hint")
	}
}

func TestAutocompleteWithoutTheOperatorRouteTakesAUsername(t *testing.T) {
	ad := command.Autocomplete("")
	require.NoError(t, ad.IsValid())
	for _, sub := range ad.SubCommands {
		if sub.Trigger == "transfer" {
			require.Equal(t, model.AutocompleteArgTypeText, sub.Arguments[0].Type)
			require.Equal(t, "@username", sub.Arguments[0].Data.(*model.AutocompleteTextArg).Hint)
			return
		}
	}
	t.Fatal("no transfer sub-command")
}

func TestHelpNeedsNothing(t *testing.T) {
	for _, line := range []string{"/social", "/social help", "/SOCIAL Help", "  /social   help  "} {
		f := setup(t)
		text := f.say(mallory.ID, town, line)
		require.Contains(t, text, "/social claim", line)
		require.Contains(t, text, "/social queue [mine|unclaimed|all]", line)
		for _, sub := range subCommands {
			require.Contains(t, text, "/social "+sub, line)
		}
	}
}

func TestUnknownSubCommandExplainsAndShowsHelp(t *testing.T) {
	f := setup(t)
	text := f.say(alice.ID, leadChan, "/social claimm now")
	require.True(t, strings.HasPrefix(text, "`claimm` is not a /social command."), text)
	require.Contains(t, text, "/social claim")
}

func TestLeadCommandsOutsideALeadChannel(t *testing.T) {
	for _, line := range []string{"claim", "release", "close", "close sold", "reopen", "transfer @bob", "note hi", "status", "review", "clear-review", "audit"} {
		t.Run(line, func(t *testing.T) {
			f := setup(t).as(alice)
			f.leads.EXPECT().LeadOfChannel(town).Return("", false, nil)
			text := f.say(alice.ID, town, "/social "+line)
			require.True(t, strings.HasPrefix(text, "Run this in a lead channel (its name starts with fb- or ig-)"), text)
		})
	}
}

func TestQueueWorksAnywhere(t *testing.T) {
	f := setup(t).as(alice)
	f.leads.EXPECT().OpenLeads().Return(nil, nil)
	require.Contains(t, f.say(alice.ID, town, "/social queue"), "No open leads")
}

func TestOutsidersAreRefusedAndAdminsAdmitted(t *testing.T) {
	for _, line := range []string{"claim", "release", "close", "reopen", "transfer @bob", "note hi", "status", "queue", "review", "clear-review", "audit"} {
		t.Run(line, func(t *testing.T) {
			f := setup(t).as(mallory)
			text := f.say(mallory.ID, leadChan, "/social "+line)
			require.Equal(t, "Only members of the operator pool (the queue channel) can work leads. Ask an admin to add you to ~social-inbox-queue.", text)
		})
	}
	t.Run("a system admin outside the pool", func(t *testing.T) {
		f := setup(t).as(boss).inLead()
		f.leads.EXPECT().Claim(leadID, boss).Return(command.Change{}, nil)
		require.Contains(t, f.say(boss.ID, leadChan, "/social claim"), "You claimed this lead")
	})
}

func TestUsageBeforeAnyLookup(t *testing.T) {
	cases := map[string]string{
		"/social transfer":           "/social transfer @username",
		"/social transfer @":         "/social transfer @username",
		"/social note":               "Write the note after the command",
		"/social note    ":           "Write the note after the command",
		"/social queue everything":   "/social queue mine",
		"/social note " + long(4001): "keep it under 4000",
		"/social close " + long(501): "keep it under 500",
	}
	for line, want := range cases {
		t.Run(trimName(line), func(t *testing.T) {
			f := setup(t) // no User or LeadOfChannel expected
			require.Contains(t, f.say(alice.ID, leadChan, line), want)
		})
	}
}

func long(n int) string { return strings.Repeat("x", n) }

func trimName(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}

func TestTransitionsSayWhatHappened(t *testing.T) {
	cases := []struct {
		line   string
		user   command.User
		expect func(m *mocks.MockLeadsMockRecorder) *gomock.Call
		change command.Change
		want   string
	}{
		{"claim", alice, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Claim(leadID, alice) },
			command.Change{After: command.Handoff{State: "claimed", OwnerID: "alice"}}, "You claimed this lead. Answer here: your posts go to the buyer."},
		{"release", alice, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Release(leadID, alice) },
			command.Change{Before: command.Handoff{State: "claimed", OwnerID: "alice"}}, "You released this lead. It is back in the queue"},
		{"release", boss, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Release(leadID, boss) },
			command.Change{Before: command.Handoff{State: "claimed", OwnerID: "bob"}}, "You released this lead from @bob."},
		{"close", alice, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Close(leadID, alice, "") },
			command.Change{}, "Lead closed. It reopens if the buyer writes again."},
		{"close  sold, 2 saunas  ", alice, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Close(leadID, alice, "sold, 2 saunas") },
			command.Change{}, "Lead closed (sold, 2 saunas)."},
		{"reopen", bob, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Reopen(leadID, bob) },
			command.Change{After: command.Handoff{State: "open"}}, "Lead reopened: it is back in the queue, unclaimed."},
		{"reopen", bob, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Reopen(leadID, bob) },
			command.Change{After: command.Handoff{State: "open", UnderReview: true}}, "It is still under policy review"},
		{"review asks about a medical claim", alice, func(m *mocks.MockLeadsMockRecorder) *gomock.Call {
			return m.Review(leadID, alice, "asks about a medical claim")
		}, command.Change{}, "This lead is now under policy review"},
		{"review", alice, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Review(leadID, alice, "") },
			command.Change{}, "/social clear-review"},
		{"clear-review", bob, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.ClearReview(leadID, bob) },
			command.Change{}, "Policy review cleared."},
		{"CLAIM", alice, func(m *mocks.MockLeadsMockRecorder) *gomock.Call { return m.Claim(leadID, alice) },
			command.Change{}, "You claimed this lead."},
	}
	for _, tc := range cases {
		t.Run(tc.user.ID+" "+tc.line, func(t *testing.T) {
			f := setup(t).as(tc.user).inLead()
			tc.expect(f.leads.EXPECT()).Return(tc.change, nil)
			require.Contains(t, f.say(tc.user.ID, leadChan, "/social "+tc.line), tc.want)
		})
	}
}

func TestTransferResolvesTheOperator(t *testing.T) {
	t.Run("hands over", func(t *testing.T) {
		f := setup(t).as(alice).inLead()
		f.leads.EXPECT().UserByName("bob").Return(bob, true, nil)
		f.leads.EXPECT().Transfer(leadID, alice, bob).Return(command.Change{}, nil)
		require.Equal(t, "@bob now owns this lead; they were mentioned in the channel.", f.say(alice.ID, leadChan, "/social transfer @Bob please call him"))
	})
	t.Run("to oneself", func(t *testing.T) {
		f := setup(t).as(alice).inLead()
		f.leads.EXPECT().UserByName("alice").Return(alice, true, nil)
		f.leads.EXPECT().Transfer(leadID, alice, alice).Return(command.Change{}, nil)
		require.Contains(t, f.say(alice.ID, leadChan, "/social transfer alice"), "You now own this lead")
	})
	t.Run("unknown user", func(t *testing.T) {
		f := setup(t).as(alice).inLead()
		f.leads.EXPECT().UserByName("bobby").Return(command.User{}, false, nil)
		require.Contains(t, f.say(alice.ID, leadChan, "/social transfer @bobby"), "There is no user @bobby.")
	})
	t.Run("not an operator", func(t *testing.T) {
		f := setup(t).as(alice).inLead()
		f.leads.EXPECT().UserByName("mallory").Return(mallory, true, nil)
		require.Equal(t, "@mallory is not in the operator pool, so they cannot work leads. An admin can add them to ~social-inbox-queue first.",
			f.say(alice.ID, leadChan, "/social transfer @mallory"))
	})
	t.Run("refused by the handoff", func(t *testing.T) {
		f := setup(t).as(bob).inLead()
		f.leads.EXPECT().UserByName("bob").Return(bob, true, nil)
		f.leads.EXPECT().Transfer(leadID, bob, bob).Return(command.Change{}, &handoff.StateError{State: "claimed", OwnerID: "alice", Reason: "Only the lead's owner or an admin can transfer a claimed lead."})
		require.Equal(t, "Only the lead's owner or an admin can transfer a claimed lead. Owner: @alice.", f.say(bob.ID, leadChan, "/social transfer @bob"))
	})
}

func TestRefusalsAndFailuresBecomeSentences(t *testing.T) {
	boom := errors.New("KV get: connection refused")
	cases := []struct {
		name    string
		err     error
		want    string
		wantErr bool
	}{
		{"claimed by someone else names the owner", &handoff.StateError{State: "claimed", OwnerID: "bob", Reason: "This lead is already claimed."}, "This lead is already claimed. Owner: @bob.", false},
		{"own lead does not name me", &handoff.StateError{State: "claimed", OwnerID: "alice", Reason: "You already own this lead."}, "You already own this lead.", false},
		{"closed leads name no owner", &handoff.StateError{State: "closed", OwnerID: "bob", Reason: "This lead is closed."}, "This lead is closed.", false},
		{"wrapped refusal", errors.Wrap(&handoff.StateError{State: "open", Reason: "This lead is not claimed, so there is nothing to release."}, "release"), "This lead is not claimed, so there is nothing to release.", false},
		{"lead gone", errors.Wrap(handoff.ErrNoLead, "claim"), "This lead no longer exists.", false},
		{"store failure", boom, "Something went wrong; nothing was changed. Try again in a moment.", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t).as(alice).inLead()
			f.leads.EXPECT().Claim(leadID, alice).Return(command.Change{}, tc.err)
			text, err := f.run(alice.ID, leadChan, "/social claim")
			require.Equal(t, tc.want, text)
			if tc.wantErr {
				require.ErrorIs(t, err, boom, "unexpected errors are returned for the log")
			} else {
				require.NoError(t, err, "refusals are answers, not failures")
			}
		})
	}
	t.Run("user lookup fails", func(t *testing.T) {
		f := setup(t)
		f.leads.EXPECT().User(alice.ID).Return(command.User{}, boom)
		text, err := f.run(alice.ID, leadChan, "/social claim")
		require.Contains(t, text, "Something went wrong")
		require.ErrorIs(t, err, boom)
	})
	t.Run("channel lookup fails", func(t *testing.T) {
		f := setup(t).as(alice)
		f.leads.EXPECT().LeadOfChannel(leadChan).Return("", false, boom)
		text, err := f.run(alice.ID, leadChan, "/social status")
		require.Contains(t, text, "Something went wrong")
		require.ErrorIs(t, err, boom)
	})
}

func TestNoteKeepsTheTextAsWritten(t *testing.T) {
	f := setup(t).as(alice).inLead()
	text := "Called back.\n  Wants a quote by *Friday*; ask @bob about delivery."
	f.leads.EXPECT().AddNote(leadID, alice, text).Return(nil)
	require.Equal(t, "Note added to the channel. The buyer does not see it.", f.say(alice.ID, leadChan, "/social note "+text))
}

func TestStatusShowsTheLeadAtAGlance(t *testing.T) {
	base := command.Status{
		LeadID: leadID, ChannelName: "fb-dana-k7462-01234567", Contact: "Dana K7462", Platform: "Messenger",
		Source:   "Direct message on Messenger",
		Handoff:  command.Handoff{State: "claimed", OwnerID: "alice"},
		OpenedAt: now.Add(-3 * time.Hour), ClaimedAt: now.Add(-2 * time.Hour),
		Window: command.Window{
			LastCustomerAt: now.Add(-170 * time.Minute), LastReplyAt: now.Add(-4 * time.Hour),
			StandardUntil: now.Add(21*time.Hour + 10*time.Minute), HumanAgentUntil: now.Add(6*24*time.Hour + 21*time.Hour),
		},
	}
	cases := []struct {
		name   string
		edit   func(s *command.Status)
		want   []string
		absent []string
	}{
		{"claimed, window open, unanswered", func(*command.Status) {}, []string{
			"#### Dana K7462 · Messenger lead", "**Channel:** ~fb-dana-k7462-01234567", "**Source:** Direct message on Messenger",
			"**Handoff:** claimed by @alice 2h ago",
			"**Reply window:** open, 21h 10m left (24-hour window, until Sun Nov 22 09:10 UTC)",
			"**Human Agent window (7 days):** 6d 21h left, but the Human Agent tag is not enabled",
			"**Buyer last wrote:** 2h 50m ago, **unanswered**",
		}, []string{"Policy review"}},
		{"answered, 24 hours over, Human Agent enabled", func(s *command.Status) {
			s.Window.LastReplyAt = now.Add(-time.Hour)
			s.Window.StandardUntil = now.Add(-90 * time.Minute)
			s.Window.HumanAgentEnabled = true
		}, []string{
			"**Reply window:** closed 1h 30m ago", "**Human Agent window (7 days):** 6d 21h left (until",
			"replies go out with the Human Agent tag", "**Buyer last wrote:** 2h 50m ago; answered 1h ago",
		}, []string{"unanswered"}},
		{"everything closed", func(s *command.Status) {
			s.Handoff = command.Handoff{State: "closed", OwnerID: "alice"}
			s.ClosedAt, s.ClosedBy, s.CloseReason = now.Add(-30*time.Minute), "alice", "sold"
			s.Window.StandardUntil = now.Add(-7 * 24 * time.Hour)
			s.Window.HumanAgentUntil = now.Add(-time.Hour)
			s.Reopens = 2
		}, []string{"**Handoff:** closed 30m ago by @alice (sold); it reopens when the buyer writes again · reopened 2×", "**Human Agent window (7 days):** closed 1h ago"}, nil},
		{"under review, comment lead", func(s *command.Status) {
			s.Handoff = command.Handoff{State: "open", UnderReview: true}
			s.ReviewReason = "mentions @bob and a | pipe"
			s.Source = "Comment on [a Facebook post](https://fb.example/p/1)"
			s.Window = command.Window{LastCustomerAt: now.Add(-time.Hour), PrivateReplyUntil: now.Add(6*24*time.Hour + 23*time.Hour)}
		}, []string{
			"**Handoff:** open, unclaimed for 3h", "**Policy review:** ⚠️ under review (mentions @\u200bbob and a \\| pipe).",
			"**Reply window:** none yet; the comment allows one private reply, 6d 23h left",
			"**Source:** Comment on [a Facebook post](https://fb.example/p/1)",
		}, []string{"Human Agent"}},
		{"instagram username", func(s *command.Status) {
			s.Contact, s.ContactUsername, s.Platform = "Tom Vander", "tom_v", "Instagram"
		}, []string{"#### Tom Vander (@\u200btom_v) · Instagram lead"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := base
			tc.edit(&st)
			f := setup(t).as(alice).inLead()
			f.leads.EXPECT().Status(leadID).Return(st, nil)
			text := f.say(alice.ID, leadChan, "/social status")
			for _, w := range tc.want {
				require.Contains(t, text, w)
			}
			for _, a := range tc.absent {
				require.NotContains(t, text, a)
			}
		})
	}
}

func summary(id, owner string, standard, humanAgent time.Duration, wrote time.Duration) command.Summary {
	s := command.Summary{
		LeadID: id, ChannelName: "fb-" + id, Contact: "Buyer " + id, Platform: "Messenger",
		Handoff: command.Handoff{State: "open"},
		Window: command.Window{
			LastCustomerAt: now.Add(-wrote), StandardUntil: now.Add(standard), HumanAgentUntil: now.Add(humanAgent),
		},
	}
	if owner != "" {
		s.Handoff = command.Handoff{State: "claimed", OwnerID: owner}
	}
	return s
}

func TestQueueIsSortedByRisk(t *testing.T) {
	leads := []command.Summary{
		summary("later", "", 20*time.Hour, 6*24*time.Hour, 4*time.Hour),
		summary("expired", "bob", -2*time.Hour, 5*24*time.Hour, 26*time.Hour),
		summary("soonest", "alice", 30*time.Minute, 6*24*time.Hour, 23*time.Hour+30*time.Minute),
		summary("middle", "", 5*time.Hour, 6*24*time.Hour, 19*time.Hour),
		summary("gone", "", -6*24*time.Hour, -time.Hour, 8*24*time.Hour),
	}
	leads[0].Window.LastReplyAt = now // answered
	leads[3].Handoff.UnderReview = true
	closed := summary("closedone", "", time.Hour, 6*24*time.Hour, time.Hour)
	closed.Handoff.State = "closed"
	leads = append(leads, closed)

	f := setup(t).as(alice)
	f.leads.EXPECT().OpenLeads().Return(leads, nil)
	text := f.say(alice.ID, town, "/social queue")
	require.Contains(t, text, "#### Open leads: 5")
	require.NotContains(t, text, "closedone", "closed leads are not in the queue")
	// Leads nobody can answer any more come last, the longest-waiting buyer first.
	order := []string{"~fb-soonest", "~fb-middle", "~fb-later", "~fb-gone", "~fb-expired"}
	last := -1
	for _, ch := range order {
		i := strings.Index(text, ch)
		require.Greater(t, i, last, "%s out of order in\n%s", ch, text)
		last = i
	}
	require.Contains(t, text, "| ~fb-soonest | Buyer soonest | Messenger | claimed by @alice | 23h 30m ago · **unanswered** | 30m left |")
	require.Contains(t, text, "| ~fb-middle | Buyer middle | Messenger | open, unclaimed · ⚠️ policy review | 19h ago · **unanswered** | 5h left |")
	require.Contains(t, text, "| ~fb-later | Buyer later | Messenger | open, unclaimed | 4h ago | 20h left |")
	require.Contains(t, text, "| ~fb-expired | Buyer expired | Messenger | claimed by @bob | 1d 2h ago · **unanswered** | closed |")

	t.Run("with the Human Agent tag a 7-day window counts", func(t *testing.T) {
		for i := range leads {
			leads[i].Window.HumanAgentEnabled = true
		}
		f := setup(t).as(alice)
		f.leads.EXPECT().OpenLeads().Return(leads, nil)
		text := f.say(alice.ID, town, "/social queue all")
		require.Contains(t, text, "| 5d left (Human Agent) |")
		require.Less(t, strings.Index(text, "~fb-later"), strings.Index(text, "~fb-expired"))
		require.Less(t, strings.Index(text, "~fb-expired"), strings.Index(text, "~fb-gone"))
	})
}

func TestQueueFiltersAndCap(t *testing.T) {
	var leads []command.Summary
	for i := 0; i < 30; i++ {
		owner := ""
		switch i % 3 {
		case 1:
			owner = "alice"
		case 2:
			owner = "bob"
		}
		leads = append(leads, summary(fmt.Sprintf("l%02d", i), owner, time.Duration(i+1)*time.Hour, 6*24*time.Hour, time.Hour))
	}
	cases := []struct {
		filter string
		title  string
		rows   int
		more   string
	}{
		{"", "#### Open leads: 30", 25, "…and 5 more. Narrow the list with `/social queue mine` or `/social queue unclaimed`."},
		{" ALL", "#### Open leads: 30", 25, "…and 5 more."},
		{"mine", "#### Your open leads: 10", 10, ""},
		{"unclaimed", "#### Unclaimed leads: 10", 10, ""},
	}
	for _, tc := range cases {
		t.Run("queue "+tc.filter, func(t *testing.T) {
			f := setup(t).as(alice)
			f.leads.EXPECT().OpenLeads().Return(leads, nil)
			text := f.say(alice.ID, town, "/social queue "+tc.filter)
			require.Contains(t, text, tc.title)
			require.Equal(t, tc.rows, strings.Count(text, "| ~fb-"), text)
			if tc.more != "" {
				require.Contains(t, text, tc.more)
			} else {
				require.NotContains(t, text, "more.")
			}
			switch strings.TrimSpace(tc.filter) {
			case "mine":
				require.NotContains(t, text, "@bob")
				require.NotContains(t, text, "unclaimed |")
			case "unclaimed":
				require.NotContains(t, text, "claimed by")
			}
		})
	}
	t.Run("empty lists say so", func(t *testing.T) {
		alicesLead := []command.Summary{summary("x", "alice", time.Hour, time.Hour, time.Hour)}
		for _, tc := range []struct {
			filter string
			leads  []command.Summary
			want   string
		}{
			{"mine", alicesLead, "You have no open leads."},
			{"unclaimed", alicesLead, "No unclaimed leads: every open lead has an owner."},
			{"", nil, "No open leads. New ones are announced in ~social-inbox-queue."},
		} {
			f := setup(t).as(bob)
			f.leads.EXPECT().OpenLeads().Return(tc.leads, nil)
			require.Contains(t, f.say(bob.ID, town, "/social queue "+tc.filter), tc.want)
		}
	})
	t.Run("buyer names cannot break the table or mention anyone", func(t *testing.T) {
		l := summary("x", "", time.Hour, time.Hour, time.Hour)
		l.Contact = "Eve | @channel\nnext"
		f := setup(t).as(alice)
		f.leads.EXPECT().OpenLeads().Return([]command.Summary{l}, nil)
		text := f.say(alice.ID, town, "/social queue")
		require.Contains(t, text, "| Eve \\| @\u200bchannel next |")
	})
	t.Run("store failure", func(t *testing.T) {
		f := setup(t).as(alice)
		f.leads.EXPECT().OpenLeads().Return(nil, errors.New("boom"))
		text, err := f.run(alice.ID, town, "/social queue")
		require.Contains(t, text, "Something went wrong")
		require.Error(t, err)
	})
}

func TestAuditIsReadableNewestLast(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 21, 14, 7, 0, time.UTC)
	trail := []command.AuditEntry{
		{At: t0, Actor: "webhook", Action: "lead.created", After: "dm", Detail: "facebook"},
		{At: t0, Actor: "webhook", Action: "window.opened", After: "2026-11-21T21:14:07Z", Detail: "message"},
		{At: t0.Add(time.Hour), Actor: "user", ActorID: "alice", Action: "handoff.claimed", Before: "open", After: "claimed:alice"},
		{At: t0.Add(2 * time.Hour), Actor: "user", ActorID: "alice", Action: "handoff.review_requested", Before: "social_dm_follow_up_needed", After: "social_dm_policy_review", Detail: "asks @bob | for a discount"},
		{At: t0.Add(3 * time.Hour), Actor: "user", ActorID: "boss", Action: "handoff.closed", Before: "claimed:alice", After: "closed:alice", Detail: "sold"},
	}
	f := setup(t).as(alice).inLead()
	f.leads.EXPECT().AuditTrail(leadID).Return(trail, nil)
	text := f.say(alice.ID, leadChan, "/social audit")
	want := strings.Join([]string{
		"#### Audit trail (newest last)",
		"- `2026-11-20 21:14:07 UTC` · Meta (webhook) · lead created · — → dm · facebook",
		"- `2026-11-20 21:14:07 UTC` · Meta (webhook) · window opened · — → Sat Nov 21 21:14 UTC · message",
		"- `2026-11-20 22:14:07 UTC` · @alice · handoff claimed · open → claimed by @alice",
		"- `2026-11-20 23:14:07 UTC` · @alice · handoff review requested · follow-up needed → policy review · asks @\u200bbob \\| for a discount",
		"- `2026-11-21 00:14:07 UTC` · @boss · handoff closed · claimed by @alice → closed (owner @alice) · sold",
	}, "\n")
	require.Equal(t, want, text)

	t.Run("long trails show the newest", func(t *testing.T) {
		var many []command.AuditEntry
		for i := 0; i < 80; i++ {
			many = append(many, command.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Actor: "system", Action: fmt.Sprintf("step.%02d", i)})
		}
		f := setup(t).as(alice).inLead()
		f.leads.EXPECT().AuditTrail(leadID).Return(many, nil)
		text := f.say(alice.ID, leadChan, "/social audit")
		require.Contains(t, text, "_30 earlier events not shown._")
		require.NotContains(t, text, "step 29")
		require.Contains(t, text, "step 30")
		require.True(t, strings.HasSuffix(text, "Social Inbox · step 79 · — → —"), text)
	})
	t.Run("empty", func(t *testing.T) {
		f := setup(t).as(alice).inLead()
		f.leads.EXPECT().AuditTrail(leadID).Return(nil, nil)
		require.Equal(t, "This lead has no audit events yet.", f.say(alice.ID, leadChan, "/social audit"))
	})
}
