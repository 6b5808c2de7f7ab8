package rule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fuzzLimits keep each fuzz evaluation cheap.
var fuzzLimits = Limits{MemoryBudget: 20000, MaxDuration: 100 * time.Millisecond}

var fuzzEnv = testEnv()

// checkErr checks the shape every error of this package must have.
func checkErr(t *testing.T, err error, src string) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %T is not *Error: %v", src, err, err)
	}
	if e.Msg == "" || len(e.Msg) > 4*maxMsgLen || strings.Contains(e.Msg, "\n") {
		t.Fatalf("%q: bad message %q", src, e.Msg)
	}
	if e.Pos < -1 || e.Pos > len(src) {
		t.Fatalf("%q: position %d out of range", src, e.Pos)
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"record.total > 5000", `auth.role == "admin"`, `event.type == "records.create"`,
		`"vip" in record.tags`, "total >= 500", "(total ?? 0) >= 500", "record?.x?.y",
		"1 +", `"unterminated`, "upper(record.customer_name)", `repeat("x", 100000000)`,
		"1..100000000 | map(# * 2)", `reduce(1..60, #acc + #acc, "x")`, "json(record)",
		`default(nope, "d")`, `let x = 1; x + type`, "filter(record.items, .qty > 1) | map(.sku)",
		"{a: 1, b: [1, 2]}.b[1:]", "now() - duration('1h') < now", `date("2024-01-01") | string()`,
		"groupBy(record.items, .qty)", `replace("a", "", "bb")`, `join(["a", 1, nil], ",")`,
		"toJSON(fromJSON('[[[]]]'))", "sortBy(record.items, .sku, 'desc')", "$env", "#", "..", "a?.[0]",
		"if true { 1 } else { 2 }", "x ?? y ?? z", "-(-(-1))", "'\\u00e9' matches '^.$'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile(src, fuzzLimits)
		checkErr(t, err, src)
		if err != nil {
			return
		}
		if p.Source() != src {
			t.Fatalf("Source() = %q", p.Source())
		}
		start := time.Now()
		v, err := p.Eval(fuzzEnv)
		checkErr(t, err, src)
		if err == nil {
			if _, err := encodeJSON(v); err != nil {
				t.Fatalf("%q: result %#v is not JSON: %v", src, v, err)
			}
		}
		_, err = p.EvalBool(fuzzEnv)
		checkErr(t, err, src)
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("%q took %v", src, took)
		}
	})
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"", "plain", "{{record.total}}", "Total: {{ record.total }} EUR", `\{{ not a hole }}`,
		"{{ {\"a\": {\"b\": 1}} }}", `{{ "}}" }}`, "{{ record.total", "{{}}", "}} {{ x }}",
		"{{ json(record) }} and {{ record.tags }}", "{{ now }}", `{{ '{{' }}`, "{{{a: 1}.a}}",
		"a {{ 1 + }} b", "{{ `raw }} string` }}", "\\\\{{ x }}", "{{ repeat('x', 100000) }}",
		"{{ 1..10 }}{{ 1/0 }}", "é{{ 'ü' }}ß",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, v := range []any{s, map[string]any{"k": s, "n": []any{s, 1.0}}} {
			tpl, err := CompileTemplate(v, fuzzLimits)
			checkErr(t, err, s)
			if err != nil {
				if e := err.(*Error); (i == 0 && e.Path != "") || (i == 1 && e.Path != "k" && e.Path != "n[0]") {
					t.Fatalf("%q: path %q", s, e.Path)
				}
				if !strings.Contains(s, "{{") {
					t.Fatalf("%q: compile error without a hole: %v", s, err)
				}
				continue
			}
			out, err := tpl.Render(fuzzEnv)
			checkErr(t, err, s)
			if err != nil {
				continue
			}
			if _, err := encodeJSON(out); err != nil {
				t.Fatalf("%q: result %#v is not JSON: %v", s, out, err)
			}
			if i == 0 && !strings.Contains(s, "{{") && out != s {
				t.Fatalf("%q: rendered %q without holes", s, out)
			}
		}
		_, err := RenderString(s, fuzzEnv, fuzzLimits)
		checkErr(t, err, s)
	})
}
