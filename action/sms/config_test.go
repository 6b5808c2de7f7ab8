package sms

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/action"
)

func TestValidate(t *testing.T) {
	withFrom := New(Options{AccountSID: sid, AuthToken: token, From: "+15005550006"})
	noFrom := New(Options{AccountSID: sid, AuthToken: token})
	cases := []struct {
		name  string
		e     *Executor
		cfg   map[string]any
		field string // "" = valid
		msg   string
	}{
		{"minimal", withFrom, map[string]any{"to": "+14155550100", "body": "hi"}, "", ""},
		{"formatted number", withFrom, map[string]any{"to": "+44 20 7946 0958", "body": "hi"}, "", ""},
		{"holes", noFrom, map[string]any{"to": "{{ record.phone }}", "body": "Code {{ record.code }}", "from": "{{ account.sms_from }}"}, "", ""},
		{"alphanumeric from", noFrom, map[string]any{"to": "+14155550100", "body": "hi", "from": "Hook Line"}, "", ""},
		{"short code from", noFrom, map[string]any{"to": "+14155550100", "body": "hi", "from": "12345"}, "", ""},
		{"service from", noFrom, map[string]any{"to": "+14155550100", "body": "hi", "from": "MG" + strings.Repeat("0", 32)}, "", ""},
		{"longest body", withFrom, map[string]any{"to": "+14155550100", "body": strings.Repeat("é", MaxBody)}, "", ""},

		{"to missing", withFrom, map[string]any{"body": "hi"}, "to", "is required"},
		{"to empty", withFrom, map[string]any{"to": " ", "body": "hi"}, "to", "is required"},
		{"to no plus", withFrom, map[string]any{"to": "14155550100", "body": "hi"}, "to", "E.164"},
		{"to too short", withFrom, map[string]any{"to": "+1415555", "body": "hi"}, "to", "E.164"},
		{"to too long", withFrom, map[string]any{"to": "+1234567890123456", "body": "hi"}, "to", "E.164"},
		{"to letters", withFrom, map[string]any{"to": "+1415CALLNOW", "body": "hi"}, "to", "E.164"},
		{"to leading zero", withFrom, map[string]any{"to": "+0415555010", "body": "hi"}, "to", "E.164"},
		{"to number", withFrom, map[string]any{"to": 14155550100.0, "body": "hi"}, "to", "must be a string"},
		{"body missing", withFrom, map[string]any{"to": "+14155550100"}, "body", "is required"},
		{"body blank", withFrom, map[string]any{"to": "+14155550100", "body": "  "}, "body", "is required"},
		{"body type", withFrom, map[string]any{"to": "+14155550100", "body": 12.0}, "body", "must be a string"},
		{"body too long", withFrom, map[string]any{"to": "+14155550100", "body": strings.Repeat("x", MaxBody+1)}, "body", "at most 1600"},
		{"no sender", noFrom, map[string]any{"to": "+14155550100", "body": "hi"}, "from", "HOOKLINE_SMS_FROM"},
		{"bad from", withFrom, map[string]any{"to": "+14155550100", "body": "hi", "from": "way too long sender"}, "from", "E.164"},
		{"from type", withFrom, map[string]any{"to": "+14155550100", "body": "hi", "from": true}, "from", "must be a string"},
		{"unknown field", withFrom, map[string]any{"to": "+14155550100", "body": "hi", "media_url": "x"}, "media_url", "unknown field"},
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
