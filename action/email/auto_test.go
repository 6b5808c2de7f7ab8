package email

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/hookline/hookline/action"
)

// remote makes the executor address the server by a name that is not a
// loopback host (smtp.example.test), while the connection still goes to the
// test server on 127.0.0.1: the loopback rule sees a remote server.
func remote(ts *testServer) func(*Options) {
	return func(o *Options) {
		o.Host = "smtp.example.test"
		o.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, net.JoinHostPort(ts.host, strconv.Itoa(ts.port)))
		}
	}
}

func mail1() map[string]any {
	return map[string]any{"to": "ann@example.com", "subject": "Hi", "text": "x"}
}

// TestAutoIsTheDefault: an executor without a TLS mode uses auto.
func TestAutoIsTheDefault(t *testing.T) {
	if got := New(Options{Host: "h"}).o.TLS; got != TLSAuto {
		t.Fatalf("default TLS mode = %q, want auto", got)
	}
}

// TestAutoPlainRelay: a plain local relay (no STARTTLS, no AUTH) gets the
// message (with the former default, mandatory STARTTLS, every send failed).
func TestAutoPlainRelay(t *testing.T) {
	ts := startServer(t, modeRelay, nil, nil)
	e := executor(ts, "", nil)
	if _, err := e.Execute(context.Background(), request(mail1())); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if m := ts.messages(); len(m) != 1 || m[0].tls {
		t.Fatalf("received %+v", m)
	}
}

// TestAutoUsesSTARTTLSWhenOffered: with STARTTLS offered, the message and
// the credentials go encrypted, to a remote name and to loopback alike.
func TestAutoUsesSTARTTLSWhenOffered(t *testing.T) {
	cert, pool := selfSigned(t)
	for _, far := range []bool{false, true} {
		ts := startServer(t, modeStartTLS, cert, func(s *testServer) { s.user, s.pass = "mailer", "s3cret" })
		e := executor(ts, TLSAuto, func(o *Options) {
			o.Username, o.Password = "mailer", "s3cret"
			o.TLSConfig = &tls.Config{RootCAs: pool}
			if far {
				remote(ts)(o)
			}
		})
		if _, err := e.Execute(context.Background(), request(mail1())); err != nil {
			t.Fatalf("remote=%v: Execute: %v", far, err)
		}
		if m := ts.messages(); len(m) != 1 || !m[0].tls {
			t.Errorf("remote=%v: the message did not come over TLS: %+v", far, m)
		}
		if a := ts.authAttempts(); len(a) != 1 || !a[0] {
			t.Errorf("remote=%v: credentials were not sent encrypted: %v", far, a)
		}
	}
}

// TestAutoNeverSendsCredentialsInClearToARemoteHost: a remote server that
// offers AUTH but no STARTTLS never sees the password; the send fails for
// good with a message that says why and what to change.
func TestAutoNeverSendsCredentialsInClearToARemoteHost(t *testing.T) {
	ts := startServer(t, modePlain, nil, func(s *testServer) { s.user, s.pass = "mailer", "s3cret" })
	e := executor(ts, TLSAuto, func(o *Options) {
		o.Username, o.Password = "mailer", "s3cret"
		remote(ts)(o)
	})
	_, err := e.Execute(context.Background(), request(mail1()))
	if err == nil {
		t.Fatal("sent with credentials over plain text to a remote host")
	}
	if action.IsRetryable(err) {
		t.Errorf("a refusal to send credentials in clear must not be retried: %v", err)
	}
	if !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "HOOKLINE_SMTP_TLS=none") {
		t.Errorf("error does not explain: %v", err)
	}
	if a := ts.authAttempts(); len(a) != 0 {
		t.Errorf("the server received credentials: %v", a)
	}
	if len(ts.messages()) != 0 {
		t.Errorf("a message was sent")
	}
}

// TestAutoCredentialsToLoopbackInClear: to a server on this machine the
// credentials may go in clear (nothing crosses a network).
func TestAutoCredentialsToLoopbackInClear(t *testing.T) {
	ts := startServer(t, modePlain, nil, func(s *testServer) { s.user, s.pass = "mailer", "s3cret" })
	e := executor(ts, TLSAuto, func(o *Options) { o.Username, o.Password = "mailer", "s3cret" })
	if _, err := e.Execute(context.Background(), request(mail1())); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if a := ts.authAttempts(); len(a) != 1 || a[0] {
		t.Errorf("auth attempts (encrypted?) = %v, want one in clear", a)
	}
	if len(ts.messages()) != 1 {
		t.Errorf("not delivered")
	}
	for host, want := range map[string]bool{"127.0.0.1": true, "127.1.2.3": true, "::1": true, "[::1]": true, "localhost": true, "LOCALHOST": true, "10.0.0.1": false, "mail.example.com": false, "": false} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v", host, got)
		}
	}
}

// TestStartTLSRequiredStillRefusesAPlainServer: starttls keeps its meaning.
func TestStartTLSRequiredStillRefusesAPlainServer(t *testing.T) {
	ts := startServer(t, modeRelay, nil, nil)
	e := executor(ts, TLSStartTLS, nil)
	if _, err := e.Execute(context.Background(), request(mail1())); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("starttls against a plain server: %v", err)
	}
}
