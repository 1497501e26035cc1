package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
)

// encodeWebhook renders a webhook body the way Meta does: encodeMeta, plus echo app_id
// and sticker_id as JSON numbers. Meta signs exactly these bytes, so the plugin must
// hash them as received.
func encodeWebhook(w meta.Webhook) ([]byte, error) {
	b, err := encodeMeta(w)
	if err != nil {
		return nil, err
	}
	return numericIDs.ReplaceAll(b, []byte(`"$1":$2`)), nil
}

// encodeMeta renders v the way Meta renders JSON: compact, no HTML escaping (URLs keep
// their `&`), every non-ASCII character as a lowercase \uXXXX escape (surrogate pairs for
// emoji).
func encodeMeta(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, errors.Wrap(err, "encode JSON")
	}
	return escapeNonASCII(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// numericIDs finds app_id and sticker_id rendered as strings. meta.FlexString decodes
// both forms but always encodes a string; Meta sends these two as numbers. A key inside
// a JSON string value is written \"app_id\" and cannot match.
var numericIDs = regexp.MustCompile(`"(app_id|sticker_id)":"(\d+)"`)

// escapeNonASCII rewrites every non-ASCII character of a JSON text as \uXXXX. It must
// only be given JSON produced by encoding/json, where such characters can only occur
// inside strings.
func escapeNonASCII(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	for len(b) > 0 {
		c := b[0]
		if c < utf8.RuneSelf {
			out = append(out, c)
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r >= 0x10000 {
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
			continue
		}
		out = fmt.Appendf(out, `\u%04x`, r)
	}
	return out
}

// IDs that look like Meta's. They are random, so repeated runs make new messages.

const digitChars = "0123456789"

// digits returns n random decimal digits, the first one not zero.
func digits(n int) string {
	var b strings.Builder
	b.WriteByte(digitChars[1+rand.IntN(9)])
	for i := 1; i < n; i++ {
		b.WriteByte(digitChars[rand.IntN(10)])
	}
	return b.String()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.UintN(256))
	}
	return b
}

// newMessengerMID looks like m_oSZVOWUVbETD3_g1VfO9694XLBr1n2rqNB7VQuMlMgX... (88 chars).
func newMessengerMID() string {
	return "m_" + base64.RawURLEncoding.EncodeToString(randomBytes(64))
}

// newInstagramMID looks like Instagram's base64 message IDs (aWdfZAG1faXRlbToxOklH...).
func newInstagramMID(igID string) string {
	inner := igID + ":" + digits(39) + ":" + digits(38)
	return "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj" + base64.RawURLEncoding.EncodeToString([]byte(inner)) + "ZDZD"
}

// newScopedID is a page- or account-scoped user ID (PSID, IGSID): 16 digits.
func newScopedID() string { return digits(16) }

// newPostID is a Facebook post ID (the part after "<pageid>_").
func newPostID() string { return "1221" + digits(14) }

// newFacebookCommentID is "<postid>_<commentid>".
func newFacebookCommentID(postID string) string { return postID + "_" + digits(16) }

// newInstagramCommentID is a 17-digit Instagram comment ID.
func newInstagramCommentID() string { return "178" + digits(14) }

// newInstagramMediaID is an 17-digit Instagram media ID.
func newInstagramMediaID() string { return "180" + digits(14) }

// newPostRef is the 26-character post ID the plugin puts in Send API metadata.
func newPostRef() string {
	const alphabet = "abcdefghijkmnopqrstuwxyz13456789"
	var b strings.Builder
	for range 26 {
		b.WriteByte(alphabet[rand.IntN(len(alphabet))])
	}
	return b.String()
}

// newTraceID looks like an fbtrace_id.
func newTraceID() string {
	return strings.NewReplacer("-", "A", "_", "z").Replace(base64.RawURLEncoding.EncodeToString(randomBytes(17)))[:23]
}

// Timestamps: messaging uses milliseconds, feed and Instagram comments seconds.
func millis(t time.Time) int64  { return t.UnixMilli() }
func seconds(t time.Time) int64 { return t.Unix() }
