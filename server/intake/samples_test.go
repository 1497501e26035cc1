package intake

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

// samplesDir finds shared/meta-samples: $SOCIAL_INBOX_SAMPLES, or the repository's
// neighbour directory relative to this package.
func samplesDir(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("SOCIAL_INBOX_SAMPLES"); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("SOCIAL_INBOX_SAMPLES=%s: %v", dir, err)
		}
		return dir
	}
	dir := filepath.Join("..", "..", "..", "shared", "meta-samples")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no Meta samples at %s (set SOCIAL_INBOX_SAMPLES): %v", dir, err)
	}
	return dir
}

// webhookSamples lists the webhook bodies (not the Send API answers) in the samples.
func webhookSamples(t *testing.T) map[string][]byte {
	t.Helper()
	dir := samplesDir(t)
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, path := range names {
		name := filepath.Base(path)
		if strings.HasPrefix(name, "send_api_") {
			continue
		}
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = body
	}
	if len(out) == 0 {
		t.Fatalf("no webhook samples in %s", dir)
	}
	return out
}

type samplePost struct {
	platform  meta.Platform
	customer  string
	contains  []string
	files     int
	kind      string
	sourceSrc string // the lead's source kind
}

type sampleWant struct {
	applied  int
	skipped  map[string]int64
	leads    int
	posts    []samplePost // inbound/outbound posts, in timestamp order per lead
	check    func(t *testing.T, e *testEnv, events []meta.Event)
	profiles int // Graph profile lookups
}

// TestSamplesApply parses every sample webhook body in shared/meta-samples, applies it
// and checks the posts and records it must produce. Samples without an entry below are
// still applied and held to the generic invariants (one post per inbound native ID,
// complete lead records).
func TestSamplesApply(t *testing.T) {
	want := map[string]sampleWant{
		"messenger_text.json": {
			applied: 1, leads: 1, profiles: 1,
			posts: []samplePost{{platform: meta.Facebook, customer: "7284619053817462", kind: PostInbound, sourceSrc: store.SourceDM,
				contains: []string{"How much for the 6-person cedar barrel sauna installed? We're in Meridian."}}},
			check: func(t *testing.T, e *testEnv, events []meta.Event) {
				conv := e.mustConv(leadOf(events[0]))
				if conv.LastInboundAt != 1795209247312 || conv.WindowExpiresAt != 1795209247312+StandardWindow.Milliseconds() {
					t.Errorf("window: last inbound %d expires %d", conv.LastInboundAt, conv.WindowExpiresAt)
				}
				if !strings.HasPrefix(conv.ChannelName, "fb-customer-7284619053817462-") {
					t.Errorf("channel name %q", conv.ChannelName)
				}
			},
		},
		"messenger_image_attachment.json": {
			applied: 1, leads: 1, profiles: 1,
			posts: []samplePost{{platform: meta.Facebook, customer: "7284619053817462", kind: PostInbound, files: 1, sourceSrc: store.SourceDM}},
			check: func(t *testing.T, e *testEnv, events []meta.Event) {
				m := e.mustMessage(events[0])
				if len(m.Attachments) != 1 || m.Attachments[0].FileID == "" || m.Attachments[0].URL != "" {
					t.Errorf("attachments %+v: want one stored file and no CDN URL kept", m.Attachments)
				}
			},
		},
		"messenger_echo.json": {
			// The plugin's own send (our app ID, mm-post: metadata) is never posted again.
			skipped: map[string]int64{SkipOwnEcho: 1},
		},
		"messenger_batched_two_entries.json": {
			applied: 3, leads: 2, profiles: 2,
			// The read is from a sender without a lead.
			skipped: map[string]int64{SkipNoLead: 1},
			posts: []samplePost{
				{platform: meta.Facebook, customer: "6930284715529104", kind: PostInbound, contains: []string{"earliest install date"}, sourceSrc: store.SourceDM},
				{platform: meta.Facebook, customer: "6930284715529104", kind: PostInbound, contains: []string{"12x12 concrete pad"}, sourceSrc: store.SourceDM},
				{platform: meta.Facebook, customer: "8815230947162038", kind: PostInbound, contains: []string{"barrel sauna for the backyard"}, sourceSrc: store.SourceDM},
			},
		},
		"instagram_text.json": {
			applied: 1, leads: 1, profiles: 1,
			posts: []samplePost{{platform: meta.Instagram, customer: "1127480693512847", kind: PostInbound, contains: []string{"4-person hot tub for our patio"}, sourceSrc: store.SourceDM}},
			check: func(t *testing.T, e *testEnv, events []meta.Event) {
				conv := e.mustConv(leadOf(events[0]))
				if !strings.HasPrefix(conv.ChannelName, "ig-") {
					t.Errorf("channel name %q, want ig- prefix", conv.ChannelName)
				}
				if len(store.MessageKey("instagram", testIGID, events[0].NativeID)) > 150 {
					t.Errorf("message key longer than 150")
				}
				if m := e.mustMessage(events[0]); m.NativeID != events[0].NativeID {
					t.Errorf("record keeps native ID %q, want the original %q", m.NativeID, events[0].NativeID)
				}
			},
		},
		"instagram_image.json": {
			applied: 1, leads: 1, profiles: 1,
			posts: []samplePost{{platform: meta.Instagram, customer: "1127480693512847", kind: PostInbound, files: 1, sourceSrc: store.SourceDM}},
		},
		"instagram_comment.json": {
			applied: 1, leads: 1, profiles: 0,
			posts: []samplePost{{platform: meta.Instagram, customer: "9318274650129384", kind: PostInbound, sourceSrc: store.SourceComment,
				contains: []string{"Commented on your reel", "What's the price on this exact setup installed in Eagle?"}}},
			check: func(t *testing.T, e *testEnv, events []meta.Event) {
				conv := e.mustConv(leadOf(events[0]))
				if conv.ContactName != "@tomvanderhoek_idaho" || conv.ContactUser != "tomvanderhoek_idaho" {
					t.Errorf("contact %q / %q, want the payload's username", conv.ContactName, conv.ContactUser)
				}
				// entry.time is in seconds on IG comment deliveries.
				if want := int64(1795213448000); conv.PrivateReplyUntil != want+PrivateReplyTTL.Milliseconds() || conv.WindowExpiresAt != 0 {
					t.Errorf("private reply until %d, window %d; want %d and no messaging window",
						conv.PrivateReplyUntil, conv.WindowExpiresAt, want+PrivateReplyTTL.Milliseconds())
				}
				if conv.Source.PostID != "18046291837465021" || conv.Source.CommentID != "17863522938037533" {
					t.Errorf("source %+v", conv.Source)
				}
			},
		},
		"facebook_feed_comment_add.json": {
			applied: 1, leads: 1, profiles: 0,
			posts: []samplePost{{platform: meta.Facebook, customer: "24571839206475318", kind: PostInbound, sourceSrc: store.SourceComment,
				contains: []string{"Commented on", "14x28 fiberglass pool"}}},
			check: func(t *testing.T, e *testEnv, events []meta.Event) {
				conv := e.mustConv(leadOf(events[0]))
				if conv.ContactName != "Rick Alvarez" || !strings.HasPrefix(conv.ChannelName, "fb-rick-alvarez-") {
					t.Errorf("contact %q channel %q", conv.ContactName, conv.ChannelName)
				}
				// created_time is in seconds.
				if want := int64(1795214247000) + PrivateReplyTTL.Milliseconds(); conv.PrivateReplyUntil != want {
					t.Errorf("private reply until %d, want %d", conv.PrivateReplyUntil, want)
				}
				if conv.PrivateReplyComment != "122134958273049817_1262423718966811" {
					t.Errorf("private reply comment %q", conv.PrivateReplyComment)
				}
			},
		},
	}

	samples := webhookSamples(t)
	names := make([]string, 0, len(samples))
	for name := range samples {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			e := newTestEnv(t)
			batch, err := meta.Parse(samples[name])
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			res := e.engine.ApplyBatch(testCtx(t), batch.Events, 4)
			if len(res.Pending) != 0 || res.Err != nil {
				t.Fatalf("pending %d, err %v", len(res.Pending), res.Err)
			}
			// Generic invariants, for every sample.
			byLead := map[string][]meta.Event{}
			for _, ev := range batch.Events {
				if ev.Kind.Inbound() {
					byLead[leadOf(ev)] = append(byLead[leadOf(ev)], ev)
				}
			}
			for lead, evs := range byLead {
				e.checkLeadComplete(lead, evs...)
			}

			w, ok := want[name]
			if !ok {
				t.Logf("no specific expectations for %s; generic invariants checked", name)
				return
			}
			if res.Applied != w.applied {
				t.Errorf("applied %d, want %d", res.Applied, w.applied)
			}
			for reason, n := range w.skipped {
				if res.Skipped[reason] != n {
					t.Errorf("skipped[%s] = %d, want %d (all: %v)", reason, res.Skipped[reason], n, res.Skipped)
				}
			}
			if got := len(e.ws.LeadChannels()); got != w.leads {
				t.Errorf("%d lead channels, want %d", got, w.leads)
			}
			if got := len(e.ws.QueuePosts()); got != w.leads {
				t.Errorf("%d queue notices, want %d", got, w.leads)
			}
			if got := e.profiles.TotalCalls(); got != w.profiles {
				t.Errorf("%d profile lookups, want %d", got, w.profiles)
			}
			posts := e.ws.Posts(func(p fakePost) bool { return p.Post.Kind != PostQueueNotice })
			if len(posts) != len(w.posts) {
				t.Fatalf("%d posts, want %d", len(posts), len(w.posts))
			}
			// Leads are applied concurrently: compare each lead's posts in order.
			seen := map[string]int{}
			for i, wp := range w.posts {
				lead := store.LeadID(string(wp.platform), map[meta.Platform]string{meta.Facebook: testPageID, meta.Instagram: testIGID}[wp.platform], wp.customer)
				conv := e.mustConv(lead)
				var leadPosts []fakePost
				for _, p := range posts {
					if p.Post.LeadID == lead {
						leadPosts = append(leadPosts, p)
					}
				}
				j := seen[lead]
				seen[lead]++
				if j >= len(leadPosts) {
					t.Errorf("want post %d: lead %s has only %d posts", i, lead, len(leadPosts))
					continue
				}
				p := leadPosts[j]
				if p.ChannelID != conv.ChannelID || p.Post.Kind != wp.kind {
					t.Errorf("post %d: channel %s kind %s; want channel %s kind %s", i, p.ChannelID, p.Post.Kind, conv.ChannelID, wp.kind)
				}
				for _, s := range wp.contains {
					if !strings.Contains(p.Post.Message, s) {
						t.Errorf("post %d %q does not contain %q", i, p.Post.Message, s)
					}
				}
				if len(p.Post.FileIDs) != wp.files {
					t.Errorf("post %d has %d files, want %d", i, len(p.Post.FileIDs), wp.files)
				}
				if conv.Source.Kind != wp.sourceSrc {
					t.Errorf("lead source %q, want %q", conv.Source.Kind, wp.sourceSrc)
				}
			}
			if w.check != nil {
				w.check(t, e, batch.Events)
			}
		})
	}
}

// TestSamplesAllTogetherTwiceOnTwoNodes applies every sample on one node and then
// again on another: the second round changes nothing.
func TestSamplesAllTogetherTwiceOnTwoNodes(t *testing.T) {
	e := newTestEnv(t)
	nodeB := e.node("node-b")
	samples := webhookSamples(t)
	var all []meta.Event
	for _, body := range samples {
		b, err := meta.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b.Events...)
	}
	first := e.engine.ApplyBatch(testCtx(t), all, 4)
	if len(first.Pending) != 0 {
		t.Fatalf("first round left %d pending: %v", len(first.Pending), first.Err)
	}
	postsBefore := len(e.ws.Posts(nil))
	kvBefore := len(e.kv.Keys(""))
	e.clock.Advance(time.Minute)
	second := nodeB.ApplyBatch(testCtx(t), all, 4)
	receipts, inbound := 0, 0
	for _, ev := range all {
		switch {
		case ev.Kind == meta.KindRead || ev.Kind == meta.KindDelivery:
			receipts++
		case ev.Kind.Inbound():
			inbound++
		}
	}
	// Only receipts may report Applied again (they re-check a watermark and change nothing).
	if second.Applied > receipts || len(second.Pending) != 0 {
		t.Errorf("second round: applied %d (receipts %d) pending %d", second.Applied, receipts, len(second.Pending))
	}
	if second.Duplicates != inbound {
		t.Errorf("second round: %d duplicates, want %d (every inbound event)", second.Duplicates, inbound)
	}
	if got := len(e.ws.Posts(nil)); got != postsBefore {
		t.Errorf("posts %d -> %d after redelivery", postsBefore, got)
	}
	if got := len(e.kv.Keys("")); got != kvBefore {
		t.Errorf("KV keys %d -> %d after redelivery", kvBefore, got)
	}
}
