package webhook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/stdwebhooks"
)

type seen struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// recorder is a test receiver that records requests and answers with respond.
type recorder struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []seen
	respond func(w http.ResponseWriter, r *http.Request)
}

func newRecorder(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) *recorder {
	t.Helper()
	rec := &recorder{respond: respond}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		rec.mu.Unlock()
		if rec.respond != nil {
			rec.respond(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"id":42}`)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) last(t *testing.T) seen {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request received")
	}
	return r.reqs[len(r.reqs)-1]
}

var testNow = time.Unix(1700000000, 0)

func loopbackClient() *http.Client {
	return netguard.NewClient(netguard.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
}

func newExec(secrets ...string) *Executor {
	return New(Options{
		Client:  loopbackClient(),
		Now:     func() time.Time { return testNow },
		Secrets: func(*hook.Account, time.Time) []string { return secrets },
	})
}

func request(cfg map[string]any) *action.Request {
	return &action.Request{
		Execution:      &hook.Execution{ID: "exe_1", Depth: 2},
		Account:        &hook.Account{ID: "acc_1"},
		Index:          0,
		Action:         hook.Action{Type: Type, Name: "notify"},
		Config:         cfg,
		IdempotencyKey: "exe_1-0",
		Attempt:        1,
	}
}

func asActionError(t *testing.T, err error) *action.Error {
	t.Helper()
	var ae *action.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *action.Error", err, err)
	}
	return ae
}

func TestMethods(t *testing.T) {
	rec := newRecorder(t, nil)
	ex := newExec()
	for _, m := range []string{"get", "POST", "Put", "patch", "DELETE"} {
		cfg := map[string]any{"url": rec.URL + "/m", "method": m}
		up := strings.ToUpper(m)
		withBody := up != "GET" && up != "DELETE"
		if withBody {
			cfg["body_template"] = map[string]any{"m": up}
		}
		res, err := ex.Execute(context.Background(), request(cfg))
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		got := rec.last(t)
		if got.Method != up {
			t.Errorf("%s: server saw %s", m, got.Method)
		}
		if withBody {
			if string(got.Body) != `{"m":"`+up+`"}` || got.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s: body %q, content-type %q", m, got.Body, got.Header.Get("Content-Type"))
			}
		} else if len(got.Body) != 0 || got.Header.Get("Content-Type") != "" {
			t.Errorf("%s: unexpected body %q / content-type %q", m, got.Body, got.Header.Get("Content-Type"))
		}
		if res.Output["status"] != 200 {
			t.Errorf("%s: output %v", m, res.Output)
		}
	}
	// Default method is POST; DELETE may carry a body when given.
	if _, err := ex.Execute(context.Background(), request(map[string]any{"url": rec.URL})); err != nil || rec.last(t).Method != "POST" {
		t.Fatalf("default method: %v %s", err, rec.last(t).Method)
	}
	if _, err := ex.Execute(context.Background(), request(map[string]any{"url": rec.URL, "method": "DELETE", "body_template": []any{1, 2}})); err != nil || string(rec.last(t).Body) != "[1,2]" {
		t.Fatalf("DELETE with body: %v %q", err, rec.last(t).Body)
	}
}

func TestHeadersQueryAndOutput(t *testing.T) {
	rec := newRecorder(t, nil)
	ex := newExec()
	res, err := ex.Execute(context.Background(), request(map[string]any{
		"url":     rec.URL + "/hook/x?a=1",
		"headers": map[string]any{"X-Source": "hookline", "X-Count": 3.0},
		"query":   map[string]any{"b": 2.5, "c": true, "d": "x y&z", "e": []any{"1", "2"}},
		"body_template": map[string]any{
			"text": "<b>order</b> & more", "total": 600.0, "tags": []any{"a"},
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	if got.Path != "/hook/x" || got.Query != "a=1&b=2.5&c=true&d=x+y%26z&e=1&e=2" {
		t.Errorf("path %q query %q", got.Path, got.Query)
	}
	if got.Header.Get("X-Source") != "hookline" || got.Header.Get("X-Count") != "3" {
		t.Errorf("headers %v", got.Header)
	}
	if got.Header.Get("User-Agent") != "hookline/1" {
		t.Errorf("user agent %q", got.Header.Get("User-Agent"))
	}
	if got.Header.Get("X-Hookline-Depth") != "3" || got.Header.Get("X-Hookline-Execution") != "exe_1" {
		t.Errorf("hookline headers: depth %q execution %q", got.Header.Get("X-Hookline-Depth"), got.Header.Get("X-Hookline-Execution"))
	}
	if got.Header.Get("webhook-id") != "exe_1-0" || got.Header.Get("webhook-timestamp") != "1700000000" {
		t.Errorf("standard webhooks headers %v", got.Header)
	}
	if got.Header.Get("webhook-signature") != "" {
		t.Errorf("signed without secrets")
	}
	if want := `{"tags":["a"],"text":"<b>order</b> & more","total":600}`; string(got.Body) != want {
		t.Errorf("body %s, want %s", got.Body, want)
	}
	body, ok := res.Output["body"].(map[string]any)
	if !ok || body["id"] != 42.0 || body["ok"] != true {
		t.Errorf("output body %#v", res.Output["body"])
	}
	if hs := res.Output["headers"].(map[string]any); hs["content-type"] != "application/json" {
		t.Errorf("output headers %v", hs)
	}
	// A configured User-Agent wins.
	if _, err := ex.Execute(context.Background(), request(map[string]any{"url": rec.URL, "headers": map[string]any{"User-Agent": "mine"}})); err != nil || rec.last(t).Header.Get("User-Agent") != "mine" {
		t.Errorf("user agent override: %v", err)
	}
}

func TestRawAndFormBodies(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "plain answer")
	})
	ex := newExec()
	cases := []struct {
		cfg      map[string]any
		wantBody string
		wantCT   string
	}{
		{map[string]any{"headers": map[string]any{"content-type": "text/plain"}, "body_template": "hello {raw}"}, "hello {raw}", "text/plain"},
		{map[string]any{"headers": map[string]any{"Content-Type": "application/json"}, "body_template": `{"pre":"encoded"}`}, `{"pre":"encoded"}`, "application/json"},
		{map[string]any{"body_template": "just a string"}, `"just a string"`, "application/json"},
		{map[string]any{"headers": map[string]any{"Content-Type": "application/x-www-form-urlencoded"}, "body_template": map[string]any{"a": "1 2", "b": 3.0, "c": []any{"x", "y"}}}, "a=1+2&b=3&c=x&c=y", "application/x-www-form-urlencoded"},
		{map[string]any{"headers": map[string]any{"Content-Type": "application/vnd.api+json"}, "body_template": map[string]any{"n": nil}}, `{"n":null}`, "application/vnd.api+json"},
	}
	for i, c := range cases {
		c.cfg["url"] = rec.URL
		res, err := ex.Execute(context.Background(), request(c.cfg))
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		got := rec.last(t)
		if string(got.Body) != c.wantBody || got.Header.Get("Content-Type") != c.wantCT {
			t.Errorf("case %d: body %q ct %q, want %q %q", i, got.Body, got.Header.Get("Content-Type"), c.wantBody, c.wantCT)
		}
		if res.Output["body"] != "plain answer" {
			t.Errorf("case %d: output body %#v", i, res.Output["body"])
		}
	}
}

func TestSignatureVerifies(t *testing.T) {
	rec := newRecorder(t, nil)
	cur, prev := stdwebhooks.NewSecret(), stdwebhooks.NewSecret()
	ex := newExec(cur, prev)
	if _, err := ex.Execute(context.Background(), request(map[string]any{"url": rec.URL, "body_template": map[string]any{"a": 1.0}})); err != nil {
		t.Fatal(err)
	}
	got := rec.last(t)
	if n := len(strings.Fields(got.Header.Get("webhook-signature"))); n != 2 {
		t.Fatalf("want 2 signatures, got %q", got.Header.Get("webhook-signature"))
	}
	for _, s := range []string{cur, prev} {
		if err := stdwebhooks.Verify(s, got.Header, got.Body, 5*time.Minute, testNow); err != nil {
			t.Errorf("verify: %v", err)
		}
	}
	if err := stdwebhooks.Verify(stdwebhooks.NewSecret(), got.Header, got.Body, 5*time.Minute, testNow); err == nil {
		t.Error("verified with an unrelated secret")
	}
	// GET without a body signs the empty body.
	if _, err := ex.Execute(context.Background(), request(map[string]any{"url": rec.URL, "method": "GET"})); err != nil {
		t.Fatal(err)
	}
	got = rec.last(t)
	if err := stdwebhooks.Verify(cur, got.Header, nil, 5*time.Minute, testNow); err != nil {
		t.Errorf("verify GET: %v", err)
	}
	// A broken secret is a final failure.
	_, err := newExec("whsec_***").Execute(context.Background(), request(map[string]any{"url": rec.URL}))
	if ae := asActionError(t, err); ae.Retryable {
		t.Errorf("broken secret retryable: %v", err)
	}
}

func TestAccountSecrets(t *testing.T) {
	later := testNow.Add(time.Hour)
	acc := &hook.Account{SigningSecret: "whsec_bmV3", PrevSigningSecret: "whsec_b2xk", PrevSecretExpiresAt: &later}
	if got := AccountSecrets(acc, testNow); len(got) != 2 || got[0] != "whsec_bmV3" {
		t.Errorf("within window: %v", got)
	}
	if got := AccountSecrets(acc, later.Add(time.Second)); len(got) != 1 {
		t.Errorf("after window: %v", got)
	}
	if got := AccountSecrets(nil, testNow); got != nil {
		t.Errorf("nil account: %v", got)
	}
	// The default Secrets signs with the account's secret.
	rec := newRecorder(t, nil)
	ex := New(Options{Client: loopbackClient(), Now: func() time.Time { return testNow }})
	req := request(map[string]any{"url": rec.URL})
	req.Account = acc
	if _, err := ex.Execute(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if err := stdwebhooks.Verify(acc.PrevSigningSecret, rec.last(t).Header, rec.last(t).Body, time.Minute, testNow); err != nil {
		t.Errorf("default secrets: %v", err)
	}
}

func TestWebhookIDStableAcrossAttempts(t *testing.T) {
	rec := newRecorder(t, nil)
	now := testNow
	ex := New(Options{Client: loopbackClient(), Now: func() time.Time { now = now.Add(time.Minute); return now }})
	req := request(map[string]any{"url": rec.URL})
	var ids, stamps []string
	for attempt := 1; attempt <= 2; attempt++ {
		req.Attempt = attempt
		if _, err := ex.Execute(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.last(t).Header.Get("webhook-id"))
		stamps = append(stamps, rec.last(t).Header.Get("webhook-timestamp"))
	}
	if ids[0] != "exe_1-0" || ids[0] != ids[1] {
		t.Errorf("webhook-id %v", ids)
	}
	if stamps[0] == stamps[1] {
		t.Errorf("timestamps should follow the clock: %v", stamps)
	}
}

func TestStatusClassification(t *testing.T) {
	date := testNow.Add(90 * time.Second).UTC().Format(http.TimeFormat)
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/429":
			w.Header().Set("Retry-After", "7")
		case "/503":
			w.Header().Set("Retry-After", date)
		case "/500":
			w.Header().Set("Retry-After", "86400")
		}
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(code)
		io.WriteString(w, "status body")
	})
	ex := newExec()
	cases := []struct {
		code      int
		ok        bool
		retryable bool
		after     time.Duration
		msg       string
	}{
		{200, true, false, 0, ""},
		{201, true, false, 0, ""},
		{204, true, false, 0, ""},
		{400, false, false, 0, "400 Bad Request"},
		{404, false, false, 0, "404 Not Found"},
		{408, false, true, 0, "408"},
		{410, false, false, 0, "410 Gone: the receiver asked to stop sending"},
		{425, false, true, 0, "425"},
		{429, false, true, 7 * time.Second, "429 Too Many Requests"},
		{500, false, true, time.Hour, "500 Internal Server Error"},
		{502, false, true, 0, "502"},
		{503, false, true, 90 * time.Second, "503"},
	}
	for _, c := range cases {
		res, err := ex.Execute(context.Background(), request(map[string]any{"url": rec.URL + "/" + strconv.Itoa(c.code) + "?token=SECRET123"}))
		if c.ok {
			if err != nil || res.Output["status"] != c.code {
				t.Errorf("%d: %v %v", c.code, err, res)
			}
			continue
		}
		ae := asActionError(t, err)
		if ae.Retryable != c.retryable || ae.RetryAfter != c.after || action.IsRetryable(err) != c.retryable {
			t.Errorf("%d: retryable %v after %s, want %v %s", c.code, ae.Retryable, ae.RetryAfter, c.retryable, c.after)
		}
		if !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "POST 127.0.0.1") {
			t.Errorf("%d: message %q lacks %q", c.code, err, c.msg)
		}
		if strings.Contains(err.Error(), "SECRET123") {
			t.Errorf("%d: message leaks the query: %q", c.code, err)
		}
		if ae.Result == nil || ae.Result.Response.(map[string]any)["status"] != c.code || ae.Result.Output["body"] != "status body" {
			t.Errorf("%d: result %+v", c.code, ae.Result)
		}
		if u := ae.Result.Request.(map[string]any)["url"].(string); !strings.Contains(u, "token=[redacted]") || strings.Contains(u, "SECRET123") {
			t.Errorf("%d: logged url %q", c.code, u)
		}
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	start := time.Now()
	_, err := newExec().Execute(context.Background(), request(map[string]any{"url": rec.URL + "/slow?key=SECRET123", "timeout": "150ms"}))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s", took)
	}
	ae := asActionError(t, err)
	if !ae.Retryable || !strings.Contains(err.Error(), "timed out after 150ms") || strings.Contains(err.Error(), "SECRET123") {
		t.Errorf("got %v (retryable %v)", err, ae.Retryable)
	}
}

func TestConnectionRefusedIsRetryable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = newExec().Execute(context.Background(), request(map[string]any{"url": "http://" + addr + "/x?token=SECRET123"}))
	ae := asActionError(t, err)
	if !ae.Retryable || strings.Contains(err.Error(), "SECRET123") || !strings.Contains(err.Error(), "POST "+addr+"/x") {
		t.Errorf("got %v (retryable %v)", err, ae.Retryable)
	}
	if ae.Result == nil || ae.Result.Request == nil {
		t.Errorf("no request summary on a network error")
	}
}

func TestBlockedDestinationIsFinal(t *testing.T) {
	rec := newRecorder(t, nil)
	ex := New(Options{Client: netguard.NewClient(netguard.Options{}), Now: func() time.Time { return testNow }})
	_, err := ex.Execute(context.Background(), request(map[string]any{"url": rec.URL + "/x?token=SECRET123"}))
	ae := asActionError(t, err)
	if ae.Retryable || !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("got %v (retryable %v), want final ErrBlocked", err, ae.Retryable)
	}
	msg := err.Error()
	if !strings.Contains(msg, "address 127.0.0.1 is not allowed (loopback); allow it with --allow-net") || strings.Contains(msg, "SECRET123") {
		t.Errorf("message %q", msg)
	}
	rec.mu.Lock()
	n := len(rec.reqs)
	rec.mu.Unlock()
	if n != 0 {
		t.Errorf("blocked request reached the server")
	}
	// Same for the default client (nil Options.Client) and the metadata address.
	_, err = New(Options{}).Execute(context.Background(), request(map[string]any{"url": "http://169.254.169.254/latest/meta-data/", "timeout": "2s"}))
	if !errors.Is(err, netguard.ErrBlocked) || action.IsRetryable(err) {
		t.Errorf("metadata: %v", err)
	}
}

func TestInvalidRenderedConfigIsFinal(t *testing.T) {
	ex := newExec()
	for _, cfg := range []map[string]any{
		{"url": "ftp://example.com/x"},
		{"url": "http://example.com", "method": "TRACE"},
		{"url": "http://example.com", "headers": map[string]any{"X-A": "a\r\nX-B: b"}},
		{"url": "http://example.com", "timeout": "2m"},
	} {
		_, err := ex.Execute(context.Background(), request(cfg))
		ae := asActionError(t, err)
		var fe *action.FieldError
		if ae.Retryable || !errors.As(err, &fe) {
			t.Errorf("%v: got %v", cfg, err)
		}
	}
}
