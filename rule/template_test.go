package rule

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func render(t *testing.T, v any) any {
	t.Helper()
	tpl, err := CompileTemplate(v, Limits{})
	if err != nil {
		t.Fatalf("CompileTemplate(%v): %v", v, err)
	}
	out, err := tpl.Render(testEnv())
	if err != nil {
		t.Fatalf("Render(%v): %v", v, err)
	}
	return out
}

func TestWholeHoleKeepsType(t *testing.T) {
	tests := []struct {
		src  string
		want any
	}{
		{"{{record.total}}", 6000.0},
		{"{{ record.total }}", 6000.0},
		{"{{\n\trecord.price\n}}", 1.5},
		{"{{ 1 + 2 }}", 3.0},
		{"{{ record.total > 5000 }}", true},
		{"{{ record.missing }}", nil},
		{"{{ record.customer_name }}", "Ann Lee"},
		{"{{ record.tags }}", []any{"vip", "new"}},
		{"{{ record.address }}", map[string]any{"city": "Oslo", "zip": "0150"}},
		{`{{ {"a": [1, "x"]} }}`, map[string]any{"a": []any{1.0, "x"}}},
		{"{{ now }}", "2025-03-04T04:06:07Z"},
		{"{{ secret.API_TOKEN }}", "tok"},
		{"{{ steps.create_invoice.id }}", "inv_9"},
	}
	for _, tt := range tests {
		if got := render(t, tt.src); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q rendered %#v, want %#v", tt.src, got, tt.want)
		}
	}
}

func TestMixedStrings(t *testing.T) {
	tests := []struct{ src, want string }{
		{"Total: {{record.total}}", "Total: 6000"},
		{"{{record.price}} EUR", "1.5 EUR"},
		{" {{record.total}} ", " 6000 "},
		{"{{record.total}}{{record.price}}", "60001.5"},
		{"[{{ record.missing }}]", "[]"},
		{"vip={{ 'vip' in record.tags }}", "vip=true"},
		{"tags={{record.tags}}", `tags=["vip","new"]`},
		{"addr={{record.address}}", `addr={"city":"Oslo","zip":"0150"}`},
		{"at {{now}}", "at 2025-03-04T04:06:07Z"},
		{"Hi {{ upper(record.customer_name) }}!", "Hi ANN LEE!"},
		{"{{ 1e21 }} {{ 0.0000001 }} {{ 2 ** 60 }} {{ -0.5 }}", "1e+21 1e-7 1152921504606847000 -0.5"},
		{"{{ 9007199254740993 }}", "9007199254740993"},
		{"q={{ urlquery(record.customer_name) }}", "q=Ann+Lee"},
		{"<{{ '<b>' }}>", "<<b>>"},
		{"no holes at all", "no holes at all"},
		{"", ""},
		{"}} alone", "}} alone"},
		// escapes and tricky hole ends
		{`\{{record.total}}`, "{{record.total}}"},
		{`a \{{ b }} {{ record.total }}`, "a {{ b }} 6000"},
		{`back\slash`, `back\slash`},
		{`{{ "}}" }}`, "}}"},
		{`{{ '{{' + "}}" }}`, "{{}}"},
		{`{{ {"a": {"b": 1}}.a.b }}!`, "1!"},
		{"{{ record.total }}}", "6000}"},
		{"{{{'a': 1}.a}}", "1"},
	}
	for _, tt := range tests {
		got, err := RenderString(tt.src, testEnv(), Limits{})
		if err != nil || got != tt.want {
			t.Errorf("RenderString(%q) = %q, %v; want %q", tt.src, got, err, tt.want)
		}
	}
}

func TestNestedTemplate(t *testing.T) {
	var v any
	src := `{
		"url": "https://api.example.com/customers/{{ record.id }}?q={{ urlquery(record.customer_name) }}",
		"{{ not.a.key }}": "keys are not templated",
		"body_template": {
			"text": "Order {{record.id}} total {{record.total}}",
			"total": "{{ record.total }}",
			"tags": ["{{ record.tags[0] }}", "fixed", 3, true, null, "{{ record.address }}"],
			"nested": [[{"deep": "{{ auth.role }}"}]]
		},
		"count": 3,
		"flag": false
	}`
	d := json.NewDecoder(strings.NewReader(src))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	got := render(t, v)
	want := map[string]any{
		"url":             "https://api.example.com/customers/rec_1?q=Ann+Lee",
		"{{ not.a.key }}": "keys are not templated",
		"body_template": map[string]any{
			"text":   "Order rec_1 total 6000",
			"total":  6000.0,
			"tags":   []any{"vip", "fixed", json.Number("3"), true, nil, map[string]any{"city": "Oslo", "zip": "0150"}},
			"nested": []any{[]any{map[string]any{"deep": "admin"}}},
		},
		"count": json.Number("3"),
		"flag":  false,
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		t.Fatalf("got %s", g)
	}
	// Renders are fresh values: mutating one does not leak into the next.
	tpl, _ := CompileTemplate(v, Limits{})
	a, _ := tpl.Render(testEnv())
	a.(map[string]any)["body_template"].(map[string]any)["tags"].([]any)[1] = "changed"
	b, _ := tpl.Render(testEnv())
	if b.(map[string]any)["body_template"].(map[string]any)["tags"].([]any)[1] != "fixed" {
		t.Fatal("renders share state")
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		v          any
		path, msg  string
		pos        int
		errAtCheck bool // compile error (else render error)
	}{
		{"{{ record.total", "", `unclosed "{{"`, 0, true},
		{"abc {{ x }} {{ y", "", `unclosed "{{"`, 12, true},
		{`{{ "}} }}`, "", `unclosed "{{"`, 0, true},
		{"a {{ }} b", "", `empty "{{ }}"`, 2, true},
		{"a {{ 1 + }}", "", "unexpected token", -2, true},
		{"x {{ (1 }}", "", "unexpected token", -2, true},
		{map[string]any{"body_template": map[string]any{"text": "hi {{ record. }}"}}, "body_template.text", "", -2, true},
		{map[string]any{"headers": map[string]any{"X-Id": "{{ 'a' + 1 }}"}}, "headers.X-Id", "mismatched types", 7, true},
		{map[string]any{"items": []any{"ok", map[string]any{"name": "{{"}}}, "items[1].name", "unclosed", 0, true},
		{map[string]any{"a b": "{{"}, `["a b"]`, "unclosed", 0, true},
		{[]any{"{{ x.y }}"}, "[0]", "cannot fetch y from <nil>", 5, false},
		{map[string]any{"to": "{{ upper(record.total) }}"}, "to", "wrong type", -2, false},
		{map[string]any{"n": "n={{ 1 / 0 }}"}, "n", "not finite", -2, false},
		{map[string]any{"bad": struct{}{}}, "bad", "unsupported template value", -1, true},
	}
	for _, tt := range tests {
		tpl, err := CompileTemplate(tt.v, Limits{})
		if err == nil {
			if tt.errAtCheck {
				t.Errorf("CompileTemplate(%v): no error", tt.v)
				continue
			}
			_, err = tpl.Render(testEnv())
		} else if !tt.errAtCheck {
			t.Errorf("CompileTemplate(%v): %v", tt.v, err)
			continue
		}
		if err == nil {
			t.Errorf("%v: no error", tt.v)
			continue
		}
		e := asError(t, err)
		if e.Path != tt.path || !strings.Contains(e.Msg, tt.msg) || (tt.pos != -2 && e.Pos != tt.pos) {
			t.Errorf("%v: got %#v, want path %q msg %q pos %d", tt.v, e, tt.path, tt.msg, tt.pos)
		}
		if tt.path != "" && !strings.HasPrefix(e.Error(), tt.path+": ") {
			t.Errorf("Error() = %q does not name the path", e.Error())
		}
	}
}

func TestStringMapsAndLists(t *testing.T) {
	got := render(t, map[string]any{"headers": map[string]string{"X-Id": "{{ record.id }}"}, "to": []string{"{{ auth.email }}"}})
	want := map[string]any{"headers": map[string]any{"X-Id": "rec_1"}, "to": []any{"ann@example.com"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
}

func TestRenderStringTypes(t *testing.T) {
	env := testEnv()
	for src, want := range map[string]string{
		"{{ record.address }}": `{"city":"Oslo","zip":"0150"}`,
		"{{ record.total }}":   "6000",
		"{{ nothing }}":        "",
		"{{ [1, 'a'] }}":       `[1,"a"]`,
	} {
		if got, err := RenderString(src, env, Limits{}); err != nil || got != want {
			t.Errorf("RenderString(%q) = %q, %v; want %q", src, got, err, want)
		}
	}
}
