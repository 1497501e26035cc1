package meta

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	pageID = "108245671983342"
	igID   = "17841459302718465"
)

// samplesDir is shared/meta-samples beside the repository (CI places shared/ there).
func samplesDir(t testing.TB) string {
	if d := os.Getenv("SOCIAL_INBOX_SAMPLES"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../../shared/meta-samples")
	require.NoError(t, err)
	return d
}

func load(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func parse(t testing.TB, body []byte) *Batch {
	t.Helper()
	b, err := Parse(body)
	require.NoError(t, err)
	return b
}

func kinds(b *Batch) []Kind {
	var out []Kind
	for _, e := range b.Events {
		out = append(out, e.Kind)
	}
	return out
}

func skipReasons(b *Batch) []string {
	var out []string
	for _, s := range b.Skips {
		out = append(out, s.Reason)
	}
	return out
}

func TestParseSharedSamples(t *testing.T) {
	dir := samplesDir(t)
	tests := []struct {
		file     string
		kinds    []Kind
		platform Platform
		account  string
		check    func(t *testing.T, b *Batch)
	}{
		{"messenger_text.json", []Kind{KindMessage}, Facebook, pageID, func(t *testing.T, b *Batch) {
			e := b.Events[0]
			require.Equal(t, "7284619053817462", e.CustomerID)
			require.Equal(t, "m_oSZVOWUVbETD3_g1VfO9694XLBr1n2rqNB7VQuMlMgXIZVa6eNnAvitQKR2qdf_HcJjwbkhJWENgTgrpeUbBvb", e.NativeID)
			require.Contains(t, e.Text, "6-person cedar barrel sauna")
			require.Equal(t, time.UnixMilli(1795209247312).UTC(), e.Time)
		}},
		{"messenger_image_attachment.json", []Kind{KindMessage}, Facebook, pageID, func(t *testing.T, b *Batch) {
			a := b.Events[0].Attachments
			require.Len(t, a, 1)
			require.Equal(t, MediaImage, a[0].Type)
			require.True(t, a[0].Storable)
			require.Contains(t, a[0].URL, "scontent.xx.fbcdn.net")
		}},
		{"messenger_batched_two_entries.json", []Kind{KindMessage, KindMessage, KindMessage, KindRead}, Facebook, pageID, func(t *testing.T, b *Batch) {
			require.Equal(t, b.Events[0].CustomerID, b.Events[1].CustomerID, "two messages of one sender in one entry")
			require.NotEqual(t, b.Events[0].CustomerID, b.Events[2].CustomerID)
			require.Equal(t, time.UnixMilli(1795211587219).UTC(), b.Events[3].Watermark)
		}},
		{"messenger_echo.json", []Kind{KindEcho}, Facebook, pageID, func(t *testing.T, b *Batch) {
			e := b.Events[0]
			require.Equal(t, "7284619053817462", e.CustomerID, "echoes swap sender and recipient: the customer is the recipient")
			require.Equal(t, "1438265907712354", e.Echo.AppID, "numeric app_id decoded as a string")
			require.Equal(t, "mm-post:q8w3nzu6ktgb5r1c4hxe7pyd9a", e.Echo.Metadata)
		}},
		{"instagram_text.json", []Kind{KindMessage}, Instagram, igID, func(t *testing.T, b *Batch) {
			require.Equal(t, "1127480693512847", b.Events[0].CustomerID)
			require.Greater(t, len(b.Events[0].NativeID), 150, "Instagram mids are long; keys must hash them")
		}},
		{"instagram_image.json", []Kind{KindMessage}, Instagram, igID, func(t *testing.T, b *Batch) {
			require.Equal(t, MediaImage, b.Events[0].Attachments[0].Type)
		}},
		{"instagram_comment.json", []Kind{KindComment}, Instagram, igID, func(t *testing.T, b *Batch) {
			e := b.Events[0]
			require.Equal(t, "17863522938037533", e.NativeID)
			require.Equal(t, "9318274650129384", e.CustomerID)
			require.Equal(t, "tomvanderhoek_idaho", e.ContactUsername)
			require.Equal(t, "What's the price on this exact setup installed in Eagle? 😍", e.Text, "surrogate pairs decoded")
			require.Equal(t, "18046291837465021", e.Comment.PostID)
			require.Equal(t, "REELS", e.Comment.MediaType)
			require.Equal(t, time.Unix(1795213448, 0).UTC(), e.Time, "IG comment time comes from entry.time in seconds")
		}},
		{"facebook_feed_comment_add.json", []Kind{KindComment}, Facebook, pageID, func(t *testing.T, b *Batch) {
			e := b.Events[0]
			require.Equal(t, "122134958273049817_1262423718966811", e.NativeID)
			require.Equal(t, "Rick Alvarez", e.ContactName)
			require.False(t, e.Comment.IsReply)
			require.Contains(t, e.Comment.Permalink, "facebook.com")
			require.Equal(t, time.Unix(1795214247, 0).UTC(), e.Time, "created_time is in seconds")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b := parse(t, load(t, filepath.Join(dir, tc.file)))
			require.Equal(t, tc.kinds, kinds(b))
			require.Empty(t, b.Skips)
			for _, e := range b.Events {
				require.Equal(t, tc.platform, e.Platform)
				require.Equal(t, tc.account, e.AccountID)
				require.NotEmpty(t, e.NativeID)
				require.False(t, e.Time.IsZero())
			}
			tc.check(t, b)
		})
	}
}

func TestParseEveryEventType(t *testing.T) {
	tests := []struct {
		file  string
		kinds []Kind
		skips []string
		check func(t *testing.T, b *Batch)
	}{
		{"messenger_postback_referral.json", []Kind{KindPostback}, nil, func(t *testing.T, b *Batch) {
			e := b.Events[0]
			require.Equal(t, "Get Started", e.Postback.Title)
			require.Equal(t, "Cedar saunas 15% off", e.Referral.AdTitle)
			require.Equal(t, "6045246247433", e.Referral.AdID)
			require.NotEmpty(t, e.NativeID, "a postback without mid gets a deterministic ID")
			again := parse(t, load(t, "testdata/messenger_postback_referral.json"))
			require.Equal(t, e.NativeID, again.Events[0].NativeID)
		}},
		{"messenger_referral_seconds.json", []Kind{KindReferral}, nil, func(t *testing.T, b *Batch) {
			require.Equal(t, time.Unix(1795209247, 0).UTC(), b.Events[0].Time, "a seconds timestamp where ms is documented")
			require.Equal(t, "qr-showroom", b.Events[0].Referral.Ref)
		}},
		{"messenger_reactions.json", []Kind{KindReaction, KindReaction}, nil, func(t *testing.T, b *Batch) {
			require.Equal(t, "m_abc", b.Events[0].TargetID)
			require.Equal(t, "❤️", b.Events[0].Reaction.Emoji)
			require.Equal(t, "unreact", b.Events[1].Reaction.Action)
			require.NotEqual(t, b.Events[0].NativeID, b.Events[1].NativeID)
		}},
		{"messenger_edit.json", []Kind{KindEdit}, nil, func(t *testing.T, b *Batch) {
			require.Equal(t, "m_abc", b.Events[0].TargetID)
			require.EqualValues(t, 1, b.Events[0].NumEdit)
		}},
		{"messenger_receipts.json", []Kind{KindDelivery, KindRead}, nil, func(t *testing.T, b *Batch) {
			require.Equal(t, []string{"m_1", "m_2"}, b.Events[0].MIDs)
			require.Equal(t, time.UnixMilli(1795209259500).UTC(), b.Events[1].Watermark)
		}},
		{"messenger_standby_quick_reply.json", []Kind{KindMessage}, nil, func(t *testing.T, b *Batch) {
			require.True(t, b.Events[0].Standby)
			require.Equal(t, "TALK_TO_HUMAN", b.Events[0].QuickReply)
		}},
		{"messenger_echo_business_suite.json", []Kind{KindEcho}, nil, func(t *testing.T, b *Batch) {
			require.Equal(t, "263902037430900", b.Events[0].Echo.AppID)
		}},
		{"messenger_attachments.json", []Kind{KindMessage, KindMessage, KindMessage}, nil, func(t *testing.T, b *Batch) {
			require.Equal(t, MediaSticker, b.Events[0].Attachments[0].Type, "the like is an image with a sticker_id")
			share := b.Events[1].Attachments[0]
			require.Equal(t, MediaShare, share.Type)
			require.Equal(t, "https://example.com/guide", share.URL)
			require.False(t, share.Storable)
			var types []MediaType
			for _, a := range b.Events[2].Attachments {
				types = append(types, a.Type)
			}
			require.Equal(t, []MediaType{MediaVideo, MediaAudio, MediaFile, MediaLocation}, types)
			require.Equal(t, "43.60000, -116.20000", b.Events[2].Attachments[3].Title)
		}},
		{"instagram_story_share.json", []Kind{KindMessage, KindMessage, KindMessage, KindMessage}, nil, func(t *testing.T, b *Batch) {
			require.Equal(t, "18011", b.Events[0].StoryReply.ID)
			mention := b.Events[1].Attachments[0]
			require.Equal(t, MediaStoryMention, mention.Type)
			require.False(t, mention.Storable, "story mention media must never be stored")
			require.Equal(t, "Our cedar tub", b.Events[2].Attachments[0].Title)
			require.True(t, b.Events[3].Unsupported)
		}},
		{"instagram_unsend_read_quirks.json", []Kind{KindUnsend, KindRead, KindEcho}, []string{SkipNoSender, SkipSelfMessage}, func(t *testing.T, b *Batch) {
			require.Equal(t, "aWdfstoryreply", b.Events[0].TargetID)
			require.Equal(t, "aWdfreply1", b.Events[1].TargetID, "Instagram reads carry a mid, not a watermark")
			require.Equal(t, "1127480693512847", b.Events[2].CustomerID)
		}},
		{"facebook_feed_variants.json", []Kind{KindCommentEdit, KindCommentRemove, KindComment}, []string{SkipOwnComment, SkipNotAComment}, func(t *testing.T, b *Batch) {
			require.Equal(t, "1220_1262", b.Events[0].TargetID)
			require.Equal(t, "Do you also do 16x32?", b.Events[0].Text)
			require.Equal(t, "1220_1263", b.Events[1].TargetID)
			old := b.Events[2]
			require.Equal(t, "555", old.CustomerID, "sender_id/sender_name variant")
			require.Equal(t, "Old Style", old.ContactName)
			require.True(t, old.Comment.IsReply)
			require.Equal(t, time.Unix(1795214301, 0).UTC(), old.Time, "created_time as a numeric string")
		}},
		{"instagram_comment_variants.json", []Kind{KindComment, KindComment}, []string{SkipOwnComment, SkipUnhandledField}, func(t *testing.T, b *Batch) {
			require.Equal(t, "17863522938037599", b.Events[0].NativeID, "comment_id variant, field/value on the entry")
			require.Equal(t, "Spring tubs", b.Events[0].Comment.AdTitle)
			require.True(t, b.Events[1].Comment.Live)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b := parse(t, load(t, filepath.Join("testdata", tc.file)))
			require.Equal(t, tc.kinds, kinds(b))
			require.ElementsMatch(t, tc.skips, skipReasons(b))
			tc.check(t, b)
		})
	}
}

func TestParseRejectsWhatIsNotAWebhook(t *testing.T) {
	for name, body := range map[string]string{
		"empty":          "",
		"not json":       "hello",
		"array":          `[1,2]`,
		"no object":      `{"entry":[]}`,
		"trailing data":  `{"object":"page","entry":[]} {}`,
		"entry not list": `{"object":"page","entry":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(body))
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestParseSkipsOddItemsButKeepsTheRest(t *testing.T) {
	body := `{"object":"page","entry":[{"id":"1","time":1,"messaging":[` +
		`"not an object",` +
		`{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1795209247312,"message":{"mid":"m_ok","text":"hi"}},` +
		`{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1795209247312,"message":{"text":"no mid"}},` +
		`{"sender":{"id":"2"},"recipient":{"id":"1"},"timestamp":1795209247312,"optin":{}}` +
		`]}]}`
	b := parse(t, []byte(body))
	require.Equal(t, []Kind{KindMessage}, kinds(b))
	require.ElementsMatch(t, []string{SkipMalformedItem, SkipNoNativeID, SkipUnknownEvent}, skipReasons(b))
}

func TestParseUnknownObjectIsSkipped(t *testing.T) {
	b := parse(t, []byte(`{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[]}]}`))
	require.Empty(t, b.Events)
	require.Equal(t, []string{SkipUnknownObject}, skipReasons(b))
}

func TestEventTimeUnits(t *testing.T) {
	require.True(t, EventTime(0).IsZero())
	require.Equal(t, time.Unix(1795209247, 0).UTC(), EventTime(1795209247))
	require.Equal(t, time.UnixMilli(1795209247312).UTC(), EventTime(1795209247312))
}
