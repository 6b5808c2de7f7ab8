package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
)

func request(cfg map[string]any) *action.Request {
	return &action.Request{
		Execution:      &hook.Execution{ID: "exe_01"},
		Index:          2,
		Config:         cfg,
		IdempotencyKey: "msg_exe_01_2",
		Attempt:        1,
	}
}

func executor(ts *testServer, tlsMode string, mod func(*Options)) *Executor {
	o := Options{Host: ts.host, Port: ts.port, From: "Hookline <noreply@example.com>", TLS: tlsMode, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&o)
	}
	return New(o)
}

// parsed reads a received message: its header and its text/html parts.
func parsed(t *testing.T, data []byte) (mail.Header, map[string]string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	parts := map[string]string{}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		var r io.Reader = m.Body
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(r)
		}
		b, _ := io.ReadAll(r)
		parts[mt] = strings.TrimRight(string(b), "\r\n")
		return m.Header, parts
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, _ := io.ReadAll(p)
		parts[pt] = strings.TrimRight(string(b), "\r\n")
	}
	return m.Header, parts
}

func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendPlainWithAuth(t *testing.T) {
	ts := startServer(t, modePlain, nil, func(s *testServer) { s.user, s.pass = "mailer", "s3cret" })
	e := executor(ts, TLSNone, func(o *Options) { o.Username, o.Password = "mailer", "s3cret" })
	cfg := map[string]any{
		"to":      []any{"Ann <ann@example.com>", "bob@example.com"},
		"cc":      "carol@example.com",
		"bcc":     []any{"dave@example.com"},
		"subject": "Commande n° 42 confirmée",
		"text":    "Hello Ann,\nyour order is confirmed.",
		"html":    "<p>Hello Ann,</p><p>your order is <b>confirmed</b>.</p>",
	}
	res, err := e.Execute(context.Background(), request(cfg))
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if got := res.Output["message_id"]; got != "<msg_exe_01_2@hookline>" {
		t.Errorf("message_id = %v", got)
	}
	if got := res.Output["to"]; !slices.Equal(got.([]string), []string{"ann@example.com", "bob@example.com"}) {
		t.Errorf("output to = %v", got)
	}

	msgs := ts.messages()
	if len(msgs) != 1 {
		t.Fatalf("received %d messages", len(msgs))
	}
	m := msgs[0]
	if m.from != "noreply@example.com" {
		t.Errorf("envelope from = %q", m.from)
	}
	want := []string{"ann@example.com", "bob@example.com", "carol@example.com", "dave@example.com"}
	got := slices.Clone(m.rcpts)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("envelope rcpts = %v, want %v", got, want)
	}
	h, parts := parsed(t, m.data)
	if v := h.Get("Bcc"); v != "" || bytes.Contains(bytes.ToLower(m.data), []byte("dave@")) {
		t.Errorf("Bcc leaked into the message: %q", v)
	}
	if s := decodeHeader(t, h.Get("Subject")); s != cfg["subject"] {
		t.Errorf("Subject = %q", s)
	}
	if v := h.Get("Message-Id"); v != "<msg_exe_01_2@hookline>" {
		t.Errorf("Message-ID = %q", v)
	}
	if v := h.Get("X-Hookline-Execution"); v != "exe_01" {
		t.Errorf("X-Hookline-Execution = %q", v)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 2 || to[0].Name != "Ann" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if from, err := h.AddressList("From"); err != nil || from[0].Address != "noreply@example.com" {
		t.Errorf("From = %v (%v)", from, err)
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("Content-Type = %q", mt)
	}
	if !strings.Contains(parts["text/plain"], "your order is confirmed.") {
		t.Errorf("text part = %q", parts["text/plain"])
	}
	if !strings.Contains(parts["text/html"], "<b>confirmed</b>") {
		t.Errorf("html part = %q", parts["text/html"])
	}

	// A retry of the same action carries the same Message-ID.
	if _, err := e.Execute(context.Background(), request(cfg)); err != nil {
		t.Fatal(err)
	}
	msgs = ts.messages()
	h2, _ := parsed(t, msgs[1].data)
	if h2.Get("Message-Id") != h.Get("Message-Id") {
		t.Errorf("Message-ID changed across retries: %q, %q", h.Get("Message-Id"), h2.Get("Message-Id"))
	}
}

func TestSendStartTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	ts := startServer(t, modeStartTLS, cert, func(s *testServer) { s.user, s.pass = "mailer", "s3cret" })
	e := executor(ts, TLSStartTLS, func(o *Options) {
		o.Username, o.Password = "mailer", "s3cret"
		o.TLSConfig = &tls.Config{RootCAs: pool}
	})
	cfg := map[string]any{"to": "ann@example.com", "subject": "Hi", "text": "plain only", "from": "Shop <shop@example.com>"}
	if _, err := e.Execute(context.Background(), request(cfg)); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	msgs := ts.messages()
	if len(msgs) != 1 || msgs[0].from != "shop@example.com" {
		t.Fatalf("received %+v", msgs)
	}
	h, parts := parsed(t, msgs[0].data)
	if parts["text/plain"] != "plain only" {
		t.Errorf("parts = %q", parts)
	}
	if from, _ := h.AddressList("From"); from[0].Name != "Shop" {
		t.Errorf("From = %v", from)
	}
}

func TestSendImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	ts := startServer(t, modeImplicit, cert, nil)
	e := executor(ts, TLSImplicit, func(o *Options) { o.TLSConfig = &tls.Config{RootCAs: pool} })
	cfg := map[string]any{"to": []any{"ann@example.com"}, "subject": "Hi", "html": "<p>html only</p>"}
	if _, err := e.Execute(context.Background(), request(cfg)); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	msgs := ts.messages()
	if len(msgs) != 1 {
		t.Fatalf("received %d", len(msgs))
	}
	if _, parts := parsed(t, msgs[0].data); parts["text/html"] != "<p>html only</p>" {
		t.Errorf("parts = %q", parts)
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	ts := startServer(t, modePlain, nil, nil)
	e := executor(ts, TLSNone, nil)
	base := func() map[string]any {
		return map[string]any{"to": "ann@example.com", "subject": "Hi", "text": "x"}
	}
	cases := map[string]func(map[string]any){
		"subject CRLF": func(c map[string]any) { c["subject"] = "Hi\r\nBcc: evil@example.net" },
		"subject LF":   func(c map[string]any) { c["subject"] = "Hi\nX-Evil: 1" },
		"to CRLF":      func(c map[string]any) { c["to"] = "ann@example.com\r\nBcc: evil@example.net" },
		"to list":      func(c map[string]any) { c["to"] = []any{"ann@example.com", "bob@example.com\nBcc: evil@example.net"} },
		"cc":           func(c map[string]any) { c["cc"] = "carol@example.com\r\n" },
		"from":         func(c map[string]any) { c["from"] = "Shop <shop@example.com>\r\nBcc: evil@example.net" },
		"name":         func(c map[string]any) { c["to"] = "\"Ann\r\nBcc: evil@example.net\" <ann@example.com>" },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := base()
			mod(cfg)
			_, err := e.Execute(context.Background(), request(cfg))
			if err == nil || action.IsRetryable(err) {
				t.Fatalf("err = %v, want a final failure", err)
			}
			if !strings.Contains(err.Error(), "line breaks") {
				t.Errorf("err = %v", err)
			}
			if ve := e.Validate(cfg); ve == nil {
				t.Errorf("Validate accepted the literal")
			}
		})
	}
	if n := len(ts.messages()); n != 0 {
		t.Errorf("server received %d messages", n)
	}
}

func TestSMTPErrors(t *testing.T) {
	cfg := map[string]any{"to": "ann@example.com", "subject": "Hi", "text": "x"}
	cases := []struct {
		name      string
		setup     func(*testServer)
		user      string
		retryable bool
		contains  string
	}{
		{"451 at data", func(s *testServer) {
			s.dataErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}, "", true, "451"},
		{"421 at mail", func(s *testServer) {
			s.mailErr = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}
		}, "", true, "421"},
		{"550 at rcpt", func(s *testServer) {
			s.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}, "", false, "550"},
		{"554 at data", func(s *testServer) {
			s.dataErr = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected as spam"}
		}, "", false, "554"},
		{"auth failure", func(s *testServer) { s.user, s.pass = "mailer", "right" }, "mailer", false, "535"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := startServer(t, modePlain, nil, c.setup)
			e := executor(ts, TLSNone, func(o *Options) {
				if c.user != "" {
					o.Username, o.Password = c.user, "wrong-password"
				}
			})
			_, err := e.Execute(context.Background(), request(cfg))
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("error: %v", err)
			var ae *action.Error
			if !errors.As(err, &ae) || ae.Retryable != c.retryable {
				t.Errorf("retryable = %v, want %v (%v)", action.IsRetryable(err), c.retryable, err)
			}
			if !strings.Contains(err.Error(), c.contains) {
				t.Errorf("err = %v, want it to mention %s", err, c.contains)
			}
			if strings.Contains(err.Error(), "wrong-password") {
				t.Errorf("password leaked: %v", err)
			}
			if ae != nil && ae.Result == nil {
				t.Errorf("no request summary on failure")
			}
			if n := len(ts.messages()); n != 0 {
				t.Errorf("received %d", n)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	cfg := map[string]any{"to": "ann@example.com", "subject": "Hi", "text": "x"}

	t.Run("connection refused retries", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().(*net.TCPAddr)
		ln.Close()
		e := New(Options{Host: "127.0.0.1", Port: addr.Port, From: "a@example.com", TLS: TLSNone, Timeout: 2 * time.Second})
		_, err = e.Execute(context.Background(), request(cfg))
		if !action.IsRetryable(err) {
			t.Errorf("err = %v, want retryable", err)
		}
	})
	t.Run("untrusted certificate fails", func(t *testing.T) {
		cert, _ := selfSigned(t)
		ts := startServer(t, modeStartTLS, cert, nil)
		_, err := executor(ts, TLSStartTLS, nil).Execute(context.Background(), request(cfg))
		if err == nil || action.IsRetryable(err) {
			t.Errorf("err = %v, want a final failure", err)
		}
	})
	t.Run("STARTTLS not offered fails", func(t *testing.T) {
		ts := startServer(t, modePlain, nil, nil)
		_, err := executor(ts, TLSStartTLS, nil).Execute(context.Background(), request(cfg))
		if err == nil || action.IsRetryable(err) || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("err = %v, want a final failure about STARTTLS", err)
		}
	})
	t.Run("not configured", func(t *testing.T) {
		_, err := New(Options{From: "a@example.com"}).Execute(context.Background(), request(cfg))
		if err == nil || action.IsRetryable(err) || !strings.Contains(err.Error(), "HOOKLINE_SMTP_HOST") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unknown TLS mode", func(t *testing.T) {
		_, err := New(Options{Host: "127.0.0.1", From: "a@example.com", TLS: "ssl"}).Execute(context.Background(), request(cfg))
		if err == nil || action.IsRetryable(err) || !strings.Contains(err.Error(), "HOOKLINE_SMTP_TLS") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no sender", func(t *testing.T) {
		ts := startServer(t, modePlain, nil, nil)
		e := executor(ts, TLSNone, func(o *Options) { o.From = "" })
		_, err := e.Execute(context.Background(), request(cfg))
		if err == nil || action.IsRetryable(err) || !strings.Contains(err.Error(), "from") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestRequestSummary(t *testing.T) {
	ts := startServer(t, modePlain, nil, nil)
	e := executor(ts, TLSNone, func(o *Options) { o.MaxBodyExcerpt = 10 })
	body := strings.Repeat("é", 20) // 40 bytes
	cfg := map[string]any{"to": "ann@example.com", "bcc": "b@example.com", "subject": "Hi", "text": body}
	res, err := e.Execute(context.Background(), request(cfg))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Request.(map[string]any)
	if s["text"] != strings.Repeat("é", 5) || s["text_truncated"] != true {
		t.Errorf("excerpt = %q, %v", s["text"], s["text_truncated"])
	}
	if !slices.Equal(s["bcc"].([]string), []string{"<b@example.com>"}) || s["subject"] != "Hi" {
		t.Errorf("summary = %v", s)
	}
	if s["from"] != `"Hookline" <noreply@example.com>` {
		t.Errorf("from = %v", s["from"])
	}

	req := request(cfg)
	req.Debug = true
	res, err = e.Execute(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if s := res.Request.(map[string]any); s["text"] != body || s["text_truncated"] != nil {
		t.Errorf("debug summary = %v", s)
	}
}
