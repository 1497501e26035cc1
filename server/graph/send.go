package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// Messaging types of the Send API.
const (
	MessagingTypeResponse   = "RESPONSE"
	MessagingTypeUpdate     = "UPDATE"
	MessagingTypeMessageTag = "MESSAGE_TAG"
)

// TagHumanAgent is the only message tag the plugin may use (the others return error 100
// since April 2026, and it is the only tag Instagram allows).
const TagHumanAgent = "HUMAN_AGENT"

// Attachment types accepted by the Send API's upload form.
const (
	AttachmentImage = "image"
	AttachmentVideo = "video"
	AttachmentAudio = "audio"
	AttachmentFile  = "file"
)

// Send API limits checked before calling Meta.
const (
	// MaxMessengerTextChars: Messenger text must be under 2000 characters.
	MaxMessengerTextChars = 1999
	// MaxInstagramTextBytes: Instagram text may be at most 1000 bytes of UTF-8.
	MaxInstagramTextBytes = 1000
	// MaxMetadataChars: metadata must be under 1000 characters.
	MaxMetadataChars = 999
	// MaxAttachmentBytes: Meta's attachment limit, 25 MB.
	MaxAttachmentBytes = MaxMediaBytes
	// MaxInstagramImageBytes: Instagram images are limited to 8 MB.
	MaxInstagramImageBytes = 8 << 20
)

// ErrNoToken is returned when no Page access token is configured.
var ErrNoToken = errors.New("no Page access token is configured")

// Message is one Send API message: either Text or Attachment, never both (they are
// separate Send API calls).
type Message struct {
	// Platform selects the text limits: Messenger (meta.Facebook) or Instagram.
	Platform meta.Platform
	// PageID is the Facebook Page the message is sent as (for Instagram through
	// Facebook Login, the Page linked to the Instagram account).
	PageID    string
	Recipient Recipient
	// MessagingType is RESPONSE, UPDATE or MESSAGE_TAG. It may be empty only for a
	// private reply (Recipient.CommentID), where it is then left out.
	MessagingType string
	// Tag is HUMAN_AGENT with MESSAGE_TAG, and empty otherwise (private replies take no tag).
	Tag        string
	Text       string
	Attachment *Upload
	// Metadata comes back in the message echo (the plugin passes "mm-post:<postID>");
	// under 1000 characters.
	Metadata string
}

// Recipient addresses a message: ID (a PSID or IGSID) or CommentID (the one private
// reply to a comment). Exactly one must be set.
type Recipient struct {
	ID        string
	CommentID string
}

// Upload is a file sent with the Send API's attachment upload form.
type Upload struct {
	// Type is image, video, audio or file.
	Type        string
	Name        string
	ContentType string
	Data        []byte
}

// SendResult is Meta's answer to a successful send.
type SendResult struct {
	// RecipientID is the PSID or IGSID; Meta leaves it out for some recipients.
	RecipientID string
	// MessageID comes back as the echo's mid.
	MessageID string
}

// LimitError says a message is too long (or too large) for the platform. Send returns
// it before calling Meta.
type LimitError struct {
	// Field is "text", "metadata" or "attachment".
	Field    string
	Platform meta.Platform
	// Length is the size of the field in Unit; Max is the largest size allowed.
	Length int
	Max    int
	// Unit is "characters" or "bytes".
	Unit string
}

func (e *LimitError) Error() string {
	switch e.Field {
	case "text":
		what := "characters"
		if e.Unit == "bytes" {
			what = "bytes of text"
		}
		return fmt.Sprintf("the message is %d %s long, but %s accepts at most %d %s; shorten it or split it into several messages",
			e.Length, e.Unit, e.Platform.Label(), e.Max, what)
	case "attachment":
		return fmt.Sprintf("the file is %d bytes, but %s accepts attachments of at most %d bytes (%d MB)", e.Length, e.Platform.Label(), e.Max, e.Max>>20)
	}
	return fmt.Sprintf("the %s is %d %s long; at most %d %s are allowed", e.Field, e.Length, e.Unit, e.Max, e.Unit)
}

// InvalidMessageError says a Message cannot be sent as built (a programming or input
// error). Send returns it before calling Meta.
type InvalidMessageError struct {
	Problem string
}

func (e *InvalidMessageError) Error() string { return "invalid message: " + e.Problem }

// SendError is a failed Send API call: what was sent and why it failed. Err is a
// *Error when Meta answered with a Graph error, and otherwise the transport or decoding
// failure. Use Classify to decide what to do.
type SendError struct {
	Platform      meta.Platform
	MessagingType string
	Tag           string
	PrivateReply  bool
	// HTTPStatus is Meta's answer status, 0 when no answer arrived.
	HTTPStatus int
	// RequestWritten is true when the whole request reached the connection before the
	// failure: without an answer, the message may have been delivered.
	RequestWritten bool
	// RetryAfter is Meta's estimated_time_to_regain_access (X-Business-Use-Case-Usage)
	// on throttling answers; 0 when absent.
	RetryAfter time.Duration
	Err        error
}

func (e *SendError) Error() string {
	what := "message"
	if e.PrivateReply {
		what = "private reply"
	}
	prefix := fmt.Sprintf("send %s %s: ", e.Platform.Label(), what)
	var ge *Error
	switch {
	case errors.As(e.Err, &ge):
		return prefix + e.Err.Error()
	case e.HTTPStatus >= 200 && e.HTTPStatus < 300:
		return prefix + fmt.Sprintf("Meta accepted it (HTTP %d) but the answer is unreadable, so it was probably delivered: %v", e.HTTPStatus, e.Err)
	case e.RequestWritten:
		return prefix + "no answer after the request was sent, so it may have been delivered: " + e.Err.Error()
	}
	return prefix + "the request did not reach Meta: " + e.Err.Error()
}

func (e *SendError) Unwrap() error { return e.Err }

// Send sends one message with the Send API: POST {base}/{version}/{PAGE-ID}/messages
// with the Page token in the Authorization header. Text goes as JSON, an attachment as
// the multipart upload form. Exactly one request is made, and none when the message is
// invalid (*InvalidMessageError) or too long (*LimitError).
func (c *Client) Send(ctx context.Context, m *Message) (*SendResult, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	s := c.settings()
	if s.Token == "" {
		return nil, ErrNoToken
	}
	body, contentType, err := m.encode()
	if err != nil {
		return nil, err
	}
	fail := func(se *SendError) error {
		se.Platform, se.MessagingType, se.Tag, se.PrivateReply = m.Platform, m.MessagingType, m.Tag, m.Recipient.CommentID != ""
		return se
	}

	var written atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(info httptrace.WroteRequestInfo) {
		if info.Err == nil {
			written.Store(true)
		}
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodPost,
		c.endpoint(s, m.PageID+"/messages", nil), bytes.NewReader(body))
	if err != nil {
		return nil, errors.Wrap(err, "build send request")
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fail(&SendError{RequestWritten: written.Load(), Err: transportError(err)})
	}
	defer resp.Body.Close()
	answer, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode >= 300 {
		ge := parseError(resp.StatusCode, answer)
		redact(ge, s.Token)
		se := &SendError{HTTPStatus: resp.StatusCode, RequestWritten: true, Err: ge}
		if isThrottle(ge) {
			se.RetryAfter = retryAfter(resp.Header)
		}
		return nil, fail(se)
	}
	if readErr != nil {
		return nil, fail(&SendError{HTTPStatus: resp.StatusCode, RequestWritten: true, Err: transportError(readErr)})
	}
	var out struct {
		RecipientID string `json:"recipient_id"`
		MessageID   string `json:"message_id"`
	}
	if err := json.Unmarshal(answer, &out); err != nil {
		return nil, fail(&SendError{HTTPStatus: resp.StatusCode, RequestWritten: true, Err: errors.Wrap(err, "decode send answer")})
	}
	if out.MessageID == "" {
		return nil, fail(&SendError{HTTPStatus: resp.StatusCode, RequestWritten: true, Err: errors.New("the answer has no message_id")})
	}
	return &SendResult{RecipientID: out.RecipientID, MessageID: out.MessageID}, nil
}

func invalid(format string, args ...any) error {
	return &InvalidMessageError{Problem: fmt.Sprintf(format, args...)}
}

func (m *Message) validate() error {
	if m == nil {
		return invalid("no message")
	}
	if m.Platform != meta.Facebook && m.Platform != meta.Instagram {
		return invalid("unknown platform %q", m.Platform)
	}
	if !validPageID(m.PageID) {
		return invalid("the Page ID %q is not a Graph ID", m.PageID)
	}
	switch {
	case m.Recipient.ID != "" && m.Recipient.CommentID != "":
		return invalid("the recipient has both an ID and a comment ID")
	case m.Recipient.ID == "" && m.Recipient.CommentID == "":
		return invalid("no recipient")
	case !validRecipient(m.Recipient.ID + m.Recipient.CommentID):
		return invalid("the recipient ID is not a Graph ID")
	}
	switch m.MessagingType {
	case MessagingTypeResponse, MessagingTypeUpdate, MessagingTypeMessageTag:
	case "":
		if m.Recipient.CommentID == "" {
			return invalid("messaging_type is required (RESPONSE, UPDATE or MESSAGE_TAG)")
		}
	default:
		return invalid("unknown messaging_type %q", m.MessagingType)
	}
	switch {
	case m.Tag != "" && m.Tag != TagHumanAgent:
		return invalid("only the HUMAN_AGENT tag may be used, not %q", m.Tag)
	case m.Tag != "" && m.MessagingType != MessagingTypeMessageTag:
		return invalid("the HUMAN_AGENT tag needs messaging_type MESSAGE_TAG")
	case m.MessagingType == MessagingTypeMessageTag && m.Tag == "":
		return invalid("messaging_type MESSAGE_TAG needs the HUMAN_AGENT tag")
	case m.MessagingType == MessagingTypeMessageTag && m.Recipient.CommentID != "":
		return invalid("a private reply cannot use a message tag")
	}
	if !utf8.ValidString(m.Metadata) {
		return invalid("the metadata is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(m.Metadata); n > MaxMetadataChars {
		return &LimitError{Field: "metadata", Platform: m.Platform, Length: n, Max: MaxMetadataChars, Unit: "characters"}
	}
	switch {
	case m.Text != "" && m.Attachment != nil:
		return invalid("text and attachment must be sent as separate messages")
	case m.Attachment != nil:
		return m.Attachment.validate(m.Platform)
	case strings.TrimSpace(m.Text) == "":
		return invalid("the message has no text and no attachment")
	case !utf8.ValidString(m.Text):
		return invalid("the text is not valid UTF-8")
	}
	if m.Platform == meta.Instagram {
		if n := len(m.Text); n > MaxInstagramTextBytes {
			return &LimitError{Field: "text", Platform: m.Platform, Length: n, Max: MaxInstagramTextBytes, Unit: "bytes"}
		}
	} else if n := utf8.RuneCountInString(m.Text); n > MaxMessengerTextChars {
		return &LimitError{Field: "text", Platform: m.Platform, Length: n, Max: MaxMessengerTextChars, Unit: "characters"}
	}
	return nil
}

func (u *Upload) validate(platform meta.Platform) error {
	switch u.Type {
	case AttachmentImage, AttachmentVideo, AttachmentAudio, AttachmentFile:
	default:
		return invalid("unknown attachment type %q (image, video, audio or file)", u.Type)
	}
	if len(u.Data) == 0 {
		return invalid("the attachment is empty")
	}
	limit := MaxAttachmentBytes
	if platform == meta.Instagram && u.Type == AttachmentImage {
		limit = MaxInstagramImageBytes
	}
	if len(u.Data) > limit {
		return &LimitError{Field: "attachment", Platform: platform, Length: len(u.Data), Max: limit, Unit: "bytes"}
	}
	if u.ContentType != "" {
		if _, _, err := mime.ParseMediaType(u.ContentType); err != nil {
			return invalid("the attachment content type %q is not a media type", u.ContentType)
		}
	}
	return nil
}

// validPageID accepts Graph node IDs (digits, or "me"), nothing that could change the path.
func validPageID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}

func validRecipient(id string) bool {
	if len(id) > 256 {
		return false
	}
	for _, r := range id {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

type sendRecipient struct {
	ID        string `json:"id,omitempty"`
	CommentID string `json:"comment_id,omitempty"`
}

type sendAttachment struct {
	Type    string `json:"type"`
	Payload struct {
		IsReusable bool `json:"is_reusable"`
	} `json:"payload"`
}

type sendMessage struct {
	Text       string          `json:"text,omitempty"`
	Attachment *sendAttachment `json:"attachment,omitempty"`
	Metadata   string          `json:"metadata,omitempty"`
}

type sendBody struct {
	Recipient     sendRecipient `json:"recipient"`
	MessagingType string        `json:"messaging_type,omitempty"`
	Tag           string        `json:"tag,omitempty"`
	Message       sendMessage   `json:"message"`
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, errors.Wrap(err, "encode send request")
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// encode builds the request body: JSON for text, the multipart upload form for a file.
func (m *Message) encode() ([]byte, string, error) {
	rcpt := sendRecipient{ID: m.Recipient.ID, CommentID: m.Recipient.CommentID}
	if m.Attachment == nil {
		body, err := marshal(sendBody{
			Recipient:     rcpt,
			MessagingType: m.MessagingType,
			Tag:           m.Tag,
			Message:       sendMessage{Text: m.Text, Metadata: m.Metadata},
		})
		return body, "application/json", err
	}

	rcptJSON, err := marshal(rcpt)
	if err != nil {
		return nil, "", err
	}
	att := &sendAttachment{Type: m.Attachment.Type}
	msgJSON, err := marshal(sendMessage{Attachment: att, Metadata: m.Metadata})
	if err != nil {
		return nil, "", err
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fields := [][2]string{{"recipient", string(rcptJSON)}}
	if m.MessagingType != "" {
		fields = append(fields, [2]string{"messaging_type", m.MessagingType})
	}
	if m.Tag != "" {
		fields = append(fields, [2]string{"tag", m.Tag})
	}
	fields = append(fields, [2]string{"message", string(msgJSON)})
	for _, f := range fields {
		if err := w.WriteField(f[0], f[1]); err != nil {
			return nil, "", errors.Wrap(err, "encode send form")
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="filedata"; filename="%s"`, uploadName(m.Attachment, m.Platform)))
	h.Set("Content-Type", uploadContentType(m.Attachment))
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, "", errors.Wrap(err, "encode send form")
	}
	if _, err := part.Write(m.Attachment.Data); err != nil {
		return nil, "", errors.Wrap(err, "encode send form")
	}
	if err := w.Close(); err != nil {
		return nil, "", errors.Wrap(err, "encode send form")
	}
	return b.Bytes(), w.FormDataContentType(), nil
}

// uploadName keeps the file name safe inside a quoted header parameter. Instagram does
// not accept non-ASCII file names for uploads.
func uploadName(u *Upload, platform meta.Platform) string {
	name := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r == '/' || !unicode.IsPrint(r) || (platform == meta.Instagram && r > unicode.MaxASCII) {
			return '_'
		}
		return r
	}, u.Name)
	if strings.Trim(name, "._ ") == "" {
		name = "attachment"
		if exts, _ := mime.ExtensionsByType(uploadContentType(u)); len(exts) > 0 {
			name += exts[0]
		}
	}
	if len(name) > 100 {
		name = strings.ToValidUTF8(name[len(name)-100:], "")
	}
	return name
}

// uploadContentType is the canonical form of the file's media type, or a sniffed one.
func uploadContentType(u *Upload) string {
	if mt, params, err := mime.ParseMediaType(u.ContentType); err == nil {
		if ct := mime.FormatMediaType(mt, params); ct != "" {
			return ct
		}
	}
	return http.DetectContentType(u.Data)
}

// transportError drops the URL from a transport failure but keeps the cause, so that
// errors.Is(err, context.DeadlineExceeded) still works.
func transportError(err error) error {
	f := &netFailure{err: err}
	var ne interface{ Timeout() bool }
	f.timeout = errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
	var ue *url.Error
	if errors.As(err, &ue) {
		f.err = ue.Err
	}
	return f
}

// netFailure is a transport failure of a Graph call.
type netFailure struct {
	err     error
	timeout bool
}

func (e *netFailure) Error() string { return "call graph API: " + e.err.Error() }
func (e *netFailure) Unwrap() error { return e.err }

// redact removes the token from text Meta echoed back.
func redact(e *Error, token string) {
	if token == "" {
		return
	}
	for _, s := range []*string{&e.Message, &e.Type, &e.UserTitle, &e.UserMessage, &e.FBTraceID} {
		*s = strings.ReplaceAll(*s, token, "[redacted]")
	}
}

// isThrottle reports the throttling codes whose answers carry usage headers.
func isThrottle(e *Error) bool {
	return graphClass(e) == ClassRateLimited
}

// maxRetryAfter caps Meta's estimate (it counts in minutes, up to a day).
const maxRetryAfter = 24 * time.Hour

// retryAfter reads the largest estimated_time_to_regain_access (minutes) from
// X-Business-Use-Case-Usage: {"<business id>":[{"type":...,"estimated_time_to_regain_access":N}]}.
func retryAfter(h http.Header) time.Duration {
	var best time.Duration
	for _, v := range h.Values("X-Business-Use-Case-Usage") {
		var usage map[string][]struct {
			Minutes json.RawMessage `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(v), &usage) != nil {
			continue
		}
		for _, entries := range usage {
			for _, e := range entries {
				var n float64
				raw := bytes.Trim(e.Minutes, `"`)
				if len(raw) == 0 || json.Unmarshal(raw, &n) != nil || n <= 0 {
					continue
				}
				d := maxRetryAfter
				if n < maxRetryAfter.Minutes() {
					d = time.Duration(n * float64(time.Minute))
				}
				if d > best {
					best = d
				}
			}
		}
	}
	return best
}
