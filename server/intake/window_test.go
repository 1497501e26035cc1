package intake

// Response windows (meta-platform.md §5.1): opened and refreshed only by the customer's
// own actions, never by echoes, reads or deliveries; only moving forward; 24 hours
// standard, 7 days with the human-agent tag, a 7-day private reply for a comment.

import (
	"testing"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

const hour = int64(time.Hour / time.Millisecond)

func checkWindow(t *testing.T, c store.Conversation, lastInbound int64) {
	t.Helper()
	if c.LastInboundAt != lastInbound {
		t.Errorf("LastInboundAt = %s, want %s", msString(c.LastInboundAt), msString(lastInbound))
	}
	if c.WindowExpiresAt != lastInbound+24*hour {
		t.Errorf("WindowExpiresAt = %s, want LastInboundAt + 24h = %s", msString(c.WindowExpiresAt), msString(lastInbound+24*hour))
	}
	if c.HumanAgentExpiresAt != lastInbound+7*24*hour {
		t.Errorf("HumanAgentExpiresAt = %s, want LastInboundAt + 7d = %s", msString(c.HumanAgentExpiresAt), msString(lastInbound+7*24*hour))
	}
}

// TestWindowRefreshedOnlyByCustomerActions: after a first message at T0, an event at
// T0+3h refreshes the window when it is the customer's own action (message, postback,
// referral, reaction) and leaves it alone when it is not (echo, read, delivery).
func TestWindowRefreshedOnlyByCustomerActions(t *testing.T) {
	const psid = "psid-3141"
	t0 := fbTime
	t1 := t0 + 3*hour
	cases := []struct {
		name     string
		event    func(t *testing.T) meta.Event
		customer bool
	}{
		{"message", func(t *testing.T) meta.Event { return fbText(t, psid, "m-1", "still there?", t1) }, true},
		{"postback", func(t *testing.T) meta.Event { return fbPostback(t, psid, "Book a visit", "BOOK", t1) }, true},
		{"referral into the open thread", func(t *testing.T) meta.Event { return fbReferral(t, psid, "spring-sale", t1) }, true},
		{"reaction", func(t *testing.T) meta.Event { return fbReaction(t, psid, "m-0", "react", "❤️", t1) }, true},
		{"echo of a Business Suite reply", func(t *testing.T) meta.Event {
			return fbEcho(t, psid, "echo-1", inboxAppID, "", "Sure!", t1)
		}, false},
		{"echo of the plugin's own reply", func(t *testing.T) meta.Event {
			return fbEcho(t, psid, "echo-2", testAppID, "mm-post:abc", "Sure!", t1)
		}, false},
		{"read", func(t *testing.T) meta.Event { return fbRead(t, psid, t1, t1) }, false},
		{"delivery", func(t *testing.T) meta.Event { return fbDelivery(t, psid, t1, t1) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			first := fbText(t, psid, "m-0", "hello", t0)
			e.applyExpect(first, Applied)
			lead := leadOf(first)
			checkWindow(t, e.mustConv(lead), t0)
			if n := e.auditCount(lead, "window.opened", ""); n != 1 {
				t.Errorf("window.opened audited %d times", n)
			}

			e.clock.Advance(4 * time.Hour)
			if _, _, err := e.engine.Apply(testCtx(t), tc.event(t)); err != nil {
				t.Fatal(err)
			}
			c := e.mustConv(lead)
			refreshes := e.auditCount(lead, "window.refreshed", "")
			if tc.customer {
				checkWindow(t, c, t1)
				if refreshes != 1 {
					t.Errorf("window.refreshed audited %d times, want 1", refreshes)
				}
			} else {
				checkWindow(t, c, t0)
				if refreshes != 0 {
					t.Errorf("window.refreshed audited %d times, want 0", refreshes)
				}
			}
		})
	}
}

// TestWindowOpenedByFirstCustomerAction: a lead that starts with a message, a Get
// Started postback or a referral has an open window from that action; a lead that
// starts with a comment has only the private-reply window.
func TestWindowOpenedByFirstCustomerAction(t *testing.T) {
	cases := []struct {
		name   string
		event  func(t *testing.T) meta.Event
		window bool
	}{
		{"message", func(t *testing.T) meta.Event { return fbText(t, "psid-1", "m-1", "hi", fbTime) }, true},
		{"Get Started postback", func(t *testing.T) meta.Event { return fbPostback(t, "psid-1", "Get Started", "GET_STARTED", fbTime) }, true},
		{"m.me referral", func(t *testing.T) meta.Event { return fbReferral(t, "psid-1", "qr-code-7", fbTime) }, true},
		{"comment", func(t *testing.T) meta.Event {
			return fbComment(t, "commenter-1", "Ann", "post_c1", "price?", fbTime/1000)
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			ev := tc.event(t)
			e.applyExpect(ev, Applied)
			c := e.mustConv(leadOf(ev))
			if tc.window {
				checkWindow(t, c, fbTime)
				if m := e.mustMessage(ev); m.WindowAt != c.WindowExpiresAt {
					t.Errorf("message WindowAt %d, conversation %d", m.WindowAt, c.WindowExpiresAt)
				}
				card := e.ws.PostsFor(ev.NativeID)[0].Post.Card
				if card == nil || !card.WindowExpiresAt.Equal(time.UnixMilli(c.WindowExpiresAt)) {
					t.Errorf("card window %+v, want %s", card, msString(c.WindowExpiresAt))
				}
				return
			}
			if c.LastInboundAt != 0 || c.WindowExpiresAt != 0 || c.HumanAgentExpiresAt != 0 {
				t.Errorf("a comment opened the messaging window: %+v", c)
			}
			if c.PrivateReplyUntil != fbTime+PrivateReplyTTL.Milliseconds() || c.PrivateReplyComment != ev.NativeID {
				t.Errorf("private reply %s until %s, want %s until %s", c.PrivateReplyComment, msString(c.PrivateReplyUntil), ev.NativeID, msString(fbTime+PrivateReplyTTL.Milliseconds()))
			}
			if n := e.auditCount(leadOf(ev), "window.opened", ""); n != 0 {
				t.Errorf("window.opened audited for a comment")
			}
		})
	}
}

// TestWindowOnlyMovesForward: events delivered out of order (Meta's retries) never
// shorten a window or roll back the last-activity summary.
func TestWindowOnlyMovesForward(t *testing.T) {
	e := newTestEnv(t)
	newer := fbText(t, "psid-1", "m-new", "newer", fbTime+2*hour)
	older := fbText(t, "psid-1", "m-old", "older", fbTime+1*hour)
	e.applyExpect(newer, Applied)
	e.applyExpect(older, Applied)
	c := e.mustConv(leadOf(newer))
	checkWindow(t, c, fbTime+2*hour)
	if c.LastCustomerAt != fbTime+2*hour || c.LastExcerpt != "newer" {
		t.Errorf("last activity %s %q, want the newer message", msString(c.LastCustomerAt), c.LastExcerpt)
	}
	if n := len(e.ws.PostsFor("m-old")); n != 1 {
		t.Errorf("the older message has %d posts, want 1 (it is still shown)", n)
	}
	// An older reaction does not shorten it either.
	e.applyExpect(fbReaction(t, "psid-1", "m-old", "react", "👍", fbTime+90*60*1000), Applied)
	checkWindow(t, e.mustConv(leadOf(newer)), fbTime+2*hour)

	// Comments: an older comment does not replace the newer private-reply target.
	newC := fbComment(t, "commenter-1", "Ann", "c-new", "newer", fbTime/1000+7200)
	oldC := fbComment(t, "commenter-1", "Ann", "c-old", "older", fbTime/1000+3600)
	e.applyExpect(newC, Applied)
	e.applyExpect(oldC, Applied)
	cc := e.mustConv(leadOf(newC))
	if cc.PrivateReplyComment != "c-new" || cc.PrivateReplyUntil != (fbTime/1000+7200)*1000+PrivateReplyTTL.Milliseconds() {
		t.Errorf("private reply %s until %s, want c-new", cc.PrivateReplyComment, msString(cc.PrivateReplyUntil))
	}
}

// TestCommentPrivateReplyWindow: a comment allows one private reply for 7 days from the
// comment (created_time in seconds), follow-up comments move it forward, and it never
// opens the messaging window.
func TestCommentPrivateReplyWindow(t *testing.T) {
	e := newTestEnv(t)
	created := fbTime / 1000
	c1 := fbComment(t, "commenter-1", "Ann Lee", "c-1", "price?", created)
	e.applyExpect(c1, Applied)
	c := e.mustConv(leadOf(c1))
	if c.PrivateReplyUntil != created*1000+7*24*hour || c.PrivateReplyComment != "c-1" {
		t.Errorf("private reply %s until %s", c.PrivateReplyComment, msString(c.PrivateReplyUntil))
	}
	c2 := fbComment(t, "commenter-1", "Ann Lee", "c-2", "and the install?", created+600)
	e.applyExpect(c2, Applied)
	c = e.mustConv(leadOf(c1))
	if c.PrivateReplyUntil != (created+600)*1000+7*24*hour || c.PrivateReplyComment != "c-2" {
		t.Errorf("after a second comment: %s until %s", c.PrivateReplyComment, msString(c.PrivateReplyUntil))
	}
	if c.WindowExpiresAt != 0 || c.LastInboundAt != 0 || c.HumanAgentExpiresAt != 0 {
		t.Errorf("comments opened the messaging window: %+v", c)
	}
	if c.LastCustomerAt != (created+600)*1000 {
		t.Errorf("last customer activity %s", msString(c.LastCustomerAt))
	}
}

// TestTimestampsSecondsAndMilliseconds: Meta sends milliseconds for messaging and
// seconds for feed, and sometimes seconds where it documents milliseconds; the window
// is anchored at the right instant either way.
func TestTimestampsSecondsAndMilliseconds(t *testing.T) {
	const ms = int64(1795209247312)
	const s = int64(1795209247)
	cases := []struct {
		name  string
		event func(t *testing.T) meta.Event
		want  int64
	}{
		{"message in milliseconds", func(t *testing.T) meta.Event { return fbText(t, "psid-1", "m-1", "hi", ms) }, ms},
		{"message in seconds", func(t *testing.T) meta.Event { return fbText(t, "psid-1", "m-1", "hi", s) }, s * 1000},
		{"referral in seconds", func(t *testing.T) meta.Event { return fbReferral(t, "psid-1", "ad-ref", s) }, s * 1000},
		{"postback in milliseconds", func(t *testing.T) meta.Event { return fbPostback(t, "psid-1", "Start", "S", ms) }, ms},
		{"Instagram message in milliseconds", func(t *testing.T) meta.Event { return igText(t, "igsid-1", "ig-1", "hi", ms) }, ms},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			ev := tc.event(t)
			e.applyExpect(ev, Applied)
			c := e.mustConv(leadOf(ev))
			checkWindow(t, c, tc.want)
			if m := e.mustMessage(ev); m.SentAt != tc.want {
				t.Errorf("message SentAt %d, want %d", m.SentAt, tc.want)
			}
		})
	}
	t.Run("feed comment created_time in seconds", func(t *testing.T) {
		e := newTestEnv(t)
		ev := fbComment(t, "commenter-1", "Ann", "c-1", "hi", s)
		e.applyExpect(ev, Applied)
		if c := e.mustConv(leadOf(ev)); c.PrivateReplyUntil != s*1000+PrivateReplyTTL.Milliseconds() || c.LastCustomerAt != s*1000 {
			t.Errorf("private reply until %s, last customer %s", msString(c.PrivateReplyUntil), msString(c.LastCustomerAt))
		}
	})
}
