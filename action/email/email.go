// Package email is the send_email action: a message sent through the
// configured SMTP server with github.com/wneessen/go-mail.
package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/hookline/hookline/action"
)

// Type is the action type name.
const Type = "send_email"

// DefaultTimeout bounds each exchange with the SMTP server.
const DefaultTimeout = 30 * time.Second

// TLS modes.
const (
	// TLSAuto (the default) uses STARTTLS whenever the server offers it and
	// sends plain text to one that does not (a local relay); credentials are
	// never sent unencrypted except to a loopback host.
	TLSAuto     = "auto"
	TLSNone     = "none"     // plain text; credentials, if any, are sent unencrypted
	TLSStartTLS = "starttls" // STARTTLS required
	TLSImplicit = "tls"      // TLS from the first byte (SMTPS)
)

// Options configure the executor; they mirror hookline.SMTPConfig.
type Options struct {
	Host     string // empty: not configured, every send fails
	Port     int    // default 587, 465 with TLS "tls"
	Username string // empty: no SMTP AUTH
	Password string
	From     string // default sender when a config has no from
	TLS      string // "auto" (default), "none", "starttls", "tls"
	// Timeout bounds each exchange with the server (default 30s).
	Timeout time.Duration
	// TLSConfig, when set, replaces the default TLS settings (e.g. to trust a
	// private CA); its ServerName defaults to Host.
	TLSConfig *tls.Config
	// MaxBodyExcerpt bounds logged bodies when not debugging (default 1024).
	MaxBodyExcerpt int
	// DialContext, when set, opens the connection to the server (tests,
	// embedders with their own network); Host still names the server for
	// TLS and for the loopback rule.
	DialContext func(ctx context.Context, network, address string) (net.Conn, error)
}

// Executor runs send_email actions.
type Executor struct {
	o    Options
	desc action.Description
}

var _ action.Executor = (*Executor)(nil)

// New returns an executor; zero options get defaults.
func New(o Options) *Executor {
	o.Host = strings.TrimSpace(o.Host)
	o.TLS = strings.ToLower(strings.TrimSpace(o.TLS))
	if o.TLS == "" {
		o.TLS = TLSAuto
	}
	if o.Port == 0 {
		o.Port = 587
		if o.TLS == TLSImplicit {
			o.Port = 465
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBodyExcerpt <= 0 {
		o.MaxBodyExcerpt = 1024
	}
	return &Executor{o: o, desc: describe(o.From)}
}

// Type implements action.Executor.
func (e *Executor) Type() string { return Type }

// Validate implements action.Executor: it checks a config as saved, skipping
// what {{ }} holes may still change.
func (e *Executor) Validate(config map[string]any) error {
	_, err := parseConfig(&e.desc, config, false, e.o.From)
	return err
}

// Execute implements action.Executor: one attempt.
func (e *Executor) Execute(ctx context.Context, req *action.Request) (*action.Result, error) {
	if e.o.Host == "" {
		return nil, action.Fail(errors.New("send_email: SMTP is not configured (HOOKLINE_SMTP_HOST)"), nil)
	}
	switch e.o.TLS {
	case TLSAuto, TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return nil, action.Fail(fmt.Errorf("send_email: unknown SMTP TLS mode %q (HOOKLINE_SMTP_TLS: auto, none, starttls or tls)", e.o.TLS), nil)
	}
	cfg, err := parseConfig(&e.desc, req.Config, true, e.o.From)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("send_email: invalid config: %w", err), nil)
	}
	target := net.JoinHostPort(e.o.Host, strconv.Itoa(e.o.Port))

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(cfg.from)
	msg.ToMailAddress(cfg.to...)
	if len(cfg.cc) > 0 {
		msg.CcMailAddress(cfg.cc...)
	}
	if len(cfg.bcc) > 0 {
		msg.BccMailAddress(cfg.bcc...)
	}
	msg.Subject(cfg.subject)
	msgID := messageID(req)
	msg.SetMessageIDWithValue(msgID)
	msg.SetUserAgent("hookline")
	if req.Execution != nil && req.Execution.ID != "" {
		msg.SetGenHeader("X-Hookline-Execution", req.Execution.ID)
	}
	switch {
	case cfg.text != "" && cfg.html != "":
		msg.SetBodyString(gomail.TypeTextPlain, cfg.text)
		msg.AddAlternativeString(gomail.TypeTextHTML, cfg.html)
	case cfg.html != "":
		msg.SetBodyString(gomail.TypeTextHTML, cfg.html)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, cfg.text)
	}

	res := &action.Result{Request: e.requestSummary(cfg, req.Debug)}
	out := map[string]any{"message_id": "<" + msgID + ">", "to": bare(cfg.to)}

	timeout := e.o.Timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	if timeout <= 0 {
		return nil, action.Retry(fmt.Errorf("send_email: %s: %w", target, context.DeadlineExceeded), 0, res)
	}
	client, err := gomail.NewClient(e.o.Host, e.clientOptions(timeout)...)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("send_email: %s: %v", target, err), res)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if msg.IsDelivered() {
			// Accepted; only closing the connection failed.
			res.Output = out
			res.Response = map[string]any{"server": target, "reply": msg.ServerResponse()}
			return res, nil
		}
		if errors.Is(err, gosmtp.ErrUnencrypted) {
			err = fmt.Errorf("%w: the server did not offer STARTTLS, and hookline sends credentials unencrypted only to a loopback host (set HOOKLINE_SMTP_TLS=none to allow it)", err)
		}
		err = fmt.Errorf("send_email: %s: %w", target, err)
		if retryable(err) {
			return nil, action.Retry(err, 0, res)
		}
		return nil, action.Fail(err, res)
	}
	res.Output = out
	res.Response = map[string]any{"server": target, "reply": msg.ServerResponse()}
	return res, nil
}

func (e *Executor) clientOptions(timeout time.Duration) []gomail.Option {
	opts := []gomail.Option{gomail.WithPort(e.o.Port), gomail.WithTimeout(timeout)}
	if e.o.DialContext != nil {
		opts = append(opts, gomail.WithDialContextFunc(e.o.DialContext))
	}
	switch e.o.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSAuto:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default: // TLSStartTLS
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if e.o.TLSConfig != nil {
		tc := e.o.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = e.o.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	if e.o.Username != "" {
		// PLAIN and LOGIN refuse to send credentials over a connection
		// that is not encrypted (gosmtp.ErrUnencrypted), so with "auto" a
		// server that does not offer STARTTLS never sees them...
		mechs := []gomail.SMTPAuthType{gomail.SMTPAuthPlain, gomail.SMTPAuthLogin}
		if e.o.TLS == TLSNone || (e.o.TLS == TLSAuto && isLoopback(e.o.Host)) {
			// ...unless the operator chose no TLS, or the server is on
			// this machine (nothing crosses a network).
			mechs = []gomail.SMTPAuthType{gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc}
		}
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(mechs...),
			gomail.WithUsername(e.o.Username), gomail.WithPassword(e.o.Password))
	}
	return opts
}

// isLoopback reports whether host names this machine: "localhost" or a
// loopback address (127.0.0.0/8, ::1). A name is not resolved.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.IsLoopback()
}

// retryable classifies a failed send: SMTP 4xx replies and network failures
// are worth another attempt; 5xx replies, certificate and configuration
// problems are not.
func retryable(err error) bool {
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch code := se.ErrorCode(); {
		case code >= 400 && code < 500:
			return true
		case code >= 500:
			return false
		}
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return false
		}
		return true // no reply code: the connection failed mid-exchange
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 400 && te.Code < 500
	}
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		hne x509.HostnameError
		cie x509.CertificateInvalidError
	)
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) ||
		errors.Is(err, gosmtp.ErrUnencrypted) || errors.Is(err, gosmtp.ErrWrongHostname) {
		return false
	}
	var ne net.Error
	var pe textproto.ProtocolError
	return errors.As(err, &ne) || errors.As(err, &pe) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// messageID is the Message-ID (without angle brackets): stable across the
// retries of one action so receivers can deduplicate.
func messageID(req *action.Request) string {
	key := req.IdempotencyKey
	if key == "" && req.Execution != nil && req.Execution.ID != "" {
		key = fmt.Sprintf("%s_%d", req.Execution.ID, req.Index)
	}
	if key == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		key = "msg_" + hex.EncodeToString(b)
	}
	// Keep to RFC 5322 dot-atom-text.
	key = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r):
			return r
		}
		return '-'
	}, key)
	return strings.Trim(key, ".") + "@hookline"
}

func bare(as []*mail.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Address
	}
	return out
}

func formatted(as []*mail.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func (e *Executor) requestSummary(c *config, debug bool) map[string]any {
	s := map[string]any{
		"from":    c.from.String(),
		"to":      formatted(c.to),
		"subject": c.subject,
	}
	if len(c.cc) > 0 {
		s["cc"] = formatted(c.cc)
	}
	if len(c.bcc) > 0 {
		s["bcc"] = formatted(c.bcc)
	}
	limit := e.o.MaxBodyExcerpt
	if debug {
		limit = -1
	}
	for _, f := range []struct{ name, v string }{{"text", c.text}, {"html", c.html}} {
		if f.v == "" {
			continue
		}
		b, cut := excerpt(f.v, limit)
		s[f.name] = b
		if cut {
			s[f.name+"_truncated"] = true
		}
	}
	return s
}

// excerpt returns s as valid UTF-8, cut to at most n bytes (on a rune
// boundary) unless n < 0.
func excerpt(s string, n int) (string, bool) {
	cut := false
	if n >= 0 && len(s) > n {
		s, cut = s[:n], true
		// Drop a rune the cut split.
		for k := 1; k <= utf8.UTFMax && k <= len(s); k++ {
			if utf8.RuneStart(s[len(s)-k]) {
				if !utf8.FullRuneInString(s[len(s)-k:]) {
					s = s[:len(s)-k]
				}
				break
			}
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD"), cut
}
