package e2e

// Operator replies relayed to the buyer: MessageWillBePosted checks the handoff and Meta's
// window (and claims an unclaimed lead), MessageHasBeenPosted sends through the Graph
// Send API stand-in, and the bot shows the delivery state with reactions.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	emojiDelivered = "white_check_mark"
	emojiFailed    = "warning"
	// The metadata messenger_echo.json carries; an echo of a real send carries the post's.
	sampleEchoMetadata = "mm-post:q8w3nzu6ktgb5r1c4hxe7pyd9a"
	windowClosedText   = "24-hour reply window has closed"
)

var (
	messagingTimestamp = regexp.MustCompile(`"timestamp":\d+`)
	entryTime          = regexp.MustCompile(`"time":\d+`)
)

// atTime sets a Messenger body's event timestamp (milliseconds) to at, and the entry time
// to a moment later, as when Meta delivered the buyer's message when it was written.
func atTime(t *testing.T, body []byte, at time.Time) []byte {
	t.Helper()
	require.Len(t, messagingTimestamp.FindAll(body, -1), 1, "body must hold one messaging timestamp")
	require.Len(t, entryTime.FindAll(body, -1), 1, "body must hold one entry time")
	ms := at.UnixMilli()
	body = messagingTimestamp.ReplaceAll(body, []byte(fmt.Sprintf(`"timestamp":%d`, ms)))
	return entryTime.ReplaceAll(body, []byte(fmt.Sprintf(`"time":%d`, ms+488)))
}

// buyerWrites delivers messenger_text.json as written by the buyer at `at` and returns
// the lead's card (the first post of the new lead channel) and the buyer's message.
func (sc *scenario) buyerWrites(at time.Time) (*model.Post, sampleEvent) {
	sc.t.Helper()
	body := sc.sample("messenger_text.json")
	msgs := body.Messages()
	require.Len(sc.t, msgs, 1)
	sc.deliver(atTime(sc.t, body.Bytes, at))
	card := sc.waitForNativePost(msgs[0].NativeID)
	require.Contains(sc.t, actionIDs(cardAttachments(card)), "claim", "card %s", describeCard(cardAttachments(card)))
	return card, msgs[0]
}

// reply posts text in the lead channel as op, through POST /api/v4/posts.
func (sc *scenario) reply(op *operator, channelID, text string) (*model.Post, int, error) {
	sc.t.Helper()
	post, resp, err := op.client.CreatePost(context.Background(), &model.Post{ChannelId: channelID, Message: text})
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	return post, status, err
}

// botReactions lists the emoji names the bot reacted with on a post.
func botReactions(t *testing.T, postID string) []string {
	t.Helper()
	reactions, _, err := env.admin.GetReactions(context.Background(), postID)
	if err != nil {
		t.Fatalf("get reactions of %s: %v", postID, err)
	}
	var out []string
	for _, r := range reactions {
		if r.UserId == env.botUserID {
			out = append(out, r.EmojiName)
		}
	}
	sort.Strings(out)
	return out
}

func waitForBotReaction(t *testing.T, postID, emoji string) {
	t.Helper()
	waitFor(t, fmt.Sprintf("the bot's %q reaction on post %s", emoji, postID), func() (bool, string) {
		got := botReactions(t, postID)
		for _, e := range got {
			if e == emoji {
				return true, ""
			}
		}
		return false, fmt.Sprintf("bot reactions %v", got)
	})
}

// waitForSends waits until the stand-in received at least n Send API calls since since.
func waitForSends(t *testing.T, since time.Time, n int) []graphRequest {
	t.Helper()
	var sends []graphRequest
	waitFor(t, fmt.Sprintf("%d Send API call(s) at the Graph stand-in", n), func() (bool, string) {
		sends = env.graph.Sends(since)
		return len(sends) >= n, describeSends(sends)
	})
	return sends
}

func describeSends(sends []graphRequest) string {
	if len(sends) == 0 {
		return "no Send API calls"
	}
	parts := make([]string, 0, len(sends))
	for _, s := range sends {
		parts = append(parts, fmt.Sprintf("{%s %s %s body %s → %d %s}", s.Method, s.Path, s.ContentType,
			truncate(string(s.Body), 400), s.Status, truncate(string(s.Answer), 200)))
	}
	return strings.Join(parts, ", ")
}

// assertSend checks one Send API call against the contract: path, token, JSON body.
func (sc *scenario) assertSend(s graphRequest, psid, text, postID, messagingType, tag string) {
	t := sc.t
	t.Helper()
	assert.Equal(t, http.MethodPost, s.Method, "Send API method")
	assert.Equal(t, "/v26.0/"+sc.settings.PageID+"/messages", s.Path, "Send API path")
	assert.Equal(t, "Bearer "+sc.settings.PageAccessToken, s.Authorization, "Send API Authorization header")
	assert.True(t, strings.HasPrefix(s.ContentType, "application/json"), "Send API Content-Type %q, want JSON for a text reply", s.ContentType)
	require.NotNil(t, s.JSON, "Send API body is not a JSON object: %q", truncate(string(s.Body), 400))
	assert.Equal(t, map[string]any{"id": psid}, s.JSON["recipient"], "recipient (the PSID from the webhook)")
	assert.Equal(t, messagingType, s.JSON["messaging_type"], "messaging_type")
	if tag == "" {
		assert.NotContains(t, s.JSON, "tag", "no tag inside the 24-hour window: body %s", truncate(string(s.Body), 400))
	} else {
		assert.Equal(t, tag, s.JSON["tag"], "tag")
	}
	msg, _ := s.JSON["message"].(map[string]any)
	require.NotNil(t, msg, "Send API body has no message object: %q", truncate(string(s.Body), 400))
	assert.Equal(t, text, msg["text"], "message.text")
	// The plugin numbers the parts of a reply (text first, then each file) and sends
	// mm-post:<post id>#<part> so an echo confirms exactly one part; a text-only reply is
	// part 0.
	assert.Equal(t, sendMetadata(postID, 0), msg["metadata"], "message.metadata")
}

// sendMetadata is the metadata the plugin passes with part seq of a reply.
func sendMetadata(postID string, seq int) string {
	return fmt.Sprintf("mm-post:%s#%d", postID, seq)
}

// botPostsIgnoringOtherLeadsAlerts is botPostsSince without the SLA alerts (kind
// alert_*) about other leads. The plugin's alert job runs every minute over every open
// lead, and the leads earlier tests left open (their buyers wrote long ago) are alerted
// into the queue channel of whichever team the plugin is configured for at that moment.
func (sc *scenario) botPostsIgnoringOtherLeadsAlerts(since time.Time, leadID any) []dbPost {
	sc.t.Helper()
	var out []dbPost
	ignored := 0
	for _, p := range sc.botPostsSince(since) {
		kind, _ := p.Props["social_inbox_kind"].(string)
		if strings.HasPrefix(kind, "alert_") && p.Props["social_inbox_lead_id"] != leadID {
			ignored++
			continue
		}
		out = append(out, p)
	}
	if ignored > 0 {
		sc.t.Logf("note: ignored %d SLA alert posts about other (earlier tests') leads", ignored)
	}
	return out
}

// postsWithMessage returns the live posts of a channel whose message is exactly text.
func postsWithMessage(t *testing.T, channelID, text string) []dbPost {
	t.Helper()
	return queryPosts(t, `channelid = $1 AND message = $2`, channelID, text)
}

// requireRejected checks that CreatePost failed with the plugin's reason and no post.
func requireRejected(t *testing.T, post *model.Post, status int, err error, reason string) {
	t.Helper()
	require.Error(t, err, "the post must be rejected (%q); it was created: %+v", reason, post)
	assert.Nil(t, post, "a rejected post is not returned")
	assert.False(t, status >= 200 && status < 300, "rejected post: status %d, want non-2xx", status)
	assert.Contains(t, err.Error(), reason, "the rejection must carry the plugin's reason (status %d)", status)
	t.Logf("rejected with status %d: %s", status, truncate(err.Error(), 400))
}

func TestOperatorReplyReachesGraphSendAPI(t *testing.T) {
	sc := newScenario(t)
	// 23 hours ago: inside Meta's 24-hour window.
	card, buyer := sc.buyerWrites(time.Now().Add(-23 * time.Hour))
	op := sc.operators[0]
	mention := "@" + op.user.Username
	require.False(t, cardMentions(cardAttachments(card), mention), "the new lead must not name %s yet: %s", mention, describeCard(cardAttachments(card)))

	mark := time.Now()
	text := "Hi Dana! The 6-person cedar barrel sauna is $8,950 installed in Meridian."
	post, status, err := sc.reply(op, card.ChannelId, text)
	require.NoError(t, err, "operator post in the lead channel (status %d)", status)

	sends := waitForSends(t, mark, 1)
	sc.assertSend(sends[0], buyer.CustomerID, text, post.Id, "RESPONSE", "")
	waitForBotReaction(t, post.Id, emojiDelivered)

	waitFor(t, "the card to name the operator who answered, "+mention, func() (bool, string) {
		atts := cardAttachments(sc.getPost(card.Id))
		return cardMentions(atts, mention), describeCard(atts)
	})

	time.Sleep(settle)
	sends = env.graph.Sends(mark)
	assert.Len(t, sends, 1, "exactly one Send API call per reply: %s", describeSends(sends))
}

func TestReplyOutsideWindowIsRejected(t *testing.T) {
	sc := newScenario(t)
	card, buyer := sc.buyerWrites(time.Now().Add(-25 * time.Hour))
	op := sc.operators[0]
	text := "Are you still interested in the cedar barrel sauna?"

	mark := time.Now()
	post, status, err := sc.reply(op, card.ChannelId, text)
	requireRejected(t, post, status, err, windowClosedText)
	time.Sleep(settle)
	assert.Empty(t, env.graph.Sends(mark), "a rejected reply is not sent: %s", describeSends(env.graph.Sends(mark)))
	assertPosts(t, 0, postsWithMessage(t, card.ChannelId, text), "posts with the rejected text in the lead channel")
	assert.False(t, cardMentions(cardAttachments(sc.getPost(card.Id)), "@"+op.user.Username), "a rejected reply must not claim the lead")

	// With the Human Agent tag (an admin's choice) Meta allows replies up to 7 days.
	settings := sc.settings
	settings.EnableHumanAgentTag = true
	settings.WebhookVerifyToken = "verify-" + model.NewId() // configurePlugin waits until it is in force
	configurePlugin(t, settings)
	sc.settings = settings

	mark = time.Now()
	post, status, err = sc.reply(op, card.ChannelId, text)
	require.NoError(t, err, "with EnableHumanAgentTag the 25-hour-old lead may be answered (status %d)", status)
	sends := waitForSends(t, mark, 1)
	sc.assertSend(sends[0], buyer.CustomerID, text, post.Id, "MESSAGE_TAG", "HUMAN_AGENT")
	waitForBotReaction(t, post.Id, emojiDelivered)
	time.Sleep(settle)
	assert.Len(t, env.graph.Sends(mark), 1, "exactly one Send API call: %s", describeSends(env.graph.Sends(mark)))
}

func TestSecondOperatorCannotAnswerClaimedLead(t *testing.T) {
	sc := newScenario(t)
	card, _ := sc.buyerWrites(time.Now().Add(-time.Minute))
	op1, op2 := sc.operators[0], sc.operators[1]
	ctx := context.Background()

	resp, err := op1.client.DoPostAction(ctx, card.Id, "claim")
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	require.NoError(t, err, "claim by %s (status %d)", op1.user.Username, status)
	waitFor(t, "the card to name the claiming operator @"+op1.user.Username, func() (bool, string) {
		atts := cardAttachments(sc.getPost(card.Id))
		return cardMentions(atts, "@"+op1.user.Username), describeCard(atts)
	})

	mark := time.Now()
	text := "Hi, this is the second operator, happy to help!"
	post, status, err := sc.reply(op2, card.ChannelId, text)
	requireRejected(t, post, status, err, "claimed by @"+op1.user.Username)
	time.Sleep(settle)
	assert.Empty(t, env.graph.Sends(mark), "nothing is sent for a rejected reply: %s", describeSends(env.graph.Sends(mark)))
	assertPosts(t, 0, postsWithMessage(t, card.ChannelId, text), "posts with the rejected text in the lead channel")
}

func TestSendErrorShownWithRetry(t *testing.T) {
	sc := newScenario(t)
	card, buyer := sc.buyerWrites(time.Now().Add(-time.Minute))
	op := sc.operators[0]
	ctx := context.Background()
	env.graph.AnswerSends(failSends(http.StatusBadRequest, readSample(t, "send_api_error_outside_window.json")))

	mark := time.Now()
	text := "Hello Dana, are you still there?"
	post, status, err := sc.reply(op, card.ChannelId, text)
	require.NoError(t, err, "the plugin sees an open window, so the post is accepted (status %d)", status)
	sends := waitForSends(t, mark, 1)
	sc.assertSend(sends[0], buyer.CustomerID, text, post.Id, "RESPONSE", "")
	waitForBotReaction(t, post.Id, emojiFailed)

	var notices []dbPost
	waitFor(t, "a bot reply in the thread of post "+post.Id, func() (bool, string) {
		notices = queryPosts(t, `rootid = $1 AND userid = $2`, post.Id, env.botUserID)
		return len(notices) >= 1, describePosts(queryPosts(t, `channelid = $1 AND createat >= $2`, card.ChannelId, mark.UnixMilli()))
	})
	assertPosts(t, 1, notices, "bot replies in the thread of the undelivered post")
	notice := sc.getPost(notices[0].ID)
	assert.Contains(t, notice.Message, "Not delivered to the buyer", "failure notice text")
	t.Logf("failure notice: %q", truncate(notice.Message, 300))
	require.Contains(t, actionIDs(cardAttachments(notice)), "retry", "failure notice actions: %s", describeCard(cardAttachments(notice)))
	assert.NotContains(t, botReactions(t, post.Id), emojiDelivered, "an undelivered post must not be marked delivered")
	sends = env.graph.Sends(mark)
	require.Len(t, sends, 1, "a permanent error is not retried by itself: %s", describeSends(sends))

	// Meta accepts again; the operator presses Retry.
	env.graph.AnswerSends(nil)
	resp, err := op.client.DoPostAction(ctx, notice.Id, "retry")
	status = 0
	if resp != nil {
		status = resp.StatusCode
	}
	require.NoError(t, err, "retry click by %s (status %d)", op.user.Username, status)
	assert.Equal(t, http.StatusOK, status, "retry click")

	sends = waitForSends(t, mark, 2)
	sc.assertSend(sends[1], buyer.CustomerID, text, post.Id, "RESPONSE", "")
	waitForBotReaction(t, post.Id, emojiDelivered)
	time.Sleep(settle)
	assert.Len(t, env.graph.Sends(mark), 2, "one send, one retry: %s", describeSends(env.graph.Sends(mark)))
}

func TestOwnEchoOfReplyNotPosted(t *testing.T) {
	sc := newScenario(t)
	card, buyer := sc.buyerWrites(time.Now().Add(-time.Minute))
	op := sc.operators[0]

	mark := time.Now()
	text := "Hi Dana! The 6-person cedar barrel sauna is $8,950 installed. Want me to book a site check?"
	post, status, err := sc.reply(op, card.ChannelId, text)
	require.NoError(t, err, "operator post (status %d)", status)
	sends := waitForSends(t, mark, 1)
	waitForBotReaction(t, post.Id, emojiDelivered)
	sc.assertSend(sends[0], buyer.CustomerID, text, post.Id, "RESPONSE", "")
	var answer struct {
		MessageID string `json:"message_id"`
	}
	require.NoError(t, json.Unmarshal(sends[0].Answer, &answer), "stand-in answer %q", sends[0].Answer)
	require.NotEmpty(t, answer.MessageID)
	sent, _ := sends[0].JSON["message"].(map[string]any)
	metadata, _ := sent["metadata"].(string)
	require.True(t, strings.HasPrefix(metadata, "mm-post:"+post.Id), "metadata of the send: %q", metadata)

	// Meta's echo of that send: is_echo, our app id, the metadata the plugin passed (as
	// the stand-in received it), the mid the stand-in answered.
	echo := sc.sample("messenger_echo.json")
	require.Len(t, echo.Events, 1)
	require.Equal(t, "echo", echo.Events[0].Kind)
	require.Equal(t, sampleMetaAppID, echo.Events[0].AppID)
	require.Equal(t, buyer.CustomerID, echo.Events[0].CustomerID, "the echo must address the buyer")
	raw := replaceJSONString(t, echo.Bytes, sampleEchoMetadata, metadata)
	raw = replaceJSONString(t, raw, echo.Events[0].NativeID, answer.MessageID)
	raw = atTime(t, raw, time.Now())
	require.True(t, bytes.Contains(raw, []byte(`"is_echo":true`)), "echo body: %s", raw)

	time.Sleep(500 * time.Millisecond)
	echoMark := time.Now()
	sc.deliver(raw)
	time.Sleep(settle)
	assertPosts(t, 0, sc.botPostsIgnoringOtherLeadsAlerts(echoMark, card.GetProp("social_inbox_lead_id")), "bot posts after the echo of the operator's own reply")
	assertPosts(t, 0, queryPosts(t, `channelid = $1 AND createat >= $2`, card.ChannelId, echoMark.UnixMilli()), "posts in the lead channel after the echo")
	assertPosts(t, 0, postsWithNativeID(t, answer.MessageID), "posts for the echo's mid")
	assert.Empty(t, env.graph.Sends(echoMark), "the echo must not cause another send: %s", describeSends(env.graph.Sends(echoMark)))
	assertPosts(t, 1, postsWithMessage(t, card.ChannelId, text), "the operator's reply stays the only post with its text")
}

func TestForgedActionFromNonMemberRefused(t *testing.T) {
	sc := newScenario(t)
	card, _ := sc.buyerWrites(time.Now().Add(-time.Minute))
	ctx := context.Background()
	leadID, _ := card.GetProp("social_inbox_lead_id").(string)
	require.NotEmpty(t, leadID, "card props.social_inbox_lead_id")

	// Not a member of the lead channel: the server refuses the button click.
	resp, err := sc.outsider.client.DoPostAction(ctx, card.Id, "claim")
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	assert.Error(t, err, "a claim click by a non-member must be refused (status %d)", status)
	assert.False(t, status >= 200 && status < 300, "claim click by a non-member: status %d, want non-2xx", status)

	// A member calls the plugin's action route directly with a context it made up.
	op := sc.operators[0]
	forged := []struct {
		name    string
		context map[string]any
	}{
		{"real lead, forged signature", map[string]any{"lead_id": leadID, "action": "claim", "sig": strings.Repeat("ab", 32)}},
		{"real lead, no signature", map[string]any{"lead_id": leadID, "action": "claim"}},
		{"made-up lead", map[string]any{"lead_id": model.NewId(), "action": "claim", "sig": strings.Repeat("0", 64)}},
	}
	for _, f := range forged {
		body, err := json.Marshal(&model.PostActionIntegrationRequest{
			UserId: op.user.Id, UserName: op.user.Username, PostId: card.Id, ChannelId: card.ChannelId,
			TeamId: sc.team.Id, Type: model.PostActionTypeButton, Context: f.context,
		})
		require.NoError(t, err)
		status, answer := postAsUser(t, op, "/plugins/"+pluginID+"/api/v1/actions/claim", body)
		assert.Equal(t, http.StatusForbidden, status, "%s: direct POST to the action route by a channel member; answer %q", f.name, truncate(answer, 300))
	}

	time.Sleep(settle)
	after := cardAttachments(sc.getPost(card.Id))
	for _, who := range []*operator{sc.outsider, op} {
		assert.False(t, cardMentions(after, "@"+who.user.Username), "a refused action must not claim the lead for %s: %s", who.user.Username, describeCard(after))
	}
}

// postAsUser POSTs body to a server path with op's session token, as a browser would.
func postAsUser(t *testing.T, op *operator, path string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.siteURL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+op.client.AuthToken)
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	resp, err := webhookHTTP.Do(req)
	require.NoError(t, err, "POST %s", path)
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(data)
}
