package graph

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// Class is what a failed call means for the plugin. Meta errors are classified by code
// and subcode only, never by message text (it is localized and changes).
type Class string

// Classes.
const (
	// ClassNone: no error.
	ClassNone Class = ""
	// ClassUnknown: Meta's unknown error (1, 1/99); retry once or twice.
	ClassUnknown Class = "unknown"
	// ClassMaybeSent: the message may have been delivered (1/1357046, no answer after the
	// request was written, an unreadable success answer). Reconcile with the echo before
	// any resend.
	ClassMaybeSent Class = "maybe_sent"
	// ClassTemporary: Meta's temporary error (2, or is_transient on an unlisted code);
	// retry a bounded number of times.
	ClassTemporary Class = "temporary"
	// ClassNetwork: the request never reached Meta; retry.
	ClassNetwork Class = "network"
	// ClassRateLimited: throttling (4, 17, 32, 341, 613, 80000–80014, 613/2534040); retry
	// with backoff, not before RetryAfter.
	ClassRateLimited Class = "rate_limited"
	// ClassPolicyWarning: opt-in or tag abuse warnings (613/1893016, 613/2018338).
	ClassPolicyWarning Class = "policy_warning"
	// ClassPolicyBlocked: the Page is temporarily blocked for policy violations (368).
	ClassPolicyBlocked Class = "policy_blocked"
	// ClassWindowClosed: outside the allowed window (10/2018278, 10/2534022).
	ClassWindowClosed Class = "window_closed"
	// ClassUnavailable: the person can't receive messages (10/2018108, 200/1545041, 551).
	ClassUnavailable Class = "user_unavailable"
	// ClassPageRestricted: the Page is temporarily restricted from messaging (10/1893063).
	ClassPageRestricted Class = "page_restricted"
	// ClassReconnect: the Instagram account link is broken or its API access to messages
	// is off (10/2534077, 200/2534041).
	ClassReconnect Class = "reconnect"
	// ClassBadRequest: Meta rejected a parameter, or the object is gone (100 family).
	ClassBadRequest Class = "bad_request"
	// ClassMedia: the attachment could not be used (100/2018008, 2018047, 2018109, 2018294).
	ClassMedia Class = "media"
	// ClassConfig: Page or account configuration (100/2534013, 2/2018344).
	ClassConfig Class = "config"
	// ClassAlreadyReplied: the comment's one private reply is used up or expired (10900,
	// 100/2534025, 10903).
	ClassAlreadyReplied Class = "already_replied"
	// ClassBusinessBlocked: the business is blocked from the Instagram Messaging API (100/2534029).
	ClassBusinessBlocked Class = "business_blocked"
	// ClassToken: the Page token is missing, invalid or expired (190 family, 102).
	ClassToken Class = "token"
	// ClassPermission: a permission is missing or not reviewed, or the app is not Live
	// (10, 200–299).
	ClassPermission Class = "permission"
	// ClassThreadControl: another app controls the thread (2018300).
	ClassThreadControl Class = "thread_control"
	// ClassTooLong: Send refused a message over the platform's limits (*LimitError).
	ClassTooLong Class = "too_long"
	// ClassInvalid: Send refused a malformed message (*InvalidMessageError).
	ClassInvalid Class = "invalid"
	// ClassOther: any other error; not retried.
	ClassOther Class = "other"
)

// Classification says what to do about an error.
type Classification struct {
	Class Class
	// Retryable: sending again automatically may succeed (with backoff, at most
	// MaxRetries more attempts, not before RetryAfter).
	Retryable bool
	// Ambiguous: the message may have been delivered. Do not resend blindly: reconcile
	// with the echo (mid == message_id, or metadata) first. Never set with Retryable.
	Ambiguous bool
	// MaxRetries bounds the automatic retries of a Retryable error.
	MaxRetries int
	// RetryAfter is Meta's estimate of when throttling ends; 0 when unknown.
	RetryAfter time.Duration
	// Alert: an admin must act (token, permissions, configuration, policy).
	Alert bool
	// Reason is a sentence for the operator.
	Reason string
	// Code, Subcode and TraceID come from Meta's error, for logs; 0/"" otherwise.
	Code    int
	Subcode int
	TraceID string
}

// Retry budgets.
const (
	retriesUnknown   = 2
	retriesTemporary = 3
	retriesNetwork   = 3
	retriesThrottled = 5
)

// Classify says what an error from this package means: retry, reconcile, or give up
// and tell the operator why. It understands *SendError, *Error, *LimitError,
// *InvalidMessageError and ErrNoToken anywhere in the error chain.
func Classify(err error) Classification {
	if err == nil {
		return Classification{Class: ClassNone}
	}
	var se *SendError
	errors.As(err, &se)

	var le *LimitError
	if errors.As(err, &le) {
		return Classification{Class: ClassTooLong, Reason: sentence(le.Error())}
	}
	var ie *InvalidMessageError
	if errors.As(err, &ie) {
		return Classification{Class: ClassInvalid, Reason: "The reply could not be sent: " + ie.Problem + "."}
	}
	if errors.Is(err, ErrNoToken) {
		return Classification{Class: ClassToken, Alert: true,
			Reason: "No Page access token is configured; an admin must connect the Page in System Console > Plugins > Social Inbox."}
	}

	var ge *Error
	if errors.As(err, &ge) {
		return classifyGraph(ge, se)
	}

	if se != nil {
		switch {
		case se.HTTPStatus >= 200 && se.HTTPStatus < 300:
			return Classification{Class: ClassMaybeSent, Ambiguous: true,
				Reason: "Meta accepted the reply but its answer could not be read, so it was probably delivered; it is being checked against Meta's echo instead of being sent again."}
		case se.RequestWritten:
			what := "the connection broke"
			if isTimeout(err) {
				what = "Meta did not answer in time"
			}
			return Classification{Class: ClassMaybeSent, Ambiguous: true,
				Reason: "The reply was sent but " + what + ", so it may have been delivered; it is being checked against Meta's echo before any resend."}
		}
		return Classification{Class: ClassNetwork, Retryable: true, MaxRetries: retriesNetwork,
			Reason: "Meta could not be reached (network problem); the reply will be retried automatically."}
	}
	if isNetwork(err) {
		return Classification{Class: ClassNetwork, Retryable: true, MaxRetries: retriesNetwork,
			Reason: "Meta could not be reached (network problem); the call will be retried automatically."}
	}
	return Classification{Class: ClassOther, Reason: "The call to Meta failed unexpectedly; it will not be retried automatically."}
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func isTimeout(err error) bool {
	var f *netFailure
	if errors.As(err, &f) && f.timeout {
		return true
	}
	var ne interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func isNetwork(err error) bool {
	var f *netFailure
	var ne net.Error
	return errors.As(err, &f) || errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

func isThrottleCode(code int) bool {
	switch code {
	case 4, 17, 32, 341, 613:
		return true
	}
	return code >= 80000 && code <= 80014
}

// graphClass maps Meta's code and subcode to a Class, per the fact sheet's table. The
// message text is never looked at.
func graphClass(e *Error) Class {
	code, sub := e.Code, e.Subcode
	if code == 2018300 || sub == 2018300 {
		return ClassThreadControl
	}
	switch {
	case code == 1:
		if sub == 1357046 {
			return ClassMaybeSent
		}
		return ClassUnknown
	case code == 2:
		if sub == 2018344 {
			return ClassConfig
		}
		return ClassTemporary
	case code == 613 && (sub == 1893016 || sub == 2018338):
		return ClassPolicyWarning
	case isThrottleCode(code):
		return ClassRateLimited
	case code == 368:
		return ClassPolicyBlocked
	case code == 10:
		switch sub {
		case 2018278, 2534022:
			return ClassWindowClosed
		case 2018108:
			return ClassUnavailable
		case 1893063:
			return ClassPageRestricted
		case 2534077:
			return ClassReconnect
		}
		return ClassPermission
	case code == 100:
		switch sub {
		case 2018008, 2018047, 2018109, 2018294:
			return ClassMedia
		case 2534013:
			return ClassConfig
		case 2534025:
			return ClassAlreadyReplied
		case 2534029:
			return ClassBusinessBlocked
		}
		return ClassBadRequest
	case code == 190 || code == 102:
		return ClassToken
	case code == 200 && sub == 1545041, code == 551:
		return ClassUnavailable
	case code == 200 && sub == 2534041:
		return ClassReconnect
	case code >= 200 && code <= 299:
		return ClassPermission
	case code == 10900 || code == 10903:
		return ClassAlreadyReplied
	case code == 0 && e.HTTPStatus == 429:
		return ClassRateLimited
	case code == 0 && e.HTTPStatus >= 500:
		// No Graph error body: a gateway or server failure.
		return ClassTemporary
	case e.IsTransient:
		return ClassTemporary
	}
	return ClassOther
}

// classifyGraph turns a Graph error into a Classification; se, when not nil, tells what
// was being sent.
func classifyGraph(e *Error, se *SendError) Classification {
	class := graphClass(e)
	c := Classification{Class: class, Code: e.Code, Subcode: e.Subcode, TraceID: e.FBTraceID}
	platform := meta.Platform("")
	tag := ""
	if se != nil {
		platform, tag = se.Platform, se.Tag
	}
	switch class {
	case ClassUnknown:
		c.Retryable, c.MaxRetries = true, retriesUnknown
		c.Reason = "Meta reported an unknown error; the reply will be retried once or twice."
	case ClassMaybeSent:
		c.Ambiguous = true
		c.Reason = "Meta's answer was garbled, but the reply was probably delivered; it is being checked against Meta's echo instead of being sent again."
	case ClassTemporary:
		if e.Code == 0 && se != nil {
			// A server error without Meta's error body after the request reached Meta.
			c.Class, c.Ambiguous = ClassMaybeSent, true
			c.Reason = fmt.Sprintf("Meta answered with a server error (HTTP %d) after the reply was sent, so it may have been delivered; it is being checked against Meta's echo before any resend.", e.HTTPStatus)
			break
		}
		c.Retryable, c.MaxRetries = true, retriesTemporary
		c.Reason = "Meta had a temporary problem; the reply will be retried a few times."
		if e.Code == 2 {
			c.Reason += " If it keeps failing, the buyer may have blocked the Page."
		}
	case ClassRateLimited:
		c.Retryable, c.MaxRetries = true, retriesThrottled
		if se != nil {
			c.RetryAfter = se.RetryAfter
		}
		c.Reason = "Meta is rate limiting the Page; the reply will be retried automatically."
	case ClassPolicyWarning:
		c.Alert = true
		c.Reason = "Meta warned the Page about misuse of opt-ins or message tags; the reply was not sent, and an admin must fix how the Page messages people."
	case ClassPolicyBlocked:
		c.Alert = true
		c.Reason = "Meta has temporarily blocked the Page from sending messages for policy violations; wait before sending again, and an admin should check the Page in Meta Business Suite."
	case ClassWindowClosed:
		switch {
		case tag == TagHumanAgent:
			c.Reason = "The buyer's last message is more than 7 days old, so Meta does not allow even a Human Agent reply now; the buyer must write first."
		case se != nil:
			c.Reason = "The buyer's 24-hour window has closed; Meta does not allow replies now."
		default:
			c.Reason = "The buyer's messaging window has closed (24 hours, or 7 days for Human Agent replies); Meta does not allow replies now."
		}
	case ClassUnavailable:
		switch platform {
		case meta.Instagram:
			c.Reason = "This person isn't available on Instagram right now (blocked the account, turned off messages, or deleted their account)."
		case meta.Facebook:
			c.Reason = "This person isn't available on Messenger right now (blocked the page or deleted the account)."
		default:
			c.Reason = "This person isn't available right now (blocked the page or deleted the account)."
		}
	case ClassPageRestricted:
		c.Alert = true
		c.Reason = "Meta has temporarily restricted the Page from sending messages; an admin should check the Page in Meta Business Suite."
	case ClassReconnect:
		c.Alert = true
		if e.Code == 200 {
			c.Reason = "The Instagram account has turned off API access to its messages; an admin must allow it again in the Instagram app (Settings > Messages > Connected tools)."
		} else {
			c.Reason = "The link between the Instagram account and the Facebook Page is broken (or needs two-factor confirmation); an admin must reconnect the Instagram account to the Page."
		}
	case ClassBadRequest:
		c.Reason = "Meta rejected the reply as invalid (a wrong parameter, or the buyer or conversation no longer exists); it will not be retried."
	case ClassMedia:
		c.Reason = "Meta could not use the attachment (it could not be uploaded, has the wrong type, is too large, or the video took too long to process); try a different file."
	case ClassConfig:
		c.Alert = true
		if e.Code == 2 {
			c.Reason = "The Page has not accepted Meta's terms for custom labels; an admin must accept them in Meta Business Suite."
		} else {
			c.Reason = "The Facebook Page is not linked to the Instagram account; an admin must link them in Meta Business Suite."
		}
	case ClassAlreadyReplied:
		switch {
		case e.Code == 100:
			c.Reason = "This comment already got its one private reply (or is more than 7 days old); the buyer must write back before you can answer."
		case e.Code == 10903:
			c.Reason = "Meta does not allow a private reply to this comment; the buyer must write back before you can answer."
		default:
			c.Reason = "This comment already got its one private reply; the buyer must write back before you can answer."
		}
	case ClassBusinessBlocked:
		c.Alert = true
		c.Reason = "Meta has blocked this business from the Instagram Messaging API; an admin must resolve it with Meta."
	case ClassToken:
		c.Alert = true
		c.Reason = "The Page access token is invalid or expired; an admin must reconnect the Page in System Console > Plugins > Social Inbox."
	case ClassPermission:
		c.Alert = true
		c.Reason = "The Meta app lacks a permission needed to send this (not granted, not approved in App Review, or the app is not Live); an admin must fix the app's permissions."
		if tag == TagHumanAgent {
			c.Reason = "The Meta app lacks a permission needed to send this; Human Agent replies need the Human Agent permission approved in App Review. An admin must fix the app's permissions or turn Human Agent replies off."
		}
	case ClassThreadControl:
		c.Reason = "Another app (for example Meta Business Suite's inbox or a bot) controls this conversation; take the conversation back there or wait for it to be passed back, then send again."
	default:
		c.Reason = fmt.Sprintf("Meta rejected the reply with error %d/%d; it will not be retried automatically.", e.Code, e.Subcode)
	}
	return c
}
