package meta

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // only to build the legacy header Meta also sends
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"object":"page","entry":[{"id":"1","messaging":[{"message":{"text":"\u00e4\u00f6\u00e5"}}]}]}`)
	good := Sign("s3cret", body)
	sha1mac := hmac.New(sha1.New, []byte("s3cret"))
	sha1mac.Write(body)
	legacy := "sha1=" + hex.EncodeToString(sha1mac.Sum(nil))

	tests := []struct {
		name    string
		body    []byte
		header  string
		secrets []string
		want    error
	}{
		{"valid", body, good, []string{"s3cret"}, nil},
		{"valid with the second secret", body, good, []string{"other", "s3cret"}, nil},
		{"uppercase hex still matches", body, "sha256=" + strings.ToUpper(good[7:]), []string{"s3cret"}, nil},
		{"no secret configured refuses", body, good, []string{"", ""}, ErrNoSecret},
		{"missing header", body, "", []string{"s3cret"}, ErrSignatureMissing},
		{"wrong secret", body, good, []string{"other"}, ErrSignatureInvalid},
		{"sha1 only is not accepted", body, legacy, []string{"s3cret"}, ErrSignatureInvalid},
		{"body changed by one byte", append([]byte{' '}, body...), good, []string{"s3cret"}, ErrSignatureInvalid},
		{"re-serialised unicode does not match", []byte(strings.ReplaceAll(string(body), `\u00e4\u00f6\u00e5`, "äöå")), good, []string{"s3cret"}, ErrSignatureInvalid},
		{"truncated", body, good[:len(good)-2], []string{"s3cret"}, ErrSignatureInvalid},
		{"not hex", body, "sha256=" + strings.Repeat("zz", 32), []string{"s3cret"}, ErrSignatureInvalid},
		{"no prefix", body, strings.TrimPrefix(good, "sha256=") + "1234567", []string{"s3cret"}, ErrSignatureInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.body, tc.header, tc.secrets...)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestSignMatchesMetaFormat(t *testing.T) {
	sig := Sign("abc", []byte("{}"))
	require.True(t, strings.HasPrefix(sig, "sha256="))
	require.Len(t, sig, 71, "courier and Meta use exactly sha256= plus 64 hex digits")
	require.Equal(t, strings.ToLower(sig), sig)
}
