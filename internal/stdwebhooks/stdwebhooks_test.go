package stdwebhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// byHand computes a signature independently of the package code.
func byHand(rawKey []byte, id, ts, body string) string {
	h := hmac.New(sha256.New, rawKey)
	h.Write([]byte(id + "." + ts + "." + body))
	return "v1," + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func headers(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", sig)
	return h
}

func TestPublishedVector(t *testing.T) {
	// The example from the Standard Webhooks / Svix documentation.
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	id := "msg_p5jXN8AQM9LWM0D4loKWxJek"
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	got, err := Sign(secret, id, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if err := Verify(secret, headers(id, ts.Unix(), want), body, time.Minute, ts.Add(30*time.Second)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestSignMatchesHandComputation(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789abcdef")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(raw)
	ts := time.Unix(1700000000, 999_000_000) // sub-second part is dropped
	body := `{"hello":"world","n":1}`
	got, err := Sign(secret, "msg_1", ts, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if want := byHand(raw, "msg_1", "1700000000", body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	// The prefix is optional.
	got2, err := Sign(strings.TrimPrefix(secret, "whsec_"), "msg_1", ts, []byte(body))
	if err != nil || got2 != got {
		t.Fatalf("unprefixed: %s %v", got2, err)
	}
	// An empty body is fine.
	got3, err := Sign(secret, "msg_2", ts, nil)
	if err != nil || got3 != byHand(raw, "msg_2", "1700000000", "") {
		t.Fatalf("empty body: %s %v", got3, err)
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secrets %q %q", a, b)
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if err != nil || len(k) < 24 || len(k) > 32 {
		t.Fatalf("key %d bytes, %v", len(k), err)
	}
	sig, err := Sign(a, "id", time.Now(), []byte("x"))
	if err != nil || !strings.HasPrefix(sig, "v1,") {
		t.Fatalf("sign with new secret: %q %v", sig, err)
	}
}

func TestRotation(t *testing.T) {
	oldS, newS := NewSecret(), NewSecret()
	now := time.Unix(1700000000, 0)
	body := []byte(`{"a":1}`)
	all, err := SignAll([]string{newS, oldS}, "msg_r", now, body)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(all, " ")
	if len(parts) != 2 {
		t.Fatalf("SignAll = %q", all)
	}
	s1, _ := Sign(newS, "msg_r", now, body)
	s2, _ := Sign(oldS, "msg_r", now, body)
	if parts[0] != s1 || parts[1] != s2 {
		t.Fatalf("SignAll order: %q", all)
	}
	h := headers("msg_r", now.Unix(), all)
	for _, s := range []string{oldS, newS} {
		if err := Verify(s, h, body, 0, now); err != nil {
			t.Errorf("verify with %s: %v", s, err)
		}
	}
	if err := Verify(NewSecret(), h, body, 0, now); !errors.Is(err, ErrNoMatch) {
		t.Errorf("unrelated secret: %v", err)
	}
	if s, err := SignAll(nil, "x", now, body); s != "" || err != nil {
		t.Errorf("SignAll(nil) = %q, %v", s, err)
	}
	// Unknown versions and garbage are skipped, not fatal.
	h.Set("webhook-signature", "v1a,abc v2,"+strings.TrimPrefix(s1, "v1,")+" nonsense v1,!!! "+s1)
	if err := Verify(newS, h, body, 0, now); err != nil {
		t.Errorf("mixed header: %v", err)
	}
}

func TestVerifyFailures(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1700000000, 0)
	body := []byte(`{"amount":100}`)
	sig, _ := Sign(secret, "msg_x", now, body)

	cases := []struct {
		name    string
		h       http.Header
		body    []byte
		secret  string
		now     time.Time
		wantErr error
	}{
		{"tampered body", headers("msg_x", now.Unix(), sig), []byte(`{"amount":999}`), secret, now, ErrNoMatch},
		{"other id", headers("msg_y", now.Unix(), sig), body, secret, now, ErrNoMatch},
		{"old timestamp", headers("msg_x", now.Unix(), sig), body, secret, now.Add(6 * time.Minute), ErrTimestampTooOld},
		{"future timestamp", headers("msg_x", now.Unix(), sig), body, secret, now.Add(-6 * time.Minute), ErrTimestampTooNew},
		{"shifted timestamp", headers("msg_x", now.Unix()+1, sig), body, secret, now, ErrNoMatch},
		{"missing id", headers("", now.Unix(), sig), body, secret, now, ErrMissingHeaders},
		{"missing signature", headers("msg_x", now.Unix(), ""), body, secret, now, ErrMissingHeaders},
		{"bad timestamp", func() http.Header { h := headers("msg_x", 0, sig); h.Set("webhook-timestamp", "soon"); return h }(), body, secret, now, ErrInvalidHeaders},
		{"bad secret", headers("msg_x", now.Unix(), sig), body, "whsec_%%%", now, ErrInvalidSecret},
		{"empty secret", headers("msg_x", now.Unix(), sig), body, "whsec_", now, ErrInvalidSecret},
	}
	for _, c := range cases {
		err := Verify(c.secret, c.h, c.body, 5*time.Minute, c.now)
		if !errors.Is(err, c.wantErr) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.wantErr)
		}
	}
	// Within tolerance on both sides.
	for _, d := range []time.Duration{-5 * time.Minute, 5 * time.Minute} {
		if err := Verify(secret, headers("msg_x", now.Unix(), sig), body, 5*time.Minute, now.Add(d)); err != nil {
			t.Errorf("skew %s: %v", d, err)
		}
	}
	if _, err := Sign("not base64!", "id", now, body); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("Sign bad secret: %v", err)
	}
	if _, err := SignAll([]string{secret, ""}, "id", now, body); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("SignAll bad secret: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	f.Add(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", []byte(`{"test": 2432232314}`))
	f.Add("", "", "", "", []byte(nil))
	f.Add("whsec_", "id", "-9223372036854775808", "v1, v1,,, ,v1", []byte("x"))
	f.Add("whsec_=", "id", "9223372036854775807", "v1,====", []byte("x"))
	f.Fuzz(func(t *testing.T, secret, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		now := time.Unix(1614265330, 0)
		err := Verify(secret, h, body, time.Hour, now)
		// A message we signed ourselves always verifies.
		if err == nil {
			return
		}
		if id != "" && strings.TrimSpace(id) == id && !strings.ContainsAny(id, "\r\n") {
			if s, serr := Sign(secret, id, now, body); serr == nil {
				h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
				h.Set("webhook-signature", s)
				if verr := Verify(secret, h, body, time.Hour, now); verr != nil {
					t.Fatalf("own signature rejected: %v", verr)
				}
			}
		}
	})
}
