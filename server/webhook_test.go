package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // building the legacy header Meta also sends
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
)

func TestWebhookVerificationHandshake(t *testing.T) {
	e := newEnv(t, 1)
	tests := []struct {
		name, query string
		status      int
		body        string
	}{
		{"matching token echoes the challenge verbatim", "hub.mode=subscribe&hub.verify_token=" + testVerify + "&hub.challenge=1158201444", http.StatusOK, "1158201444"},
		{"wrong token", "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1", http.StatusForbidden, ""},
		{"wrong mode", "hub.mode=unsubscribe&hub.verify_token=" + testVerify + "&hub.challenge=1", http.StatusForbidden, ""},
		{"no token", "hub.mode=subscribe&hub.challenge=1", http.StatusForbidden, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.nodes[0].ServeHTTP(nil, rec, httptest.NewRequest(http.MethodGet, "/webhook/meta?"+tc.query, nil))
			require.Equal(t, tc.status, rec.Code)
			if tc.body != "" {
				require.Equal(t, tc.body, rec.Body.String())
			}
		})
	}
}

func TestWebhookRefusesBadInputWithoutSideEffects(t *testing.T) {
	body := sample(t, "messenger_text.json")
	mac := hmac.New(sha1.New, []byte(testSecret))
	mac.Write(body)
	sha1Only := map[string]string{"X-Hub-Signature": "sha1=" + hex.EncodeToString(mac.Sum(nil))}
	huge := append([]byte(`{"object":"page","entry":[],"pad":"`), bytes.Repeat([]byte("a"), maxWebhookBody)...)
	huge = append(huge, '"', '}')
	malformed := []byte(`{"object":"page","entry":[`)

	tests := []struct {
		name     string
		body     []byte
		headers  map[string]string
		noSecret bool
		status   int
	}{
		{"no signature header", body, map[string]string{}, false, http.StatusUnauthorized},
		{"legacy sha1 signature only", body, sha1Only, false, http.StatusUnauthorized},
		{"wrong signature", body, map[string]string{meta.SignatureHeader: meta.Sign("other-secret", body)}, false, http.StatusForbidden},
		{"signature of another body", body, map[string]string{meta.SignatureHeader: meta.Sign(testSecret, append(body, ' '))}, false, http.StatusForbidden},
		{"no App Secret configured", body, map[string]string{meta.SignatureHeader: meta.Sign(testSecret, body)}, true, http.StatusServiceUnavailable},
		{"oversized body", huge, map[string]string{meta.SignatureHeader: meta.Sign(testSecret, huge)}, false, http.StatusRequestEntityTooLarge},
		{"malformed JSON, correctly signed", malformed, map[string]string{meta.SignatureHeader: meta.Sign(testSecret, malformed)}, false, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 1)
			if tc.noSecret {
				cfg := testConfig(e.graph.URL)
				delete(cfg, "MetaAppSecret")
				e.srv.SetPluginConfig(manifestID, cfg)
				require.NoError(t, e.nodes[0].OnConfigurationChange())
			}
			rec := e.postWith(0, tc.body, tc.headers)
			require.Equal(t, tc.status, rec.Code, rec.Body.String())
			require.Empty(t, e.leadChannels())
			for _, prefix := range []string{store.PrefixMessage, store.PrefixConversation, store.PrefixContact, store.PrefixPending} {
				require.Empty(t, e.kvKeys(prefix), prefix)
			}
			require.Zero(t, e.graph.count("GET /v26.0/"), "no profile lookup for a refused delivery")
		})
	}
}

func TestUnknownPageIsIgnoredAndCounted(t *testing.T) {
	e := newEnv(t, 1)
	body := []byte(strings.ReplaceAll(string(sample(t, "messenger_text.json")), testPageID, "999999999"))
	rec := e.post(0, body)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Empty(t, e.leadChannels())
	require.Empty(t, e.kvKeys(store.PrefixMessage))
	var stats store.IntakeStats
	_, err := e.nodes[0].store.Get(store.KeyIntakeStats, &stats)
	require.NoError(t, err)
	require.EqualValues(t, 1, stats.Skipped[meta.SkipUnknownAccount])
}

func TestInboundMessageCreatesLeadChannelCardAndQueueNotice(t *testing.T) {
	e := newEnv(t, 1)
	rec := e.post(0, sample(t, "messenger_text.json"))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "EVENT_RECEIVED", rec.Body.String())

	chans := e.leadChannels()
	require.Len(t, chans, 1)
	ch := chans[0]
	require.Equal(t, "P", string(ch.Type))
	require.True(t, strings.HasPrefix(ch.Name, "fb-dana-k7462-"), ch.Name)
	require.LessOrEqual(t, len(ch.Name), 64)
	require.Equal(t, "Dana K7462 (Messenger)", ch.DisplayName)
	members := e.srv.ChannelMembers(ch.Id)
	for _, id := range []string{e.nodes[0].botUserID, e.ops[0].Id, e.ops[1].Id} {
		require.Contains(t, members, id)
	}
	require.NotContains(t, members, e.outsider.Id)

	posts := e.botPosts(ch.Id)
	require.Len(t, posts, 1)
	p := posts[0]
	require.Contains(t, p.Message, "6-person cedar barrel sauna installed")
	require.Equal(t, "m_oSZVOWUVbETD3_g1VfO9694XLBr1n2rqNB7VQuMlMgXIZVa6eNnAvitQKR2qdf_HcJjwbkhJWENgTgrpeUbBvb", p.GetProp(propNativeID))
	atts := p.Attachments()
	require.Len(t, atts, 1)
	var ids []string
	for _, a := range atts[0].Actions {
		ids = append(ids, a.Id)
	}
	require.Equal(t, []string{actionClaim, actionClose, actionReview}, ids)
	require.Contains(t, atts[0].Fields[1].Value, "unclaimed")

	notices := e.botPosts(e.queueID)
	require.Len(t, notices, 1)
	require.Equal(t, "queue_notice", notices[0].GetProp(propKind))
	require.Contains(t, notices[0].Message, "~"+ch.Name)

	for _, prefix := range []string{store.PrefixMessage, store.PrefixConversation, store.PrefixContact, store.PrefixLead, store.PrefixHandoff, store.PrefixAudit, store.PrefixChannel} {
		require.Len(t, e.kvKeys(prefix), 1, prefix)
	}
	trail, err := e.nodes[0].store.AuditTrail(p.GetProp(propLeadID).(string))
	require.NoError(t, err)
	var actions []string
	for _, ev := range trail {
		actions = append(actions, ev.Action)
	}
	require.Equal(t, []string{"lead.created", "handoff.opened", "lead.channel_created", "window.opened", "message.received"}, actions)
}

func TestSamplesThroughTheWebhook(t *testing.T) {
	e := newEnv(t, 1)
	// Meta's CDN is not reachable from tests: serve the image from the Graph stand-in.
	image := strings.ReplaceAll(string(sample(t, "messenger_image_attachment.json")),
		`https://scontent.xx.fbcdn.net/v/t1.15752-9/4946452538_1644303321917744_6256656620936228396_n.jpg`, e.graph.URL+`/media/photo.jpg`)
	igImage := sample(t, "instagram_image.json") // its lookaside URL is unreachable here

	for _, body := range [][]byte{
		sample(t, "messenger_text.json"), []byte(image), sample(t, "messenger_echo.json"),
		sample(t, "messenger_batched_two_entries.json"), sample(t, "instagram_text.json"), igImage,
		sample(t, "instagram_comment.json"), sample(t, "facebook_feed_comment_add.json"),
	} {
		require.Equal(t, http.StatusOK, e.post(0, body).Code)
	}
	counts := e.postsByNativeID()
	require.Len(t, counts, 9, "text, image, 3 batched messages, IG text, IG image, IG comment, FB comment — not the echo, which is ours")
	for id, n := range counts {
		require.Equal(t, 1, n, id)
	}
	// Leads: Dana (text+image), two batched senders, the IG DM sender, the IG commenter,
	// the FB commenter. The read receipt in the batch is for a sender with no lead.
	require.Len(t, e.leadChannels(), 6)

	for _, ch := range e.leadChannels() {
		for _, p := range e.botPosts(ch.Id) {
			switch p.GetProp(propNativeID) {
			case "m_Ddm5Q-WceMuIzqLrueY9-w4XLBr1n2rqNB7VQuMlMg-lJeHn61_gRI97VReIV4TJ1QRXBOiEJbv0O1OH3ZmO2E":
				require.Len(t, p.FileIds, 1, "the image is copied into Mattermost")
			case "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDU5MzAyNzE4NDY1OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDc4NzgzMzY1NTQ1NTQ3MjM0ODozODg0MzUxNTg2MzY3MzM0ODQwNDI2MjQwOTc0ODEzMTI2Njc0MAZDZD":
				require.Empty(t, p.FileIds)
				require.Contains(t, p.Message, "could not be downloaded")
			case "17863522938037533":
				require.True(t, strings.HasPrefix(ch.Name, "ig-"))
				require.Contains(t, p.Message, "Commented on your reel")
				require.True(t, strings.HasPrefix(ch.Name, "ig-tomvanderhoek-idaho-"), ch.Name)
			}
		}
	}
}

func TestDuplicateDeliveryPostsOnce(t *testing.T) {
	e := newEnv(t, 1)
	body := sample(t, "messenger_batched_two_entries.json")
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusOK, e.post(0, body).Code)
	}
	counts := e.postsByNativeID()
	require.Len(t, counts, 3)
	for id, n := range counts {
		require.Equal(t, 1, n, id)
	}
	require.Len(t, e.leadChannels(), 2)
	require.Len(t, e.botPosts(e.queueID), 2)
}

func TestConcurrentDeliveriesOnTwoNodesPostOnce(t *testing.T) {
	e := newEnv(t, 2)
	body := sample(t, "messenger_batched_two_entries.json")
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i] = e.post(i%2, body).Code
		}(i)
	}
	wg.Wait()
	for i, s := range statuses {
		require.Equal(t, http.StatusOK, s, "delivery %d", i)
	}
	// Busy deliveries answered 200 because another node holds the events; wait for it.
	e.waitFor(func() bool { return len(e.postsByNativeID()) == 3 }, "three posts")
	for id, n := range e.postsByNativeID() {
		require.Equal(t, 1, n, id)
	}
	require.Len(t, e.leadChannels(), 2)
	require.Len(t, e.botPosts(e.queueID), 2)
	require.Len(t, e.kvKeys(store.PrefixConversation), 2)
}

func TestTwoFirstMessagesOfOneBuyerOnTwoNodesShareOneChannel(t *testing.T) {
	e := newEnv(t, 2)
	var bodies [][]byte
	for i := 0; i < 10; i++ {
		bodies = append(bodies, []byte(fmt.Sprintf(`{"object":"page","entry":[{"time":1795209247800,"id":"%s","messaging":[{"sender":{"id":"5550001112223334"},"recipient":{"id":"%s"},"timestamp":%d,"message":{"mid":"m_first_%d","text":"hello %d"}}]}]}`, testPageID, testPageID, 1795209247312+int64(i), i, i)))
	}
	var wg sync.WaitGroup
	for i, b := range bodies {
		wg.Add(1)
		go func(i int, b []byte) {
			defer wg.Done()
			require.Equal(t, http.StatusOK, e.post(i%2, b).Code)
		}(i, b)
	}
	wg.Wait()
	e.waitFor(func() bool { return len(e.postsByNativeID()) == 10 }, "ten posts")
	require.Len(t, e.leadChannels(), 1)
	cards := 0
	for _, p := range e.botPosts(e.leadChannels()[0].Id) {
		if len(p.Attachments()) > 0 {
			cards++
		}
	}
	require.Equal(t, 1, cards, "exactly one lead card")
	require.Len(t, e.botPosts(e.queueID), 1)
}

func TestKVOutageAnswersNon2xxAndLosesNothing(t *testing.T) {
	e := newEnv(t, 1)
	down := true
	var mu sync.Mutex
	e.srv.SetKVHook(func(op, key string) error {
		mu.Lock()
		defer mu.Unlock()
		if down && op == "set" {
			return fmt.Errorf("database is unavailable")
		}
		return nil
	})
	body := sample(t, "messenger_text.json")
	rec := e.post(0, body)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, "nothing could be recorded, so Meta must retry")
	require.Empty(t, e.postsByNativeID())

	mu.Lock()
	down = false
	mu.Unlock()
	require.Equal(t, http.StatusOK, e.post(0, body).Code, "Meta's retry")
	counts := e.postsByNativeID()
	require.Len(t, counts, 1)
	for _, n := range counts {
		require.Equal(t, 1, n)
	}
}

func TestPartialKVFailureIsDeferredToTheRetryJob(t *testing.T) {
	e := newEnv(t, 1)
	var mu sync.Mutex
	failConversations := true
	e.srv.SetKVHook(func(op, key string) error {
		mu.Lock()
		defer mu.Unlock()
		if failConversations && op == "set" && strings.HasPrefix(key, store.PrefixConversation) {
			return fmt.Errorf("deadlock detected")
		}
		return nil
	})
	rec := e.post(0, sample(t, "messenger_batched_two_entries.json"))
	require.Equal(t, http.StatusOK, rec.Code, "the events are stored for the retry job, so the delivery is acknowledged")
	require.Empty(t, e.postsByNativeID())
	require.Len(t, e.kvKeys(store.PrefixPending), 1)

	mu.Lock()
	failConversations = false
	mu.Unlock()
	e.nodes[0].retryPending()
	counts := e.postsByNativeID()
	require.Len(t, counts, 3)
	for id, n := range counts {
		require.Equal(t, 1, n, id)
	}
	require.Empty(t, e.kvKeys(store.PrefixPending))
	ids, err := e.nodes[0].store.PendingIDs()
	require.NoError(t, err)
	require.Empty(t, ids)
}

func TestProfileLookupFailureKeepsTheMessage(t *testing.T) {
	e := newEnv(t, 1)
	e.graph.setDown(true)
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	chans := e.leadChannels()
	require.Len(t, chans, 1)
	require.True(t, strings.HasPrefix(chans[0].Name, "fb-messenger-user-7462-"), chans[0].Name)
	require.Len(t, e.postsByNativeID(), 1)
}

func TestEchoesAreNotInbound(t *testing.T) {
	e := newEnv(t, 1)
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_text.json")).Code)
	require.Equal(t, http.StatusOK, e.post(0, sample(t, "messenger_echo.json")).Code)
	require.Len(t, e.postsByNativeID(), 1, "the plugin's own echo is never posted")

	suite := testdata(t, "messenger_echo_business_suite.json")
	for i := 0; i < 2; i++ {
		require.Equal(t, http.StatusOK, e.post(0, suite).Code)
	}
	ch := e.leadChannels()[0]
	var context int
	for _, p := range e.botPosts(ch.Id) {
		if p.GetProp(propKind) == "outbound_context" {
			context++
			require.Contains(t, p.Message, "Sent from Messenger by the page")
			require.Contains(t, p.Message, "I will call you tomorrow")
		}
	}
	require.Equal(t, 1, context)
}

func TestEditsReactionsAndReceiptsUpdateWithoutNewPosts(t *testing.T) {
	e := newEnv(t, 1)
	first := []byte(`{"object":"page","entry":[{"time":1795209247800,"id":"` + testPageID + `","messaging":[{"sender":{"id":"7284619053817462"},"recipient":{"id":"` + testPageID + `"},"timestamp":1795209247312,"message":{"mid":"m_abc","text":"A 6-person one please"}}]}]}`)
	require.Equal(t, http.StatusOK, e.post(0, first).Code)
	for _, f := range []string{"messenger_edit.json", "messenger_reactions.json", "messenger_receipts.json"} {
		require.Equal(t, http.StatusOK, e.post(0, testdata(t, f)).Code, f)
	}
	posts := e.botPosts(e.leadChannels()[0].Id)
	require.Len(t, posts, 1)
	require.Contains(t, posts[0].Message, "Actually an 8-person one")
	require.Contains(t, posts[0].Message, "edited by the buyer")
	require.NotContains(t, posts[0].Message, "reacted", "the reaction was removed again")
	require.NotEmpty(t, posts[0].Attachments(), "re-rendering keeps the lead card")
}
