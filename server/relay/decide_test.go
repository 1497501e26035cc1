package relay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

func TestDecideWindowEdges(t *testing.T) {
	last := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	conv := &store.Conversation{
		LastInboundAt:       last.UnixMilli(),
		WindowExpiresAt:     last.Add(24 * time.Hour).UnixMilli(),
		HumanAgentExpiresAt: last.Add(7 * 24 * time.Hour).UnixMilli(),
	}
	open := &store.Handoff{State: store.HandoffOpen, Reason: store.ReasonFollowUp}
	tests := []struct {
		name       string
		after      time.Duration
		humanAgent bool
		mode       Mode
		reason     string
	}{
		{"23:59 standard window", 23*time.Hour + 59*time.Minute, false, Standard, ""},
		{"23:59 with human agent still standard", 23*time.Hour + 59*time.Minute, true, Standard, ""},
		{"24:00 exactly is closed", 24 * time.Hour, false, Blocked, "24-hour reply window has closed"},
		{"24:01 without human agent", 24*time.Hour + time.Minute, false, Blocked, "Human Agent tag, which an admin can enable"},
		{"24:01 with human agent", 24*time.Hour + time.Minute, true, HumanAgent, ""},
		{"7 days - 1 minute with human agent", 7*24*time.Hour - time.Minute, true, HumanAgent, ""},
		{"7 days + 1 minute with human agent", 7*24*time.Hour + time.Minute, true, Blocked, "7 days at most"},
		{"7 days + 1 minute without", 7*24*time.Hour + time.Minute, false, Blocked, "24-hour reply window has closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(conv, open, "u1", Policy{HumanAgentEnabled: tc.humanAgent}, last.Add(tc.after))
			require.Equal(t, tc.mode, d.Mode)
			switch tc.mode {
			case Standard:
				require.Equal(t, MessagingResponse, d.MessagingType)
				require.Empty(t, d.Tag)
			case HumanAgent:
				require.Equal(t, MessagingMessageTag, d.MessagingType)
				require.Equal(t, TagHumanAgent, d.Tag)
			case Blocked:
				require.Contains(t, d.Reason, tc.reason)
			}
		})
	}
}

func TestDecideHandoffRules(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	conv := &store.Conversation{LastInboundAt: now.UnixMilli(), WindowExpiresAt: now.Add(time.Hour).UnixMilli()}
	tests := []struct {
		name  string
		ho    *store.Handoff
		mode  Mode
		claim bool
		owner string
	}{
		{"unclaimed: posting claims it", &store.Handoff{State: store.HandoffOpen, Reason: store.ReasonFollowUp}, Standard, true, ""},
		{"claimed by the author", &store.Handoff{State: store.HandoffClaimed, OwnerID: "me", Reason: store.ReasonFollowUp}, Standard, false, ""},
		{"claimed by someone else", &store.Handoff{State: store.HandoffClaimed, OwnerID: "other", Reason: store.ReasonFollowUp}, Blocked, false, "other"},
		{"closed", &store.Handoff{State: store.HandoffClosed, Reason: store.ReasonFollowUp}, Blocked, false, ""},
		{"under policy review even for the owner", &store.Handoff{State: store.HandoffClaimed, OwnerID: "me", Reason: store.ReasonPolicyReview}, Blocked, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(conv, tc.ho, "me", Policy{}, now)
			require.Equal(t, tc.mode, d.Mode)
			require.Equal(t, tc.claim, d.Claim)
			require.Equal(t, tc.owner, d.OwnerID)
			if d.Mode == Blocked {
				require.NotEmpty(t, d.Reason)
			}
		})
	}
}

func TestDecideCommentLeadsGetOnePrivateReply(t *testing.T) {
	comment := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	conv := &store.Conversation{PrivateReplyComment: "c_1", PrivateReplyUntil: comment.Add(7 * 24 * time.Hour).UnixMilli()}
	open := &store.Handoff{State: store.HandoffOpen, Reason: store.ReasonFollowUp}

	d := Decide(conv, open, "me", Policy{HumanAgentEnabled: true}, comment.Add(3*24*time.Hour))
	require.Equal(t, PrivateReply, d.Mode)
	require.Equal(t, "c_1", d.CommentID)

	d = Decide(conv, open, "me", Policy{}, comment.Add(7*24*time.Hour+time.Minute))
	require.Equal(t, Blocked, d.Mode)
	require.Contains(t, d.Reason, "one private reply")

	used := *conv
	used.PrivateReplyComment = ""
	d = Decide(&used, open, "me", Policy{}, comment.Add(time.Hour))
	require.Equal(t, Blocked, d.Mode)
	require.Contains(t, d.Reason, "already got its one private reply")
}

func TestDecideNeverSendsToSomeoneWhoNeverWrote(t *testing.T) {
	d := Decide(&store.Conversation{}, nil, "me", Policy{HumanAgentEnabled: true}, time.Now())
	require.Equal(t, Blocked, d.Mode)
}
