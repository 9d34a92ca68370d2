package source

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// VerifyHubSignature checks a "sha256=<hex>" signature header (GitHub's
// X-Hub-Signature-256, Bitbucket's X-Hub-Signature) against the HMAC-SHA256
// of body under secret, in constant time.
func VerifyHubSignature(secret string, body []byte, header string) error {
	if header == "" {
		return fmt.Errorf("%w: no signature header", ErrBadSignature)
	}
	algo, sig, ok := strings.Cut(header, "=")
	if !ok || algo != "sha256" {
		return fmt.Errorf("%w: signature is not sha256=<hex>", ErrBadSignature)
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: signature is not hex", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: signature does not match", ErrBadSignature)
	}
	return nil
}

// VerifyToken compares a plain token header with the secret in constant
// time.
func VerifyToken(secret, header, name string) error {
	if header == "" {
		return fmt.Errorf("%w: no %s header", ErrBadSignature, name)
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(header)) != 1 {
		return fmt.Errorf("%w: %s does not match", ErrBadSignature, name)
	}
	return nil
}
