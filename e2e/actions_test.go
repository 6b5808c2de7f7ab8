package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

// smtpSink is a real SMTP server on 127.0.0.1 keeping what it receives.
type smtpSink struct {
	mu   sync.Mutex
	msgs []smtpMsg
	host string
	port int
}

type smtpMsg struct {
	from  string
	rcpts []string
	data  string
}

type smtpSession struct {
	s   *smtpSink
	msg smtpMsg
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error { ss.msg.from = from; return nil }
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.msg.rcpts = append(ss.msg.rcpts, to)
	return nil
}
func (ss *smtpSession) Data(r io.Reader) error {
	b, _ := io.ReadAll(r)
	ss.msg.data = string(b)
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ss.msg)
	ss.s.mu.Unlock()
	ss.msg = smtpMsg{}
	return nil
}
func (ss *smtpSession) Reset()        {}
func (ss *smtpSession) Logout() error { return nil }

func newSMTPSink(t *testing.T) *smtpSink {
	sk := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: sk}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	sk.host, sk.port = "127.0.0.1", addr.Port
	return sk
}

func (s *smtpSink) messages() []smtpMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMsg(nil), s.msgs...)
}

// twilio is a local server answering as Twilio's Messages API does.
func newTwilio(t *testing.T) (*httptest.Server, *[]map[string]string, *sync.Mutex) {
	var mu sync.Mutex
	var got []map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		m := map[string]string{"path": r.URL.Path, "To": r.Form.Get("To"), "Body": r.Form.Get("Body"), "From": r.Form.Get("From")}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"sid":"SM123","status":"queued","to":"` + m["To"] + `"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &got, &mu
}

// TestNotificationsAndJobs: email, SMS and a job in one hook, the worker API
// and secrets that never leak (canaries searched everywhere they could show).
func TestNotificationsAndJobs(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		mail := newSMTPSink(t)
		tw, sms, smsMu := newTwilio(t)
		var logs bytes.Buffer
		var logMu sync.Mutex
		logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		s := start(t, open(t), func(c *hookline.Config) {
			c.SMTP = hookline.SMTPConfig{Host: mail.host, Port: mail.port, TLS: "none", From: "hookline@example.com"}
			c.SMS = hookline.SMSConfig{URL: tw.URL, AccountSID: "AC123", AuthToken: "sms-token-canary-77", From: "+15550001111"}
			c.Logger = logger
		})
		const canary = "CANARY-sekret-9f3a"
		s.must(201, "POST", "/api/v1/secrets", map[string]any{"name": "TOKEN", "value": canary})
		echo := newSink(t) // answers 500 the first time, echoing what it got
		echo.status = func(n int) int {
			if n == 1 {
				return 500
			}
			return 200
		}
		h := s.must(201, "POST", "/api/v1/hooks", manualHook("notify",
			map[string]any{"type": "send_email", "name": "mail", "config": map[string]any{
				"to": "{{email}}", "cc": []any{"boss@example.com"}, "bcc": "audit@example.com",
				"subject": "Order {{order}} for {{email}}", "text": "Thanks! ref {{secret.TOKEN}}", "html": "<p>Thanks!</p>"}},
			map[string]any{"type": "send_sms", "name": "text", "config": map[string]any{"to": "+15551234567", "body": "Order {{order}} ok {{secret.TOKEN}}"}},
			map[string]any{"type": "enqueue_job", "name": "job", "config": map[string]any{"queue": "reports", "payload": map[string]any{"order": "{{order}}", "sms": "{{steps.text.sid}}"}}},
			map[string]any{"type": "send_webhook", "name": "hook", "retry": map[string]any{"max_attempts": 3, "initial": "10ms"}, "config": map[string]any{
				"url": echo.URL + "/cb?token={{secret.TOKEN}}", "headers": map[string]any{"X-Token": "{{secret.TOKEN}}"},
				"body_template": map[string]any{"t": "{{secret.TOKEN}}", "job": "{{steps.job.id}}"}}},
		))
		x := s.must(200, "POST", "/api/v1/hooks/"+h["id"].(string)+"/trigger?wait=20s", map[string]any{"data": map[string]any{"email": "ada@example.com", "order": 7}})
		if x["status"] != "success" {
			t.Fatalf("execution: %v %v", x["status"], x["error_message"])
		}
		msgs := mail.messages()
		if len(msgs) != 1 {
			t.Fatalf("%d emails", len(msgs))
		}
		m := msgs[0]
		if strings.Join(m.rcpts, ",") != "ada@example.com,boss@example.com,audit@example.com" {
			t.Errorf("recipients %v", m.rcpts)
		}
		if !strings.Contains(m.data, "Subject: Order 7 for ada@example.com") || strings.Contains(m.data, "audit@example.com") ||
			!strings.Contains(m.data, "text/plain") || !strings.Contains(m.data, "text/html") {
			t.Errorf("message:\n%s", m.data)
		}
		smsMu.Lock()
		if len(*sms) != 1 || (*sms)[0]["To"] != "+15551234567" || (*sms)[0]["path"] != "/2010-04-01/Accounts/AC123/Messages.json" {
			t.Errorf("sms: %v", *sms)
		}
		smsMu.Unlock()

		// The worker API: claim, fail once, claim again, ack.
		claim := s.must(200, "POST", "/api/v1/jobs/claim", map[string]any{"queue": "reports", "lease": "30s"})
		job := claim["job"].(map[string]any)
		if job["payload"].(map[string]any)["sms"] != "SM123" || job["attempt"] != float64(1) {
			t.Errorf("job: %v", job)
		}
		if r := s.do("POST", "/api/v1/jobs/claim", s.Admin, map[string]any{"queue": "reports"}); r.Status != 204 {
			t.Errorf("empty queue: %d", r.Status)
		}
		s.must(200, "POST", "/api/v1/jobs/"+job["id"].(string)+"/fail", map[string]any{"error": "printer jam", "retry_in": "0s"})
		again := s.must(200, "POST", "/api/v1/jobs/claim", map[string]any{"queue": "reports", "lease": "1s"})["job"].(map[string]any)
		if again["id"] != job["id"] || again["attempt"] != float64(2) {
			t.Errorf("retried job: %v", again)
		}
		time.Sleep(1100 * time.Millisecond) // the lease ends: claimable again
		third := s.must(200, "POST", "/api/v1/jobs/claim", map[string]any{"queue": "reports"})["job"].(map[string]any)
		if third["id"] != job["id"] || third["attempt"] != float64(3) {
			t.Errorf("after lease expiry: %v", third)
		}
		done := s.must(200, "POST", "/api/v1/jobs/"+job["id"].(string)+"/ack", nil)
		if done["state"] != "completed" {
			t.Errorf("ack: %v", done)
		}
		if r := s.do("POST", "/api/v1/jobs/"+job["id"].(string)+"/ack", s.Admin, nil); r.Status != 409 {
			t.Errorf("second ack: %d", r.Status)
		}

		// Canaries: nowhere in logs, responses or outputs.
		echo.wait(t, 2)
		places := map[string]string{
			"execution":  string(s.do("GET", "/api/v1/executions/"+x["id"].(string), s.Admin, nil).Raw),
			"executions": string(s.do("GET", "/api/v1/executions", s.Admin, nil).Raw),
			"hook":       string(s.do("GET", "/api/v1/hooks/"+h["id"].(string), s.Admin, nil).Raw),
			"secrets":    string(s.do("GET", "/api/v1/secrets", s.Admin, nil).Raw),
			"test":       string(s.do("POST", "/api/v1/hooks/"+h["id"].(string)+"/test", s.Admin, map[string]any{"data": map[string]any{"email": "a@b.c", "order": 1}}).Raw),
			"jobs":       string(s.do("GET", "/api/v1/jobs", s.Admin, nil).Raw),
		}
		logMu.Lock()
		places["logs"] = logs.String()
		logMu.Unlock()
		for where, text := range places {
			for _, c := range []string{canary, "sms-token-canary-77"} {
				if strings.Contains(text, c) {
					t.Errorf("secret %q appears in %s", c, where)
				}
			}
		}
		if !strings.Contains(places["execution"], "[redacted]") {
			t.Errorf("the execution log should show [redacted] where the secret was")
		}
		if got := echo.requests()[0]; got.Header.Get("X-Token") != canary || !strings.Contains(got.Query, canary) {
			t.Errorf("the receiver must get the real secret: %v %s", got.Header, got.Query)
		}
	})
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestEmbeddedQueueHandler: an embedder handles a queue with a Go function.
func TestEmbeddedQueueHandler(t *testing.T) {
	st := mustSQLite(t)
	ctx := context.Background()
	eng, err := hookline.Open(ctx, hookline.Config{Store: st, SecretKey: testKey, Logger: quietLog, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, key, _, _ := eng.Bootstrap(ctx, "")
	got := make(chan any, 10)
	fails := 0
	eng.HandleQueue("thumbnails", 2, func(ctx context.Context, j *store.Job) error {
		if fails == 0 {
			fails++
			return io.ErrUnexpectedEOF
		}
		got <- j.Payload
		return nil
	})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop(ctx)
	p, _ := eng.Authenticate(ctx, key)
	h, err := eng.CreateHook(ctx, p, &hookline_Hook{Name: "thumbs", Enabled: true, Trigger: trig("manual"),
		Actions: acts("enqueue_job", map[string]any{"queue": "thumbnails", "payload": map[string]any{"img": "{{img}}"}})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.TriggerHook(ctx, p, h.ID, map[string]any{"img": "cat.png"}); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		b, _ := json.Marshal(v)
		if string(b) != `{"img":"cat.png"}` {
			t.Errorf("payload %s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the Go handler never got the job (after one failed attempt it is retried in 1s)")
	}
}
