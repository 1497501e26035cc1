package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/relay"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// The buyer's message in messenger_text.json was sent at this time.
var buyerWroteAt = time.UnixMilli(1795209247312)

func newLeadEnv(t *testing.T, nodes int) (*env, *model.Channel, string) {
	e := newEnv(t, nodes)
	e.setNow(buyerWroteAt.Add(time.Hour))
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	chans := e.leadChannels()
	require.Len(t, chans, 1)
	leadID, ok := e.nodes[0].leadOfChannel(chans[0].Id)
	require.True(t, ok)
	return e, chans[0], leadID
}

func (e *env) botReactions(postID string) []string {
	var out []string
	rs, appErr := e.nodes[0].API.GetReactions(postID)
	require.Nil(e.t, appErr)
	for _, r := range rs {
		if r.UserId == e.nodes[0].botUserID {
			out = append(out, r.EmojiName)
		}
	}
	return out
}

func (e *env) handoff(leadID string) store.Handoff {
	var ho store.Handoff
	_, err := e.nodes[0].store.Get(store.HandoffKey(leadID), &ho)
	require.NoError(e.t, err)
	return ho
}

func TestOperatorReplyReachesTheBuyerThroughTheSendAPI(t *testing.T) {
	e, ch, leadID := newLeadEnv(t, 1)
	post, reason := e.reply(0, e.ops[0], ch.Id, "Hi Dana! It's $8,950 installed in Meridian.")
	require.Empty(t, reason)
	sends := e.graph.sent()
	require.Len(t, sends, 1)
	s := sends[0]
	require.Equal(t, "/v26.0/"+testPageID+"/messages", s["path"])
	require.Equal(t, "Bearer "+testToken, s["authorization"])
	require.Equal(t, map[string]any{"id": "7284619053817462"}, s["recipient"])
	require.Equal(t, relay.MessagingResponse, s["messaging_type"])
	require.Nil(t, s["tag"])
	require.Equal(t, map[string]any{"text": "Hi Dana! It's $8,950 installed in Meridian.", "metadata": "mm-post:" + post.Id + "#0"}, s["message"],
		"metadata travels in the message and comes back in the echo")

	require.Contains(t, e.botReactions(post.Id), emojiDelivered)
	require.NotContains(t, e.botReactions(post.Id), emojiPending)
	it, found, err := e.nodes[0].outbox.Get(post.Id)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, relay.StateSent, it.State)

	ho := e.handoff(leadID)
	require.Equal(t, store.HandoffClaimed, ho.State, "posting in an unclaimed lead claims it")
	require.Equal(t, e.ops[0].Id, ho.OwnerID)

	// The echo of our own send is not posted as a customer message.
	echo := fmt.Sprintf(`{"object":"page","entry":[{"time":1795209267800,"id":"%s","messaging":[{"sender":{"id":"%s"},"recipient":{"id":"7284619053817462"},"timestamp":1795209267063,"message":{"mid":"m_sent_1","is_echo":true,"app_id":%s,"metadata":"mm-post:%s","text":"Hi Dana!"}}]}]}`, testPageID, testPageID, testAppID, post.Id)
	require.Equal(t, http.StatusOK, e.post(0, []byte(echo)).Code)
	require.Len(t, e.postsByNativeID(), 1)
}

func TestSecondOperatorCannotAnswerAClaimedLead(t *testing.T) {
	e, ch, _ := newLeadEnv(t, 1)
	_, reason := e.reply(0, e.ops[0], ch.Id, "Hi, Alice here.")
	require.Empty(t, reason)
	_, reason = e.reply(0, e.ops[1], ch.Id, "Bob here too!")
	require.Contains(t, reason, "claimed by @alice")
	require.Len(t, e.graph.sent(), 1)
}

func TestWindowIsEnforcedBeforeThePostExists(t *testing.T) {
	tests := []struct {
		name       string
		after      time.Duration
		humanAgent bool
		reason     string
		tag        string
	}{
		{"23:59", 23*time.Hour + 59*time.Minute, false, "", ""},
		{"24:01 without Human Agent", 24*time.Hour + time.Minute, false, "24-hour reply window has closed", ""},
		{"24:01 with Human Agent", 24*time.Hour + time.Minute, true, "", relay.TagHumanAgent},
		{"7 days + 1 minute with Human Agent", 7*24*time.Hour + time.Minute, true, "7 days at most", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ch, _ := newLeadEnv(t, 1)
			if tc.humanAgent {
				cfg := testConfig(e.graph.URL)
				cfg["EnableHumanAgentTag"] = true
				e.srv.SetPluginConfig(manifestID, cfg)
				require.NoError(t, e.nodes[0].OnConfigurationChange())
			}
			e.setNow(buyerWroteAt.Add(tc.after))
			post, reason := e.reply(0, e.ops[0], ch.Id, "Are you still interested?")
			if tc.reason != "" {
				require.Contains(t, reason, tc.reason)
				require.Nil(t, post, "a rejected reply never becomes a post")
				require.Empty(t, e.graph.sent())
				return
			}
			require.Empty(t, reason)
			sends := e.graph.sent()
			require.Len(t, sends, 1)
			if tc.tag != "" {
				require.Equal(t, relay.MessagingMessageTag, sends[0]["messaging_type"])
				require.Equal(t, tc.tag, sends[0]["tag"])
			} else {
				require.Equal(t, relay.MessagingResponse, sends[0]["messaging_type"])
			}
		})
	}
}

func TestBotAndSystemPostsAreNeverRelayed(t *testing.T) {
	e, ch, _ := newLeadEnv(t, 1)
	p := e.nodes[0]
	for _, post := range []*model.Post{
		{UserId: p.botUserID, ChannelId: ch.Id, Message: "bot says"},
		{UserId: e.ops[0].Id, ChannelId: ch.Id, Message: "joined", Type: model.PostTypeJoinChannel},
		{UserId: e.ops[0].Id, ChannelId: ch.Id, Message: "webhook", Props: model.StringInterface{model.PostPropsFromWebhook: "true"}},
		{UserId: e.ops[0].Id, ChannelId: ch.Id, Message: "no relay stamp: skipped MessageWillBePosted"},
	} {
		// The hooks see these posts as the server hands them over.
		post.Id = model.NewId()
		changed, reason := p.MessageWillBePosted(nil, post)
		if post.Message != "no relay stamp: skipped MessageWillBePosted" {
			require.Nil(t, changed)
			require.Empty(t, reason)
		}
		if post.Message == "no relay stamp: skipped MessageWillBePosted" {
			post.DelProp(propRelay)
		}
		p.MessageHasBeenPosted(nil, post)
	}
	require.Empty(t, e.graph.sent())
	// And posts outside lead channels are not touched at all.
	town, appErr := p.API.GetChannelByName(e.team.Id, "town-square", false)
	require.Nil(t, appErr)
	changed, reason := p.MessageWillBePosted(nil, &model.Post{UserId: e.ops[0].Id, ChannelId: town.Id, Message: "hello team"})
	require.Nil(t, changed)
	require.Empty(t, reason)
}

func TestPermanentSendErrorIsShownWithRetry(t *testing.T) {
	e, ch, _ := newLeadEnv(t, 1)
	e.graph.answerSends(func(int) (int, string) {
		return http.StatusBadRequest, string(sample(t, "send_api_error_outside_window.json"))
	})
	post, reason := e.reply(0, e.ops[0], ch.Id, "Hello?")
	require.Empty(t, reason)
	require.Contains(t, e.botReactions(post.Id), emojiFailed)
	var notice *model.Post
	for _, p := range e.srv.PostsInChannel(ch.Id) {
		if p.RootId == post.Id && p.UserId == e.nodes[0].botUserID {
			notice = p
		}
	}
	require.NotNil(t, notice, "the failure is shown in the reply's thread")
	require.Contains(t, notice.Message, "Not delivered to the buyer")
	require.Equal(t, actionRetry, notice.Attachments()[0].Actions[0].Id)

	// Retry works once Meta accepts again.
	e.graph.answerSends(nil)
	_, text := e.action(0, e.ops[0].Id, notice, actionRetry)
	require.Equal(t, "Sending again.", text)
	e.waitFor(func() bool {
		it, _, _ := e.nodes[0].outbox.Get(post.Id)
		return it.State == relay.StateSent
	}, "the retried reply to be sent")
	require.Len(t, e.graph.sent(), 2)
}

func TestGraphOutageDeliversQueuedRepliesAfterInOrderOnce(t *testing.T) {
	e, ch, _ := newLeadEnv(t, 1)
	down := true
	e.graph.answerSends(func(int) (int, string) {
		if down {
			return http.StatusInternalServerError, `{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"Atrace"}}`
		}
		return 0, ""
	})
	var posts []*model.Post
	for i := 0; i < 4; i++ {
		post, reason := e.reply(0, e.ops[0], ch.Id, fmt.Sprintf("reply %d", i))
		require.Empty(t, reason)
		posts = append(posts, post)
		e.setNow(e.now().Add(time.Minute))
	}
	down = false
	for i := 0; i < 30; i++ { // the retry job
		e.nodes[0].retryPending()
		e.setNow(e.now().Add(30 * time.Second))
	}
	// Every request reaches the stand-in, the refused ones during the outage too: after
	// it, the four replies go out in posting order, each accepted once.
	var delivered []string
	for _, s := range e.graph.sent() {
		delivered = append(delivered, s["message"].(map[string]any)["text"].(string))
	}
	var accepted []string
	for _, p := range posts {
		it, _, err := e.nodes[0].outbox.Get(p.Id)
		require.NoError(t, err)
		require.Equal(t, relay.StateSent, it.State, p.Message)
		accepted = append(accepted, it.Parts[0].MID)
	}
	require.Len(t, accepted, 4)
	last := delivered[len(delivered)-4:]
	require.Equal(t, []string{"reply 0", "reply 1", "reply 2", "reply 3"}, last)
	for _, mid := range accepted {
		require.True(t, strings.HasPrefix(mid, "m_sent_"), mid)
	}
}

func TestLostAnswerIsReconciledWithTheEchoNotResent(t *testing.T) {
	e, ch, _ := newLeadEnv(t, 1)
	e.graph.answerSends(func(n int) (int, string) {
		if n == 1 {
			return http.StatusInternalServerError, `{"error":{"message":"Received Invalid JSON reply.","type":"OAuthException","code":1,"error_subcode":1357046,"fbtrace_id":"Ctrace"}}`
		}
		return 0, ""
	})
	post, reason := e.reply(0, e.ops[0], ch.Id, "See you Tuesday at 9.")
	require.Empty(t, reason)
	echo := fmt.Sprintf(`{"object":"page","entry":[{"time":1795209267800,"id":"%s","messaging":[{"sender":{"id":"%s"},"recipient":{"id":"7284619053817462"},"timestamp":1795209267063,"message":{"mid":"m_really_sent","is_echo":true,"app_id":%s,"metadata":"mm-post:%s#0","text":"See you Tuesday at 9."}}]}]}`, testPageID, testPageID, testAppID, post.Id)
	require.Equal(t, http.StatusOK, e.post(0, []byte(echo)).Code)
	e.setNow(e.now().Add(time.Hour))
	e.nodes[0].retryPending()
	require.Len(t, e.graph.sent(), 1, "Meta said the message went out: never send it twice")
	it, _, err := e.nodes[0].outbox.Get(post.Id)
	require.NoError(t, err)
	require.Equal(t, relay.StateSent, it.State)
	require.Equal(t, "m_really_sent", it.Parts[0].MID)
	require.Len(t, e.postsByNativeID(), 1, "the echo is not posted as a customer message")
}

func TestCommentLeadGetsOnePrivateReply(t *testing.T) {
	e := newEnv(t, 1)
	e.setNow(time.Unix(1795214247, 0).Add(time.Hour))
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "facebook_feed_comment_add.json")).Code)
	ch := e.leadChannels()[0]
	_, reason := e.reply(0, e.ops[0], ch.Id, "Yes, we service Boise! What's your address?")
	require.Empty(t, reason)
	sends := e.graph.sent()
	require.Len(t, sends, 1)
	require.Equal(t, map[string]any{"comment_id": "122134958273049817_1262423718966811"}, sends[0]["recipient"])
	_, reason = e.reply(0, e.ops[0], ch.Id, "Also, are you free Thursday?")
	require.Contains(t, reason, "already got its one private reply")
	require.Len(t, e.graph.sent(), 1)
}
