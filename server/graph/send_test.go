package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

func textMessage(platform meta.Platform, text string) *Message {
	return &Message{
		Platform:      platform,
		PageID:        testPageID,
		Recipient:     Recipient{ID: testPSID},
		MessagingType: MessagingTypeResponse,
		Text:          text,
		Metadata:      "mm-post:q8w3nzu6ktgb5r1c4hxe7pyd9a",
	}
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "body: %s", b)
	return m
}

func TestSendTextMessenger(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
	c := testClient(f.URL, nil)

	res, err := c.Send(context.Background(), textMessage(meta.Facebook, `Hi Dana! <b>$8,950</b> & "installed"`))
	require.NoError(t, err)
	require.Equal(t, &SendResult{
		RecipientID: "7284619053817462",
		MessageID:   "m_mb7LNCX_dbidA7rSnJftV24XLBr1n2rqNB7VQuMlMgXV1Uvp8l1Vv4d-gUFnFzxzxX1tuN_AlCaX-S7P1t2NoD",
	}, res)

	r := f.only(t, testPageID)
	require.Equal(t, "application/json", r.ContentType)
	require.Empty(t, r.RawQuery)
	require.Equal(t, map[string]any{
		"recipient":      map[string]any{"id": testPSID},
		"messaging_type": "RESPONSE",
		"message": map[string]any{
			"text":     `Hi Dana! <b>$8,950</b> & "installed"`,
			"metadata": "mm-post:q8w3nzu6ktgb5r1c4hxe7pyd9a",
		},
	}, decodeJSON(t, r.Body))
	require.NotContains(t, string(r.Body), "tag", "no tag outside MESSAGE_TAG")
	require.NotContains(t, string(r.Body), testToken)
}

func TestSendDefaultVersionAndBase(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
	c := New(nil, func() Settings { return Settings{BaseURL: f.URL + "/", Token: testToken} })
	_, err := c.Send(context.Background(), textMessage(meta.Facebook, "hello"))
	require.NoError(t, err)
	f.only(t, testPageID) // DefaultVersion is v26.0
	require.Equal(t, testVersion, DefaultVersion)
}

func TestSendHumanAgentInstagram(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, []byte(`{"recipient_id":"`+testIGSID+`","message_id":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx"}`))
	c := testClient(f.URL, nil)
	m := &Message{
		Platform:      meta.Instagram,
		PageID:        testIGPage,
		Recipient:     Recipient{ID: testIGSID},
		MessagingType: MessagingTypeMessageTag,
		Tag:           TagHumanAgent,
		Text:          "Sorry for the wait — the barrel sauna ships Monday.",
	}
	res, err := c.Send(context.Background(), m)
	require.NoError(t, err)
	require.Equal(t, testIGSID, res.RecipientID)
	require.Equal(t, "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx", res.MessageID)

	r := f.only(t, testIGPage)
	require.Equal(t, map[string]any{
		"recipient":      map[string]any{"id": testIGSID},
		"messaging_type": "MESSAGE_TAG",
		"tag":            "HUMAN_AGENT",
		"message":        map[string]any{"text": "Sorry for the wait — the barrel sauna ships Monday."},
	}, decodeJSON(t, r.Body))
}

func TestSendPrivateReply(t *testing.T) {
	// Meta leaves recipient_id out for some recipients.
	f := newFakeGraph(t, http.StatusOK, []byte(`{"message_id":"m_private_reply_1"}`))
	c := testClient(f.URL, nil)
	m := &Message{
		Platform:  meta.Facebook,
		PageID:    testPageID,
		Recipient: Recipient{CommentID: "108245671983342_1022334455667788_880011223344"},
		Text:      "Thanks for asking! I sent you the price list.",
		Metadata:  "mm-post:abc",
	}
	res, err := c.Send(context.Background(), m)
	require.NoError(t, err)
	require.Equal(t, &SendResult{MessageID: "m_private_reply_1"}, res)

	r := f.only(t, testPageID)
	got := decodeJSON(t, r.Body)
	require.Equal(t, map[string]any{"comment_id": "108245671983342_1022334455667788_880011223344"}, got["recipient"])
	require.NotContains(t, got, "messaging_type", "left out when not given for a private reply")
	require.NotContains(t, got, "tag")
	require.Equal(t, map[string]any{"text": "Thanks for asking! I sent you the price list.", "metadata": "mm-post:abc"}, got["message"])

	// With a messaging_type, it is passed on.
	f2 := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
	m.MessagingType = MessagingTypeResponse
	_, err = testClient(f2.URL, nil).Send(context.Background(), m)
	require.NoError(t, err)
	got = decodeJSON(t, f2.only(t, testPageID).Body)
	require.Equal(t, "RESPONSE", got["messaging_type"])
	require.Equal(t, map[string]any{"comment_id": "108245671983342_1022334455667788_880011223344"}, got["recipient"])
}

// formParts reads a multipart body into field name → (header, content).
func formParts(t *testing.T, contentType string, body []byte) (map[string]string, map[string]*multipart.Part, map[string][]byte) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	require.NoError(t, err)
	require.Equal(t, "multipart/form-data", mt)
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	fields := map[string]string{}
	parts := map[string]*multipart.Part{}
	data := map[string][]byte{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(p)
		require.NoError(t, err)
		require.NotContains(t, parts, p.FormName(), "each field once")
		parts[p.FormName()] = p
		data[p.FormName()] = b
		if p.FileName() == "" {
			fields[p.FormName()] = string(b)
		}
	}
	return fields, parts, data
}

func TestSendAttachmentUploadForm(t *testing.T) {
	img := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 300)...)
	f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
	c := testClient(f.URL, nil)
	m := &Message{
		Platform:      meta.Facebook,
		PageID:        testPageID,
		Recipient:     Recipient{ID: testPSID},
		MessagingType: MessagingTypeMessageTag,
		Tag:           TagHumanAgent,
		Attachment:    &Upload{Type: AttachmentImage, Name: "sauna-quote.png", ContentType: "image/png", Data: img},
		Metadata:      "mm-post:q8w3nzu6ktgb5r1c4hxe7pyd9a",
	}
	res, err := c.Send(context.Background(), m)
	require.NoError(t, err)
	require.Equal(t, "7284619053817462", res.RecipientID)
	require.Len(t, f.requests(), 1)

	r := f.only(t, testPageID)
	fields, parts, data := formParts(t, r.ContentType, r.Body)
	require.Equal(t, map[string]any{"id": testPSID}, decodeJSON(t, []byte(fields["recipient"])))
	require.Equal(t, "MESSAGE_TAG", fields["messaging_type"])
	require.Equal(t, "HUMAN_AGENT", fields["tag"])
	require.Equal(t, map[string]any{
		"attachment": map[string]any{"type": "image", "payload": map[string]any{"is_reusable": false}},
		"metadata":   "mm-post:q8w3nzu6ktgb5r1c4hxe7pyd9a",
	}, decodeJSON(t, []byte(fields["message"])))
	require.Contains(t, parts, "filedata")
	require.Equal(t, "sauna-quote.png", parts["filedata"].FileName())
	require.Equal(t, "image/png", parts["filedata"].Header.Get("Content-Type"))
	require.Equal(t, img, data["filedata"])
	require.Len(t, parts, 5)
}

func TestSendAttachmentFormPrivateReplyAndDefaults(t *testing.T) {
	pdf := []byte("%PDF-1.7\n% quote\n")
	f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
	c := testClient(f.URL, nil)
	m := &Message{
		Platform:   meta.Instagram,
		PageID:     testIGPage,
		Recipient:  Recipient{CommentID: "17912345678901234"},
		Attachment: &Upload{Type: AttachmentFile, Name: "quote\"\r\nX-Evil: 1.pdf", Data: pdf},
	}
	_, err := c.Send(context.Background(), m)
	require.NoError(t, err)

	r := f.only(t, testIGPage)
	fields, parts, data := formParts(t, r.ContentType, r.Body)
	require.Equal(t, map[string]any{"comment_id": "17912345678901234"}, decodeJSON(t, []byte(fields["recipient"])))
	require.NotContains(t, fields, "messaging_type")
	require.NotContains(t, fields, "tag")
	require.Equal(t, map[string]any{
		"attachment": map[string]any{"type": "file", "payload": map[string]any{"is_reusable": false}},
	}, decodeJSON(t, []byte(fields["message"])))
	p := parts["filedata"]
	require.Equal(t, "quote___X-Evil: 1.pdf", p.FileName(), "quotes and line breaks cannot break out of the header")
	require.Empty(t, p.Header.Get("X-Evil"))
	require.Equal(t, "application/pdf", p.Header.Get("Content-Type"), "sniffed when not given")
	require.Equal(t, pdf, data["filedata"])
}

func TestSendGraphErrors(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		status    int
		platform  meta.Platform
		comment   bool
		class     Class
		code, sub int
		trace     string
		retryable bool
		ambiguous bool
		alert     bool
		reason    string
	}{
		{"messenger outside window", "samples:send_api_error_outside_window.json", 400, meta.Facebook, false,
			ClassWindowClosed, 10, 2018278, "brZ2qTkszITNq0hcD2vbMQr", false, false, false,
			"The buyer's 24-hour window has closed; Meta does not allow replies now."},
		{"rate limited", "samples:send_api_error_rate_limited.json", 400, meta.Facebook, false,
			ClassRateLimited, 4, 0, "7bbXoZPMeKuKJtv0VfNU7nU", true, false, false,
			"Meta is rate limiting the Page; the reply will be retried automatically."},
		{"token expired (400)", "samples:send_api_error_token_expired.json", 400, meta.Facebook, false,
			ClassToken, 190, 463, "9VilLrmfOzs6ubxKecKLjoJ", false, false, true,
			"The Page access token is invalid or expired; an admin must reconnect the Page in System Console > Plugins > Social Inbox."},
		{"token expired (401)", "samples:send_api_error_token_expired.json", 401, meta.Instagram, false,
			ClassToken, 190, 463, "9VilLrmfOzs6ubxKecKLjoJ", false, false, true,
			"The Page access token is invalid or expired; an admin must reconnect the Page in System Console > Plugins > Social Inbox."},
		{"instagram outside window", "send_api_error_ig_outside_window.json", 400, meta.Instagram, false,
			ClassWindowClosed, 10, 2534022, "AqB5nV0z1xYbT7m3Qd2LwPe", false, false, false,
			"The buyer's 24-hour window has closed; Meta does not allow replies now."},
		{"temporary (500)", "send_api_error_temporary.json", 500, meta.Facebook, false,
			ClassTemporary, 2, 0, "Hk3mPqR8sTvW2xYz1AbCdEf", true, false, false, ""},
		{"user unavailable messenger", "send_api_error_user_unavailable.json", 400, meta.Facebook, false,
			ClassUnavailable, 551, 1545041, "GmQx7Lp2RzKc9VbN4tYhWsA", false, false, false,
			"This person isn't available on Messenger right now (blocked the page or deleted the account)."},
		{"user unavailable instagram", "send_api_error_user_unavailable.json", 400, meta.Instagram, false,
			ClassUnavailable, 551, 1545041, "GmQx7Lp2RzKc9VbN4tYhWsA", false, false, false, ""},
		{"facebook private reply already sent", "send_api_error_private_reply_used.json", 400, meta.Facebook, true,
			ClassAlreadyReplied, 10900, 0, "Cj8VtR1mXqLp4NwZ6bYdKfE", false, false, false,
			"This comment already got its one private reply; the buyer must write back before you can answer."},
		{"instagram private reply already sent", "send_api_error_ig_private_reply_used.json", 400, meta.Instagram, true,
			ClassAlreadyReplied, 100, 2534025, "Ax2PbN7kQwRt5YmL9cVzHsD", false, false, false, ""},
		{"invalid JSON but sent", "send_api_error_invalid_json_sent.json", 400, meta.Facebook, false,
			ClassMaybeSent, 1, 1357046, "Fr6TyU2iOpAs8DfG3hJkLzX", false, true, false, ""},
		{"invalid JSON but sent (500)", "send_api_error_invalid_json_sent.json", 500, meta.Instagram, false,
			ClassMaybeSent, 1, 1357046, "Fr6TyU2iOpAs8DfG3hJkLzX", false, true, false, ""},
		{"thread controlled by another app", "send_api_error_thread_controlled.json", 400, meta.Facebook, false,
			ClassThreadControl, 10, 2018300, "Dq4WeR9tYuIo1PaS7dFgHjK", false, false, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t, tc.status, body(t, tc.body))
			m := textMessage(tc.platform, "hello")
			if tc.comment {
				m.Recipient = Recipient{CommentID: "108245671983342_1022334455667788"}
				m.MessagingType = ""
			}
			res, err := testClient(f.URL, nil).Send(context.Background(), m)
			require.Nil(t, res)
			require.Error(t, err)
			f.only(t, testPageID)
			requireNoToken(t, err)

			var ge *Error
			require.True(t, errors.As(err, &ge), "a *Error is in the chain: %v", err)
			require.Equal(t, tc.status, ge.HTTPStatus)
			require.Equal(t, tc.code, ge.Code)
			require.Equal(t, tc.sub, ge.Subcode)
			require.Equal(t, tc.trace, ge.FBTraceID)
			var se *SendError
			require.True(t, errors.As(err, &se))
			require.Equal(t, tc.status, se.HTTPStatus)
			require.Equal(t, tc.platform, se.Platform)
			require.Equal(t, tc.comment, se.PrivateReply)
			require.Contains(t, err.Error(), tc.trace, "fbtrace_id is in the error for the logs")

			c := Classify(err)
			require.Equal(t, tc.class, c.Class)
			require.Equal(t, tc.retryable, c.Retryable)
			require.Equal(t, tc.ambiguous, c.Ambiguous)
			require.Equal(t, tc.alert, c.Alert)
			require.Equal(t, tc.code, c.Code)
			require.Equal(t, tc.sub, c.Subcode)
			require.Equal(t, tc.trace, c.TraceID)
			require.NotEmpty(t, c.Reason)
			if tc.reason != "" {
				require.Equal(t, tc.reason, c.Reason)
			}
			require.Zero(t, c.RetryAfter, "no usage header")
		})
	}
}

func TestSendRateLimitRetryAfter(t *testing.T) {
	cases := []struct {
		name   string
		header []string
		want   time.Duration
	}{
		{"minutes", []string{`{"108245671983342":[{"type":"messenger","call_count":100,"total_cputime":12,"total_time":31,"estimated_time_to_regain_access":7}]}`}, 7 * time.Minute},
		{"largest entry wins", []string{`{"108245671983342":[{"type":"pages","call_count":40,"estimated_time_to_regain_access":0},{"type":"messenger","call_count":100,"estimated_time_to_regain_access":12}],"17841459302718465":[{"type":"instagram","estimated_time_to_regain_access":3}]}`}, 12 * time.Minute},
		{"string number", []string{`{"108245671983342":[{"type":"messenger","estimated_time_to_regain_access":"5"}]}`}, 5 * time.Minute},
		{"capped at a day", []string{`{"1":[{"type":"messenger","estimated_time_to_regain_access":99999}]}`}, 24 * time.Hour},
		{"no header", nil, 0},
		{"garbage header", []string{`not json`}, 0},
		{"negative", []string{`{"1":[{"estimated_time_to_regain_access":-4}]}`}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t, http.StatusBadRequest, sample(t, "send_api_error_rate_limited.json"))
			for _, h := range tc.header {
				f.addHeader("X-Business-Use-Case-Usage", h)
			}
			f.addHeader("X-App-Usage", `{"call_count":100,"total_cputime":5,"total_time":9}`)
			_, err := testClient(f.URL, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
			require.Error(t, err)
			requireNoToken(t, err)
			c := Classify(err)
			require.Equal(t, ClassRateLimited, c.Class)
			require.True(t, c.Retryable)
			require.False(t, c.Ambiguous)
			require.Equal(t, tc.want, c.RetryAfter)
			var se *SendError
			require.True(t, errors.As(err, &se))
			require.Equal(t, tc.want, se.RetryAfter)
		})
	}

	// The header is read on every throttling code (here a Business Use Case code and an
	// Instagram rate limit), and ignored on other errors.
	for _, answer := range []struct {
		body string
		want time.Duration
	}{
		{`{"error":{"message":"(#80006) There have been too many messages sent to this Messenger thread.","type":"OAuthException","code":80006,"fbtrace_id":"X1"}}`, 9 * time.Minute},
		{`{"error":{"message":"Calls to this API have exceeded the rate limit.","type":"OAuthException","code":613,"error_subcode":2534040,"fbtrace_id":"X2"}}`, 9 * time.Minute},
		{`{"error":{"message":"Application request limit reached","type":"OAuthException","code":17,"fbtrace_id":"X3"}}`, 9 * time.Minute},
		{`{"error":{"message":"Page request limit reached","type":"OAuthException","code":32,"fbtrace_id":"X4"}}`, 9 * time.Minute},
		{`{"error":{"message":"window","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"X5"}}`, 0},
	} {
		f := newFakeGraph(t, http.StatusBadRequest, []byte(answer.body))
		f.addHeader("X-Business-Use-Case-Usage", `{"108245671983342":[{"type":"messenger","estimated_time_to_regain_access":9}]}`)
		_, err := testClient(f.URL, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
		require.Error(t, err)
		requireNoToken(t, err)
		require.Equal(t, answer.want, Classify(err).RetryAfter, answer.body)
	}
}

func TestSendRedactsTokenEchoedByMeta(t *testing.T) {
	answer := `{"error":{"message":"Invalid OAuth access token - Cannot parse access token ` + testToken + `","type":"OAuthException","code":190,"error_user_msg":"token ` + testToken + `","fbtrace_id":"Tr4ce"}}`
	f := newFakeGraph(t, http.StatusUnauthorized, []byte(answer))
	_, err := testClient(f.URL, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
	require.Error(t, err)
	requireNoToken(t, err)
	var ge *Error
	require.True(t, errors.As(err, &ge))
	require.NotContains(t, ge.UserMessage, testToken)
	require.Contains(t, err.Error(), "[redacted]")
	require.Equal(t, ClassToken, Classify(err).Class)
}

func TestSendHangingServerIsAmbiguous(t *testing.T) {
	release := make(chan struct{})
	f := newFakeGraph(t, http.StatusOK, nil)
	t.Cleanup(func() { close(release) }) // runs before f.Close
	f.setHandler(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := testClient(f.URL, nil).Send(ctx, textMessage(meta.Facebook, "hello"))
	require.Error(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
	requireNoToken(t, err)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	f.only(t, testPageID)

	var se *SendError
	require.True(t, errors.As(err, &se))
	require.True(t, se.RequestWritten)
	require.Zero(t, se.HTTPStatus)
	require.Contains(t, err.Error(), "may have been delivered")
	require.NotContains(t, err.Error(), f.URL, "no URL in the error")

	c := Classify(err)
	require.Equal(t, ClassMaybeSent, c.Class)
	require.True(t, c.Ambiguous)
	require.False(t, c.Retryable, "reconcile with the echo before resending")
	require.Contains(t, c.Reason, "did not answer in time")
}

func TestSendClientTimeoutIsAmbiguous(t *testing.T) {
	release := make(chan struct{})
	f := newFakeGraph(t, http.StatusOK, nil)
	t.Cleanup(func() { close(release) })
	f.setHandler(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	_, err := testClient(f.URL, &http.Client{Timeout: 300 * time.Millisecond}).Send(context.Background(), textMessage(meta.Instagram, "hello"))
	require.Error(t, err)
	requireNoToken(t, err)
	c := Classify(err)
	require.Equal(t, ClassMaybeSent, c.Class)
	require.True(t, c.Ambiguous)
	require.False(t, c.Retryable)
	require.Contains(t, c.Reason, "did not answer in time")
}

func TestSendConnectionResetAfterWriteIsAmbiguous(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, nil)
	f.setHandler(func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0) // RST instead of FIN
		}
		_ = conn.Close()
	})
	_, err := testClient(f.URL, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
	require.Error(t, err)
	requireNoToken(t, err)
	f.only(t, testPageID)
	c := Classify(err)
	require.Equal(t, ClassMaybeSent, c.Class, "%v", err)
	require.True(t, c.Ambiguous)
	require.False(t, c.Retryable)
}

func TestSendConnectionRefusedIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	_, err = testClient("http://"+addr, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
	require.Error(t, err)
	requireNoToken(t, err)
	var se *SendError
	require.True(t, errors.As(err, &se))
	require.False(t, se.RequestWritten)
	require.Contains(t, err.Error(), "did not reach Meta")
	require.NotContains(t, err.Error(), "/messages", "no URL in the error")

	c := Classify(err)
	require.Equal(t, ClassNetwork, c.Class)
	require.True(t, c.Retryable)
	require.False(t, c.Ambiguous)
	require.Positive(t, c.MaxRetries)
}

func TestSendCanceledBeforeSendingIsNotAmbiguous(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testClient(f.URL, nil).Send(ctx, textMessage(meta.Facebook, "hello"))
	require.Error(t, err)
	requireNoToken(t, err)
	require.Empty(t, f.requests())
	c := Classify(err)
	require.Equal(t, ClassNetwork, c.Class)
	require.False(t, c.Ambiguous)
	require.True(t, c.Retryable)
}

func TestSendUnreadableSuccessIsAmbiguous(t *testing.T) {
	for _, answer := range []string{`<html>ok</html>`, `{"recipient_id":"7284619053817462"}`, ``} {
		f := newFakeGraph(t, http.StatusOK, []byte(answer))
		_, err := testClient(f.URL, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
		require.Error(t, err, answer)
		requireNoToken(t, err)
		c := Classify(err)
		require.Equal(t, ClassMaybeSent, c.Class, answer)
		require.True(t, c.Ambiguous)
		require.False(t, c.Retryable)
		require.Contains(t, err.Error(), "probably delivered")
	}
}

func TestSendServerErrorWithoutGraphBodyIsAmbiguous(t *testing.T) {
	f := newFakeGraph(t, http.StatusBadGateway, []byte(`<html><body>502 Bad Gateway</body></html>`))
	_, err := testClient(f.URL, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
	require.Error(t, err)
	requireNoToken(t, err)
	var ge *Error
	require.True(t, errors.As(err, &ge))
	require.Equal(t, http.StatusBadGateway, ge.HTTPStatus)
	c := Classify(err)
	require.Equal(t, ClassMaybeSent, c.Class)
	require.True(t, c.Ambiguous)
	require.False(t, c.Retryable)
	require.Contains(t, c.Reason, "HTTP 502")

	// A 4xx without a Graph body is not retried; a bare 429 is throttling.
	f = newFakeGraph(t, http.StatusNotFound, []byte(`Not Found`))
	_, err = testClient(f.URL, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
	requireNoToken(t, err)
	require.Equal(t, ClassOther, Classify(err).Class)
	require.False(t, Classify(err).Retryable)
	f = newFakeGraph(t, http.StatusTooManyRequests, nil)
	_, err = testClient(f.URL, nil).Send(context.Background(), textMessage(meta.Facebook, "hello"))
	requireNoToken(t, err)
	require.Equal(t, ClassRateLimited, Classify(err).Class)
}

func TestSendTextLimits(t *testing.T) {
	euro3 := strings.Repeat("€", 333) // 999 bytes
	cases := []struct {
		name     string
		platform meta.Platform
		text     string
		ok       bool
		length   int
		max      int
		unit     string
	}{
		{"messenger 1999 characters", meta.Facebook, strings.Repeat("é", 1999), true, 0, 0, ""},
		{"messenger 1999 emoji", meta.Facebook, strings.Repeat("😀", 1999), true, 0, 0, ""},
		{"messenger 2000 characters", meta.Facebook, strings.Repeat("é", 2000), false, 2000, 1999, "characters"},
		{"messenger 2000 ascii", meta.Facebook, strings.Repeat("a", 2000), false, 2000, 1999, "characters"},
		{"instagram 1000 bytes", meta.Instagram, euro3 + "a", true, 0, 0, ""},
		{"instagram 1001 bytes", meta.Instagram, euro3 + "ab", false, 1001, 1000, "bytes"},
		{"instagram 1000 bytes ending in é", meta.Instagram, strings.Repeat("a", 998) + "é", true, 0, 0, ""},
		{"instagram 1001 bytes ending in é", meta.Instagram, strings.Repeat("a", 999) + "é", false, 1001, 1000, "bytes"},
		{"instagram 1000 characters is 2000 bytes", meta.Instagram, strings.Repeat("é", 1000), false, 2000, 1000, "bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
			_, err := testClient(f.URL, nil).Send(context.Background(), textMessage(tc.platform, tc.text))
			if tc.ok {
				require.NoError(t, err)
				r := f.only(t, testPageID)
				require.Equal(t, tc.text, decodeJSON(t, r.Body)["message"].(map[string]any)["text"])
				return
			}
			require.Empty(t, f.requests(), "checked before calling Meta")
			requireNoToken(t, err)
			var le *LimitError
			require.True(t, errors.As(err, &le), "%T %v", err, err)
			require.Equal(t, &LimitError{Field: "text", Platform: tc.platform, Length: tc.length, Max: tc.max, Unit: tc.unit}, le)
			msg := err.Error()
			require.Contains(t, msg, tc.platform.Label())
			require.Contains(t, msg, fmt.Sprintf("is %d %s long", tc.length, tc.unit))
			require.Contains(t, msg, fmt.Sprintf("at most %d", tc.max))
			c := Classify(err)
			require.Equal(t, ClassTooLong, c.Class)
			require.False(t, c.Retryable)
			require.Contains(t, c.Reason, fmt.Sprintf("at most %d", tc.max))
		})
	}
}

func TestSendValidation(t *testing.T) {
	png := &Upload{Type: AttachmentImage, Name: "a.png", ContentType: "image/png", Data: []byte("x")}
	cases := []struct {
		name   string
		edit   func(m *Message)
		limit  bool
		substr string
	}{
		{"tag without MESSAGE_TAG", func(m *Message) { m.Tag = TagHumanAgent }, false, "MESSAGE_TAG"},
		{"MESSAGE_TAG without tag", func(m *Message) { m.MessagingType = MessagingTypeMessageTag }, false, "HUMAN_AGENT"},
		{"deprecated tag", func(m *Message) { m.MessagingType, m.Tag = MessagingTypeMessageTag, "ACCOUNT_UPDATE" }, false, "only the HUMAN_AGENT tag"},
		{"lowercase tag", func(m *Message) { m.MessagingType, m.Tag = MessagingTypeMessageTag, "human_agent" }, false, "only the HUMAN_AGENT tag"},
		{"tag with UPDATE", func(m *Message) { m.MessagingType, m.Tag = MessagingTypeUpdate, TagHumanAgent }, false, "MESSAGE_TAG"},
		{"private reply with a tag", func(m *Message) {
			m.Recipient = Recipient{CommentID: "1_2"}
			m.MessagingType, m.Tag = MessagingTypeMessageTag, TagHumanAgent
		}, false, "private reply"},
		{"unknown messaging type", func(m *Message) { m.MessagingType = "PROMOTION" }, false, "messaging_type"},
		{"no messaging type for a DM", func(m *Message) { m.MessagingType = "" }, false, "messaging_type"},
		{"both recipients", func(m *Message) { m.Recipient.CommentID = "1_2" }, false, "both"},
		{"no recipient", func(m *Message) { m.Recipient = Recipient{} }, false, "no recipient"},
		{"recipient with spaces", func(m *Message) { m.Recipient.ID = "1 2" }, false, "recipient"},
		{"no page", func(m *Message) { m.PageID = "" }, false, "Page ID"},
		{"page ID with a path", func(m *Message) { m.PageID = "123/../me" }, false, "Page ID"},
		{"page ID with a query", func(m *Message) { m.PageID = "123?access_token=x" }, false, "Page ID"},
		{"no platform", func(m *Message) { m.Platform = "" }, false, "platform"},
		{"text and attachment", func(m *Message) { m.Attachment = png }, false, "separate"},
		{"nothing to send", func(m *Message) { m.Text = "" }, false, "no text"},
		{"blank text", func(m *Message) { m.Text = " \n\t" }, false, "no text"},
		{"invalid UTF-8", func(m *Message) { m.Text = "caf\xe9" }, false, "UTF-8"},
		{"metadata 1000 characters", func(m *Message) { m.Metadata = strings.Repeat("m", 1000) }, true, "metadata"},
		{"bad attachment type", func(m *Message) {
			m.Text = ""
			m.Attachment = &Upload{Type: "template", Data: []byte("x")}
		}, false, "attachment type"},
		{"empty attachment", func(m *Message) { m.Text = ""; m.Attachment = &Upload{Type: AttachmentFile} }, false, "empty"},
		{"bad content type", func(m *Message) {
			m.Text = ""
			m.Attachment = &Upload{Type: AttachmentFile, ContentType: "image/png\r\nX: y", Data: []byte("x")}
		}, false, "content type"},
		{"instagram image over 8 MB", func(m *Message) {
			m.Platform, m.Text = meta.Instagram, ""
			m.Attachment = &Upload{Type: AttachmentImage, Data: make([]byte, MaxInstagramImageBytes+1)}
		}, true, "8 MB"},
		{"attachment over 25 MB", func(m *Message) {
			m.Text = ""
			m.Attachment = &Upload{Type: AttachmentVideo, Data: make([]byte, MaxAttachmentBytes+1)}
		}, true, "25 MB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
			m := textMessage(meta.Facebook, "hello")
			tc.edit(m)
			_, err := testClient(f.URL, nil).Send(context.Background(), m)
			require.Error(t, err)
			require.Empty(t, f.requests(), "nothing is sent")
			requireNoToken(t, err)
			require.Contains(t, err.Error(), tc.substr)
			c := Classify(err)
			require.False(t, c.Retryable)
			require.False(t, c.Ambiguous)
			require.NotEmpty(t, c.Reason)
			if tc.limit {
				var le *LimitError
				require.True(t, errors.As(err, &le))
				require.Equal(t, ClassTooLong, c.Class)
			} else {
				var ie *InvalidMessageError
				require.True(t, errors.As(err, &ie))
				require.Equal(t, ClassInvalid, c.Class)
			}
		})
	}

	// The limits that are allowed pass: 999 characters of metadata, a Messenger HUMAN_AGENT
	// message, an UPDATE.
	f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
	c := testClient(f.URL, nil)
	m := textMessage(meta.Facebook, "hello")
	m.Metadata = strings.Repeat("ü", 999)
	m.MessagingType, m.Tag = MessagingTypeMessageTag, TagHumanAgent
	_, err := c.Send(context.Background(), m)
	require.NoError(t, err)
	m = textMessage(meta.Facebook, "hello")
	m.MessagingType = MessagingTypeUpdate
	_, err = c.Send(context.Background(), m)
	require.NoError(t, err)
	require.Len(t, f.requests(), 2)

	_, err = c.Send(context.Background(), nil)
	require.Error(t, err)
	requireNoToken(t, err)
}

func TestSendNoToken(t *testing.T) {
	f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
	c := New(nil, func() Settings { return Settings{BaseURL: f.URL, Version: testVersion} })
	_, err := c.Send(context.Background(), textMessage(meta.Facebook, "hello"))
	require.ErrorIs(t, err, ErrNoToken)
	requireNoToken(t, err)
	require.Empty(t, f.requests())
	cl := Classify(err)
	require.Equal(t, ClassToken, cl.Class)
	require.True(t, cl.Alert)
	require.False(t, cl.Retryable)
}

func TestSendAttachmentNamesAndSizes(t *testing.T) {
	send := func(platform meta.Platform, u *Upload) (*multipart.Part, error) {
		f := newFakeGraph(t, http.StatusOK, sample(t, "send_api_success.json"))
		m := textMessage(platform, "")
		m.Attachment = u
		_, err := testClient(f.URL, nil).Send(context.Background(), m)
		if err != nil {
			return nil, err
		}
		r := f.only(t, testPageID)
		_, parts, data := formParts(t, r.ContentType, r.Body)
		require.Equal(t, u.Data, data["filedata"])
		return parts["filedata"], nil
	}

	// Messenger keeps a UTF-8 name; Instagram takes ASCII names only.
	p, err := send(meta.Facebook, &Upload{Type: AttachmentFile, Name: "devis-sauna-été.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")})
	require.NoError(t, err)
	require.Equal(t, "devis-sauna-été.pdf", p.FileName())
	p, err = send(meta.Instagram, &Upload{Type: AttachmentFile, Name: "devis-sauna-été.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")})
	require.NoError(t, err)
	require.Equal(t, "devis-sauna-_t_.pdf", p.FileName())

	// No name: one is made from the content type.
	p, err = send(meta.Facebook, &Upload{Type: AttachmentAudio, ContentType: "audio/mp4", Data: []byte("....ftypM4A ")})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(p.FileName(), "attachment."), p.FileName())
	require.Equal(t, "audio/mp4", p.Header.Get("Content-Type"))

	// Instagram images stop at 8 MB, Messenger images at 25 MB.
	big := bytes.Repeat([]byte{0xff}, MaxInstagramImageBytes+1)
	_, err = send(meta.Facebook, &Upload{Type: AttachmentImage, Name: "big.jpg", ContentType: "image/jpeg", Data: big})
	require.NoError(t, err)
	_, err = send(meta.Instagram, &Upload{Type: AttachmentImage, Name: "big.jpg", ContentType: "image/jpeg", Data: big})
	var le *LimitError
	require.True(t, errors.As(err, &le))
	require.Equal(t, &LimitError{Field: "attachment", Platform: meta.Instagram, Length: MaxInstagramImageBytes + 1, Max: MaxInstagramImageBytes, Unit: "bytes"}, le)
	require.Contains(t, err.Error(), "Instagram accepts attachments of at most")
	_, err = send(meta.Instagram, &Upload{Type: AttachmentVideo, Name: "big.mp4", ContentType: "video/mp4", Data: big})
	require.NoError(t, err, "the 8 MB limit is for images only")
}
