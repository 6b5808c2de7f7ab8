package hookline

import (
	"context"
	"strings"
	"testing"

	"github.com/hookline/hookline/hook"
)

// The settings are the operator's: secrets masked, shops refused, and a test
// send checks its address like an action would.
func TestSettings(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t, Config{
		SMTP: SMTPConfig{Host: "127.0.0.1", Port: 2525, Password: "pw-123456"},
		SMS:  SMSConfig{AccountSID: "AC0123456789abcdef", AuthToken: "tok-123456"},
	})
	root, _, _, err := e.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	admin := Principal{AccountID: root, Role: hook.RoleAdmin}
	s, err := e.Settings(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !s.SMTP.PasswordSet || !s.SMS.AuthTokenSet || s.SMS.AccountSID != "AC01…cdef" || s.SMTP.Problem != "" || s.SMS.Problem != "" {
		t.Fatalf("settings: %+v", s)
	}
	if !e.IsOperator(ctx, admin) {
		t.Fatal("the root admin is the operator")
	}
	name := "shop"
	shop, err := e.CreateAccount(ctx, admin, AccountInput{Name: &name, ParentID: &root})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Principal{{AccountID: shop.ID, Role: hook.RoleAdmin}, {AccountID: root, Role: hook.RoleManager}} {
		if _, err := e.Settings(ctx, p); ErrorKind(err) != KindForbidden {
			t.Errorf("%+v: settings err %v, want forbidden", p, err)
		}
		if e.IsOperator(ctx, p) {
			t.Errorf("%+v is not the operator", p)
		}
	}
	if _, err := e.SendTestEmail(ctx, admin, "not an address"); ErrorKind(err) != KindInvalid || !strings.Contains(err.Error(), "valid email address") {
		t.Fatalf("bad address: %v", err)
	}
	if _, err := e.SendTestSMS(ctx, admin, ""); ErrorKind(err) != KindInvalid {
		t.Fatalf("no number: %v", err)
	}
}
