package rule

import (
	"strings"
	"testing"
	"time"
)

// bigEnv is an event at the size limit (256 KiB) plus a long list.
func bigEnv() map[string]any {
	items := make([]any, 100000)
	for i := range items {
		items[i] = float64(i)
	}
	return map[string]any{
		"big":    strings.Repeat("abcdefgh", 32<<10), // 256 KiB
		"items":  items,
		"record": map[string]any{"total": 1.0},
	}
}

// quick is how fast a runaway evaluation must be stopped.
func quick() time.Duration {
	if raceEnabled {
		return 3 * time.Second
	}
	return 700 * time.Millisecond
}

// isRunaway reports whether err is one of the two budget errors. Which one
// fires first depends on the machine's speed.
func isRunaway(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "budget") || strings.Contains(err.Error(), "too long"))
}

// Runaway expressions must fail with a budget error, quickly, without
// allocating what they ask for.
func TestRunawayExpressions(t *testing.T) {
	env := bigEnv()
	tests := []struct{ src, msg string }{
		{`repeat("x", 100000000)`, "budget"},
		{`repeat(repeat("x", 1000), 1000000)`, "budget"},
		{`len(repeat(big, 1000)) > 0`, "budget"},
		{`1..100000000 | map(# * 2)`, "budget"},
		{`len(1..100000000) > 0`, "budget"},
		{`reduce(1..100, #acc + #acc, "x")`, "budget"},
		{`let s = big + big; let t = s + s; let u = t + t; let v = u + u; v + v + v`, "budget"},
		{`replace(repeat("a", 40000), "", repeat("b", 40000))`, "budget"},
		{`replace(big, "a", big)`, "budget"},
		{`join(map(1..90000, big), "")`, "budget"},
		{`string(map(1..90000, big))`, "budget"},
		{`json(map(1..90000, big))`, "budget"},
		{`toJSON(map(1..90000, big))`, "budget"},
		{`len(map(1..90000, lower(big))) > 0`, "budget"},
		{`len(map(1..90000, split(big, ""))) > 0`, "budget"},
		{`all(1..1000, {all(1..1000, {all(1..1000, {true})})})`, "budget"},
		{`all(items, {all(items, {true})})`, "budget"},
		{`none(items, {-1 in items})`, "too long"}, // work the meter cannot see
		{`map(items, {big}) | map(upper(#)) | len() > 0`, "budget"},
		{`sort(items) | map({[#, #, #, #]}) | len() > 0`, "budget"},
		{`keys(groupBy(items, string(#))) | len() > 0`, "budget"},
		{`urlquery(repeat(big, 10))`, "budget"},
	}
	for _, tt := range tests {
		p, err := Compile(tt.src, Limits{})
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.src, err)
			continue
		}
		start := time.Now()
		_, err = p.Eval(env)
		took := time.Since(start)
		t.Logf("%-70s %8v", tt.src, took.Round(time.Microsecond))
		if err == nil {
			t.Errorf("Eval(%q): no error", tt.src)
			continue
		}
		if e := asError(t, err); !strings.Contains(e.Msg, tt.msg) && !(raceEnabled && isRunaway(e)) {
			t.Errorf("Eval(%q) = %q, want %q", tt.src, e.Msg, tt.msg)
		}
		if took > quick() {
			t.Errorf("Eval(%q) took %v", tt.src, took)
		}
	}
}

func TestRunawayTemplates(t *testing.T) {
	env := bigEnv()
	for _, v := range []any{
		"{{ map(1..90000, big) }}",
		strings.Repeat("{{ big }}", 20), // 5 MiB of text from one render
		map[string]any{"a": "{{ big + big + big + big }}", "b": []any{"{{ big }}{{ big }}{{ big }}{{ big }}{{ big }}{{ big }}{{ big }}{{ big }}"}},
		[]any{"{{ 1..99000 }}", "{{ 1..99000 }}", "{{ 1..99000 }}", "{{ 1..99000 }}"},
	} {
		tpl, err := CompileTemplate(v, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = tpl.Render(env)
		if !isRunaway(err) {
			t.Errorf("Render: %v, want a budget error", err)
		}
		if took := time.Since(start); took > quick() {
			t.Errorf("Render took %v", took)
		}
	}
}

// Budgets must not get in the way of ordinary work on a full-size event.
func TestBudgetAllowsOrdinaryWork(t *testing.T) {
	env := bigEnv()
	lim := Limits{MaxDuration: 10 * time.Second} // the meter, not the clock, is under test
	for _, src := range []string{
		`len(big) == 262144`,
		`len(json(big)) > 262144`,
		`len(upper(big) + "!") == 262145`,
		`len(filter(items, int(#) % 2 == 0)) == 50000`,
		`sum(1..90000) > 0`,
		`len(join(map(1..1000, "abc"), ",")) == 3999`,
		`big contains "habc"`,
		`len(split(big, "h")) == 32769`,
	} {
		p, err := Compile(src, lim)
		if err != nil {
			t.Fatalf("Compile(%q): %v", src, err)
		}
		if ok, err := p.EvalBool(env); err != nil || !ok {
			t.Errorf("EvalBool(%q) = %v, %v", src, ok, err)
		}
	}
	if s, err := RenderString("body={{ big }}", env, lim); err != nil || len(s) != 5+len(env["big"].(string)) {
		t.Errorf("RenderString of a 256 KiB field: %v", err)
	}
}

func TestLimitsDefaults(t *testing.T) {
	got := Limits{}.WithDefaults()
	want := Limits{MaxSourceLen: 4096, MaxNodes: 2000, MemoryBudget: 100000, MaxDuration: 250 * time.Millisecond}
	if got != want {
		t.Fatalf("WithDefaults() = %+v", got)
	}
	if l := (Limits{MaxNodes: 7}).WithDefaults(); l.MaxNodes != 7 || l.MaxSourceLen != 4096 {
		t.Fatalf("WithDefaults kept %+v", l)
	}
	// A smaller memory budget is honoured by expr's own accounting and by ours.
	for _, src := range []string{`len(1..2000) > 0`, `all(1..200, {all(1..10, {true})})`, `len(repeat("x", 70000)) > 0`} {
		p, err := Compile(src, Limits{MemoryBudget: 1000, MaxDuration: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.EvalBool(nil); err == nil || !strings.Contains(err.Error(), "budget") {
			t.Errorf("EvalBool(%q) with budget 1000: %v", src, err)
		}
	}
	p, _ := Compile(`none(items, {-1 in items})`, Limits{MaxDuration: 20 * time.Millisecond})
	start := time.Now()
	if _, err := p.EvalBool(bigEnv()); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("MaxDuration: %v", err)
	}
	if took := time.Since(start); took > quick()/2 {
		t.Errorf("MaxDuration 20ms took %v", took)
	}
}
