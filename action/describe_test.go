package action_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hookline/hookline/action"
)

var desc = action.Description{
	Type: "demo", Label: "Demo",
	Fields: []action.Field{
		{Name: "url", Type: action.String, Required: true, Templated: true},
		{Name: "method", Type: action.String, Templated: true, Enum: []string{"GET", "POST"}, Default: "POST"},
		{Name: "mode", Type: action.String, Enum: []string{"a", "b"}},
		{Name: "to", Type: action.Strings, Required: true, Templated: true},
		{Name: "n", Type: action.Integer, Templated: true},
		{Name: "wait", Type: action.Duration},
		{Name: "data", Type: action.Object, Templated: true},
		{Name: "body", Type: action.JSON, Templated: true},
	},
}

func TestDescriptionCheck(t *testing.T) {
	ok := func(kv ...any) map[string]any {
		m := map[string]any{"url": "https://x.example", "to": "a@example.com"}
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
		name     string
		cfg      map[string]any
		rendered bool
		field    string // "" = valid
		msg      string
	}{
		{"minimal", ok(), false, "", ""},
		{"unknown", ok("urll", "x"), false, "urll", "unknown field (known: url, method, mode, to, n, wait, data, body)"},
		{"required missing", ok("url", nil), false, "url", "is required"},
		{"required blank", ok("url", "  "), false, "url", "is required"},
		{"string type", ok("url", 3.0), false, "url", "must be a string"},
		{"rendered scalar", ok("url", 3.0), true, "", ""},
		{"enum", ok("method", "TRACE"), false, "method", "must be one of GET, POST"},
		{"enum any case", ok("method", "post"), false, "", ""},
		{"enum hole", ok("method", "{{data.m}}"), false, "", ""},
		{"enum rendered", ok("method", "TRACE"), true, "method", "must be one of GET, POST"},
		{"not templated", ok("mode", "{{x}}"), false, "mode", "cannot hold {{ }} templates"},
		{"strings list", ok("to", []any{"a@x.example", "b@x.example"}), false, "", ""},
		{"strings empty list", ok("to", []any{}), false, "to", "is required"},
		{"strings element", ok("to", []any{"a@x.example", 1.0}), false, "to[1]", "must be a string"},
		{"strings type", ok("to", true), false, "to", "must be a string or an array of strings"},
		{"integer", ok("n", 3.0), false, "", ""},
		{"integer text", ok("n", "3"), false, "", ""},
		{"integer hole", ok("n", "{{record.n}}"), false, "", ""},
		{"integer fraction", ok("n", 2.5), false, "n", "must be an integer"},
		{"duration", ok("wait", "1m30s"), false, "", ""},
		{"duration empty", ok("wait", ""), false, "", ""},
		{"duration bad", ok("wait", "soon"), false, "wait", `must be a duration like "10s"`},
		{"duration number", ok("wait", 10.0), false, "wait", `must be a duration like "10s"`},
		{"object", ok("data", map[string]any{"a": 1.0}), false, "", ""},
		{"object whole hole", ok("data", "{{ record }}"), false, "", ""},
		{"object hole rendered", ok("data", "{{ record }}"), true, "data", "must be an object"},
		{"object text", ok("data", "a=1"), false, "data", "must be an object"},
		{"json anything", ok("body", []any{1.0, "x"}), false, "", ""},
		{"null optional", ok("method", nil, "data", nil), false, "", ""},
	}
	for _, c := range cases {
		err := desc.Check(c.cfg, c.rendered)
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
		if fe.Field != c.field || fe.Msg != c.msg {
			t.Errorf("%s: got %s: %s, want %s: %s", c.name, fe.Field, fe.Msg, c.field, c.msg)
		}
	}
}

func TestConfigSchema(t *testing.T) {
	s := desc.ConfigSchema(false)
	if req := s["required"].([]string); strings.Join(req, ",") != "url,to" {
		t.Fatalf("required %v", req)
	}
	if s["additionalProperties"] != false {
		t.Fatalf("additionalProperties %v", s["additionalProperties"])
	}
	p := s["properties"].(map[string]any)
	method := p["method"].(map[string]any)
	if method["default"] != "POST" || len(method["anyOf"].([]any)) != 2 {
		t.Fatalf("method schema %v", method)
	}
	if mode := p["mode"].(map[string]any); mode["anyOf"] != nil || len(mode["enum"].([]string)) != 2 {
		t.Fatalf("a field that takes no template has a plain enum: %v", mode)
	}
	if n := p["n"].(map[string]any); len(n["anyOf"].([]any)) != 2 {
		t.Fatalf("a templated integer may be a template: %v", n)
	}
	if _, has := desc.ConfigSchema(true)["required"]; has {
		t.Fatal("a partial config (a case's) requires nothing")
	}
}

type plain struct{}

func (plain) Type() string                  { return "plain" }
func (plain) Validate(map[string]any) error { return nil }
func (plain) Execute(context.Context, *action.Request) (*action.Result, error) {
	return &action.Result{}, nil
}

type described struct{ plain }

func (described) Type() string                 { return "described" }
func (described) Describe() action.Description { return desc }
func (described) Ready() error                 { return errors.New("not configured") }

func TestRegistryDescriptions(t *testing.T) {
	r := action.NewRegistry(described{}, plain{})
	ds := r.Descriptions()
	if len(ds) != 2 || ds[0].Type != "demo" || ds[1].Type != "plain" {
		t.Fatalf("descriptions in registration order: %+v", ds)
	}
	if ds[1].Fields != nil || ds[1].Label != "plain" {
		t.Fatalf("an executor without a description is free-form: %+v", ds[1])
	}
	if err := r.Ready("described"); err == nil || r.Ready("plain") != nil {
		t.Fatalf("ready: %v / %v", err, r.Ready("plain"))
	}
	if _, ok := r.Describe("nope"); ok {
		t.Fatal("an unknown type has no description")
	}
}
