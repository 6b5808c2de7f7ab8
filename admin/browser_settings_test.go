package admin_test

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"

	"github.com/hookline/hookline"
)

// relay is a real SMTP server (go-smtp) on 127.0.0.1, a plain local relay
// that keeps what it receives.
type relay struct {
	host string
	port int
	mu   sync.Mutex
	got  []string // recipients and data, one entry per message
	wake chan struct{}
}

type relaySession struct {
	r     *relay
	rcpts []string
}

func (s *relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpts = append(s.rcpts, to)
	return nil
}
func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.got = append(s.r.got, strings.Join(s.rcpts, ",")+"\n"+string(b))
	s.r.mu.Unlock()
	s.r.wake <- struct{}{}
	return nil
}
func (s *relaySession) Reset()        { s.rcpts = nil }
func (s *relaySession) Logout() error { return nil }

func newRelay(t *testing.T) *relay {
	t.Helper()
	r := &relay{wake: make(chan struct{}, 10)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	r.host, r.port = "127.0.0.1", addr.Port
	return r
}

// TestBrowserSettings (item 5): the settings page shows the SMTP and SMS
// configuration with secrets masked, sends a test email through the real
// SMTP server and a test SMS through a Twilio-compatible API, says why a
// send failed, and shows the limits and retention in force. A shop's admin
// does not see it.
func TestBrowserSettings(t *testing.T) {
	mail := newRelay(t)
	var smsMu sync.Mutex
	var smsForm string
	twilio := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		smsMu.Lock()
		smsForm = r.URL.Path + "?" + r.PostForm.Encode()
		smsMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"sid":"SM123","status":"queued","to":"+14155550100"}`))
	}))
	t.Cleanup(twilio.Close)
	s := startServerWith(t, func(c *hookline.Config) {
		c.SMTP = hookline.SMTPConfig{Host: mail.host, Port: mail.port, Username: "", Password: "smtp-pass-XYZ", From: "hookline@example.com", TLS: "none"}
		c.SMS = hookline.SMSConfig{URL: twilio.URL, AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "tok-SECRET-123", From: "+14155550199"}
		c.Retention = 72 * time.Hour
		c.EventsPerSecond = -1
	})
	ctx := chrome(t)
	signIn(t, ctx, s)
	do(t, ctx,
		chromedp.Click(css(`nav a[href="/admin/settings"]`)),
		chromedp.WaitVisible(css(`[data-settings="email"]`)),
	)
	page := text(t, ctx, "main")
	for _, secret := range []string{"smtp-pass-XYZ", "tok-SECRET-123", "AC0123456789abcdef0123456789abcdef"} {
		if strings.Contains(page, secret) {
			t.Fatalf("the settings page shows a secret %q", secret)
		}
	}
	for _, want := range []string{mail.host, "hookline@example.com", "(set)", "AC01…cdef", "+14155550199", "3 days (72h0m0s)", "no limit", "HOOKLINE_SMTP_HOST"} {
		if !strings.Contains(page, want) {
			t.Errorf("the settings page lacks %q", want)
		}
	}

	// A test email arrives at the SMTP server.
	do(t, ctx,
		chromedp.SendKeys(css("#email_to"), "ops@example.com"),
		chromedp.Click(css("[data-test-email]")),
	)
	select {
	case <-mail.wake:
	case <-time.After(20 * time.Second):
		t.Fatal("no test email arrived")
	}
	mail.mu.Lock()
	got := mail.got[0]
	mail.mu.Unlock()
	if !strings.HasPrefix(got, "ops@example.com\n") || !strings.Contains(got, "Subject: hookline test email") {
		t.Fatalf("test email: %q", got)
	}
	waitAfterNav(t, ctx, "the flash", `(document.querySelector("[data-flash]") || {}).textContent?.includes("Sent a test email to ops@example.com")`)

	// A test SMS reaches the provider; a bad number is refused with why.
	do(t, ctx,
		chromedp.SendKeys(css("#sms_to"), "+1 415 555 0100"),
		chromedp.Click(css("[data-test-sms]")),
	)
	waitAfterNav(t, ctx, "the SMS flash", `(document.querySelector("[data-flash]") || {}).textContent?.includes("Sent a test SMS")`)
	smsMu.Lock()
	sent := smsForm
	smsMu.Unlock()
	if !strings.Contains(sent, "To=%2B14155550100") || !strings.Contains(sent, "/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json") {
		t.Fatalf("provider got %q", sent)
	}
	do(t, ctx,
		chromedp.Clear(css("#sms_to")),
		chromedp.SendKeys(css("#sms_to"), "12"),
		chromedp.Click(css("[data-test-sms]")),
	)
	waitAfterNav(t, ctx, "the error flash", `(document.querySelector("[data-flash].error") || {}).textContent?.includes("E.164")`)
	shot(t, ctx, "settings")

	// A shop's admin sees no settings.
	shop := s.mustAPI(201, "POST", "/api/v1/accounts", s.Key, map[string]any{"name": "Shop", "parent_id": s.Root})["id"].(string)
	k := s.mustAPI(201, "POST", "/api/v1/accounts/"+shop+"/keys", s.Key, map[string]any{"name": "shop admin", "role": "admin"})["key"].(string)
	b := s.browser()
	b.login(k)
	if p := b.get("/admin/settings"); p.Status != http.StatusForbidden || strings.Contains(p.Body, mail.host) {
		t.Fatalf("a shop admin got the settings page: %d", p.Status)
	}
	if p := b.get("/admin/"); strings.Contains(p.Body, `href="/admin/settings"`) {
		t.Fatal("a shop admin's menu offers Settings")
	}
}

// An unconfigured server says so, and a test send says why it failed.
func TestSettingsUnconfigured(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)
	p := b.get("/admin/settings")
	if p.Status != 200 || !strings.Contains(p.Body, "no SMTP server is configured") || !strings.Contains(p.Body, "no SMS provider is configured") {
		t.Fatalf("settings: %d\n%.3000s", p.Status, p.Body)
	}
	// The one node of a SQLite server: this one, alive, idle.
	i := strings.Index(p.Body, "data-nodes")
	if i < 0 {
		t.Fatalf("no nodes card:\n%.3000s", p.Body)
	}
	node := p.Body[i:]
	for _, want := range []string{"SQLite: this process is the only node", "this node", "data-alive", `data-running>0<`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the nodes card lacks %q:\n%.2000s", want, node)
		}
	}
	if strings.Count(node, "<tr data-node=") != 1 {
		t.Errorf("nodes on SQLite:\n%.2000s", node)
	}
	p = b.post("/admin/settings/test-email", map[string][]string{"email_to": {"ops@example.com"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("test email: %d", p.Status)
	}
	if p = b.get(p.Location); !strings.Contains(p.Body, "was not sent") && !strings.Contains(p.Body, "failed") {
		t.Fatalf("no reason shown:\n%.3000s", p.Body)
	}
}

// The nodes card updates in place: an execution that starts running shows
// in its count, and is gone once done, without the page being loaded again
// (an address typed into a form meanwhile stays).
func TestBrowserNodesCardRefreshes(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(free)
	s := startServer(t)
	s.mustAPI(201, "POST", "/api/v1/collections", s.Key, map[string]any{"name": "orders"})
	s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "Slow partner", "enabled": true,
		"trigger": map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": slow.URL + "/slow"}}},
	})
	ctx := chrome(t)
	signIn(t, ctx, s)
	do(t, ctx,
		chromedp.Click(css(`nav a[href="/admin/settings"]`)),
		chromedp.WaitVisible(css(`[data-nodes]`)),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
		chromedp.SendKeys(css("#email_to"), "half@typed"),
	)
	if got := strings.TrimSpace(text(t, ctx, "[data-running]")); got != "0" {
		t.Fatalf("running executions before any event: %q", got)
	}
	s.mustAPI(201, "POST", "/api/v1/collections/orders/records", s.Key, map[string]any{"total": 1})
	waitJS(t, ctx, "the running execution in the nodes card",
		`window.notReloaded === true && document.querySelector("[data-running]").textContent.trim() === "1"`)
	shot(t, ctx, "settings-nodes")
	free()
	waitJS(t, ctx, "the nodes card back to idle",
		`window.notReloaded === true && document.querySelector("[data-running]").textContent.trim() === "0"`)
	if typed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("email_to").value`)); err != nil || typed != "half@typed" {
		t.Fatalf("the address typed before the refreshes: %q (%v)", typed, err)
	}
}
