package webhook

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/action"
)

func TestValidate(t *testing.T) {
	ex := New(Options{})
	if ex.Type() != "send_webhook" {
		t.Fatalf("type %q", ex.Type())
	}
	cases := []struct {
		name  string
		cfg   map[string]any
		field string // "" = valid
		msg   string
	}{
		{"minimal", map[string]any{"url": "https://hooks.example.com/x"}, "", ""},
		{"full", map[string]any{
			"url": "http://example.com:8080/p?a=1", "method": "put",
			"headers":       map[string]any{"X-Source": "hookline", "Authorization": "Bearer {{secret.TOKEN}}"},
			"query":         map[string]any{"n": 1.0, "b": false, "s": "x", "l": []any{"a", 2.0}},
			"body_template": map[string]any{"text": "New order #{{record.id}}"},
			"timeout":       "30s",
		}, "", ""},
		{"template url with scheme", map[string]any{"url": "https://{{secret.HOST}}/x"}, "", ""},
		{"template url whole", map[string]any{"url": "{{secret.WEBHOOK_URL}}"}, "", ""},
		{"template method", map[string]any{"url": "https://x.example", "method": "{{data.method}}"}, "", ""},
		{"template timeout", map[string]any{"url": "https://x.example", "timeout": "{{data.t}}"}, "", ""},
		{"string body", map[string]any{"url": "https://x.example", "body_template": "raw {{record.id}}"}, "", ""},
		{"null body and method", map[string]any{"url": "https://x.example", "body_template": nil, "method": nil}, "", ""},
		{"string map headers", map[string]any{"url": "https://x.example", "headers": map[string]string{"X-A": "b"}}, "", ""},

		{"missing url", map[string]any{}, "url", "required"},
		{"empty url", map[string]any{"url": "  "}, "url", "required"},
		{"url not string", map[string]any{"url": 5.0}, "url", "string"},
		{"relative url", map[string]any{"url": "/x"}, "url", "absolute"},
		{"ftp url", map[string]any{"url": "ftp://example.com/x"}, "url", "http"},
		{"no host", map[string]any{"url": "http:///x"}, "url", "absolute"},
		{"template url bad scheme", map[string]any{"url": "ftp://{{secret.HOST}}/x"}, "url", "http:// or https://"},
		{"template url no scheme", map[string]any{"url": "example.com/{{record.id}}"}, "url", "http:// or https://"},
		{"bad method", map[string]any{"url": "https://x.example", "method": "TRACE"}, "method", "GET, POST, PUT, PATCH, DELETE"},
		{"method not string", map[string]any{"url": "https://x.example", "method": 1.0}, "method", "string"},
		{"headers not object", map[string]any{"url": "https://x.example", "headers": []any{"a"}}, "headers", "object"},
		{"header number", map[string]any{"url": "https://x.example", "headers": map[string]any{"X-N": 1.0}}, "headers.X-N", "string"},
		{"header bad name", map[string]any{"url": "https://x.example", "headers": map[string]any{"Bad Name": "x"}}, "headers.Bad Name", "valid header name"},
		{"header crlf", map[string]any{"url": "https://x.example", "headers": map[string]any{"X-A": "a\r\nX-B: b"}}, "headers.X-A", "line breaks"},
		{"reserved header", map[string]any{"url": "https://x.example", "headers": map[string]any{"Webhook-Signature": "x"}}, "headers.Webhook-Signature", "set by hookline"},
		{"host header", map[string]any{"url": "https://x.example", "headers": map[string]any{"Host": "x"}}, "headers.Host", "url"},
		{"query not object", map[string]any{"url": "https://x.example", "query": "a=1"}, "query", "object"},
		{"query object value", map[string]any{"url": "https://x.example", "query": map[string]any{"q": map[string]any{}}}, "query.q", "string, number or boolean"},
		{"query null value", map[string]any{"url": "https://x.example", "query": map[string]any{"q": nil}}, "query.q", "string, number or boolean"},
		{"timeout number", map[string]any{"url": "https://x.example", "timeout": 10.0}, "timeout", "duration"},
		{"timeout garbage", map[string]any{"url": "https://x.example", "timeout": "ten"}, "timeout", "duration"},
		{"timeout too long", map[string]any{"url": "https://x.example", "timeout": "61s"}, "timeout", "at most 1m0s"},
		{"timeout zero", map[string]any{"url": "https://x.example", "timeout": "0s"}, "timeout", "more than 0s"},
		{"unknown field", map[string]any{"url": "https://x.example", "bodyTemplate": "x"}, "bodyTemplate", "unknown field"},
	}
	for _, c := range cases {
		err := ex.Validate(c.cfg)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: unexpected %v", c.name, err)
			}
			continue
		}
		var fe *action.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: got %v, want a FieldError", c.name, err)
			continue
		}
		if fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
			t.Errorf("%s: got %s: %s, want %s: …%s…", c.name, fe.Field, fe.Msg, c.field, c.msg)
		}
	}
}
