package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

const testPageToken = "EAAGm0PX4ZCpsBAtestpagetoken9xQ"

type graphTest struct {
	t   *testing.T
	g   *graphStandIn
	srv *httptest.Server
	log *syncBuffer
}

func newGraphTest(t *testing.T, cfg graphConfig) *graphTest {
	t.Helper()
	if cfg.PageID == "" {
		cfg.PageID, cfg.IGID, cfg.AppID = defaultPageID, defaultIGID, defaultAppID
	}
	log := &syncBuffer{}
	cfg.Log = log
	g := newGraphHandler(cfg)
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return &graphTest{t: t, g: g, srv: srv, log: log}
}

type graphAnswer struct {
	Status int
	Body   []byte
	Header http.Header
}

func (gt *graphTest) do(method, path, token string, body any) graphAnswer {
	gt.t.Helper()
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		r, contentType = strings.NewReader(b), "application/json"
	case url.Values:
		r, contentType = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		require.NoError(gt.t, err)
		r, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, gt.srv.URL+path, r)
	require.NoError(gt.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(gt.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(gt.t, err)
	return graphAnswer{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

type graphErrorBody struct {
	Error struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    int    `json:"code"`
		Subcode int    `json:"error_subcode"`
		TraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

func decodeGraphError(t *testing.T, a graphAnswer) graphErrorBody {
	t.Helper()
	var e graphErrorBody
	require.NoError(t, json.Unmarshal(a.Body, &e), "body %s", a.Body)
	require.NotZero(t, e.Error.Code, "an error body: %s", a.Body)
	return e
}

func textMessage(recipient, text string) map[string]any {
	return map[string]any{
		"recipient":      map[string]string{"id": recipient},
		"messaging_type": "RESPONSE",
		"message":        map[string]any{"text": text, "metadata": "mm-post:abc"},
	}
}

func TestSendAPIAnswersLikeMeta(t *testing.T) {
	gt := newGraphTest(t, graphConfig{Token: testPageToken})
	paths := []string{"/v26.0/" + defaultPageID + "/messages", "/v25.0/me/messages", "/v26.0/" + defaultIGID + "/messages"}
	seen := map[string]bool{}
	for _, path := range paths {
		a := gt.do(http.MethodPost, path, testPageToken, textMessage(defaultPSID, "Hi Dana! Yes, we install in Meridian."))
		require.Equal(t, http.StatusOK, a.Status, "%s: %s", path, a.Body)
		assert.Equal(t, "application/json; charset=UTF-8", a.Header.Get("Content-Type"))
		var ok struct {
			RecipientID string `json:"recipient_id"`
			MessageID   string `json:"message_id"`
		}
		require.NoError(t, json.Unmarshal(a.Body, &ok))
		assert.Equal(t, defaultPSID, ok.RecipientID)
		assert.True(t, strings.HasPrefix(ok.MessageID, "m_"), ok.MessageID)
		assert.False(t, seen[ok.MessageID], "a fresh message_id per send")
		seen[ok.MessageID] = true
	}

	// The same request as a form, with the token as the access_token parameter.
	form := url.Values{
		"recipient":      {`{"id":"` + defaultPSID + `"}`},
		"messaging_type": {"MESSAGE_TAG"},
		"tag":            {"HUMAN_AGENT"},
		"message":        {`{"text":"Following up on your quote"}`},
		"access_token":   {testPageToken},
	}
	a := gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", "", form)
	assert.Equal(t, http.StatusOK, a.Status, "%s", a.Body)

	// A sender action answers with the recipient only.
	a = gt.do(http.MethodPost, "/v26.0/me/messages", testPageToken, map[string]any{
		"recipient": map[string]string{"id": defaultPSID}, "sender_action": "typing_on",
	})
	require.Equal(t, http.StatusOK, a.Status, "%s", a.Body)
	assert.JSONEq(t, `{"recipient_id":"`+defaultPSID+`"}`, string(a.Body))
}

func TestSendAPIRejectsMalformedBodies(t *testing.T) {
	long := strings.Repeat("a", 2001)
	igLong := strings.Repeat("\u00e9", 501) // 501 characters, 1002 bytes
	cases := []struct {
		name, path string
		body       any
		want       string
		subcode    int
	}{
		{"not JSON", "", `{"recipient":`, "not valid JSON", 0},
		{"no recipient", "", map[string]any{"messaging_type": "RESPONSE", "message": map[string]any{"text": "hi"}}, "recipient is required", 0},
		{"two recipients", "", map[string]any{"recipient": map[string]string{"id": "1", "comment_id": "2"}, "message": map[string]any{"text": "hi"}}, "Only one of recipient", 0},
		{"no messaging_type for a DM", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "message": map[string]any{"text": "hi"}}, "messaging_type is required", 0},
		{"unknown messaging_type", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "PROMO", "message": map[string]any{"text": "hi"}}, "must be one of {RESPONSE, UPDATE, MESSAGE_TAG}", 0},
		{"tag without MESSAGE_TAG", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "tag": "HUMAN_AGENT", "message": map[string]any{"text": "hi"}}, "tag can only be used with messaging_type MESSAGE_TAG", 0},
		{"MESSAGE_TAG without tag", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "MESSAGE_TAG", "message": map[string]any{"text": "hi"}}, "tag is required", 0},
		{"retired tag", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "MESSAGE_TAG", "tag": "ACCOUNT_UPDATE", "message": map[string]any{"text": "hi"}}, "HUMAN_AGENT is the only message tag", 0},
		{"no message", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE"}, "Must send either message or state", 0},
		{"message and sender action", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "sender_action": "typing_on", "message": map[string]any{"text": "hi"}}, "Cannot send both message and state", 2018014},
		{"empty text", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"text": " "}}, "non-empty", 0},
		{"text and attachment", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"text": "hi", "attachment": map[string]any{"type": "image", "payload": map[string]any{"url": "https://x.example/a.png"}}}}, "Only one of message[text] and message[attachment]", 0},
		{"Messenger text over 2000 characters", "", textMessage(defaultPSID, long), "less than or equal to 2000 characters", 0},
		{"Instagram text over 1000 bytes", "/v26.0/" + defaultIGID + "/messages", textMessage(defaultIGSID, igLong), "at most 1000 bytes", 0},
		{"attachment of unknown type", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"attachment": map[string]any{"type": "gif", "payload": map[string]any{"url": "https://x.example/a.gif"}}}}, "message[attachment][type] must be one of", 0},
		{"attachment without payload", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"attachment": map[string]any{"type": "image"}}}, "payload] is required", 0},
		{"attachment without url", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"attachment": map[string]any{"type": "image", "payload": map[string]any{"is_reusable": true}}}}, "url or an attachment_id", 0},
		{"attachment url not http", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"attachment": map[string]any{"type": "file", "payload": map[string]any{"url": "file:///etc/passwd"}}}}, "valid http(s) URL", 0},
		{"too many quick replies", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"text": "pick", "quick_replies": make([]map[string]string, 14)}}, "at most 13", 0},
		{"metadata too long", "", map[string]any{"recipient": map[string]string{"id": defaultPSID}, "messaging_type": "RESPONSE", "message": map[string]any{"text": "hi", "metadata": strings.Repeat("m", 1000)}}, "metadata] must be less than 1000", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gt := newGraphTest(t, graphConfig{})
			path := tc.path
			if path == "" {
				path = "/v26.0/" + defaultPageID + "/messages"
			}
			a := gt.do(http.MethodPost, path, testPageToken, tc.body)
			assert.Equal(t, http.StatusBadRequest, a.Status, "%s", a.Body)
			e := decodeGraphError(t, a)
			assert.Equal(t, 100, e.Error.Code)
			assert.Equal(t, tc.subcode, e.Error.Subcode)
			assert.Equal(t, "OAuthException", e.Error.Type)
			assert.Contains(t, e.Error.Message, tc.want)
			assert.True(t, strings.HasPrefix(e.Error.Message, "(#100) "), e.Error.Message)
			assert.NotEmpty(t, e.Error.TraceID)
		})
	}

	// The limits themselves are allowed.
	gt := newGraphTest(t, graphConfig{})
	a := gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", "", textMessage(defaultPSID, strings.Repeat("\u00e9", 2000)))
	assert.Equal(t, http.StatusOK, a.Status, "2000 characters are fine on Messenger: %s", a.Body)
	a = gt.do(http.MethodPost, "/v26.0/"+defaultIGID+"/messages", "", textMessage(defaultIGSID, strings.Repeat("\u00e9", 500)))
	assert.Equal(t, http.StatusOK, a.Status, "1000 bytes are fine on Instagram: %s", a.Body)
}

func TestFailModesAnswerMetasBodies(t *testing.T) {
	cases := []struct {
		mode            string
		status          int
		code, subcode   int
		sample          string // the fact sheet's sample the body must equal, byte for byte
		instagramSub    int
		instagramCode   int
		deliveredAnyway bool
	}{
		{"outside-window", 400, 10, 2018278, "send_api_error_outside_window.json", 2534022, 10, false},
		{"rate-limited", 400, 4, 0, "send_api_error_rate_limited.json", 0, 4, false},
		{"token-expired", 400, 190, 463, "send_api_error_token_expired.json", 463, 190, false},
		{"temporary", 500, 2, 0, "", 0, 2, false},
		{"user-unavailable", 400, 551, 1545041, "", 1545041, 551, false},
		{"already-replied", 400, 10900, 0, "", 2534025, 100, false},
		{"invalid-json-but-sent", 500, 1, 1357046, "", 1357046, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			webhook, srv := newRecorder(t, http.StatusOK, "")
			gt := newGraphTest(t, graphConfig{Fail: tc.mode, EchoURL: srv.URL, EchoSecret: testSecret})
			a := gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", testPageToken, textMessage(defaultPSID, "hello"))
			assert.Equal(t, tc.status, a.Status)
			e := decodeGraphError(t, a)
			assert.Equal(t, tc.code, e.Error.Code)
			assert.Equal(t, tc.subcode, e.Error.Subcode)
			if tc.sample != "" {
				assert.Equal(t, string(mustBody(tc.sample)), string(a.Body), "the fact sheet's sample body")
				if shared, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "meta-samples", tc.sample)); err == nil {
					assert.Equal(t, string(shared), string(a.Body), "byte for byte the file in shared/meta-samples")
				}
			}

			a = gt.do(http.MethodPost, "/v26.0/"+defaultIGID+"/messages", testPageToken, textMessage(defaultIGSID, "hello"))
			e = decodeGraphError(t, a)
			assert.Equal(t, tc.instagramCode, e.Error.Code, "Instagram variant")
			assert.Equal(t, tc.instagramSub, e.Error.Subcode, "Instagram variant")

			gt.g.waitEchoes()
			if tc.deliveredAnyway {
				assert.Len(t, webhook.all(), 2, "1/1357046 means the message went out: it is echoed")
			} else {
				assert.Empty(t, webhook.all(), "a refused message is not echoed")
			}
		})
	}
}

func TestFailCountFailsOnlyTheNextSends(t *testing.T) {
	gt := newGraphTest(t, graphConfig{Fail: "rate-limited", FailCount: 2})
	var statuses []int
	for range 4 {
		statuses = append(statuses, gt.do(http.MethodPost, "/v26.0/me/messages", testPageToken, textMessage(defaultPSID, "hi")).Status)
	}
	assert.Equal(t, []int{400, 400, 200, 200}, statuses)
	// Lookups are not sends: they never fail with --fail.
	assert.Equal(t, http.StatusOK, newGraphTest(t, graphConfig{Fail: "temporary"}).do(http.MethodGet, "/v26.0/"+defaultPSID+"?fields=name", testPageToken, nil).Status)
}

func TestSecondPrivateReplyToACommentIsRefused(t *testing.T) {
	cases := []struct {
		name, comment string
		code, subcode int
	}{
		{"Facebook comment", "122134958273049817_1262423718966811", 10900, 0},
		{"Instagram comment", "17863522938037533", 100, 2534025},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gt := newGraphTest(t, graphConfig{})
			reply := map[string]any{"recipient": map[string]string{"comment_id": tc.comment}, "message": map[string]any{"text": "Sent you a DM with the quote!"}}
			first := gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", testPageToken, reply)
			require.Equal(t, http.StatusOK, first.Status, "%s", first.Body)
			var ok struct {
				RecipientID string `json:"recipient_id"`
				MessageID   string `json:"message_id"`
			}
			require.NoError(t, json.Unmarshal(first.Body, &ok))
			assert.Regexp(t, `^[1-9][0-9]{15}$`, ok.RecipientID, "the commenter's scoped ID, to link the comment to the DM thread")

			second := gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", testPageToken, reply)
			assert.Equal(t, http.StatusBadRequest, second.Status)
			e := decodeGraphError(t, second)
			assert.Equal(t, tc.code, e.Error.Code)
			assert.Equal(t, tc.subcode, e.Error.Subcode)

			other := map[string]any{"recipient": map[string]string{"comment_id": tc.comment + "9"}, "message": map[string]any{"text": "hi"}}
			assert.Equal(t, http.StatusOK, gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", testPageToken, other).Status, "another comment has its own reply")
		})
	}
	body := string(mustBody("send_api_error_already_replied.json"))
	assert.Contains(t, body, "(#10900) Activity already replied to")
}

func TestProfileLookups(t *testing.T) {
	gt := newGraphTest(t, graphConfig{PublicURL: "http://graph.test"})

	a := gt.do(http.MethodGet, "/v26.0/"+defaultPSID+"?fields=first_name,last_name,name,profile_pic", testPageToken, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a.Body)
	assert.JSONEq(t, `{"id":"7284619053817462","first_name":"Dana","last_name":"Kowalski","name":"Dana Kowalski","profile_pic":"http://graph.test/media/avatar-7284619053817462.png"}`, string(a.Body))

	a = gt.do(http.MethodGet, "/v26.0/"+defaultIGSID+"?fields=name,username,profile_pic", testPageToken, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a.Body)
	var ig map[string]any
	require.NoError(t, json.Unmarshal(a.Body, &ig))
	assert.Equal(t, "kaylabrooks.boise", ig["username"])
	assert.NotContains(t, ig, "first_name", "only the fields asked for")

	// Someone unknown gets a plausible, stable profile.
	a1 := gt.do(http.MethodGet, "/v26.0/6930284715529104?fields=name", testPageToken, nil)
	a2 := gt.do(http.MethodGet, "/v26.0/6930284715529104?fields=name", testPageToken, nil)
	assert.Equal(t, http.StatusOK, a1.Status)
	assert.Equal(t, a1.Body, a2.Body)

	for _, id := range []string{"12345", "not-a-user", "0000000000000000"} {
		a := gt.do(http.MethodGet, "/v26.0/"+id+"?fields=name", testPageToken, nil)
		assert.Equal(t, http.StatusBadRequest, a.Status, id)
		e := decodeGraphError(t, a)
		assert.Equal(t, 100, e.Error.Code, id)
		assert.Equal(t, 2018218, e.Error.Subcode, id)
		assert.Contains(t, e.Error.Message, "No profile available", id)
	}

	a = gt.do(http.MethodGet, "/v26.0/"+defaultPSID+"?fields=first_name,locale", testPageToken, nil)
	assert.Equal(t, 2018247, decodeGraphError(t, a).Error.Subcode, "locale needs a permission the plugin does not ask for")

	a = gt.do(http.MethodGet, "/v26.0/"+defaultPageID+"?fields=name,instagram_business_account", testPageToken, nil)
	require.Equal(t, http.StatusOK, a.Status)
	assert.JSONEq(t, `{"id":"108245671983342","name":"Treasure Valley Pools & Spas","instagram_business_account":{"id":"17841459302718465"}}`, string(a.Body))
	assert.Contains(t, string(a.Body), `"Treasure Valley Pools & Spas"`, "no HTML escaping of &")

	a = gt.do(http.MethodGet, "/v26.0/"+defaultPageID+"?fields=name,secret_sauce", testPageToken, nil)
	assert.Contains(t, decodeGraphError(t, a).Error.Message, "nonexisting field (secret_sauce) on node type (Page)")
}

func TestProfileNamesAreEscapedLikeMeta(t *testing.T) {
	gt := newGraphTest(t, graphConfig{})
	for i := range 40 {
		id := "69302847155291" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		a := gt.do(http.MethodGet, "/v26.0/"+id+"?fields=name", testPageToken, nil)
		for _, c := range a.Body {
			require.Less(t, c, byte(0x80), "answer bodies escape non-ASCII: %s", a.Body)
		}
	}
}

func TestTokenIsChecked(t *testing.T) {
	gt := newGraphTest(t, graphConfig{Token: testPageToken})
	expired := string(mustBody("send_api_error_token_expired.json"))

	for name, tok := range map[string]string{"wrong token": "EAAwrongtoken123", "no token": ""} {
		a := gt.do(http.MethodPost, "/v26.0/me/messages", tok, textMessage(defaultPSID, "hi"))
		assert.Equal(t, http.StatusBadRequest, a.Status, name)
		assert.Equal(t, expired, string(a.Body), name)
	}
	a := gt.do(http.MethodGet, "/v26.0/"+defaultPSID+"?fields=name&access_token="+testPageToken, "", nil)
	assert.Equal(t, http.StatusOK, a.Status, "the access_token parameter works too")
	a = gt.do(http.MethodGet, "/v26.0/"+defaultPSID+"?fields=name", testPageToken, nil)
	assert.Equal(t, http.StatusOK, a.Status, "Authorization: Bearer")

	// Media needs no token: Meta's CDN URLs are pre-signed.
	a = gt.do(http.MethodGet, "/media/backyard-pad.png", "", nil)
	assert.Equal(t, http.StatusOK, a.Status)
}

func TestLogsShowRequestsButNeverTokens(t *testing.T) {
	gt := newGraphTest(t, graphConfig{Token: testPageToken})
	gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", testPageToken, textMessage(defaultPSID, "Token in text: "+testPageToken+". Hi Dana, the 6-person cedar barrel sauna is $8,950 installed in Meridian, heater and benches included."))
	gt.do(http.MethodGet, "/v26.0/"+defaultPSID+"?fields=first_name&access_token="+testPageToken, "", nil)
	gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", "", url.Values{
		"recipient": {`{"id":"` + defaultPSID + `"}`}, "messaging_type": {"RESPONSE"}, "message": {`{"text":"form"}`}, "access_token": {testPageToken},
	})
	gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", "", `{"recipient":{"id":"1"},"access_token":"`+testPageToken+`"}`)
	gt.do(http.MethodGet, "/v26.0/debug_token?input_token="+testPageToken+"&access_token="+testPageToken, "", nil)
	gt.do(http.MethodPost, "/v26.0/me/messages", "EAAwrongtoken1234", textMessage(defaultPSID, "hi"))

	log := gt.log.String()
	assert.NotContains(t, log, testPageToken, "tokens are never printed")
	assert.NotContains(t, log, "EAAwrongtoken1234", "not even wrong ones")
	lines := strings.Split(strings.TrimSpace(log), "\n")
	require.Len(t, lines, 6, log)
	assert.Regexp(t, `^\d\d:\d\d:\d\d\.\d{3} POST /v26.0/108245671983342/messages token=ok \{.*"recipient":\{"id":"7284619053817462"\}.* → 200 \{.*"message_id":"m_`, lines[0])
	assert.Contains(t, lines[0], `"messaging_type":"RESPONSE"`)
	assert.Contains(t, lines[0], `…`, "long texts are shortened")
	assert.Contains(t, lines[1], "GET /v26.0/7284619053817462?access_token=***&fields=first_name token=ok")
	assert.Contains(t, lines[2], "access_token=***")
	assert.Contains(t, lines[3], `"access_token":"***"`)
	assert.Contains(t, lines[4], "input_token=***")
	assert.Contains(t, lines[5], "token=WRONG (answered 190/463) ")
}

func TestSubscribedApps(t *testing.T) {
	gt := newGraphTest(t, graphConfig{Unsubscribed: true})
	path := "/v26.0/" + defaultPageID + "/subscribed_apps"
	a := gt.do(http.MethodGet, path, testPageToken, nil)
	assert.JSONEq(t, `{"data":[]}`, string(a.Body), "starts unsubscribed")

	a = gt.do(http.MethodPost, path+"?subscribed_fields=messages,message_echoes,feed", testPageToken, nil)
	assert.JSONEq(t, `{"success":true}`, string(a.Body))
	a = gt.do(http.MethodGet, path, testPageToken, nil)
	assert.JSONEq(t, `{"data":[{"category":"Business","link":"https://www.facebook.com/games/?app_id=1438265907712354","name":"Social Inbox","id":"1438265907712354","subscribed_fields":["messages","message_echoes","feed"]}]}`, string(a.Body))

	a = gt.do(http.MethodPost, path, testPageToken, nil)
	assert.Contains(t, decodeGraphError(t, a).Error.Message, "subscribed_fields is required")
	a = gt.do(http.MethodPost, path, testPageToken, url.Values{"subscribed_fields": {"messages,telepathy"}})
	assert.Contains(t, decodeGraphError(t, a).Error.Message, `subscribed_fields[1] must be one of`)

	a = gt.do(http.MethodDelete, path, testPageToken, nil)
	assert.JSONEq(t, `{"success":true}`, string(a.Body))
	a = gt.do(http.MethodGet, path, testPageToken, nil)
	assert.JSONEq(t, `{"data":[]}`, string(a.Body))

	a = newGraphTest(t, graphConfig{}).do(http.MethodGet, path, testPageToken, nil)
	assert.Contains(t, string(a.Body), `"message_echoes"`, "subscribed by default")
}

func TestDebugToken(t *testing.T) {
	gt := newGraphTest(t, graphConfig{Token: testPageToken})
	var answer struct {
		Data struct {
			AppID     string   `json:"app_id"`
			IsValid   bool     `json:"is_valid"`
			ExpiresAt int64    `json:"expires_at"`
			Scopes    []string `json:"scopes"`
			Error     *struct {
				Code    int `json:"code"`
				Subcode int `json:"subcode"`
			} `json:"error"`
		} `json:"data"`
	}
	a := gt.do(http.MethodGet, "/v26.0/debug_token?input_token="+testPageToken, defaultAppID+"|"+testSecret, nil)
	require.Equal(t, http.StatusOK, a.Status)
	require.NoError(t, json.Unmarshal(a.Body, &answer))
	assert.True(t, answer.Data.IsValid)
	assert.Equal(t, defaultAppID, answer.Data.AppID)
	assert.Zero(t, answer.Data.ExpiresAt, "a long-lived Page token never expires")
	assert.Contains(t, answer.Data.Scopes, "pages_messaging")

	a = gt.do(http.MethodGet, "/v26.0/debug_token?input_token=EAAold", "", nil)
	answer.Data.Scopes = nil
	require.NoError(t, json.Unmarshal(a.Body, &answer))
	assert.False(t, answer.Data.IsValid)
	require.NotNil(t, answer.Data.Error)
	assert.Equal(t, 190, answer.Data.Error.Code)
	assert.Equal(t, 463, answer.Data.Error.Subcode)
	assert.Less(t, answer.Data.ExpiresAt, time.Now().Unix())

	a = gt.do(http.MethodGet, "/v26.0/debug_token", "", nil)
	assert.Contains(t, decodeGraphError(t, a).Error.Message, "input_token is required")

	// Meta describes a token only to its own app.
	a = gt.do(http.MethodGet, "/v26.0/debug_token?input_token="+testPageToken, "999000111222333|"+testSecret, nil)
	assert.Equal(t, http.StatusBadRequest, a.Status)
	e := decodeGraphError(t, a).Error
	assert.Equal(t, 100, e.Code)
	assert.Equal(t, "(#100) The App_id in the input_token did not match the Viewing App", e.Message)
}

func TestMediaIsASmallPNG(t *testing.T) {
	gt := newGraphTest(t, graphConfig{})
	a := gt.do(http.MethodGet, "/media/backyard-pad.png", "", nil)
	require.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, "image/png", a.Header.Get("Content-Type"))
	img, err := png.Decode(bytes.NewReader(a.Body))
	require.NoError(t, err)
	assert.Equal(t, 96, img.Bounds().Dx())
	b := gt.do(http.MethodGet, "/media/patio.png", "", nil)
	assert.NotEqual(t, a.Body, b.Body, "different names, different pictures")
}

func TestUnknownGraphPathsAnswerLikeGraph(t *testing.T) {
	gt := newGraphTest(t, graphConfig{})
	a := gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/feed", testPageToken, map[string]string{"message": "hi"})
	assert.Equal(t, http.StatusBadRequest, a.Status)
	e := decodeGraphError(t, a)
	assert.Equal(t, "GraphMethodException", e.Error.Type)
	assert.Equal(t, 33, e.Error.Subcode)

	a = gt.do(http.MethodPost, "/v26.0/999888777666555/messages", testPageToken, textMessage(defaultPSID, "hi"))
	assert.Equal(t, 33, decodeGraphError(t, a).Error.Subcode, "sending as a Page the stand-in is not")
	a = gt.do(http.MethodGet, "/v26.0/999888777666555/subscribed_apps", testPageToken, nil)
	assert.Equal(t, 33, decodeGraphError(t, a).Error.Subcode)
}

func TestLatencyDelaysAnswers(t *testing.T) {
	gt := newGraphTest(t, graphConfig{Latency: 80 * time.Millisecond})
	start := time.Now()
	gt.do(http.MethodGet, "/v26.0/"+defaultPSID, testPageToken, nil)
	assert.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond)
}

func TestSentMessagesAreEchoedToTheWebhook(t *testing.T) {
	webhook, srv := newRecorder(t, http.StatusOK, "")
	gt := newGraphTest(t, graphConfig{EchoURL: srv.URL, EchoSecret: testSecret})
	a := gt.do(http.MethodPost, "/v26.0/"+defaultPageID+"/messages", testPageToken, textMessage(defaultPSID, "Caf\u00e9 at 10?"))
	require.Equal(t, http.StatusOK, a.Status)
	var ok struct {
		MessageID string `json:"message_id"`
	}
	require.NoError(t, json.Unmarshal(a.Body, &ok))
	gt.g.waitEchoes()

	reqs := webhook.all()
	require.Len(t, reqs, 1)
	body := reqs[0].Body
	require.NoError(t, meta.VerifySignature(body, reqs[0].Header.Get(meta.SignatureHeader), testSecret))
	assert.Contains(t, string(body), `Caf\u00e9`)
	batch, err := meta.Parse(body)
	require.NoError(t, err)
	require.Len(t, batch.Events, 1)
	ev := batch.Events[0]
	assert.Equal(t, meta.KindEcho, ev.Kind)
	assert.Equal(t, ok.MessageID, ev.NativeID, "the echo's mid is the Send API's message_id")
	assert.Equal(t, defaultPSID, ev.CustomerID)
	assert.Equal(t, defaultAppID, ev.Echo.AppID)
	assert.Equal(t, "mm-post:abc", ev.Echo.Metadata)
	assert.Contains(t, gt.log.String(), "echo "+ok.MessageID+" → webhook answered HTTP 200")
	assert.NotContains(t, gt.log.String(), testSecret)
}

func TestGraphCommandLineMistakes(t *testing.T) {
	cases := map[string][]string{
		"unknown fail mode":        {"graph", "--fail", "meteor-strike"},
		"fail count without fail":  {"graph", "--fail-count", "3"},
		"echo without a secret":    {"graph", "--echo-url", "http://localhost:8065/plugins/social-inbox/webhook/meta"},
		"positional argument":      {"graph", "now"},
		"latency is not a latency": {"graph", "--latency", "fast"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runMetasim(t, nil, nil, args...)
			assert.Equal(t, exitUsage, code)
			assert.NotEmpty(t, stderr)
		})
	}
}

func TestGraphCommandServesUntilCtrlC(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"graph", "--addr", "127.0.0.1:0", "--token", testPageToken}, out, io.Discard, func(string) string { return "" })
	}()
	var base string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`Graph API stand-in on (http://\S+)`).FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 5*time.Second, 10*time.Millisecond)

	req, err := http.NewRequest(http.MethodGet, base+"/v26.0/"+defaultPageID+"?fields=name", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testPageToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(5 * time.Second):
		t.Fatal("graph did not stop on Ctrl-C")
	}
	assert.Contains(t, out.String(), "Graph API base URL = "+base)
	assert.Contains(t, out.String(), "GET /v26.0/"+defaultPageID+"?fields=name token=ok")
	assert.NotContains(t, out.String(), testPageToken)
}

func TestWildcardListenersAreAdvertisedOnLoopback(t *testing.T) {
	assert.Equal(t, "127.0.0.1:8787", reachableAddr(&net.TCPAddr{IP: net.IPv6unspecified, Port: 8787}))
	assert.Equal(t, "127.0.0.1:8787", reachableAddr(&net.TCPAddr{IP: net.IPv4zero, Port: 8787}))
	assert.Equal(t, "192.0.2.7:8787", reachableAddr(&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 8787}))
}

func TestGraphAcceptsTheAttachmentUploadForm(t *testing.T) {
	srv := newGraphTest(t, graphConfig{}).srv
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("recipient", `{"id":"7284619053817462"}`))
	require.NoError(t, mw.WriteField("messaging_type", "RESPONSE"))
	require.NoError(t, mw.WriteField("message", `{"attachment":{"type":"image","payload":{"is_reusable":false}}}`))
	fw, err := mw.CreateFormFile("filedata", "quote.png")
	require.NoError(t, err)
	_, _ = fw.Write([]byte("\x89PNG fake"))
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v26.0/108245671983342/messages", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer page-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(out))
	require.Contains(t, string(out), `"message_id":"m_`)
}
