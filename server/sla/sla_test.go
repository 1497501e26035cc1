package sla

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

func TestDueAlerts(t *testing.T) {
	wrote := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	conv := &store.Conversation{
		LeadID: "l1", LastCustomerAt: wrote.UnixMilli(), LastInboundAt: wrote.UnixMilli(),
		WindowExpiresAt: wrote.Add(24 * time.Hour).UnixMilli(),
	}
	open := &store.Handoff{State: store.HandoffOpen}
	claimed := &store.Handoff{State: store.HandoffClaimed, OwnerID: "alice"}
	s := Settings{UnansweredAfter: 15 * time.Minute, WindowWarnBefore: 2 * time.Hour}
	kinds := func(as []Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Kind)
		}
		return out
	}

	require.Empty(t, Due(conv, open, &State{}, s, wrote.Add(14*time.Minute)))
	due := Due(conv, open, &State{}, s, wrote.Add(15*time.Minute))
	require.Equal(t, []string{Unanswered}, kinds(due))
	require.Empty(t, due[0].OwnerID, "unclaimed: the queue is told")
	require.Equal(t, "alice", Due(conv, claimed, &State{}, s, wrote.Add(time.Hour))[0].OwnerID)

	st := &State{}
	st.Mark(due[0])
	require.Empty(t, Due(conv, open, st, s, wrote.Add(3*time.Hour)), "not repeated for the same message")

	due = Due(conv, open, st, s, wrote.Add(22*time.Hour+time.Minute))
	require.Equal(t, []string{WindowClosing}, kinds(due))
	require.Equal(t, 119*time.Minute, due[0].Left)
	st.Mark(due[0])
	require.Empty(t, Due(conv, open, st, s, wrote.Add(23*time.Hour)))
	require.Empty(t, Due(conv, open, &State{}, s, wrote.Add(25*time.Hour))[1:], "no window warning after it closed")

	// The buyer writes again: a new message, new alerts.
	later := *conv
	later.LastCustomerAt = wrote.Add(26 * time.Hour).UnixMilli()
	require.Equal(t, []string{Unanswered}, kinds(Due(&later, open, st, s, wrote.Add(27*time.Hour))))

	answered := *conv
	answered.LastOutboundAt = wrote.Add(time.Minute).UnixMilli()
	require.Empty(t, Due(&answered, open, &State{}, s, wrote.Add(23*time.Hour)), "answered leads raise nothing")
	require.Empty(t, Due(conv, &store.Handoff{State: store.HandoffClosed}, &State{}, s, wrote.Add(23*time.Hour)), "closed leads raise nothing")
	require.Empty(t, Due(conv, open, &State{}, Settings{}, wrote.Add(23*time.Hour)), "alerts can be turned off")
}
