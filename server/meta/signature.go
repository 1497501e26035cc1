package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/pkg/errors"
)

// SignatureHeader is the header Meta signs webhook bodies with.
const SignatureHeader = "X-Hub-Signature-256"

const signaturePrefix = "sha256="

// Signature errors, distinguished so the webhook can answer 401 (missing) or 403 (wrong).
var (
	ErrSignatureMissing = errors.New("missing X-Hub-Signature-256 header")
	ErrSignatureInvalid = errors.New("X-Hub-Signature-256 does not match the body")
	ErrNoSecret         = errors.New("no Meta App Secret is configured")
)

// Sign returns the X-Hub-Signature-256 value for body: "sha256=" + hex HMAC-SHA256.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks header against the raw body with any of the secrets (the Meta
// App Secret, and optionally an Instagram app secret: Meta does not say which one signs
// Instagram-Login webhooks). The comparison is constant-time. Meta signs its own
// escaped-unicode bytes, so body must be the bytes exactly as received.
func VerifySignature(body []byte, header string, secrets ...string) error {
	configured := false
	for _, s := range secrets {
		if s != "" {
			configured = true
		}
	}
	if !configured {
		return ErrNoSecret
	}
	if header == "" {
		return ErrSignatureMissing
	}
	// sha256= plus 64 hex digits; anything else cannot match.
	if len(header) != len(signaturePrefix)+sha256.Size*2 || !strings.HasPrefix(header, signaturePrefix) {
		return ErrSignatureInvalid
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil {
		return ErrSignatureInvalid
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write(body)
		if hmac.Equal(got, mac.Sum(nil)) {
			return nil
		}
	}
	return ErrSignatureInvalid
}
