package webhook

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/stdwebhooks"
)

func TestDebugAndExcerptBodies(t *testing.T) {
	big := strings.Repeat("é", 2500) // 5000 bytes, 2 per rune
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Set-Cookie", "sid=abc")
		io.WriteString(w, big)
	})
	ex := newExec()
	cfg := map[string]any{"url": rec.URL, "headers": map[string]any{"Content-Type": "text/plain"}, "body_template": big}

	res, err := ex.Execute(context.Background(), request(cfg))
	if err != nil {
		t.Fatal(err)
	}
	rq, rs := res.Request.(map[string]any), res.Response.(map[string]any)
	if b := rq["body"].(string); len(b) != 1024 || rq["body_truncated"] != true {
		t.Errorf("request excerpt: %d bytes, truncated %v", len(b), rq["body_truncated"])
	}
	if b := rs["body"].(string); len(b) != 1024 || rs["body_truncated"] != true || !strings.HasPrefix(big, b) {
		t.Errorf("response excerpt: %d bytes, truncated %v", len(b), rs["body_truncated"])
	}
	if b := res.Output["body"].(string); len(b) != 1024 {
		t.Errorf("output excerpt: %d bytes", len(b))
	}
	if rs["headers"].(map[string]any)["set-cookie"] != Redacted {
		t.Errorf("response set-cookie not redacted: %v", rs["headers"])
	}

	req := request(cfg)
	req.Debug = true
	res, err = ex.Execute(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	rq, rs = res.Request.(map[string]any), res.Response.(map[string]any)
	if rq["body"] != big || rq["body_truncated"] != nil {
		t.Errorf("debug request body: %d bytes", len(rq["body"].(string)))
	}
	if rs["body"] != big || rs["body_truncated"] != nil {
		t.Errorf("debug response body: %d bytes", len(rs["body"].(string)))
	}

	// Odd excerpt sizes never split a rune.
	ex2 := New(Options{Client: loopbackClient(), MaxBodyExcerpt: 1023})
	res, err = ex2.Execute(context.Background(), request(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if b := res.Response.(map[string]any)["body"].(string); len(b) != 1022 || !strings.HasPrefix(big, b) {
		t.Errorf("rune-safe excerpt: %d bytes", len(b))
	}
}

func TestLargeResponseCapped(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"a":"`+strings.Repeat("x", MaxResponseBody)+`"}`)
	})
	req := request(map[string]any{"url": rec.URL})
	req.Debug = true
	res, err := newExec().Execute(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	rs := res.Response.(map[string]any)
	if len(rs["body"].(string)) != MaxResponseBody || rs["body_truncated"] != true {
		t.Errorf("response read %d bytes", len(rs["body"].(string)))
	}
	if _, isString := res.Output["body"].(string); !isString {
		t.Errorf("truncated JSON should be a string excerpt")
	}
}

func TestRedactionOfSensitiveHeaders(t *testing.T) {
	rec := newRecorder(t, nil)
	ex := newExec(stdwebhooks.NewSecret())
	res, err := ex.Execute(context.Background(), request(map[string]any{
		"url": "http://user:pw@" + strings.TrimPrefix(rec.URL, "http://") + "/p?api_key=K1&page=2",
		"headers": map[string]any{
			"Authorization": "Bearer T0", "X-Api-Key": "K2", "X-Auth-Token": "T3",
			"X-Client-Secret": "S4", "Cookie": "c=5", "X-Custom": "visible",
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	if got.Header.Get("Authorization") != "Bearer T0" || got.Header.Get("X-Api-Key") != "K2" {
		t.Errorf("server did not get the real values: %v", got.Header)
	}
	rq := res.Request.(map[string]any)
	hs := rq["headers"].(map[string]any)
	for _, h := range []string{"authorization", "x-api-key", "x-auth-token", "x-client-secret", "cookie", "webhook-signature"} {
		if hs[h] != Redacted {
			t.Errorf("%s = %v, want redacted", h, hs[h])
		}
	}
	if hs["x-custom"] != "visible" || hs["webhook-id"] != "exe_1-0" {
		t.Errorf("headers %v", hs)
	}
	u := rq["url"].(string)
	if strings.Contains(u, "pw") || strings.Contains(u, "K1") || !strings.Contains(u, "page=2") || !strings.Contains(u, "api_key=[redacted]") {
		t.Errorf("logged url %q", u)
	}
	if rq["method"] != "POST" {
		t.Errorf("method %v", rq["method"])
	}
}

func TestParseRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"":      0,
		"7":     7 * time.Second,
		" 120 ": 2 * time.Minute,
		"0":     0,
		"-5":    0,
		"99999": time.Hour,
		"soon":  0,
		testNow.Add(30 * time.Second).UTC().Format(http.TimeFormat): 30 * time.Second,
		testNow.Add(-time.Minute).UTC().Format(http.TimeFormat):     0,
		testNow.Add(48 * time.Hour).UTC().Format(http.TimeFormat):   time.Hour,
	} {
		if got := parseRetryAfter(in, testNow); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}
