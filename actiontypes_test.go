package hookline

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/sqlite"
)

func openTestEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cfg.Store, cfg.SecretKey = st, make([]byte, 32)
	e, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Every built-in action type describes itself, and its executor accepts
// exactly the fields its description names: the description is the one
// source of its config (validation, editor, OpenAPI).
func TestBuiltinActionsDescribeThemselves(t *testing.T) {
	e := openTestEngine(t, Config{})
	ds := e.ActionDescriptions()
	want := []string{"send_webhook", "send_email", "send_sms", "create_record", "update_record", "delete_record", "enqueue_job", "trigger_hook", "wait"}
	if len(ds) != len(want) {
		t.Fatalf("%d descriptions, want %d", len(ds), len(want))
	}
	for i, d := range ds {
		if d.Type != want[i] || d.Label == "" || d.Summary == "" || len(d.Fields) == 0 || len(d.Outputs) == 0 {
			t.Errorf("description %d: %+v", i, d)
		}
		ex, _ := e.actions.Get(d.Type)
		for _, f := range d.Fields {
			if f.Label == "" || f.Type == "" {
				t.Errorf("%s.%s: no label or type", d.Type, f.Name)
			}
			// A field the description names is never an unknown field.
			err := ex.Validate(map[string]any{f.Name: nil})
			var fe *action.FieldError
			if errors.As(err, &fe) && fe.Field == f.Name && !strings.HasPrefix(fe.Msg, "is required") {
				t.Errorf("%s: the described field %s is refused: %v", d.Type, f.Name, err)
			}
		}
		err := ex.Validate(map[string]any{"not_a_field": 1})
		var fe *action.FieldError
		if !errors.As(err, &fe) || fe.Field != "not_a_field" {
			t.Errorf("%s: an undescribed field must be refused, got %v", d.Type, err)
		}
	}
	wh, _ := e.ActionDescription("send_webhook")
	if f, _ := wh.Field("timeout"); f.Default != "10s" {
		t.Errorf("webhook timeout default %v, want 10s", f.Default)
	}
}

// An action that needs an unconfigured provider says so before it runs.
func TestActionReady(t *testing.T) {
	e := openTestEngine(t, Config{})
	if err := e.ActionReady("send_email"); err == nil {
		t.Error("send_email without an SMTP host is not ready")
	}
	if err := e.ActionReady("send_sms"); err == nil {
		t.Error("send_sms without a provider is not ready")
	}
	if err := e.ActionReady("send_webhook"); err != nil {
		t.Errorf("send_webhook: %v", err)
	}
	e = openTestEngine(t, Config{SMTP: SMTPConfig{Host: "127.0.0.1", Port: 25}, SMS: SMSConfig{AccountSID: "AC1", AuthToken: "t"}})
	if e.ActionReady("send_email") != nil || e.ActionReady("send_sms") != nil {
		t.Error("configured providers are ready")
	}
}
