package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

func testOptions() scenarioOptions {
	return scenarioOptions{
		PageID: defaultPageID, IGID: defaultIGID, AppID: defaultAppID,
		MediaBase: "http://127.0.0.1:8787", Now: time.Now(),
	}
}

func buildBody(t *testing.T, name string, o scenarioOptions) (built, []byte) {
	t.Helper()
	sc, ok := findScenario(name)
	require.True(t, ok, "scenario %s", name)
	b := sc.build(o)
	body, err := encodeWebhook(b.Webhook)
	require.NoError(t, err)
	return b, body
}

type scenarioExpectation struct {
	object string
	kinds  []meta.Kind
	check  func(t *testing.T, b *meta.Batch, o scenarioOptions)
}

func kinds(k ...meta.Kind) []meta.Kind { return k }

// What the plugin's own normaliser must make of every scenario.
var scenarioExpectations = map[string]scenarioExpectation{
	"messenger-text": {meta.ObjectPage, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		ev := b.Events[0]
		assert.Equal(t, defaultPSID, ev.CustomerID)
		assert.NotEmpty(t, ev.Text)
		assert.True(t, strings.HasPrefix(ev.NativeID, "m_"), "Messenger mids start with m_: %s", ev.NativeID)
	}},
	"messenger-image": {meta.ObjectPage, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		require.Len(t, b.Events[0].Attachments, 1)
		a := b.Events[0].Attachments[0]
		assert.Equal(t, meta.MediaImage, a.Type)
		assert.Equal(t, "http://127.0.0.1:8787/media/backyard-pad.png", a.URL)
		assert.True(t, a.Storable)
	}},
	"messenger-quick-reply": {meta.ObjectPage, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, "QUOTE_REQUEST", b.Events[0].QuickReply)
	}},
	"messenger-postback": {meta.ObjectPage, kinds(meta.KindPostback), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		require.NotNil(t, b.Events[0].Postback)
		assert.Equal(t, "GET_STARTED", b.Events[0].Postback.Payload)
		assert.True(t, strings.HasPrefix(b.Events[0].NativeID, "m_"), "a postback with a mid is deduplicated by it")
	}},
	"messenger-referral": {meta.ObjectPage, kinds(meta.KindReferral), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		r := b.Events[0].Referral
		require.NotNil(t, r)
		assert.Equal(t, "ADS", r.Source)
		assert.Equal(t, "OPEN_THREAD", r.Type)
		assert.NotEmpty(t, r.AdID)
		assert.NotEmpty(t, r.AdTitle)
	}},
	"messenger-reaction": {meta.ObjectPage, kinds(meta.KindReaction), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		ev := b.Events[0]
		assert.Equal(t, "m_target", ev.TargetID)
		assert.Equal(t, &meta.ReactionInfo{Action: "react", Reaction: "love", Emoji: "\u2764"}, ev.Reaction)
	}},
	"messenger-edit": {meta.ObjectPage, kinds(meta.KindEdit), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, "m_target", b.Events[0].TargetID)
		assert.EqualValues(t, 1, b.Events[0].NumEdit)
		assert.NotEmpty(t, b.Events[0].Text)
	}},
	"messenger-read": {meta.ObjectPage, kinds(meta.KindRead), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.WithinDuration(t, o.Now, b.Events[0].Watermark, 5*time.Second)
	}},
	"messenger-delivery": {meta.ObjectPage, kinds(meta.KindDelivery), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, []string{"m_target"}, b.Events[0].MIDs)
	}},
	"messenger-echo": {meta.ObjectPage, kinds(meta.KindEcho), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		ev := b.Events[0]
		assert.Equal(t, defaultPSID, ev.CustomerID, "an echo's customer is its recipient")
		require.NotNil(t, ev.Echo)
		assert.Equal(t, defaultAppID, ev.Echo.AppID, "the plugin's own app")
		assert.True(t, strings.HasPrefix(ev.Echo.Metadata, "mm-post:"), ev.Echo.Metadata)
	}},
	"messenger-echo-business-suite": {meta.ObjectPage, kinds(meta.KindEcho), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		require.NotNil(t, b.Events[0].Echo)
		assert.Equal(t, "263902037430900", b.Events[0].Echo.AppID)
		assert.Empty(t, b.Events[0].Echo.Metadata)
	}},
	"instagram-text": {meta.ObjectInstagram, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, defaultIGSID, b.Events[0].CustomerID)
		assert.True(t, strings.HasPrefix(b.Events[0].NativeID, "aWdf"), "Instagram mids look like aWdf...: %s", b.Events[0].NativeID)
	}},
	"instagram-image": {meta.ObjectInstagram, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		require.Len(t, b.Events[0].Attachments, 1)
		assert.Equal(t, meta.MediaImage, b.Events[0].Attachments[0].Type)
	}},
	"instagram-story-reply": {meta.ObjectInstagram, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		require.NotNil(t, b.Events[0].StoryReply)
		assert.NotEmpty(t, b.Events[0].StoryReply.ID)
		assert.NotEmpty(t, b.Events[0].StoryReply.URL)
		assert.NotEmpty(t, b.Events[0].Text)
	}},
	"instagram-story-mention": {meta.ObjectInstagram, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		require.Len(t, b.Events[0].Attachments, 1)
		assert.Equal(t, meta.MediaStoryMention, b.Events[0].Attachments[0].Type)
		assert.False(t, b.Events[0].Attachments[0].Storable, "story-mention media must not be stored")
	}},
	"instagram-share": {meta.ObjectInstagram, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		require.Len(t, b.Events[0].Attachments, 1)
		assert.Equal(t, meta.MediaShare, b.Events[0].Attachments[0].Type)
		assert.Equal(t, "ig_post", b.Events[0].Attachments[0].RawType)
	}},
	"instagram-unsend": {meta.ObjectInstagram, kinds(meta.KindUnsend), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, "m_target", b.Events[0].TargetID)
	}},
	"instagram-reaction": {meta.ObjectInstagram, kinds(meta.KindReaction), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, "m_target", b.Events[0].TargetID)
	}},
	"instagram-read": {meta.ObjectInstagram, kinds(meta.KindRead), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, "m_target", b.Events[0].TargetID, "Instagram reads name a mid, not a watermark")
	}},
	"instagram-echo": {meta.ObjectInstagram, kinds(meta.KindEcho), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, defaultIGSID, b.Events[0].CustomerID)
	}},
	"instagram-comment": {meta.ObjectInstagram, kinds(meta.KindComment), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		ev := b.Events[0]
		assert.Equal(t, defaultIGCommenter, ev.CustomerID)
		assert.Equal(t, defaultIGCommenterName, ev.ContactUsername)
		require.NotNil(t, ev.Comment)
		assert.Equal(t, "REELS", ev.Comment.MediaType)
		assert.NotContains(t, ev.NativeID, "_", "Instagram comment IDs have no underscore")
	}},
	"facebook-comment": {meta.ObjectPage, kinds(meta.KindComment), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		ev := b.Events[0]
		assert.Equal(t, defaultFBCommenter, ev.CustomerID)
		assert.Equal(t, "Rick Alvarez", ev.ContactName)
		require.NotNil(t, ev.Comment)
		assert.False(t, ev.Comment.IsReply)
		assert.Contains(t, ev.NativeID, "_", "Facebook comment IDs are <post>_<comment>")
	}},
	"facebook-comment-edit": {meta.ObjectPage, kinds(meta.KindCommentEdit), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, "m_target", b.Events[0].TargetID)
		assert.NotEmpty(t, b.Events[0].Text)
	}},
	"facebook-comment-remove": {meta.ObjectPage, kinds(meta.KindCommentRemove), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, "m_target", b.Events[0].TargetID)
		assert.Empty(t, b.Events[0].Text)
	}},
	"facebook-page-own-comment": {meta.ObjectPage, nil, func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		require.Len(t, b.Skips, 1)
		assert.Equal(t, meta.SkipOwnComment, b.Skips[0].Reason)
	}},
	"standby-text": {meta.ObjectPage, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.True(t, b.Events[0].Standby)
	}},
	"batched": {meta.ObjectPage, kinds(meta.KindMessage, meta.KindMessage, meta.KindMessage, meta.KindMessage, meta.KindMessage, meta.KindRead, meta.KindDelivery), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		customers := map[string]bool{}
		for _, ev := range b.Events[:5] {
			customers[ev.CustomerID] = true
		}
		assert.Len(t, customers, 3, "messages from three customers")
	}},
	"unknown-page": {meta.ObjectPage, kinds(meta.KindMessage), func(t *testing.T, b *meta.Batch, o scenarioOptions) {
		assert.Equal(t, unknownPageID, b.Events[0].AccountID)
		assert.NotEqual(t, o.PageID, b.Events[0].AccountID, "the event is for another Page")
	}},
}

func TestEveryScenarioHasExpectations(t *testing.T) {
	names := map[string]bool{}
	for _, sc := range scenarios() {
		assert.False(t, names[sc.Name], "scenario %s listed twice", sc.Name)
		names[sc.Name] = true
		_, ok := scenarioExpectations[sc.Name]
		assert.True(t, ok, "scenario %s has no expectations in scenarioExpectations", sc.Name)
		assert.NotEmpty(t, sc.Summary, sc.Name)
	}
	for name := range scenarioExpectations {
		assert.True(t, names[name], "expectations for unknown scenario %s", name)
	}
	for _, required := range []string{"messenger-text", "messenger-image", "messenger-quick-reply", "messenger-postback",
		"messenger-referral", "messenger-reaction", "messenger-edit", "messenger-read", "messenger-delivery",
		"messenger-echo", "messenger-echo-business-suite", "instagram-text", "instagram-image", "instagram-story-reply",
		"instagram-story-mention", "instagram-share", "instagram-unsend", "instagram-reaction", "instagram-read",
		"instagram-comment", "facebook-comment", "facebook-comment-edit", "facebook-comment-remove",
		"facebook-page-own-comment", "standby-text", "batched", "unknown-page"} {
		assert.True(t, names[required], "scenario %s is required by the issue", required)
	}
}

func TestEveryScenarioParsesIntoItsEvents(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			want := scenarioExpectations[sc.Name]
			o := testOptions()
			if strings.Contains(sc.Name, "reaction") || strings.Contains(sc.Name, "edit") || strings.Contains(sc.Name, "remove") ||
				strings.HasSuffix(sc.Name, "-read") || strings.Contains(sc.Name, "delivery") || strings.Contains(sc.Name, "unsend") {
				o.MID = "m_target"
			}
			_, body := buildBody(t, sc.Name, o)
			batch, err := meta.Parse(body)
			require.NoError(t, err)
			assert.Equal(t, want.object, batch.Object)

			var got []meta.Kind
			for _, ev := range batch.Events {
				got = append(got, ev.Kind)
				assert.WithinDuration(t, o.Now, ev.Time, time.Hour, "event time of %s (seconds read as ms or the reverse?)", ev.Kind)
				if sc.Name != "unknown-page" {
					account := o.PageID
					if want.object == meta.ObjectInstagram {
						account = o.IGID
					}
					assert.Equal(t, account, ev.AccountID)
				}
			}
			assert.Equal(t, want.kinds, got)
			inbound := 0
			for _, ev := range batch.Events {
				if ev.Kind.Inbound() {
					inbound++
				}
			}
			if sc.Name == "facebook-page-own-comment" {
				assert.Zero(t, inbound, "the Page's own comment must not become a customer event")
			}
			if len(want.kinds) == len(got) && want.check != nil {
				want.check(t, batch, o)
			}
		})
	}
}

// Messaging timestamps are milliseconds; feed and Instagram comment deliveries use seconds.
func TestTimestampUnitsFollowMeta(t *testing.T) {
	const ms = 1_000_000_000_000
	for _, sc := range scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			_, body := buildBody(t, sc.Name, testOptions())
			var w meta.Webhook
			require.NoError(t, json.Unmarshal(body, &w))
			for _, e := range w.Entry {
				if len(e.Changes) > 0 {
					assert.Less(t, int64(e.Time), int64(ms), "entry.time of a %s delivery is in seconds", e.Changes[0].Field)
					for _, c := range e.Changes {
						if c.Field == "feed" {
							var v meta.FeedValue
							require.NoError(t, json.Unmarshal(c.Value, &v))
							assert.Less(t, int64(v.CreatedTime), int64(ms), "feed created_time is in seconds")
							assert.Positive(t, int64(v.CreatedTime))
						}
					}
					continue
				}
				assert.Greater(t, int64(e.Time), int64(ms), "messaging entry.time is in milliseconds")
				for _, m := range append(e.Messaging, e.Standby...) {
					assert.Greater(t, int64(m.Timestamp), int64(ms), "messaging timestamp is in milliseconds")
				}
			}
		})
	}
}

func TestBodiesEscapeNonASCIILikeMeta(t *testing.T) {
	o := testOptions()
	o.Text = "Cr\u00e8me br\u00fbl\u00e9e hot tub \U0001F60D \u201cok\u201d <b>&</b>"
	for _, name := range []string{"messenger-text", "instagram-comment", "facebook-comment"} {
		t.Run(name, func(t *testing.T) {
			_, body := buildBody(t, name, o)
			for i, c := range body {
				require.Less(t, c, byte(0x80), "byte %d of the body is not ASCII", i)
			}
			s := string(body)
			assert.Contains(t, s, `Cr\u00e8me br\u00fbl\u00e9e`, "lowercase \\uXXXX like Meta")
			assert.Contains(t, s, `\ud83d\ude0d`, "emoji as a surrogate pair")
			assert.Contains(t, s, `\u201cok\u201d`)
			assert.Contains(t, s, `<b>&</b>`, "Meta does not HTML-escape")
			batch, err := meta.Parse(body)
			require.NoError(t, err)
			require.Len(t, batch.Events, 1)
			assert.Equal(t, o.Text, batch.Events[0].Text)
		})
	}
	for _, sc := range scenarios() {
		_, body := buildBody(t, sc.Name, testOptions())
		for _, c := range body {
			if c >= 0x80 {
				t.Errorf("scenario %s has a raw non-ASCII byte", sc.Name)
				break
			}
		}
	}
}

func TestEchoAppIDIsAJSONNumber(t *testing.T) {
	for name, appID := range map[string]string{"messenger-echo": defaultAppID, "messenger-echo-business-suite": businessSuiteAppID} {
		_, body := buildBody(t, name, testOptions())
		assert.Regexp(t, `"app_id":`+appID+`[,}]`, string(body), "Meta sends app_id as a number")
	}
	// A text that happens to contain the key stays a string.
	o := testOptions()
	o.Text = `"app_id":"12"`
	_, body := buildBody(t, "messenger-text", o)
	batch, err := meta.Parse(body)
	require.NoError(t, err)
	assert.Equal(t, o.Text, batch.Events[0].Text)
}

func TestRepeatedBuildsAreNewMessagesUnlessMidIsGiven(t *testing.T) {
	for _, name := range []string{"messenger-text", "instagram-text", "facebook-comment", "instagram-comment"} {
		first, _ := buildBody(t, name, testOptions())
		second, _ := buildBody(t, name, testOptions())
		assert.NotEqual(t, first.ID, second.ID, "%s: a fresh ID per run", name)
		o := testOptions()
		o.MID = "fixed-id"
		fixed, body := buildBody(t, name, o)
		assert.Equal(t, "fixed-id", fixed.ID)
		assert.Contains(t, string(body), `"fixed-id"`)
	}
}

func TestFlagsShapeTheBody(t *testing.T) {
	o := testOptions()
	o.PageID, o.Sender, o.Text, o.MediaURL = "555000111222333", "1234567890123456", "Custom text", "https://cdn.example/x.jpg"
	_, body := buildBody(t, "messenger-image", o)
	batch, err := meta.Parse(body)
	require.NoError(t, err)
	ev := batch.Events[0]
	assert.Equal(t, "555000111222333", ev.AccountID)
	assert.Equal(t, "1234567890123456", ev.CustomerID)
	assert.Equal(t, "Custom text", ev.Text)
	assert.Equal(t, "https://cdn.example/x.jpg", ev.Attachments[0].URL)

	o = testOptions()
	o.Sender = "random"
	a, _ := buildBody(t, "messenger-text", o)
	b, _ := buildBody(t, "messenger-text", o)
	pa, _ := meta.Parse(mustEncode(t, a.Webhook))
	pb, _ := meta.Parse(mustEncode(t, b.Webhook))
	assert.NotEqual(t, pa.Events[0].CustomerID, pb.Events[0].CustomerID, "--sender random makes a new customer")
	assert.Len(t, pa.Events[0].CustomerID, 16)
}

func mustEncode(t *testing.T, v meta.Webhook) []byte {
	t.Helper()
	b, err := encodeWebhook(v)
	require.NoError(t, err)
	return b
}
