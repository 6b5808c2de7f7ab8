package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "tok_9f8e7d6c5b4a"
)

// fakeTwilio answers as Twilio's Messages API does; answer, when set,
// replaces the success answer.
type fakeTwilio struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	seen   []url.Values
	tokens []string
	answer func(w http.ResponseWriter)
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func twilioErr(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code": %d, "message": %q, "more_info": "https://www.twilio.com/docs/errors/%d", "status": %d}`, code, msg, code, status)
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+sid+"/Messages.json" {
		twilioErr(w, 404, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != sid || pass != token {
		twilioErr(w, 401, 20003, "Authenticate")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("Content-Type = %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		f.t.Error(err)
	}
	f.mu.Lock()
	f.seen = append(f.seen, r.PostForm)
	f.tokens = append(f.tokens, r.Header.Get("I-Twilio-Idempotency-Token"))
	answer := f.answer
	f.mu.Unlock()
	if answer != nil {
		answer(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued", "account_sid": sid,
		"to": r.PostForm.Get("To"), "from": r.PostForm.Get("From"), "body": r.PostForm.Get("Body"),
		"num_segments": "1", "error_code": nil,
	})
}

// requests returns the forms and idempotency tokens received so far.
func (f *fakeTwilio) requests() ([]url.Values, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.seen...), append([]string(nil), f.tokens...)
}

func (f *fakeTwilio) executor(mod func(*Options)) *Executor {
	o := Options{BaseURL: f.srv.URL, AccountSID: sid, AuthToken: token, From: "+15005550006", Client: &http.Client{}}
	if mod != nil {
		mod(&o)
	}
	return New(o)
}

func request(cfg map[string]any) *action.Request {
	return &action.Request{
		Execution: &hook.Execution{ID: "exe_01"}, Config: cfg,
		IdempotencyKey: "msg_exe_01_0", Attempt: 1,
	}
}

func TestSend(t *testing.T) {
	f := newFakeTwilio(t)
	e := f.executor(nil)
	res, err := e.Execute(context.Background(), request(map[string]any{"to": "+1 (415) 555-0100", "body": "Your code is 1234\nThanks"}))
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	want := map[string]any{"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued", "to": "+14155550100"}
	for k, v := range want {
		if res.Output[k] != v {
			t.Errorf("Output[%s] = %v, want %v", k, res.Output[k], v)
		}
	}
	seen, tokens := f.requests()
	if len(seen) != 1 {
		t.Fatalf("%d requests", len(seen))
	}
	form := seen[0]
	if form.Get("To") != "+14155550100" || form.Get("From") != "+15005550006" || form.Get("Body") != "Your code is 1234\nThanks" {
		t.Errorf("form = %v", form)
	}
	if tokens[0] != "msg_exe_01_0" {
		t.Errorf("idempotency token = %q", tokens[0])
	}
	if r := res.Response.(map[string]any); r["status"] != http.StatusCreated {
		t.Errorf("response summary = %v", r)
	}
	if s := fmt.Sprint(res.Request, res.Response, res.Output); strings.Contains(s, token) {
		t.Errorf("token in result: %s", s)
	}

	// from override, and a Messaging Service.
	if _, err := e.Execute(context.Background(), request(map[string]any{"to": "+14155550100", "body": "x", "from": "Hookline"})); err != nil {
		t.Fatal(err)
	}
	seen, _ = f.requests()
	if got := seen[1].Get("From"); got != "Hookline" {
		t.Errorf("From = %q", got)
	}
	svc := "MG" + strings.Repeat("a", 32)
	if _, err := e.Execute(context.Background(), request(map[string]any{"to": "+14155550100", "body": "x", "from": svc})); err != nil {
		t.Fatal(err)
	}
	seen, _ = f.requests()
	if got := seen[2]; got.Get("MessagingServiceSid") != svc || got.Has("From") {
		t.Errorf("form = %v", got)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name       string
		answer     func(w http.ResponseWriter)
		mod        func(*Options)
		retryable  bool
		retryAfter time.Duration
		contains   []string
	}{
		{"500 retries", func(w http.ResponseWriter) { twilioErr(w, 500, 20500, "Internal Server Error") }, nil,
			true, 0, []string{"500", "20500"}},
		{"503 without JSON retries", func(w http.ResponseWriter) { w.WriteHeader(503) }, nil,
			true, 0, []string{"503 Service Unavailable"}},
		{"429 honours Retry-After", func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "7")
			twilioErr(w, 429, 20429, "Too Many Requests")
		}, nil, true, 7 * time.Second, []string{"429", "20429"}},
		{"400 invalid To is final", func(w http.ResponseWriter) {
			twilioErr(w, 400, 21211, "The 'To' number +15005550001 is not a valid phone number.")
		}, nil, false, 0, []string{"400", "21211", "not a valid phone number", "https://www.twilio.com/docs/errors/21211"}},
		{"401 is final", nil, func(o *Options) { o.AuthToken = "wrong-token" },
			false, 0, []string{"401", "20003", "Authenticate"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeTwilio(t)
			f.answer = c.answer
			_, err := f.executor(c.mod).Execute(context.Background(), request(map[string]any{"to": "+14155550100", "body": "hi"}))
			var ae *action.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want an *action.Error", err)
			}
			if ae.Retryable != c.retryable || ae.RetryAfter != c.retryAfter {
				t.Errorf("retryable %v after %v, want %v after %v (%v)", ae.Retryable, ae.RetryAfter, c.retryable, c.retryAfter, err)
			}
			for _, s := range c.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("err = %q, want it to mention %q", err, s)
				}
			}
			all := err.Error() + fmt.Sprint(ae.Result.Request, ae.Result.Response, ae.Result.Output)
			if strings.Contains(all, token) || strings.Contains(all, "wrong-token") {
				t.Errorf("auth token leaked: %s", all)
			}
		})
	}
}

func TestTransportAndConfig(t *testing.T) {
	cfg := map[string]any{"to": "+14155550100", "body": "hi"}
	t.Run("network error retries", func(t *testing.T) {
		f := newFakeTwilio(t)
		e := f.executor(nil)
		f.srv.Close()
		_, err := e.Execute(context.Background(), request(cfg))
		if !action.IsRetryable(err) {
			t.Errorf("err = %v, want retryable", err)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("token leaked: %v", err)
		}
	})
	t.Run("timeout retries", func(t *testing.T) {
		f := newFakeTwilio(t)
		block := make(chan struct{})
		defer close(block)
		f.answer = func(http.ResponseWriter) { <-block }
		_, err := f.executor(func(o *Options) { o.Timeout = 50 * time.Millisecond }).Execute(context.Background(), request(cfg))
		if !action.IsRetryable(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want a retryable timeout", err)
		}
	})
	t.Run("not configured", func(t *testing.T) {
		_, err := New(Options{AuthToken: token, From: "+15005550006"}).Execute(context.Background(), request(cfg))
		if err == nil || action.IsRetryable(err) || !strings.Contains(err.Error(), "HOOKLINE_SMS_ACCOUNT_SID") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("rendered values checked", func(t *testing.T) {
		f := newFakeTwilio(t)
		e := f.executor(nil)
		for _, c := range []map[string]any{
			{"to": "555-0100", "body": "x"},
			{"to": 14155550100.0, "body": "x"},
			{"to": "+14155550100", "body": strings.Repeat("x", MaxBody+1)},
			{"to": "+14155550100", "body": ""},
		} {
			if _, err := e.Execute(context.Background(), request(c)); err == nil || action.IsRetryable(err) {
				t.Errorf("%v: err = %v, want final", c, err)
			}
		}
		// A rendered number body is sent as text.
		if _, err := e.Execute(context.Background(), request(map[string]any{"to": "+14155550100", "body": 1234.0})); err != nil {
			t.Fatal(err)
		}
		seen, _ := f.requests()
		if got := seen[0].Get("Body"); got != "1234" {
			t.Errorf("Body = %q", got)
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"10":                            10 * time.Second,
		"-3":                            0,
		"999999":                        MaxRetryAfter,
		"soon":                          0,
		"Fri, 02 Jan 2026 03:05:05 GMT": time.Minute,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
