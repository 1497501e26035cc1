package e2e

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertNewLead checks everything the contract says about the first post of a new lead and
// returns its channel.
func (sc *scenario) assertNewLead(post *model.Post, ev sampleEvent, prefix string) *model.Channel {
	t := sc.t
	t.Helper()
	assert.Equal(t, env.botUserID, post.UserId, "lead post author (want the %q bot)", botUsername)
	assert.Equal(t, ev.NativeID, post.GetProp("social_inbox_native_id"), "props.social_inbox_native_id")
	assert.Contains(t, post.Message, ev.Text, "post message must contain the buyer's text")

	ch := sc.channel(post.ChannelId)
	assert.Equal(t, model.ChannelTypePrivate, ch.Type, "lead channel %q type", ch.Name)
	assert.Equal(t, sc.team.Id, ch.TeamId, "lead channel %q must be in team %q", ch.Name, sc.team.Name)
	assert.True(t, strings.HasPrefix(ch.Name, prefix), "lead channel name %q must start with %q", ch.Name, prefix)
	assert.LessOrEqual(t, len(ch.Name), 64, "lead channel name %q length", ch.Name)

	want := append([]string{env.botUserID}, sc.operatorIDs()...)
	sort.Strings(want)
	assert.Equal(t, want, sc.channelMemberIDs(ch.Id), "lead channel members must be the bot + the operator pool (bot %s, operators %v)", env.botUserID, sc.operatorIDs())

	atts := cardAttachments(post)
	ids := actionIDs(atts)
	assert.Contains(t, ids, "claim", "first lead post card actions (card %s)", describeCard(atts))
	assert.Contains(t, ids, "close", "first lead post card actions (card %s)", describeCard(atts))

	var notices []dbPost
	waitFor(t, "one queue_notice post in the queue channel mentioning ~"+ch.Name, func() (bool, string) {
		notices = sc.queueNotices(ch.Name)
		return len(notices) >= 1, describePosts(sc.queueNotices(""))
	})
	assertPosts(t, 1, notices, "queue notices for %s", ch.Name)
	for _, n := range notices {
		assert.Equal(t, env.botUserID, n.UserID, "queue notice author")
	}
	return ch
}

// assertExactlyOnePost re-checks after the settle time that a native id has one post.
func assertExactlyOnePost(t *testing.T, nativeID string) {
	t.Helper()
	time.Sleep(settle)
	posts := postsWithNativeID(t, nativeID)
	assertPosts(t, 1, posts, "posts with native id %s", nativeID)
}

func TestInboundMessageCreatesLeadChannel(t *testing.T) {
	cases := []struct {
		name, sample, prefix string
	}{
		{"messenger text", "messenger_text.json", "fb-"},
		{"instagram text", "instagram_text.json", "ig-"},
		{"facebook page comment", "facebook_feed_comment_add.json", "fb-"},
		{"instagram comment", "instagram_comment.json", "ig-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScenario(t)
			body := sc.sample(tc.sample)
			msgs := body.Messages()
			require.Len(t, msgs, 1)
			sc.deliver(body.Bytes)

			post := sc.waitForNativePost(msgs[0].NativeID)
			sc.assertNewLead(post, msgs[0], tc.prefix)
			assertExactlyOnePost(t, msgs[0].NativeID)
		})
	}
}

func TestBatchedDeliveryCreatesOneLeadPerCustomer(t *testing.T) {
	sc := newScenario(t)
	body := sc.sample("messenger_batched_two_entries.json")
	msgs := body.Messages()
	require.Len(t, msgs, 3, "the sample holds three customer messages")
	require.Len(t, body.Customers(), 2, "from two customers")
	sc.deliver(body.Bytes)

	channelOf := map[string]string{} // native id → channel id
	for _, m := range msgs {
		post := sc.waitForNativePost(m.NativeID)
		channelOf[m.NativeID] = post.ChannelId
		assert.Contains(t, post.Message, m.Text, "post for %s", m.NativeID)
		assert.Equal(t, env.botUserID, post.UserId, "author of the post for %s", m.NativeID)
	}
	time.Sleep(settle)

	byCustomer := map[string]map[string]bool{}
	for _, m := range msgs {
		assertPosts(t, 1, postsWithNativeID(t, m.NativeID), "posts for native id %s", m.NativeID)
		if byCustomer[m.CustomerID] == nil {
			byCustomer[m.CustomerID] = map[string]bool{}
		}
		byCustomer[m.CustomerID][channelOf[m.NativeID]] = true
	}
	leadChannels := map[string]bool{}
	for customer, chans := range byCustomer {
		assert.Len(t, chans, 1, "customer %s must have exactly one lead channel", customer)
		for c := range chans {
			leadChannels[c] = true
		}
	}
	assert.Len(t, leadChannels, 2, "two customers → two lead channels")

	for c := range leadChannels {
		ch := sc.channel(c)
		assert.True(t, strings.HasPrefix(ch.Name, "fb-"), "lead channel name %q", ch.Name)
		assertPosts(t, 1, sc.queueNotices(ch.Name), "queue notices for %s", ch.Name)
		posts := sc.channelPosts(c)
		var first *model.Post
		for _, p := range posts {
			if p.UserId == env.botUserID && p.Type == "" {
				first = p
				break
			}
		}
		if assert.NotNil(t, first, "lead channel %s has no bot post", ch.Name) {
			ids := actionIDs(cardAttachments(first))
			assert.Contains(t, ids, "claim", "first post of %s", ch.Name)
			assert.Contains(t, ids, "close", "first post of %s", ch.Name)
		}
	}

	// 3 message posts + 2 queue notices; the read receipt in the body posts nothing.
	all := sc.botPostsSince(sc.started)
	assertPosts(t, 5, all, "bot posts after the batch (3 messages + 2 queue notices)")
}

func TestInboundImageIsAttached(t *testing.T) {
	cases := []struct {
		name, sample, prefix string
	}{
		{"messenger image", "messenger_image_attachment.json", "fb-"},
		{"instagram image", "instagram_image.json", "ig-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScenario(t)
			raw := readSample(t, tc.sample)
			media := env.graph.MediaURL("photo-" + model.NewId()[:8])
			raw = replaceJSONString(t, raw, attachmentURL(t, raw), media)
			body := sc.ids.rewrite(t, raw)
			msgs := body.Messages()
			require.Len(t, msgs, 1)
			sc.deliver(body.Bytes)

			var post *model.Post
			waitFor(t, "the image post to carry one file", func() (bool, string) {
				found := postsWithNativeID(t, msgs[0].NativeID)
				if len(found) == 0 {
					return false, "no post yet"
				}
				post = sc.getPost(found[0].ID)
				return len(post.FileIds) >= 1, describePosts(found)
			})
			assert.Len(t, post.FileIds, 1, "post.FileIds")
			assert.Equal(t, env.botUserID, post.UserId, "image post author")

			ch := sc.channel(post.ChannelId)
			assert.True(t, strings.HasPrefix(ch.Name, tc.prefix), "lead channel name %q", ch.Name)

			fetched := false
			for _, r := range env.graph.Requests(sc.started) {
				if r.Method == "GET" && strings.HasSuffix(media, r.Path) {
					fetched = true
				}
			}
			assert.True(t, fetched, "the plugin must download %s", media)
			if len(post.FileIds) == 1 {
				if info, _, err := env.admin.GetFileInfo(t.Context(), post.FileIds[0]); err == nil {
					t.Logf("stored file: name %q mime %q size %d", info.Name, info.MimeType, info.Size)
				}
			}
			assertExactlyOnePost(t, msgs[0].NativeID)
		})
	}
}

func TestUnreachableAttachmentStillPosted(t *testing.T) {
	closed := closedPortURL(t)
	cases := []struct {
		name, url string
	}{
		{"connection refused", closed},
		{"not found", env.graph.URL() + "/media/gone.jpg"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScenario(t)
			raw := readSample(t, "messenger_image_attachment.json")
			raw = replaceJSONString(t, raw, attachmentURL(t, raw), tc.url)
			body := sc.ids.rewrite(t, raw)
			msgs := body.Messages()
			require.Len(t, msgs, 1)
			sc.deliver(body.Bytes)

			post := sc.waitForNativePost(msgs[0].NativeID)
			assert.Contains(t, post.Message, "could not be downloaded", "message of a post whose image URL (%s) is unreachable", tc.url)
			assert.Empty(t, post.FileIds, "post.FileIds")
			assertExactlyOnePost(t, msgs[0].NativeID)
		})
	}
}

// closedPortURL returns a loopback URL on which nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/image.jpg"
}

func TestInboundRecordsStored(t *testing.T) {
	sc := newScenario(t)
	before := kvCounts(t)
	body := sc.sample("messenger_batched_two_entries.json")
	msgs := body.Messages()
	sc.deliver(body.Bytes)
	for _, m := range msgs {
		sc.waitForNativePost(m.NativeID)
	}

	leads := len(body.Customers())
	atLeast := map[string]int{"con_": leads, "lead_": leads, "chan_": leads, "ho_": 1, "aud_": 1}
	var delta map[string]int
	waitFor(t, "KV records for the batch", func() (bool, string) {
		delta = kvDelta(before, kvCounts(t))
		ok := delta["msg_"] >= len(msgs) && delta["cv_"] >= leads
		for p, n := range atLeast {
			ok = ok && delta[p] >= n
		}
		return ok, formatCounts(delta)
	})
	time.Sleep(settle)
	delta = kvDelta(before, kvCounts(t))
	t.Logf("new KV records per prefix: %s", formatCounts(delta))
	assert.Equal(t, len(msgs), delta["msg_"], "new msg_ records: one per inbound native id (%s)", formatCounts(delta))
	assert.Equal(t, leads, delta["cv_"], "new cv_ records: one per lead (%s)", formatCounts(delta))
	for p, n := range atLeast {
		assert.GreaterOrEqual(t, delta[p], n, "new %s records (%s)", p, formatCounts(delta))
	}
	for _, m := range msgs {
		if n := kvValuesContaining(t, "msg_", m.NativeID); n != 1 {
			t.Logf("note: %d msg_ records hold the raw native id %s", n, m.NativeID)
		}
	}
}

func formatCounts(c map[string]int) string {
	parts := make([]string, 0, len(kvPrefixes))
	for _, p := range kvPrefixes {
		parts = append(parts, p+"="+strconv.Itoa(c[p]))
	}
	return strings.Join(parts, " ")
}
