package graph

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/require"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

type classRow struct {
	code, sub int
	class     Class
	retryable bool
	ambiguous bool
	alert     bool
}

// classTable is every row of the fact sheet's Send API error table (section 6), with
// the subcodes each row names.
var classTable = []classRow{
	// 1; 1/99: unknown, retry once or twice.
	{1, 0, ClassUnknown, true, false, false},
	{1, 99, ClassUnknown, true, false, false},
	// 1/1357046: invalid JSON reply but the messages were sent.
	{1, 1357046, ClassMaybeSent, false, true, false},
	// 2: temporary, bounded retry; 2/2018344: custom labels ToS.
	{2, 0, ClassTemporary, true, false, false},
	{2, 2018344, ClassConfig, false, false, true},
	// Throttling.
	{4, 0, ClassRateLimited, true, false, false},
	{17, 0, ClassRateLimited, true, false, false},
	{32, 0, ClassRateLimited, true, false, false},
	{341, 0, ClassRateLimited, true, false, false},
	{613, 0, ClassRateLimited, true, false, false},
	{80000, 0, ClassRateLimited, true, false, false},
	{80001, 0, ClassRateLimited, true, false, false},
	{80002, 0, ClassRateLimited, true, false, false},
	{80006, 0, ClassRateLimited, true, false, false},
	{80014, 0, ClassRateLimited, true, false, false},
	{613, 2534040, ClassRateLimited, true, false, false},
	// 613 opt-in or tag abuse warnings.
	{613, 1893016, ClassPolicyWarning, false, false, true},
	{613, 2018338, ClassPolicyWarning, false, false, true},
	// 368: blocked for policy violations.
	{368, 0, ClassPolicyBlocked, false, false, true},
	// 10 family.
	{10, 2018278, ClassWindowClosed, false, false, false},
	{10, 2534022, ClassWindowClosed, false, false, false},
	{10, 2018108, ClassUnavailable, false, false, false},
	{10, 1893063, ClassPageRestricted, false, false, true},
	{10, 2534077, ClassReconnect, false, false, true},
	{10, 2018065, ClassPermission, false, false, true},
	{10, 0, ClassPermission, false, false, true},
	// 100 family.
	{100, 0, ClassBadRequest, false, false, false},
	{100, 33, ClassBadRequest, false, false, false},
	{100, 2018001, ClassBadRequest, false, false, false},
	{100, 2534014, ClassBadRequest, false, false, false},
	{100, 2018008, ClassMedia, false, false, false},
	{100, 2018047, ClassMedia, false, false, false},
	{100, 2018109, ClassMedia, false, false, false},
	{100, 2018294, ClassMedia, false, false, false},
	{100, 2534013, ClassConfig, false, false, true},
	{100, 2534025, ClassAlreadyReplied, false, false, false},
	{100, 2534029, ClassBusinessBlocked, false, false, true},
	// 190 family.
	{190, 0, ClassToken, false, false, true},
	{190, 458, ClassToken, false, false, true},
	{190, 459, ClassToken, false, false, true},
	{190, 460, ClassToken, false, false, true},
	{190, 463, ClassToken, false, false, true},
	{190, 464, ClassToken, false, false, true},
	{190, 467, ClassToken, false, false, true},
	{190, 492, ClassToken, false, false, true},
	// 200–299.
	{200, 0, ClassPermission, false, false, true},
	{200, 2018028, ClassPermission, false, false, true},
	{200, 2018027, ClassPermission, false, false, true},
	{230, 0, ClassPermission, false, false, true},
	{299, 0, ClassPermission, false, false, true},
	{200, 1545041, ClassUnavailable, false, false, false},
	{551, 0, ClassUnavailable, false, false, false},
	{551, 1545041, ClassUnavailable, false, false, false},
	{200, 2534041, ClassReconnect, false, false, true},
	// Thread control.
	{10, 2018300, ClassThreadControl, false, false, false},
	{2018300, 0, ClassThreadControl, false, false, false},
	// Private replies.
	{10900, 0, ClassAlreadyReplied, false, false, false},
	// Outside the table: not retried.
	{79999, 0, ClassOther, false, false, false},
	{80015, 0, ClassOther, false, false, false},
	{12345, 678, ClassOther, false, false, false},
}

func graphErr(code, sub int, message string) *Error {
	return &Error{HTTPStatus: 400, Message: message, Type: "OAuthException", Code: code, Subcode: sub, FBTraceID: "AbCdEf123"}
}

func TestClassifyTable(t *testing.T) {
	for _, row := range classTable {
		t.Run(fmt.Sprintf("%d/%d", row.code, row.sub), func(t *testing.T) {
			for _, err := range []error{
				graphErr(row.code, row.sub, "whatever"),
				&SendError{Platform: meta.Facebook, MessagingType: MessagingTypeResponse, HTTPStatus: 400, RequestWritten: true, Err: graphErr(row.code, row.sub, "whatever")},
			} {
				c := Classify(err)
				require.Equal(t, row.class, c.Class, "%v", err)
				require.Equal(t, row.retryable, c.Retryable)
				require.Equal(t, row.ambiguous, c.Ambiguous)
				require.Equal(t, row.alert, c.Alert)
				require.Equal(t, row.code, c.Code)
				require.Equal(t, row.sub, c.Subcode)
				require.Equal(t, "AbCdEf123", c.TraceID)
				require.NotEmpty(t, c.Reason)
				require.False(t, c.Retryable && c.Ambiguous)
				if c.Retryable {
					require.Positive(t, c.MaxRetries)
				} else {
					require.Zero(t, c.MaxRetries)
				}
			}
		})
	}
	require.Equal(t, 2, Classify(graphErr(1, 99, "")).MaxRetries, "retry once or twice")
	require.Greater(t, Classify(graphErr(4, 0, "")).MaxRetries, Classify(graphErr(2, 0, "")).MaxRetries)
}

// The message text never changes the classification: not another text, not a
// localized one, not one that names another error, and not the HTTP status.
func TestClassifyIgnoresMessageText(t *testing.T) {
	texts := []string{
		"",
		"(#4) Application request limit reached",
		"Error validating access token: Session has expired",
		"(#10) This message is sent outside of allowed window.",
		"(#551) This person isn't available right now.",
		"An unexpected error has occurred. Please retry your request later.",
		"Received Invalid JSON reply.",
		"(#10900) Activity already replied to",
		"Ce message est envoyé en dehors de la fenêtre autorisée.",
		"temporarily unavailable, is_transient, rate limit, 2018278, 190",
	}
	for _, row := range classTable {
		want := Classify(graphErr(row.code, row.sub, "baseline"))
		for _, text := range texts {
			for _, status := range []int{400, 401, 403, 500} {
				e := graphErr(row.code, row.sub, text)
				e.HTTPStatus = status
				e.Type = "IGApiException"
				e.UserTitle, e.UserMessage = text, text
				require.Equal(t, want, Classify(e), "%d/%d %q HTTP %d", row.code, row.sub, text, status)
			}
		}
	}
}

func TestClassifyMisleadingText(t *testing.T) {
	cases := []struct {
		code, sub int
		text      string
		want      Class
	}{
		{190, 463, "(#4) Application request limit reached", ClassToken},
		{4, 0, "Error validating access token: Session has expired", ClassRateLimited},
		{10, 2018278, "An unexpected error has occurred. Please retry your request later.", ClassWindowClosed},
		{2, 0, "(#10) This message is sent outside of allowed window.", ClassTemporary},
		{100, 0, "Received Invalid JSON reply.", ClassBadRequest},
		{1, 1357046, "(#100) Invalid parameter", ClassMaybeSent},
		{551, 1545041, "(#2018300) thread controlled by another app", ClassUnavailable},
		{10900, 0, "(#613) Calls to this api have exceeded the rate limit.", ClassAlreadyReplied},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, Classify(graphErr(tc.code, tc.sub, tc.text)).Class, "%d/%d %q", tc.code, tc.sub, tc.text)
	}
}

func TestClassifyIsTransient(t *testing.T) {
	// An unlisted code with is_transient is retried; without it, not.
	e := graphErr(12345, 0, "x")
	require.False(t, Classify(e).Retryable)
	e.IsTransient = true
	c := Classify(e)
	require.Equal(t, ClassTemporary, c.Class)
	require.True(t, c.Retryable)
	require.False(t, c.Ambiguous)

	// The table wins over is_transient for listed codes.
	for _, row := range classTable {
		if row.class == ClassOther {
			continue
		}
		e := graphErr(row.code, row.sub, "x")
		want := Classify(e)
		e.IsTransient = true
		require.Equal(t, want, Classify(e), "%d/%d", row.code, row.sub)
	}
}

func TestClassifyUnwrapsChains(t *testing.T) {
	ge := graphErr(10, 2018278, "x")
	se := &SendError{Platform: meta.Facebook, HTTPStatus: 400, RequestWritten: true, Err: ge}
	for _, err := range []error{
		errors.Wrap(ge, "look up profile"),
		fmt.Errorf("relay: %w", se),
		errors.Wrap(fmt.Errorf("outbox: %w", se), "deliver"),
	} {
		require.Equal(t, ClassWindowClosed, Classify(err).Class, "%v", err)
	}
	rl := &SendError{Platform: meta.Instagram, HTTPStatus: 400, RequestWritten: true, RetryAfter: 3 * time.Minute, Err: graphErr(80002, 0, "x")}
	require.Equal(t, 3*time.Minute, Classify(errors.Wrap(rl, "deliver")).RetryAfter)
}

func TestClassifyReasonsUseWhatWasSent(t *testing.T) {
	window := graphErr(10, 2018278, "x")
	std := Classify(&SendError{Platform: meta.Facebook, MessagingType: MessagingTypeResponse, Err: window})
	require.Equal(t, "The buyer's 24-hour window has closed; Meta does not allow replies now.", std.Reason)
	ha := Classify(&SendError{Platform: meta.Facebook, MessagingType: MessagingTypeMessageTag, Tag: TagHumanAgent, Err: window})
	require.Contains(t, ha.Reason, "7 days")
	require.Equal(t, ClassWindowClosed, ha.Class)
	require.Contains(t, Classify(window).Reason, "7 days", "without context both windows are named")

	gone := graphErr(10, 2018108, "x")
	require.Equal(t, "This person isn't available on Messenger right now (blocked the page or deleted the account).",
		Classify(&SendError{Platform: meta.Facebook, Err: gone}).Reason)
	require.Contains(t, Classify(&SendError{Platform: meta.Instagram, Err: gone}).Reason, "on Instagram")
	require.NotContains(t, Classify(gone).Reason, "Messenger")

	require.Equal(t, "This comment already got its one private reply; the buyer must write back before you can answer.",
		Classify(graphErr(10900, 0, "x")).Reason)
	require.Contains(t, Classify(graphErr(100, 2534025, "x")).Reason, "one private reply")
	require.Equal(t, "The Page access token is invalid or expired; an admin must reconnect the Page in System Console > Plugins > Social Inbox.",
		Classify(graphErr(190, 460, "x")).Reason)
	require.Equal(t, "Meta is rate limiting the Page; the reply will be retried automatically.",
		Classify(graphErr(613, 0, "x")).Reason)
	require.Contains(t, Classify(&SendError{Platform: meta.Instagram, Tag: TagHumanAgent, Err: graphErr(200, 0, "x")}).Reason, "Human Agent")
}

func TestClassifyLocalAndTransportErrors(t *testing.T) {
	require.Equal(t, Classification{Class: ClassNone}, Classify(nil))

	le := &LimitError{Field: "text", Platform: meta.Instagram, Length: 1001, Max: 1000, Unit: "bytes"}
	c := Classify(errors.Wrap(le, "send"))
	require.Equal(t, ClassTooLong, c.Class)
	require.Equal(t, "The message is 1001 bytes long, but Instagram accepts at most 1000 bytes of text; shorten it or split it into several messages.", c.Reason)

	c = Classify(&InvalidMessageError{Problem: "no recipient"})
	require.Equal(t, ClassInvalid, c.Class)
	require.Equal(t, "The reply could not be sent: no recipient.", c.Reason)

	require.Equal(t, ClassToken, Classify(ErrNoToken).Class)

	// Transport failures outside Send (profile lookups) are plain network errors.
	_, dialErr := net.Dial("tcp", "127.0.0.1:1")
	require.Error(t, dialErr)
	c = Classify(errors.Wrap(dialErr, "call graph API"))
	require.Equal(t, ClassNetwork, c.Class)
	require.True(t, c.Retryable)
	require.False(t, c.Ambiguous)
	require.Equal(t, ClassNetwork, Classify(context.DeadlineExceeded).Class)

	// In Send, what matters is whether the request was written.
	written := &SendError{Platform: meta.Facebook, RequestWritten: true, Err: transportError(context.DeadlineExceeded)}
	c = Classify(written)
	require.Equal(t, ClassMaybeSent, c.Class)
	require.True(t, c.Ambiguous)
	require.False(t, c.Retryable)
	reset := &SendError{Platform: meta.Facebook, RequestWritten: true, Err: transportError(errors.New("read: connection reset by peer"))}
	require.Contains(t, Classify(reset).Reason, "connection broke")
	notWritten := &SendError{Platform: meta.Facebook, Err: transportError(dialErr)}
	c = Classify(notWritten)
	require.Equal(t, ClassNetwork, c.Class)
	require.True(t, c.Retryable)
	require.False(t, c.Ambiguous)

	c = Classify(errors.New("something else"))
	require.Equal(t, ClassOther, c.Class)
	require.False(t, c.Retryable)
	require.NotEmpty(t, c.Reason)
}
