package rule

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// testEnv is the environment a hook condition typically sees.
func testEnv() map[string]any {
	return map[string]any{
		"total": 600.0,
		"record": map[string]any{
			"id":            "rec_1",
			"total":         6000.0,
			"price":         1.5,
			"customer_name": "Ann Lee",
			"tags":          []any{"vip", "new"},
			"address":       map[string]any{"city": "Oslo", "zip": "0150"},
			"items":         []any{map[string]any{"sku": "a", "qty": 2.0}, map[string]any{"sku": "b", "qty": 1.0}},
			"note":          "",
		},
		"previous": map[string]any{"total": 5000.0},
		"event":    map[string]any{"type": "records.create", "id": "evt_1"},
		"auth":     map[string]any{"role": "admin", "user_id": "u_1", "email": "ann@example.com"},
		"secret":   map[string]any{"API_TOKEN": "tok"},
		"now":      time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600)),
		"steps":    map[string]any{"create_invoice": map[string]any{"id": "inv_9"}},
		"type":     "order",
		"count":    3.0,
		"date":     "2025-01-01",
		"first":    "a",
		"values":   []any{1.0, 2.0},
	}
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *Error", err, err)
	}
	return e
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		src  string
		msg  string // substring of Error.Msg
		pos  int    // expected Pos, or -2 to skip the check
		lims Limits
	}{
		{"", "expression is empty", -1, Limits{}},
		{"   ", "expression is empty", -1, Limits{}},
		{"1 +", "unexpected token EOF", -2, Limits{}},
		{"record.total >", "unexpected token", -2, Limits{}},
		{`auth.role == "admin`, "literal not terminated", -2, Limits{}},
		{"(1 + 2", "unexpected token", -2, Limits{}},
		{"a ==== b", "unexpected token", 4, Limits{}},
		{`"a" + 1`, "mismatched types string and int", 4, Limits{}},
		{"upper(1)", "cannot use int as argument", -2, Limits{}},
		{`repeat("x")`, "not enough arguments to call repeat", -2, Limits{}},
		{`json(1, 2)`, "too many arguments to call json", -2, Limits{}},
		{"# > 1", "unexpected token", 0, Limits{}},
		{strings.Repeat("x", 4097), "expression is too long (4097 bytes, limit 4096)", -1, Limits{}},
		{"1 + 2 + 3", "expression is too long", -1, Limits{MaxSourceLen: 5}},
		{strings.Repeat("1+", 2000) + "1", "expression is too complex (more than 2000 nodes)", -1, Limits{}},
		{"a && b && c && d", "too complex (more than 3 nodes)", -1, Limits{MaxNodes: 3}},
		{"é + ", "unexpected token EOF", -2, Limits{}},
	}
	for _, tt := range tests {
		_, err := Compile(tt.src, tt.lims)
		if err == nil {
			t.Errorf("Compile(%.40q): no error", tt.src)
			continue
		}
		e := asError(t, err)
		if !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Compile(%.40q) = %q, want %q", tt.src, e.Msg, tt.msg)
		}
		if tt.pos != -2 && e.Pos != tt.pos {
			t.Errorf("Compile(%.40q) pos = %d, want %d", tt.src, e.Pos, tt.pos)
		}
		if e.Pos > len(tt.src) || e.Path != "" || strings.Contains(e.Msg, "\n") {
			t.Errorf("Compile(%.40q): bad error %#v", tt.src, e)
		}
	}
}

func TestErrorString(t *testing.T) {
	cases := map[string]*Error{
		"boom":                   {Pos: -1, Msg: "boom"},
		"boom (at byte 3)":       {Pos: 3, Msg: "boom"},
		"text: boom (at byte 0)": {Path: "text", Pos: 0, Msg: "boom"},
		"headers.X-Id: boom":     {Path: "headers.X-Id", Pos: -1, Msg: "boom"},
	}
	for want, e := range cases {
		if got := e.Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
}

func TestConditions(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"record.total > 5000", true},
		{"record.total > 6000", false},
		{"total >= 500", true},
		{`auth.role == "admin"`, true},
		{`auth.role in ["manager", "user"]`, false},
		{`event.type == "records.create"`, true},
		{`event.type startsWith "records."`, true},
		{`"vip" in record.tags`, true},
		{`"gold" in record.tags`, false},
		{`record.address.city == "Oslo" && record.address.zip matches "^0[0-9]+$"`, true},
		{`record.total > previous.total`, true},
		{`any(record.items, .qty > 1)`, true},
		{`all(record.items, .qty > 1)`, false},
		{`sum(record.items, .qty) == 3`, true},
		{`len(record.tags) == 2 and not (record.price > 2)`, true},
		{`record.missing == nil`, true},
		{`(nothing ?? 0) >= 500`, false},
		{`record?.nope?.deeper == nil`, true},
		{`lower(auth.email) endsWith "@example.com"`, true},
		{`"city" in record.address`, true},
		{`default(record.note, "n/a") == "n/a"`, true},
		{`record.customer_name contains "Lee" ? true : false`, true},
		{`let t = record.total; t > 1000 and t < 10000`, true},
		{`now.Year() == 2025`, true},
		// Data fields named like builtins read the data, calls still work.
		{`type == "order" && count == 3 && date == "2025-01-01"`, true},
		{`len(first) == 1 && type(first) == "string" && count(values, # > 1) == 1`, true},
		{`now() > now`, true},
	}
	env := testEnv()
	for _, tt := range tests {
		p, err := Compile(tt.src, Limits{})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.src, err)
			continue
		}
		got, err := p.EvalBool(env)
		if err != nil || got != tt.want {
			t.Errorf("EvalBool(%q) = %v, %v; want %v", tt.src, got, err, tt.want)
		}
		if p.Source() != tt.src {
			t.Errorf("Source() = %q", p.Source())
		}
	}
}

func TestRuntimeErrors(t *testing.T) {
	tests := []struct{ src, msg string }{
		{"total >= 500", "invalid operation: <nil> >= int"}, // missing identifier is nil
		{"record.total > 5000", "cannot fetch total from <nil>"},
		{"record.total", "condition must be true or false, got number"},
		{`"yes"`, "condition must be true or false, got string"},
		{"nothing", "condition must be true or false, got null"},
		{"record.n % 0 == 0", "integer divide by zero"},
		{"upper(record) == ''", "wrong type"},
	}
	for _, tt := range tests {
		env := map[string]any{"record": map[string]any{"n": 3, "total": 1.0}}
		p, err := Compile(tt.src, Limits{})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.src, err)
			continue
		}
		if tt.src == "record.total > 5000" {
			env = map[string]any{}
		}
		_, err = p.EvalBool(env)
		if err == nil {
			t.Errorf("EvalBool(%q): no error", tt.src)
			continue
		}
		if e := asError(t, err); !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("EvalBool(%q) = %q, want %q", tt.src, e.Msg, tt.msg)
		}
	}
}

func TestEvalValues(t *testing.T) {
	tests := []struct {
		src  string
		want string // JSON of the result
	}{
		{"record.total", `6000`},
		{"1 + 2", `3`},
		{"2 ** 60", `1152921504606847000`},
		{"9007199254740993", `9007199254740993`},
		{"record.address", `{"city":"Oslo","zip":"0150"}`},
		{"map(record.items, .sku)", `["a","b"]`},
		{`record.customer_name + "!"`, `"Ann Lee!"`},
		{"upper(record.customer_name)", `"ANN LEE"`},
		{"json(record.address)", `"{\"city\":\"Oslo\",\"zip\":\"0150\"}"`},
		{"json('<a&b>') == `\"<a&b>\"`", `true`},
		{`toJSON({"a": 1})`, `"{\n  \"a\": 1\n}"`},
		{"string(record.tags)", `"[\"vip\",\"new\"]"`},
		{"string(1.5) + string(nil) + string(true)", `"1.5true"`},
		{`default(nothing, "d")`, `"d"`},
		{`default("", 0)`, `0`},
		{`default(record.price, 0)`, `1.5`},
		{`urlquery("a b&c=d")`, `"a+b%26c%3Dd"`},
		{`join(map(record.items, .qty), "+")`, `"2+1"`},
		{`join(record.tags)`, `"vipnew"`},
		{`repeat("ab", 3)`, `"ababab"`},
		{`replace("a-b-c", "-", "+")`, `"a+b+c"`},
		{`replace("a-b-c", "-", "+", 1)`, `"a+b-c"`},
		{"now", `"2025-03-04T04:06:07Z"`},
		{"duration('90m')", `"1h30m0s"`},
		{"groupBy(record.items, .qty)", `{"1":[{"qty":1,"sku":"b"}],"2":[{"qty":2,"sku":"a"}]}`},
		{"split('a,b', ',')", `["a","b"]`},
		{"keys(record.address) | sort()", `["city","zip"]`},
		{"steps.create_invoice.id", `"inv_9"`},
		{"keys($env) | filter(# == 'record')", `["record"]`},
		{"len($env) == len(keys($env)) && len(filter(keys($env), # startsWith 'hook')) == 0 && $env.record.id == 'rec_1'", `true`},
		{"$env['total'] + 1", `601`},
	}
	env := testEnv()
	for _, tt := range tests {
		p, err := Compile(tt.src, Limits{})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.src, err)
			continue
		}
		v, err := p.Eval(env)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.src, err)
			continue
		}
		got, _ := json.Marshal(v)
		if string(got) != tt.want {
			t.Errorf("Eval(%q) = %s, want %s", tt.src, got, tt.want)
		}
	}
}

// Eval must not hand out the caller's maps: results are fresh copies.
func TestEvalCopies(t *testing.T) {
	env := testEnv()
	p, _ := Compile("record.address", Limits{})
	v, err := p.Eval(env)
	if err != nil {
		t.Fatal(err)
	}
	v.(map[string]any)["city"] = "changed"
	if env["record"].(map[string]any)["address"].(map[string]any)["city"] != "Oslo" {
		t.Fatal("Eval result aliases the environment")
	}
}

func TestNilEnv(t *testing.T) {
	for _, src := range []string{"x == nil", `join(map(1..3, string(#)), ",") == "1,2,3"`} {
		p, err := Compile(src, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := p.EvalBool(nil); err != nil || !ok {
			t.Errorf("EvalBool(%q, nil) = %v, %v", src, ok, err)
		}
	}
}
