// Package inboundsig verifies the signatures senders put on inbound calls:
// a plain HMAC-SHA256 header, GitHub's X-Hub-Signature-256, Stripe's
// Stripe-Signature (timestamped) and Standard Webhooks (timestamped). The
// timestamped schemes refuse calls outside a replay window.
package inboundsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/stdwebhooks"
)

// Kinds of verification.
const (
	KindHMAC             = "hmac-sha256"
	KindGitHub           = "github"
	KindStripe           = "stripe"
	KindStandardWebhooks = "standard-webhooks"
)

// Window is the replay window of the timestamped schemes.
const Window = 5 * time.Minute

// Errors, all meaning 401 to the sender.
var (
	ErrMissing   = errors.New("signature header is missing")
	ErrMismatch  = errors.New("signature does not match")
	ErrMalformed = errors.New("signature header is malformed")
	ErrExpired   = errors.New("signature timestamp is outside the 5-minute replay window")
)

// DefaultHeader is the header each kind reads when none is configured.
func DefaultHeader(kind string) string {
	switch kind {
	case KindGitHub:
		return "X-Hub-Signature-256"
	case KindStripe:
		return "Stripe-Signature"
	case KindStandardWebhooks:
		return "webhook-signature"
	}
	return "X-Signature"
}

// Verify checks the signature of body in h under secret.
func Verify(kind, header, secret string, h http.Header, body []byte, now time.Time) error {
	if header == "" {
		header = DefaultHeader(kind)
	}
	switch kind {
	case KindStandardWebhooks:
		if h.Get("webhook-signature") == "" {
			return ErrMissing
		}
		if err := stdwebhooks.Verify(secret, h, body, Window, now); err != nil {
			if errors.Is(err, stdwebhooks.ErrTimestampTooOld) || errors.Is(err, stdwebhooks.ErrTimestampTooNew) {
				return ErrExpired
			}
			return ErrMismatch
		}
		return nil
	case KindStripe:
		return verifyStripe(h.Get(header), secret, body, now)
	case KindGitHub, KindHMAC:
		v := strings.TrimSpace(h.Get(header))
		if v == "" {
			return ErrMissing
		}
		v = strings.TrimPrefix(v, "sha256=")
		got, err := hex.DecodeString(v)
		if err != nil {
			// Some senders use base64 for the plain scheme.
			if kind == KindHMAC {
				if b, berr := base64.StdEncoding.DecodeString(v); berr == nil {
					got, err = b, nil
				}
			}
			if err != nil {
				return ErrMalformed
			}
		}
		if !hmac.Equal(got, mac(secret, body)) {
			return ErrMismatch
		}
		return nil
	}
	return errors.New("unknown verification kind " + strconv.Quote(kind))
}

// DeliveryID names one signed delivery of a kind whose senders identify
// their deliveries, so that the same delivery sent again can be recognized
// ("" when the kind does not): Standard Webhooks' webhook-id, Stripe's
// timestamp and signatures, GitHub's X-GitHub-Delivery. Call it only on
// verified requests.
func DeliveryID(kind, header string, h http.Header) string {
	if header == "" {
		header = DefaultHeader(kind)
	}
	switch kind {
	case KindStandardWebhooks:
		if id := strings.TrimSpace(h.Get("webhook-id")); id != "" {
			return "standard-webhooks:" + id
		}
	case KindStripe:
		if v := strings.TrimSpace(h.Get(header)); v != "" {
			return "stripe:" + v
		}
	case KindGitHub:
		if id := strings.TrimSpace(h.Get("X-GitHub-Delivery")); id != "" {
			return "github:" + id
		}
	}
	return ""
}

func mac(secret string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// verifyStripe checks "t=<unix>,v1=<hex>[,v1=<hex>…]" over "<t>.<body>".
func verifyStripe(v, secret string, body []byte, now time.Time) error {
	if v == "" {
		return ErrMissing
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			ts = val
		case "v1":
			b, err := hex.DecodeString(val)
			if err != nil {
				return ErrMalformed
			}
			sigs = append(sigs, b)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Window || d < -Window {
		return ErrExpired
	}
	want := mac(secret, []byte(ts), []byte("."), body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrMismatch
}

// SignStripe builds a Stripe-Signature value (for tests and senders).
func SignStripe(secret string, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return "t=" + t + ",v1=" + hex.EncodeToString(mac(secret, []byte(t), []byte("."), body))
}

// SignHex is the hex HMAC-SHA256 of body (GitHub sends it as "sha256=" + this).
func SignHex(secret string, body []byte) string { return hex.EncodeToString(mac(secret, body)) }
