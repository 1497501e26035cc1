package e2e

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueueChannelCreatedWhenMissing(t *testing.T) {
	sc := newScenarioWith(t, scenarioOptions{operators: 0, createQueue: false})
	ctx := context.Background()
	lookup := func() *model.Channel {
		ch, _, err := env.admin.GetChannelByName(ctx, sc.settings.QueueChannelName, sc.team.Id, "")
		if err != nil {
			return nil
		}
		return ch
	}
	// Not part of the contract's timing: note whether saving the settings already created it.
	time.Sleep(time.Second)
	if lookup() == nil {
		t.Logf("note: queue channel %q does not exist 1 s after the settings were saved; it is created later (e.g. with the first lead)", sc.settings.QueueChannelName)
	}

	body := sc.sample("instagram_text.json")
	sc.deliver(body.Bytes)
	post := sc.waitForNativePost(body.Messages()[0].NativeID)

	queue := lookup()
	require.NotNil(t, queue, "queue channel %q must exist once a lead arrived", sc.settings.QueueChannelName)
	assert.Equal(t, model.ChannelTypePrivate, queue.Type, "queue channel type")
	sc.queue = queue
	lead := sc.channel(post.ChannelId)
	waitFor(t, "a queue_notice for ~"+lead.Name+" in the created queue channel", func() (bool, string) {
		return len(sc.queueNotices(lead.Name)) == 1, describePosts(sc.queueNotices(""))
	})
}

func TestOperatorAddedAfterEnablingJoinsNewLeads(t *testing.T) {
	sc := newScenarioWith(t, scenarioOptions{operators: 0, createQueue: true})
	ctx := context.Background()

	// The plugin is already configured for this team; the pool grows afterwards.
	late := sc.newUser("late-op")
	_, _, err := env.admin.AddChannelMember(ctx, sc.queue.Id, late.user.Id)
	require.NoError(t, err)
	sc.operators = append(sc.operators, late)
	sc.removeAdminFromQueue()

	body := sc.sample("instagram_text.json")
	sc.deliver(body.Bytes)
	post := sc.waitForNativePost(body.Messages()[0].NativeID)
	ch := sc.channel(post.ChannelId)
	assert.True(t, strings.HasPrefix(ch.Name, "ig-"), "lead channel name %q", ch.Name)

	want := []string{env.botUserID, late.user.Id}
	sort.Strings(want)
	assert.Equal(t, want, sc.channelMemberIDs(ch.Id), "lead channel members (bot %s, operator added after enabling %s)", env.botUserID, late.user.Id)
}

func TestGraphCallsCarryPageToken(t *testing.T) {
	sc := newScenario(t)
	for _, name := range []string{"messenger_text.json", "instagram_text.json"} {
		body := sc.sample(name)
		sc.deliver(body.Bytes)
		post := sc.waitForNativePost(body.Messages()[0].NativeID)
		t.Logf("%s → lead channel %q", name, sc.channel(post.ChannelId).DisplayName)
	}

	reqs := env.graph.Requests(sc.started)
	graphCalls := 0
	for _, r := range reqs {
		if strings.HasPrefix(r.Path, "/media/") || r.Path == "/avatar.png" {
			continue
		}
		graphCalls++
		assert.Equal(t, "Bearer "+sc.settings.PageAccessToken, r.Authorization, "Authorization of %s %s", r.Method, r.Path)
		assert.NotContains(t, r.RawQuery, "access_token", "the token must travel in the header, not the query (%s %s)", r.Method, r.Path)
		assert.True(t, strings.HasPrefix(r.Path, "/"+sc.settings.GraphAPIVersion+"/"), "Graph path %q must start with the configured version", r.Path)
	}
	t.Logf("Graph API calls on the inbound path: %d", graphCalls)
}
