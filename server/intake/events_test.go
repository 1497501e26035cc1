package intake

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/handoff"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// TestEchoHandling: echoes are not inbound (DESIGN.md invariant 7). The plugin's own
// sends (our app ID, or the mm-post: metadata it puts on every send) are ignored; a
// reply typed in Business Suite is shown once as outbound context and counts as the
// first response; an echo for someone who is not a lead is ignored.
func TestEchoHandling(t *testing.T) {
	const psid = "psid-2718"
	cases := []struct {
		name       string
		withLead   bool
		appID      string
		metadata   string
		wantOut    Outcome
		wantReason string
	}{
		{"own app ID", true, testAppID, "", Ignored, SkipOwnEcho},
		{"own app ID, no lead", false, testAppID, "", Ignored, SkipOwnEcho},
		{"mm-post metadata from another app ID", true, "555", "mm-post:q8w3nzu6ktgb5r1c4hxe7pyd9a", Ignored, SkipOwnEcho},
		{"mm-post metadata without an app ID", true, "", "mm-post:abc", Ignored, SkipOwnEcho},
		{"Business Suite with a lead", true, inboxAppID, "", Applied, ""},
		{"Business Suite with other metadata", true, inboxAppID, "campaign:7", Applied, ""},
		{"Business Suite without a lead", false, inboxAppID, "", Ignored, SkipEchoWithoutLead},
	}
	t.Run("Business Suite before the lead's channel exists", func(t *testing.T) {
		e := newTestEnv(t)
		e.ws.FailNext("CreateLeadChannel", 1)
		if _, _, err := e.engine.Apply(testCtx(t), fbText(t, psid, "m-0", "hi", fbTime)); err == nil {
			t.Fatal("no failure")
		}
		out, reason := e.apply(fbEcho(t, psid, "echo-1", inboxAppID, "", "hello", fbTime+hour))
		if out != Ignored || reason != SkipEchoWithoutLead || len(e.ws.Posts(nil)) != 0 {
			t.Errorf("%s (%s), %d posts; want Ignored echo_without_lead", outcomeName(out), reason, len(e.ws.Posts(nil)))
		}
		if _, found := e.message(fbEcho(t, psid, "echo-1", inboxAppID, "", "", 0)); found {
			t.Error("an ignored echo left a message record")
		}
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			first := fbText(t, psid, "m-0", "hi", fbTime)
			if tc.withLead {
				e.applyExpect(first, Applied)
			}
			postsBefore := len(e.ws.Posts(nil))
			keysBefore := len(e.kv.Keys(""))
			echo := fbEcho(t, psid, "echo-1", tc.appID, tc.metadata, "We can do Tuesday @channel", fbTime+hour)
			out, reason := e.apply(echo)
			if out != tc.wantOut || reason != tc.wantReason {
				t.Fatalf("Apply = %s (%q), want %s (%q)", outcomeName(out), reason, outcomeName(tc.wantOut), tc.wantReason)
			}
			if tc.wantOut == Ignored {
				if n := len(e.ws.Posts(nil)); n != postsBefore {
					t.Errorf("an ignored echo created %d posts", n-postsBefore)
				}
				if n := len(e.kv.Keys("")); n != keysBefore {
					t.Errorf("an ignored echo wrote %d keys", n-keysBefore)
				}
				if c, found := e.conv(leadOf(echo)); found && (c.FirstResponseAt != 0 || c.LastOutboundAt != 0) {
					t.Errorf("an ignored echo counted as a response: %+v", c)
				}
				return
			}
			conv := e.mustConv(leadOf(echo))
			posts := e.ws.PostsFor("echo-1")
			if len(posts) != 1 || posts[0].Post.Kind != PostOutboundContext || posts[0].ChannelID != conv.ChannelID || posts[0].Post.Card != nil {
				t.Fatalf("echo posts %+v, want one outbound_context post in the lead channel", posts)
			}
			if msg := posts[0].Post.Message; !strings.Contains(msg, "Sent from Messenger by the page") || !strings.Contains(msg, "> We can do Tuesday") || strings.Contains(msg, "@channel") {
				t.Errorf("echo post text %q", msg)
			}
			if conv.FirstResponseAt != fbTime+hour || conv.LastOutboundAt != fbTime+hour {
				t.Errorf("first response %s, last outbound %s", msString(conv.FirstResponseAt), msString(conv.LastOutboundAt))
			}
			m := e.mustMessage(echo)
			if m.Direction != store.Outbound || m.State != store.MessageDone || m.Post.PostID != posts[0].ID {
				t.Errorf("echo record %+v", m)
			}
			if n := e.auditCount(leadOf(echo), "message.sent_elsewhere", "echo-1"); n != 1 {
				t.Errorf("message.sent_elsewhere audited %d times", n)
			}
			// A second reply does not move the first response.
			e.applyExpect(fbEcho(t, psid, "echo-2", inboxAppID, "", "and Wednesday", fbTime+2*hour), Applied)
			if c := e.mustConv(leadOf(echo)); c.FirstResponseAt != fbTime+hour || c.LastOutboundAt != fbTime+2*hour {
				t.Errorf("after a second reply: first response %s, last outbound %s", msString(c.FirstResponseAt), msString(c.LastOutboundAt))
			}
			e.applyExpect(echo, Duplicate)
			if n := len(e.ws.PostsFor("echo-1")); n != 1 {
				t.Errorf("redelivered echo: %d posts", n)
			}
		})
	}
}

// TestEditUpdatesPostNeverCreates: a buyer's edit re-renders the existing post and
// never creates one; an older edit (lower num_edit) delivered late does not overwrite a
// newer one; an edit of an unknown message is ignored.
func TestEditUpdatesPostNeverCreates(t *testing.T) {
	e := newTestEnv(t)
	msg := fbText(t, "psid-1", "m-1", "original text", fbTime)
	e.applyExpect(msg, Applied)
	postID := e.mustMessage(msg).Post.PostID
	postsBefore := len(e.ws.Posts(nil))

	second := fbEdit(t, "psid-1", "m-1", "second edit @all", 2, fbTime+2000)
	first := fbEdit(t, "psid-1", "m-1", "first edit", 1, fbTime+1000)
	e.applyExpect(second, Applied)
	e.applyExpect(first, Duplicate) // older: no change
	e.applyExpect(second, Duplicate)

	m := e.mustMessage(msg)
	if m.Text != "second edit @all" || m.NumEdit != 2 || !m.Edited {
		t.Errorf("record after edits: text %q num %d edited %v", m.Text, m.NumEdit, m.Edited)
	}
	p, _ := e.ws.Post(postID)
	if !strings.Contains(p.Post.Message, "second edit") || !strings.Contains(p.Post.Message, "(edited by the buyer)") ||
		strings.Contains(p.Post.Message, "original text") || strings.Contains(p.Post.Message, "@all") {
		t.Errorf("post after edits: %q", p.Post.Message)
	}
	if p.Updates != 1 {
		t.Errorf("post updated %d times, want 1", p.Updates)
	}
	if p.Post.Card == nil {
		t.Error("the edit dropped the lead card from the first post")
	}
	if n := len(e.ws.Posts(nil)); n != postsBefore {
		t.Errorf("edits created %d posts", n-postsBefore)
	}
	if n := e.auditCount(leadOf(msg), "message.edited", "m-1"); n != 1 {
		t.Errorf("message.edited audited %d times, want 1", n)
	}
	// An edit does not refresh the window (it is not among Meta's user actions).
	checkWindow(t, e.mustConv(leadOf(msg)), fbTime)

	out, reason := e.apply(fbEdit(t, "psid-1", "m-unknown", "x", 1, fbTime))
	if out != Ignored || reason != SkipUnknownTarget {
		t.Errorf("edit of an unknown message: %s (%s)", outcomeName(out), reason)
	}
	if n := len(e.ws.Posts(nil)); n != postsBefore {
		t.Errorf("an edit of an unknown message created a post")
	}
}

// TestUpdateOfMessageStillBeingAppliedIsRetried: an edit or reaction to a message whose
// first attempt has not finished fails with ErrTargetPending (so it is kept for the
// retry job) instead of being dropped.
func TestUpdateOfMessageStillBeingAppliedIsRetried(t *testing.T) {
	e := newTestEnv(t)
	msg := fbText(t, "psid-1", "m-1", "original", fbTime)
	e.ws.Fail("CreatePost", 1, crashBefore, nil)
	if _, _, _, crashed := applyCrashSafe(testCtx(t), e.engine, msg); !crashed {
		t.Fatal("no crash")
	}
	edit := fbEdit(t, "psid-1", "m-1", "edited", 1, fbTime+1000)
	res := e.engine.ApplyBatch(testCtx(t), []meta.Event{edit}, 1)
	if len(res.Pending) != 1 || !errors.Is(res.Err, ErrTargetPending) {
		t.Fatalf("edit of a message in progress: pending %d err %v; want it pending with ErrTargetPending", len(res.Pending), res.Err)
	}
	e.clock.Advance(e.engine.LeaseTTL + time.Second)
	e.applyExpect(msg, Applied)
	e.applyExpect(edit, Applied)
	if m := e.mustMessage(msg); m.Text != "edited" {
		t.Errorf("text %q", m.Text)
	}
}

// TestUnsendRedactsStoredText: an Instagram unsend redacts the stored text and the
// stored event, re-renders the post as unsent, creates no post, and is idempotent.
func TestUnsendRedactsStoredText(t *testing.T) {
	e := newTestEnv(t)
	msg := igText(t, "igsid-1", "ig-m-1", "my phone is 555-0100", fbTime)
	e.applyExpect(msg, Applied)
	postsBefore := len(e.ws.Posts(nil))
	unsend := igUnsend(t, "igsid-1", "ig-m-1", fbTime+5000)
	e.applyExpect(unsend, Applied)
	e.applyExpect(unsend, Duplicate)

	m := e.mustMessage(msg)
	if !m.Deleted || m.Text != "" || m.Event != nil {
		t.Errorf("record after unsend: deleted %v text %q event %d bytes", m.Deleted, m.Text, len(m.Event))
	}
	raw, _ := e.kv.Get(store.MessageKey("instagram", testIGID, "ig-m-1"))
	if strings.Contains(string(raw), "555-0100") {
		t.Errorf("the stored message still holds the unsent text: %s", raw)
	}
	p, _ := e.ws.Post(m.Post.PostID)
	if strings.Contains(p.Post.Message, "555-0100") || !strings.Contains(p.Post.Message, "unsent this message") {
		t.Errorf("post after unsend: %q", p.Post.Message)
	}
	if n := len(e.ws.Posts(nil)); n != postsBefore {
		t.Errorf("unsend created %d posts", n-postsBefore)
	}
	// An edit after the unsend cannot bring the text back.
	if out, _ := e.apply(igEdit(t, "igsid-1", "ig-m-1", "back again", 1, fbTime+6000)); out != Duplicate {
		t.Errorf("edit after the unsend: %s, want Duplicate (no change)", outcomeName(out))
	}
	if m := e.mustMessage(msg); m.Text != "" {
		t.Errorf("an edit after the unsend restored text %q", m.Text)
	}
}

// TestCommentRemovedIsRedacted: a removed Facebook comment is redacted like an unsend.
func TestCommentRemovedIsRedacted(t *testing.T) {
	e := newTestEnv(t)
	c := fbComment(t, "commenter-1", "Ann", "c-1", "call me at 555-0100", fbTime/1000)
	e.applyExpect(c, Applied)
	body := []byte(`{"object":"page","entry":[{"id":"` + testPageID + `","time":1795209300,"changes":[{"field":"feed","value":{"from":{"id":"commenter-1","name":"Ann"},"item":"comment","verb":"remove","post_id":"p","comment_id":"c-1","created_time":1795209247}}]}]}`)
	e.applyExpect(parseOne(t, body), Applied)
	m := e.mustMessage(c)
	p, _ := e.ws.Post(m.Post.PostID)
	if m.Text != "" || !m.Deleted || strings.Contains(p.Post.Message, "555-0100") || !strings.Contains(p.Post.Message, "removed this comment") {
		t.Errorf("record %+v, post %q", m, p.Post.Message)
	}
}

// TestReactionsAddRemoveAndRefreshWindow: a reaction is shown on the post it refers to,
// an unreact removes it, neither creates a post, and a reaction refreshes the window.
func TestReactionsAddRemoveAndRefreshWindow(t *testing.T) {
	e := newTestEnv(t)
	msg := fbText(t, "psid-1", "m-1", "price?", fbTime)
	e.applyExpect(msg, Applied)
	postsBefore := len(e.ws.Posts(nil))
	postID := e.mustMessage(msg).Post.PostID

	react := fbReaction(t, "psid-1", "m-1", "react", "❤️", fbTime+hour)
	e.applyExpect(react, Applied)
	e.applyExpect(react, Duplicate)
	if m := e.mustMessage(msg); len(m.Reactions) != 1 || m.Reactions[0] != "❤️" {
		t.Errorf("reactions %v", m.Reactions)
	}
	if p, _ := e.ws.Post(postID); !strings.Contains(p.Post.Message, "Buyer reacted ❤️") || p.Post.Card == nil {
		t.Errorf("post after the reaction: %q (card kept: %v)", p.Post.Message, p.Post.Card != nil)
	}
	checkWindow(t, e.mustConv(leadOf(msg)), fbTime+hour)

	unreact := fbReaction(t, "psid-1", "m-1", "unreact", "", fbTime+2*hour)
	e.applyExpect(unreact, Applied)
	if m := e.mustMessage(msg); len(m.Reactions) != 0 {
		t.Errorf("reactions after unreact %v", m.Reactions)
	}
	if p, _ := e.ws.Post(postID); strings.Contains(p.Post.Message, "reacted") {
		t.Errorf("post after unreact: %q", p.Post.Message)
	}
	checkWindow(t, e.mustConv(leadOf(msg)), fbTime+2*hour)
	if n := len(e.ws.Posts(nil)); n != postsBefore {
		t.Errorf("reactions created %d posts", n-postsBefore)
	}
}

// TestReceiptsOnlyMoveWatermarks: reads and deliveries move their watermarks forward
// and do nothing else: no post, no window, no lead for a stranger.
func TestReceiptsOnlyMoveWatermarks(t *testing.T) {
	e := newTestEnv(t)
	msg := fbText(t, "psid-1", "m-1", "hi", fbTime)
	e.applyExpect(msg, Applied)
	lead := leadOf(msg)
	posts := len(e.ws.Posts(nil))

	e.applyExpect(fbRead(t, "psid-1", fbTime+2*hour, fbTime+2*hour), Applied)
	e.applyExpect(fbRead(t, "psid-1", fbTime+hour, fbTime+3*hour), Applied) // older watermark
	e.applyExpect(fbDelivery(t, "psid-1", fbTime+90*60*1000, fbTime+3*hour), Applied)
	e.applyExpect(fbDelivery(t, "psid-1", fbTime+hour, fbTime+4*hour), Applied) // older watermark
	c := e.mustConv(lead)
	if c.CustomerReadAt != fbTime+2*hour || c.DeliveredAt != fbTime+90*60*1000 {
		t.Errorf("read %s delivered %s", msString(c.CustomerReadAt), msString(c.DeliveredAt))
	}
	checkWindow(t, c, fbTime)
	if c.LastCustomerAt != fbTime || c.LastExcerpt != "hi" {
		t.Errorf("a receipt changed the last activity: %s %q", msString(c.LastCustomerAt), c.LastExcerpt)
	}
	if n := len(e.ws.Posts(nil)); n != posts {
		t.Errorf("receipts created %d posts", n-posts)
	}

	keys := len(e.kv.Keys(""))
	if out, reason := e.apply(fbRead(t, "psid-stranger", fbTime, fbTime)); out != Ignored || reason != SkipNoLead {
		t.Errorf("read from a stranger: %s (%s)", outcomeName(out), reason)
	}
	if out, reason := e.apply(fbDelivery(t, "psid-stranger", fbTime, fbTime)); out != Ignored || reason != SkipNoLead {
		t.Errorf("delivery to a stranger: %s (%s)", outcomeName(out), reason)
	}
	if n := len(e.kv.Keys("")); n != keys {
		t.Errorf("receipts for a stranger wrote %d keys", n-keys)
	}
}

// TestUnknownAccountStoresNothing: events for a Page or Instagram account the plugin is
// not connected to are ignored as unknown_account before anything is stored or asked.
func TestUnknownAccountStoresNothing(t *testing.T) {
	configs := map[string]Config{
		"other accounts": {PageID: "999", InstagramAccountID: "888", AppID: testAppID},
		"not connected":  {},
	}
	events := map[string]func(t *testing.T) meta.Event{
		"message":  func(t *testing.T) meta.Event { return fbText(t, "psid-1", "m-1", "hi", fbTime) },
		"ig":       func(t *testing.T) meta.Event { return igText(t, "igsid-1", "ig-1", "hi", fbTime) },
		"comment":  func(t *testing.T) meta.Event { return fbComment(t, "c-1", "Ann", "cm-1", "hi", fbTime/1000) },
		"echo":     func(t *testing.T) meta.Event { return fbEcho(t, "psid-1", "e-1", inboxAppID, "", "x", fbTime) },
		"reaction": func(t *testing.T) meta.Event { return fbReaction(t, "psid-1", "m-1", "react", "❤️", fbTime) },
		"read":     func(t *testing.T) meta.Event { return fbRead(t, "psid-1", fbTime, fbTime) },
		"postback": func(t *testing.T) meta.Event { return fbPostback(t, "psid-1", "Start", "S", fbTime) },
	}
	for cname, cfg := range configs {
		for ename, mk := range events {
			t.Run(cname+"/"+ename, func(t *testing.T) {
				e := newTestEnv(t)
				e.cfg = cfg
				out, reason := e.apply(mk(t))
				if out != Ignored || reason != meta.SkipUnknownAccount {
					t.Fatalf("%s (%s), want Ignored unknown_account", outcomeName(out), reason)
				}
				if keys := e.kv.Keys(""); len(keys) != 0 {
					t.Errorf("stored %v", keys)
				}
				if ops := e.kv.Ops(); len(ops) != 0 {
					t.Errorf("KV operations %v", ops)
				}
				if e.profiles.TotalCalls() != 0 || e.media.Calls() != 0 || len(e.ws.Posts(nil)) != 0 || len(e.ws.LeadChannels()) != 0 {
					t.Error("an unknown account's event reached the Graph API or Mattermost")
				}
			})
		}
	}
}

// TestPageOwnCommentNeverBecomesLead: the Page's own comments (its public replies) come
// back through the feed webhook; they are filtered out when parsing, so they never
// reach the engine as a lead.
func TestPageOwnCommentNeverBecomesLead(t *testing.T) {
	cases := map[string]string{
		"Facebook Page reply":     `{"object":"page","entry":[{"id":"` + testPageID + `","time":1795214250,"changes":[{"field":"feed","value":{"from":{"id":"` + testPageID + `","name":"Pools & Spas"},"item":"comment","verb":"add","post_id":"p_1","parent_id":"p_1_c1","comment_id":"c_2","message":"Thanks! We sent you a message.","created_time":1795214247}}]}]}`,
		"Instagram account reply": `{"object":"instagram","entry":[{"id":"` + testIGID + `","time":1795213448,"changes":[{"field":"comments","value":{"from":{"id":"` + testIGID + `","username":"poolsandspas"},"media":{"id":"m1"},"id":"c_3","text":"Check your DMs!"}}]}]}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := meta.Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Events) != 0 || len(b.Skips) != 1 || b.Skips[0].Reason != meta.SkipOwnComment {
				t.Fatalf("events %+v skips %+v, want one own_comment skip", b.Events, b.Skips)
			}
			e := newTestEnv(t)
			res := e.engine.ApplyBatch(testCtx(t), b.Events, 2)
			if res.Applied != 0 || len(e.kv.Keys("")) != 0 {
				t.Errorf("the page's own comment was applied")
			}
		})
	}
}

// TestProfileLookupFailureFallsBack: a failed Graph profile lookup never fails the
// message: the contact gets a readable fallback name, the message is posted, and the
// lookup is retried later (not on every message).
func TestProfileLookupFailureFallsBack(t *testing.T) {
	cases := []struct {
		platform meta.Platform
		event    func(t *testing.T, id, mid, text string, ts int64) meta.Event
		fallback string
	}{
		{meta.Facebook, fbText, "Messenger user …1234"},
		{meta.Instagram, igText, "Instagram user …1234"},
	}
	for _, tc := range cases {
		t.Run(string(tc.platform), func(t *testing.T) {
			e := newTestEnv(t)
			e.profiles.Set("user-551234", Profile{}, errors.New("(#100) Insufficient permission to access user profile"))
			ev := tc.event(t, "user-551234", "m-1", "hello", fbTime)
			e.applyExpect(ev, Applied)
			conv := e.mustConv(leadOf(ev))
			if conv.ContactName != tc.fallback {
				t.Errorf("contact name %q, want %q", conv.ContactName, tc.fallback)
			}
			if !strings.Contains(conv.ChannelName, "-user-1234-") {
				t.Errorf("channel name %q", conv.ChannelName)
			}
			contact, _ := e.contact(ev)
			if contact.ProfileError == "" || contact.ProfileFailedAt == 0 || contact.ProfileFetchedAt != 0 {
				t.Errorf("contact %+v: want the failure recorded", contact)
			}
			if e.log.Count("warn", "profile lookup failed") != 1 {
				t.Errorf("the failure was not logged as a warning")
			}
			e.checkLeadComplete(leadOf(ev), ev)

			// Not retried for every message...
			e.clock.Advance(10 * time.Minute)
			e.applyExpect(tc.event(t, "user-551234", "m-2", "anyone?", fbTime+1000), Applied)
			if n := e.profiles.Calls("user-551234"); n != 1 {
				t.Errorf("%d lookups after a second message within the hour, want 1", n)
			}
			// ...but retried later, and a success replaces the fallback.
			e.profiles.Set("user-551234", Profile{Name: "Dana Smith"}, nil)
			e.clock.Advance(2 * time.Hour)
			e.applyExpect(tc.event(t, "user-551234", "m-3", "hello again", fbTime+2000), Applied)
			if n := e.profiles.Calls("user-551234"); n != 2 {
				t.Errorf("%d lookups after the retry delay, want 2", n)
			}
			if c := e.mustConv(leadOf(ev)); c.ContactName != "Dana Smith" {
				t.Errorf("contact name after a successful retry %q", c.ContactName)
			}
		})
	}
}

// TestProfileLookedUpOncePerContact: the profile is looked up once per contact (and
// refreshed after a week), not once per message.
func TestProfileLookedUpOncePerContact(t *testing.T) {
	e := newTestEnv(t)
	for i, mid := range []string{"a-1", "a-2", "a-3", "a-4", "a-5"} {
		e.clock.Advance(time.Minute)
		e.applyExpect(fbText(t, "psid-a", mid, "hi", fbTime+int64(i)), Applied)
		e.applyExpect(igText(t, "igsid-b", "ig-"+mid, "hi", fbTime+int64(i)), Applied)
	}
	if a, b := e.profiles.Calls("psid-a"), e.profiles.Calls("igsid-b"); a != 1 || b != 1 {
		t.Errorf("lookups: %d and %d, want 1 each", a, b)
	}
	if conv := e.mustConv(leadOf(fbText(t, "psid-a", "x", "", fbTime))); conv.ContactName != "Customer psid-a" || conv.AvatarURL == "" {
		t.Errorf("contact %q avatar %q", conv.ContactName, conv.AvatarURL)
	}
	e.clock.Advance(8 * 24 * time.Hour)
	e.applyExpect(fbText(t, "psid-a", "a-6", "back", fbTime+hour), Applied)
	if n := e.profiles.Calls("psid-a"); n != 2 {
		t.Errorf("%d lookups after a week, want 2 (one refresh)", n)
	}
}

// TestCommentUsesPayloadName: commenters cannot be looked up (no consent); the
// comment's own name or username is used and the Graph API is not called.
func TestCommentUsesPayloadName(t *testing.T) {
	e := newTestEnv(t)
	fb := fbComment(t, "commenter-77", "Rick Alvarez", "c-1", "Do you service Boise?", fbTime/1000)
	e.applyExpect(fb, Applied)
	e.applyExpect(fbComment(t, "commenter-77", "Rick Alvarez", "c-2", "and Eagle?", fbTime/1000+60), Applied)
	ig := parseOne(t, []byte(`{"object":"instagram","entry":[{"id":"`+testIGID+`","time":1795213448,"changes":[{"field":"comments","value":{"from":{"id":"9318","username":"tom_idaho"},"media":{"id":"m1","media_product_type":"FEED"},"id":"c-3","text":"price?"}}]}]}`))
	e.applyExpect(ig, Applied)
	if n := e.profiles.TotalCalls(); n != 0 {
		t.Errorf("%d profile lookups for commenters, want 0", n)
	}
	if c := e.mustConv(leadOf(fb)); c.ContactName != "Rick Alvarez" {
		t.Errorf("Facebook commenter %q", c.ContactName)
	}
	if c := e.mustConv(leadOf(ig)); c.ContactName != "@tom_idaho" || c.ContactUser != "tom_idaho" {
		t.Errorf("Instagram commenter %q / %q", c.ContactName, c.ContactUser)
	}
}

// TestMediaStoredAsFile: an inbound photo is copied into a Mattermost file attached to
// the post; the expiring CDN URL is not kept.
func TestMediaStoredAsFile(t *testing.T) {
	e := newTestEnv(t)
	const url = "https://scontent.xx.fbcdn.net/v/photo.jpg?oe=6931D566"
	e.media.Set(url, Download{Name: "pool.jpg", ContentType: "image/jpeg", Data: []byte("JPEGDATA")}, nil)
	ev := fbImage(t, "psid-1", "m-1", url, fbTime)
	e.applyExpect(ev, Applied)
	files := e.ws.Files()
	if len(files) != 1 || string(files[0].Data) != "JPEGDATA" || files[0].Name != "pool.jpg" {
		t.Fatalf("files %+v", files)
	}
	m := e.mustMessage(ev)
	post := e.ws.PostsFor("m-1")[0]
	if len(post.Post.FileIDs) != 1 || post.Post.FileIDs[0] != files[0].ID || files[0].ChannelID != post.ChannelID {
		t.Errorf("post files %v, uploaded %s to %s", post.Post.FileIDs, files[0].ID, files[0].ChannelID)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].FileID != files[0].ID || m.Attachments[0].URL != "" || !m.FilesDone {
		t.Errorf("attachments %+v", m.Attachments)
	}
	if strings.Contains(post.Post.Message, "fbcdn") {
		t.Errorf("post shows the CDN URL: %q", post.Post.Message)
	}
	e.applyExpect(ev, Duplicate)
	if n := e.media.Calls(); n != 1 {
		t.Errorf("%d downloads, want 1", n)
	}
}

// TestMediaDownloadFailureKeepsMessage: a failed download never loses the message: it
// is posted with its text and a note that the attachment could not be downloaded.
func TestMediaDownloadFailureKeepsMessage(t *testing.T) {
	e := newTestEnv(t)
	const url = "https://scontent.xx.fbcdn.net/v/expired.jpg"
	e.media.Set(url, Download{}, errors.New("403 Forbidden"))
	ev := fbImage(t, "psid-1", "m-1", url, fbTime)
	e.applyExpect(ev, Applied)
	post := e.ws.PostsFor("m-1")
	if len(post) != 1 {
		t.Fatalf("%d posts", len(post))
	}
	if msg := post[0].Post.Message; !strings.Contains(msg, "see photo") || !strings.Contains(msg, "could not be downloaded") {
		t.Errorf("post %q", msg)
	}
	if len(e.ws.Files()) != 0 || len(post[0].Post.FileIDs) != 0 {
		t.Errorf("files uploaded for a failed download")
	}
	m := e.mustMessage(ev)
	if len(m.Attachments) != 1 || m.Attachments[0].Error == "" || m.Attachments[0].FileID != "" {
		t.Errorf("attachments %+v", m.Attachments)
	}
	e.checkLeadComplete(leadOf(ev), ev)
}

// TestMediaDownloadOutOfTimeDefers: a download cut short by the delivery's time budget
// defers the message (it is retried with its photo) instead of posting it without.
func TestMediaDownloadOutOfTimeDefers(t *testing.T) {
	e := newTestEnv(t)
	e.media.SetDelay(time.Second)
	ev := fbImage(t, "psid-1", "m-1", "https://cdn.example/slow.jpg", fbTime)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	res := e.engine.ApplyBatch(ctx, []meta.Event{ev}, 1)
	if len(res.Pending) != 1 {
		t.Fatalf("pending %d, want the event back", len(res.Pending))
	}
	if n := len(e.ws.PostsFor("m-1")); n != 0 {
		t.Fatalf("posted %d times without the photo", n)
	}
	e.media.SetDelay(0)
	e.applyExpect(ev, Applied)
	if p := e.ws.PostsFor("m-1"); len(p) != 1 || len(p[0].Post.FileIDs) != 1 {
		t.Errorf("posts %+v", p)
	}
}

// TestStoryMentionNeverDownloaded: Meta forbids storing story-mention media; it is never
// downloaded and the post links to the story instead.
func TestStoryMentionNeverDownloaded(t *testing.T) {
	e := newTestEnv(t)
	const url = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1&signature=x"
	ev := igStoryMention(t, "igsid-1", "ig-story-1", url, fbTime)
	e.applyExpect(ev, Applied)
	if e.media.Calls() != 0 || e.ws.Calls("UploadFile") != 0 {
		t.Errorf("story media downloaded %d times, uploaded %d", e.media.Calls(), e.ws.Calls("UploadFile"))
	}
	post := e.ws.PostsFor("ig-story-1")[0]
	if !strings.Contains(post.Post.Message, "Mentioned you in") || len(post.Post.FileIDs) != 0 {
		t.Errorf("post %q files %v", post.Post.Message, post.Post.FileIDs)
	}
	if m := e.mustMessage(ev); len(m.Attachments) != 1 || m.Attachments[0].FileID != "" || m.Attachments[0].Type != string(meta.MediaStoryMention) {
		t.Errorf("attachments %+v", m.Attachments)
	}
}

// TestClosedLeadReopenedOnceByNewMessage: a new inbound message reopens a closed lead
// exactly once — not again when that message is redelivered or retried after a
// failure — puts it back in the open queue and shows the open state on the card.
func TestClosedLeadReopenedOnceByNewMessage(t *testing.T) {
	e := newTestEnv(t)
	first := fbText(t, "psid-1", "m-0", "hi", fbTime)
	e.applyExpect(first, Applied)
	lead := leadOf(first)
	if _, err := handoff.Claim(e.st, lead, "user-anna", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.closeLead(lead, "user-anna")
	if card, _ := e.ws.Post(e.mustConv(lead).Card.PostID); card.Post.Card.HandoffState != store.HandoffClosed {
		t.Fatal("setup: the card does not show the closed lead")
	}
	if e.openLeads()[lead] != 0 {
		t.Fatal("closed lead still in the open queue")
	}

	again := fbText(t, "psid-1", "m-1", "one more question", fbTime+hour)
	e.applyExpect(again, Applied)
	e.applyExpect(again, Duplicate)
	h := e.handoff(lead)
	if h.State != store.HandoffOpen || h.OwnerID != "" || h.Reopens != 1 || h.LastReopenBy != "m-1" {
		t.Errorf("handoff after the new message: %+v", h)
	}
	if e.openLeads()[lead] != 1 {
		t.Errorf("reopened lead is not in the open queue once: %v", e.openLeads())
	}
	if n := e.auditCount(lead, "handoff.reopened", ""); n != 1 {
		t.Errorf("handoff.reopened audited %d times, want 1", n)
	}
	card, _ := e.ws.Post(e.mustConv(lead).Card.PostID)
	if card.Post.Card == nil || card.Post.Card.HandoffState != store.HandoffOpen || !strings.Contains(card.Post.Message, "hi") {
		t.Errorf("card after reopening: %+v", card.Post)
	}
	// Further messages of the open lead do not reopen it again.
	e.applyExpect(fbText(t, "psid-1", "m-2", "hello?", fbTime+2*hour), Applied)
	if h := e.handoff(lead); h.Reopens != 1 {
		t.Errorf("reopens %d after a message to an open lead", h.Reopens)
	}

	// Closed again; the next message fails after the post was created and is retried.
	e.closeLead(lead, "user-anna")
	third := fbText(t, "psid-1", "m-3", "still interested", fbTime+3*hour)
	e.ws.FailCreatePostAfterCreating(1)
	if _, _, err := e.engine.Apply(testCtx(t), third); err == nil {
		t.Fatal("no failure")
	}
	e.applyExpect(third, Applied)
	h = e.handoff(lead)
	if h.State != store.HandoffOpen || h.Reopens != 2 || h.LastReopenBy != "m-3" {
		t.Errorf("handoff after a retried reopening message: %+v", h)
	}
	if n := len(e.ws.PostsFor("m-3")); n != 1 {
		t.Errorf("%d posts", n)
	}

	// A message that reopened the lead and failed, retried after an operator closed the
	// lead again, does not reopen it a second time.
	e.closeLead(lead, "user-anna")
	fourth := fbText(t, "psid-1", "m-4", "hello??", fbTime+4*hour)
	e.ws.FailNext("CreatePost", 1)
	if _, _, err := e.engine.Apply(testCtx(t), fourth); err == nil {
		t.Fatal("no failure")
	}
	if h := e.handoff(lead); h.State != store.HandoffOpen || h.Reopens != 3 {
		t.Fatalf("setup: %+v", h)
	}
	e.closeLead(lead, "user-anna")
	e.applyExpect(fourth, Applied)
	if h := e.handoff(lead); h.State != store.HandoffClosed || h.Reopens != 3 {
		t.Errorf("the retried message reopened the lead again: %+v", h)
	}
}

// TestAuditTrailOncePerEventAcrossRetries: the audit trail of a lead has lead.created
// and handoff.opened once and message.received once per message, however often the
// events are redelivered or retried; every entry names its actor and time.
func TestAuditTrailOncePerEventAcrossRetries(t *testing.T) {
	e := newTestEnv(t)
	nodeB := e.node("node-b")
	events := []meta.Event{
		fbText(t, "psid-1", "m-1", "one", fbTime),
		fbText(t, "psid-1", "m-2", "two", fbTime+1000),
		fbPostback(t, "psid-1", "Book", "BOOK", fbTime+2000),
	}
	e.ws.FailCreatePostAfterCreating(1) // m-1 fails once after posting
	e.ws.Fail("CreatePost", 1, crashAfter, func(arg any) bool { return arg.(*Post).NativeID == "m-2" })
	if _, _, err := e.engine.Apply(testCtx(t), events[0]); err == nil {
		t.Fatal("no failure")
	}
	if _, _, _, crashed := applyCrashSafe(testCtx(t), e.engine, events[1]); !crashed {
		t.Fatal("no crash")
	}
	e.clock.Advance(e.engine.LeaseTTL + time.Second)
	for round := 0; round < 3; round++ {
		for _, ev := range events {
			if _, _, err := nodeB.Apply(testCtx(t), ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	lead := leadOf(events[0])
	e.checkLeadComplete(lead, events...)
	for _, a := range e.audit(lead) {
		if a.Actor != store.ActorWebhook || a.At == 0 || a.ID == "" {
			t.Errorf("audit entry without actor, time or ID: %+v", a)
		}
	}
	if n := e.auditCount(lead, "message.received", ""); n != len(events) {
		t.Errorf("%d message.received entries, want %d", n, len(events))
	}
}

// TestApplyBatchOrderAndFailure: ApplyBatch applies each lead's events in timestamp
// order whatever the delivery order; when one of a lead's events fails, that event and
// the lead's later events come back as pending (in order) while the other leads
// complete; the pending events apply later.
func TestApplyBatchOrderAndFailure(t *testing.T) {
	a1 := fbText(t, "psid-a", "a-1", "a one", fbTime+1000)
	a2 := fbText(t, "psid-a", "a-2", "a two", fbTime+2000)
	a3 := fbText(t, "psid-a", "a-3", "a three", fbTime+3000)
	b1 := igText(t, "igsid-b", "b-1", "b one", fbTime+1500)
	b2 := igText(t, "igsid-b", "b-2", "b two", fbTime+2500)
	delivered := []meta.Event{a3, b2, a1, b1, a2}
	leadPosts := func(e *testEnv, lead string) []string {
		var out []string
		for _, p := range e.ws.Posts(func(p fakePost) bool { return p.Post.LeadID == lead && p.Post.Kind == PostInbound }) {
			out = append(out, p.Post.NativeID)
		}
		return out
	}

	t.Run("order", func(t *testing.T) {
		e := newTestEnv(t)
		res := e.engine.ApplyBatch(testCtx(t), delivered, 2)
		if res.Applied != 5 || len(res.Pending) != 0 {
			t.Fatalf("%+v", res)
		}
		if got := strings.Join(leadPosts(e, leadOf(a1)), ","); got != "a-1,a-2,a-3" {
			t.Errorf("lead a posted %s", got)
		}
		if got := strings.Join(leadPosts(e, leadOf(b1)), ","); got != "b-1,b-2" {
			t.Errorf("lead b posted %s", got)
		}
		if c := e.mustConv(leadOf(a1)); c.FirstNativeID != "a-1" {
			t.Errorf("the card is on %s, want the earliest message", c.FirstNativeID)
		}
	})

	t.Run("failure", func(t *testing.T) {
		e := newTestEnv(t)
		e.ws.Fail("CreatePost", -1, failBefore, func(arg any) bool { return arg.(*Post).NativeID == "a-2" })
		res := e.engine.ApplyBatch(testCtx(t), delivered, 2)
		var pending []string
		for _, ev := range res.Pending {
			pending = append(pending, ev.NativeID)
		}
		if strings.Join(pending, ",") != "a-2,a-3" || res.Err == nil || res.Applied != 3 {
			t.Fatalf("pending %v err %v applied %d; want a-2,a-3 pending and 3 applied", pending, res.Err, res.Applied)
		}
		if got := strings.Join(leadPosts(e, leadOf(a1)), ","); got != "a-1" {
			t.Errorf("lead a posted %s before the failure was fixed", got)
		}
		e.checkLeadComplete(leadOf(b1), b1, b2)
		e.ws.ClearFaults()
		if res := e.engine.ApplyBatch(testCtx(t), res.Pending, 2); res.Applied != 2 || len(res.Pending) != 0 {
			t.Fatalf("retry %+v", res)
		}
		if got := strings.Join(leadPosts(e, leadOf(a1)), ","); got != "a-1,a-2,a-3" {
			t.Errorf("lead a posted %s", got)
		}
		e.checkLeadComplete(leadOf(a1), a1, a2, a3)
	})

	t.Run("time budget spent", func(t *testing.T) {
		e := newTestEnv(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res := e.engine.ApplyBatch(ctx, delivered, 2)
		if len(res.Pending) != len(delivered) || res.Applied != 0 || res.Err != nil {
			t.Errorf("with a spent budget: pending %d applied %d err %v; want everything pending, no error", len(res.Pending), res.Applied, res.Err)
		}
		if len(e.ws.Posts(nil)) != 0 {
			t.Error("posted with a spent budget")
		}
	})
}

// TestMentionsNeutralised: buyer text cannot notify anyone in Mattermost (@channel,
// @all, @here, a colleague's @username), in posts, edits, postback titles and names.
func TestMentionsNeutralised(t *testing.T) {
	mention := regexp.MustCompile(`(^|[^\pL\pN_.-])@[\pL\pN_]`)
	cases := []struct{ in, want string }{
		{"@channel call me", "@\u200bchannel call me"},
		{"hi @all and @here!", "hi @\u200ball and @\u200bhere!"},
		{"ask (@john.doe) please", "ask (@\u200bjohn.doe) please"},
		{"mail me at dana@example.com", "mail me at dana@example.com"},
		{"line one\n@sales", "line one\n@\u200bsales"},
		{"@José", "@\u200bJosé"},
		{"no mentions", "no mentions"},
	}
	for _, tc := range cases {
		got := NeutraliseMentions(tc.in)
		if got != tc.want {
			t.Errorf("NeutraliseMentions(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if mention.MatchString(got) {
			t.Errorf("NeutraliseMentions(%q) = %q still has a mention", tc.in, got)
		}
	}

	e := newTestEnv(t)
	e.profiles.Set("psid-1", Profile{Name: "@all"}, nil)
	ev := fbText(t, "psid-1", "m-1", "@channel @here urgent, tell @sales-lead", fbTime)
	e.applyExpect(ev, Applied)
	e.applyExpect(fbPostback(t, "psid-1", "Talk to @here", "X", fbTime+1), Applied)
	for _, p := range e.ws.Posts(nil) {
		if mention.MatchString(p.Post.Message) {
			t.Errorf("%s post keeps a mention: %q", p.Post.Kind, p.Post.Message)
		}
	}
	if msg := e.ws.PostsFor("m-1")[0].Post.Message; !strings.Contains(msg, "channel") || !strings.Contains(msg, "urgent") {
		t.Errorf("the text no longer reads the same: %q", msg)
	}
}

// TestChannelNames: lead channel names are valid Mattermost names (at most 64
// characters, lower case), prefixed fb- or ig-, deterministic, and distinct per lead.
func TestChannelNames(t *testing.T) {
	valid := regexp.MustCompile(`^(fb|ig)-[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}$`)
	names := []string{
		"Rick Alvarez", "", "José Ñandú", "😀😀😀", "@channel", "UPPER Case", "a_b.c--d", "  spaced  out  ",
		strings.Repeat("Wolfeschlegelsteinhausenbergerdorff ", 6), "Messenger user …1234", "李小龙", "x",
	}
	for _, platform := range []meta.Platform{meta.Facebook, meta.Instagram} {
		prefix := map[meta.Platform]string{meta.Facebook: "fb-", meta.Instagram: "ig-"}[platform]
		for _, contact := range names {
			lead := store.LeadID(string(platform), "acct", "cust-"+contact)
			name := channelName(platform, contact, lead)
			if len(name) > 64 || strings.ToLower(name) != name || !strings.HasPrefix(name, prefix) || !valid.MatchString(name) {
				t.Errorf("channelName(%s, %q) = %q", platform, contact, name)
			}
			if again := channelName(platform, contact, lead); again != name {
				t.Errorf("channelName not deterministic: %q then %q", name, again)
			}
			other := store.LeadID(string(platform), "acct", "other-"+contact)
			if channelName(platform, contact, other) == name {
				t.Errorf("two leads named %q share channel name %q", contact, name)
			}
			spec := channelSpec(&store.Conversation{LeadID: lead, Platform: string(platform), ContactName: contact, ChannelName: name})
			if n := len([]rune(spec.DisplayName)); n > 64 || n == 0 {
				t.Errorf("display name %q has %d characters", spec.DisplayName, n)
			}
		}
	}

	// Through the engine: two leads with the same name get two channels.
	e := newTestEnv(t)
	e.profiles.Set("psid-1", Profile{Name: "Dana Smith"}, nil)
	e.profiles.Set("psid-2", Profile{Name: "Dana Smith"}, nil)
	a := fbText(t, "psid-1", "m-1", "hi", fbTime)
	b := fbText(t, "psid-2", "m-2", "hi", fbTime)
	e.applyExpect(a, Applied)
	e.applyExpect(b, Applied)
	ca, cb := e.mustConv(leadOf(a)), e.mustConv(leadOf(b))
	if ca.ChannelID == cb.ChannelID || ca.ChannelName == cb.ChannelName || e.ws.adopted != 0 {
		t.Errorf("two Dana Smiths share a channel: %+v %+v", ca, cb)
	}
	if !strings.HasPrefix(ca.ChannelName, "fb-dana-smith-") || !valid.MatchString(ca.ChannelName) {
		t.Errorf("channel name %q", ca.ChannelName)
	}
	if ch, _ := e.ws.Channel(ca.ChannelID); ch.Spec.Name != ca.ChannelName || ch.Spec.LeadID != leadOf(a) || ch.Spec.DisplayName != "Dana Smith (Messenger)" {
		t.Errorf("channel spec %+v", ch.Spec)
	}
}
