// Package stdwebhooks signs and verifies Standard Webhooks
// (https://www.standardwebhooks.com): a secret is "whsec_" + base64 of the
// key bytes; the signed content is "{msg_id}.{timestamp}.{body}"; the
// signature is HMAC-SHA256, sent as "v1,<base64>" in the webhook-signature
// header, several space-separated during a secret rotation.
package stdwebhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every secret.
const SecretPrefix = "whsec_"

// DefaultTolerance is the timestamp window Verify uses when given none.
const DefaultTolerance = 5 * time.Minute

// Verification errors.
var (
	ErrInvalidSecret   = errors.New("stdwebhooks: invalid secret")
	ErrMissingHeaders  = errors.New("stdwebhooks: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrInvalidHeaders  = errors.New("stdwebhooks: invalid webhook-timestamp header")
	ErrTimestampTooOld = errors.New("stdwebhooks: message timestamp too old")
	ErrTimestampTooNew = errors.New("stdwebhooks: message timestamp too far in the future")
	ErrNoMatch         = errors.New("stdwebhooks: no matching signature")
)

// NewSecret returns a fresh random secret, "whsec_" + base64 of 32 bytes.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("stdwebhooks: crypto/rand: " + err.Error()) // never happens
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// key decodes a secret; the whsec_ prefix is optional.
func key(secret string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimSpace(secret), SecretPrefix)
	if s == "" {
		return nil, ErrInvalidSecret
	}
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if k, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("%w: not base64", ErrInvalidSecret)
		}
	}
	if len(k) == 0 {
		return nil, ErrInvalidSecret
	}
	return k, nil
}

func mac(k []byte, msgID string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, k)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write([]byte(strconv.FormatInt(ts, 10)))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the "v1,<base64>" signature of body under secret.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, msgID, ts.Unix(), body)), nil
}

// SignAll signs with every secret (current first, then those still valid
// after a rotation) and joins the signatures with spaces, the value of the
// webhook-signature header.
func SignAll(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, msgID, ts, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Verify checks the Standard Webhooks headers of a message against secret:
// the timestamp must lie within tolerance of now (either side; zero
// tolerance means DefaultTolerance) and one of the space-separated v1
// signatures must match, compared in constant time.
func Verify(secret string, headers http.Header, body []byte, tolerance time.Duration, now time.Time) error {
	k, err := key(secret)
	if err != nil {
		return err
	}
	id := headers.Get(HeaderID)
	tsHeader := headers.Get(HeaderTimestamp)
	sigHeader := headers.Get(HeaderSignature)
	if id == "" || tsHeader == "" || sigHeader == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(tsHeader), 10, 64)
	if err != nil {
		return ErrInvalidHeaders
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if now.IsZero() {
		now = time.Now()
	}
	// Compare in seconds to stay clear of time.Duration overflow for
	// absurd timestamps.
	tol := int64(tolerance / time.Second)
	switch n := now.Unix(); {
	case ts < n-tol:
		return ErrTimestampTooOld
	case ts > n+tol:
		return ErrTimestampTooNew
	}
	want := mac(k, id, ts, body)
	for _, sig := range strings.Fields(sigHeader) {
		version, enc, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrNoMatch
}
