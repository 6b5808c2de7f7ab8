package hookline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/action/email"
	"github.com/hookline/hookline/action/sms"
	"github.com/hookline/hookline/hook"
)

// Settings is the server's configuration as its operator sees it in the
// admin UI: the SMTP and SMS providers (secrets masked), the limits and the
// retention in force.
type Settings struct {
	SMTP struct {
		Host, Username, From, TLS string
		Port                      int
		PasswordSet               bool
		// Problem says why emails cannot be sent ("" when they can).
		Problem string
	}
	SMS struct {
		URL, AccountSID, From string
		AuthTokenSet          bool
		Problem               string
	}
	MaxHooksPerAccount int
	MaxActionsPerHook  int
	MaxDepth           int
	MaxEventBytes      int
	// EventsPerSecond per account; 0 or less: no limit.
	EventsPerSecond float64
	Retention       time.Duration
	Workers         int
}

// TestSend is what a test email or SMS did.
type TestSend struct {
	// Detail is the server's or provider's answer, for a success and for a
	// failure alike.
	Detail string
	Error  string
}

// operator checks that p is an admin of a root account: the server's
// settings are the operator's, not a tenant's.
func (e *Engine) operator(ctx context.Context, p Principal) (*hook.Account, error) {
	if !Can(p.Role, PermAdmin) {
		return nil, forbidden("the %s role may not see the server's settings", p.Role)
	}
	acc, err := e.accts.Get(ctx, e.st, p.AccountID)
	if err != nil {
		return nil, err
	}
	if acc.ParentID != "" {
		return nil, forbidden("only an admin of the root account may see the server's settings")
	}
	return acc, nil
}

// Settings returns the configuration in force. Passwords and tokens are
// reported as set or not, never shown; the SMS account SID is shortened.
func (e *Engine) Settings(ctx context.Context, p Principal) (*Settings, error) {
	if _, err := e.operator(ctx, p); err != nil {
		return nil, err
	}
	c := e.cfg
	s := &Settings{
		MaxHooksPerAccount: c.MaxHooksPerAccount, MaxActionsPerHook: c.MaxActionsPerHook, MaxDepth: c.MaxDepth,
		MaxEventBytes: c.MaxEventBytes, EventsPerSecond: c.EventsPerSecond, Retention: c.Retention,
		Workers: c.Workers,
	}
	s.SMTP.Host, s.SMTP.Port, s.SMTP.Username, s.SMTP.From, s.SMTP.TLS = c.SMTP.Host, c.SMTP.Port, c.SMTP.Username, c.SMTP.From, c.SMTP.TLS
	s.SMTP.PasswordSet = c.SMTP.Password != ""
	if err := e.ActionReady(email.Type); err != nil {
		s.SMTP.Problem = err.Error()
	}
	s.SMS.URL, s.SMS.AccountSID, s.SMS.From = c.SMS.URL, maskID(c.SMS.AccountSID), c.SMS.From
	s.SMS.AuthTokenSet = c.SMS.AuthToken != ""
	if err := e.ActionReady(sms.Type); err != nil {
		s.SMS.Problem = err.Error()
	}
	return s, nil
}

// maskID keeps the start and end of an identifier: AC12…cdef.
func maskID(s string) string {
	if len(s) <= 10 {
		return s
	}
	return s[:4] + "…" + s[len(s)-4:]
}

// SendTestEmail sends a short email to to through the configured SMTP
// server, exactly as a send_email action would.
func (e *Engine) SendTestEmail(ctx context.Context, p Principal, to string) (*TestSend, error) {
	return e.testSend(ctx, p, email.Type, "to", to, map[string]any{
		"to":      strings.TrimSpace(to),
		"subject": "hookline test email",
		"text":    "This is a test email from hookline's admin settings page. If you can read it, send_email actions will work.",
	})
}

// SendTestSMS sends a short SMS to to through the configured provider,
// exactly as a send_sms action would.
func (e *Engine) SendTestSMS(ctx context.Context, p Principal, to string) (*TestSend, error) {
	return e.testSend(ctx, p, sms.Type, "to", to, map[string]any{
		"to":   strings.TrimSpace(to),
		"body": "hookline test SMS: send_sms actions will work.",
	})
}

func (e *Engine) testSend(ctx context.Context, p Principal, typ, field, to string, config map[string]any) (*TestSend, error) {
	acc, err := e.operator(ctx, p)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(to) == "" {
		return nil, invalid(field, "is required")
	}
	ex, ok := e.actions.Get(typ)
	if !ok {
		return nil, invalid(field, "this server does not run %s actions", typ)
	}
	if err := ex.Validate(config); err != nil {
		var fe *action.FieldError
		if errors.As(err, &fe) {
			return nil, invalid(fe.Field, "%s", fe.Msg)
		}
		return nil, invalid(field, "%s", err.Error())
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := "test_" + hex.EncodeToString(b)
	req := &action.Request{
		Hook:           &hook.Hook{ID: "settings", AccountID: acc.ID, Name: "Settings test"},
		Execution:      &hook.Execution{ID: id, AccountID: acc.ID, HookID: "settings"},
		Account:        acc,
		Action:         hook.Action{Type: typ, Config: config},
		Config:         config,
		IdempotencyKey: id,
		Attempt:        1,
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res, err := ex.Execute(ctx, req)
	out := &TestSend{}
	if err != nil {
		out.Error = err.Error()
		var ae *action.Error
		if errors.As(err, &ae) && ae.Result != nil {
			res = ae.Result
		}
	}
	if res != nil && res.Response != nil {
		out.Detail = fmt.Sprint(res.Response)
		if m, ok := res.Response.(map[string]any); ok {
			var parts []string
			for _, k := range []string{"server", "reply", "status", "body"} {
				if v, ok := m[k]; ok && v != nil && fmt.Sprint(v) != "" {
					parts = append(parts, fmt.Sprintf("%s: %v", k, v))
				}
			}
			out.Detail = strings.Join(parts, " · ")
		}
	}
	return out, nil
}

// IsOperator reports whether p may see the server's settings (an admin of a
// root account).
func (e *Engine) IsOperator(ctx context.Context, p Principal) bool {
	_, err := e.operator(ctx, p)
	return err == nil
}
