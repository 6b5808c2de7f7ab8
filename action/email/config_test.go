package email

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/action"
)

func TestValidate(t *testing.T) {
	withFrom := New(Options{Host: "smtp.example.com", From: "noreply@example.com"})
	noFrom := New(Options{Host: "smtp.example.com"})
	ok := func() map[string]any {
		return map[string]any{"to": "ann@example.com", "subject": "Hi", "text": "hello"}
	}
	with := func(kv ...any) map[string]any {
		m := ok()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
				continue
			}
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name  string
		e     *Executor
		cfg   map[string]any
		field string // "" = valid
		msg   string
	}{
		{"minimal", withFrom, ok(), "", ""},
		{"lists and names", withFrom, with("to", []any{"Ann <ann@example.com>", "bob@example.com"}, "cc", []any{}, "bcc", "x@example.com"), "", ""},
		{"html only", withFrom, with("text", nil, "html", "<p>x</p>"), "", ""},
		{"holes everywhere", noFrom, map[string]any{
			"to": "{{ record.email }}", "cc": []any{"{{ record.manager }}", "ops@example.com"},
			"subject": "Order {{ record.id }}", "html": "{{ record.body }}", "from": "{{ account.sender }}",
		}, "", ""},
		{"whole hole list", withFrom, with("to", "{{ record.emails }}"), "", ""},
		{"from in config", noFrom, with("from", "Shop <shop@example.com>"), "", ""},

		{"to missing", withFrom, with("to", nil), "to", "is required"},
		{"to empty", withFrom, with("to", ""), "to", "is required"},
		{"to empty list", withFrom, with("to", []any{}), "to", "is required"},
		{"to number", withFrom, with("to", 5.0), "to", "must be a string or an array of strings"},
		{"to invalid", withFrom, with("to", "not an address"), "to", "not a valid email address"},
		{"to element type", withFrom, with("to", []any{"a@example.com", true}), "to[1]", "must be a string"},
		{"to element invalid", withFrom, with("to", []any{"a@example.com", "b@"}), "to[1]", "not a valid"},
		{"cc invalid", withFrom, with("cc", "x"), "cc", "not a valid"},
		{"bcc type", withFrom, with("bcc", map[string]any{}), "bcc", "must be a string or an array of strings"},
		{"subject missing", withFrom, with("subject", nil), "subject", "is required"},
		{"subject blank", withFrom, with("subject", "  "), "subject", "is required"},
		{"subject type", withFrom, with("subject", 1.0), "subject", "must be a string"},
		{"subject CR", withFrom, with("subject", "a\rb"), "subject", "line breaks"},
		{"subject long", withFrom, with("subject", strings.Repeat("x", MaxSubject+1)), "subject", "at most"},
		{"no body", withFrom, with("text", nil), "text", "text or html is required"},
		{"empty bodies", withFrom, with("text", "", "html", ""), "text", "text or html is required"},
		{"html type", withFrom, with("html", []any{}), "html", "must be a string"},
		{"no sender", noFrom, ok(), "from", "HOOKLINE_SMTP_FROM"},
		{"from invalid", withFrom, with("from", "nope"), "from", "not a valid"},
		{"from type", withFrom, with("from", 3.0), "from", "must be a string"},
		{"unknown field", withFrom, with("reply_to", "x@example.com"), "reply_to", "unknown field"},
		{"too many", withFrom, with("to", manyAddresses(MaxRecipients+1)), "to", "at most"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.e.Validate(c.cfg)
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var fe *action.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError on %s", err, c.field)
			}
			if fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("err = %q, want field %s with %q", err, c.field, c.msg)
			}
		})
	}
}

func manyAddresses(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = "user@example.com"
	}
	return out
}

// A rendered config whose holes produced bad values fails at Execute.
func TestRenderedConfigChecked(t *testing.T) {
	e := New(Options{Host: "127.0.0.1", Port: 1, From: "a@example.com"})
	for _, cfg := range []map[string]any{
		{"to": nil, "subject": "x", "text": "x"},               // hole rendered null
		{"to": 42.0, "subject": "x", "text": "x"},              // hole rendered a number
		{"to": "a@example.com", "subject": "", "text": "x"},    // hole rendered empty
		{"to": "a@example.com", "subject": "x", "html": ""},    // no body after all
		{"to": "a@example.com", "subject": "x\n", "text": "x"}, // line break from data
	} {
		_, err := e.Execute(t.Context(), request(cfg))
		if err == nil || action.IsRetryable(err) || !strings.Contains(err.Error(), "invalid config") {
			t.Errorf("%v: err = %v", cfg, err)
		}
	}
}

func TestMessageID(t *testing.T) {
	r := request(nil)
	r.IdempotencyKey = "msg exe/1<2>"
	if got := messageID(r); got != "msg-exe/1-2-@hookline" {
		t.Errorf("messageID = %q", got)
	}
	r.IdempotencyKey = ""
	if got := messageID(r); got != "exe_01_2@hookline" {
		t.Errorf("messageID = %q", got)
	}
}
