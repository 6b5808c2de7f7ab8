package rule

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProgramConcurrentUse(t *testing.T) {
	// What is tested is concurrent use, not the time backstop: 16 goroutines
	// under the race detector on a busy machine may take long.
	lim := Limits{MaxDuration: time.Minute}
	p, err := Compile(`record.total > 5000 && join(map(record.tags, upper(#)), ",") == want`, lim)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := CompileTemplate(map[string]any{"n": "{{ record.total }}", "s": "#{{ record.total }} {{ record.tags }}"}, lim)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				total := float64(4990 + g + i)
				tag := fmt.Sprintf("t%d", i)
				env := map[string]any{
					"record": map[string]any{"total": total, "tags": []any{tag, "x"}},
					"want":   strings.ToUpper(tag) + ",X",
				}
				ok, err := p.EvalBool(env)
				if err != nil || ok != (total > 5000) {
					t.Errorf("EvalBool = %v, %v for total %v", ok, err, total)
					return
				}
				out, err := tpl.Render(env)
				if err != nil {
					t.Error(err)
					return
				}
				m := out.(map[string]any)
				if m["n"] != total || m["s"] != fmt.Sprintf(`#%v ["%s","x"]`, total, tag) {
					t.Errorf("Render = %v", m)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestCache(t *testing.T) {
	c := NewCache(Limits{}, 8)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				n := (g + i) % 20 // more keys than the cache holds: evictions
				src := fmt.Sprintf("x + %d", n)
				p, err := c.Program(src)
				if err != nil {
					t.Error(err)
					return
				}
				if v, err := p.Eval(map[string]any{"x": 1}); err != nil || v != float64(1+n) {
					t.Errorf("Eval(%q) = %v, %v", src, v, err)
					return
				}
				tpl, err := c.Template(map[string]any{"v": fmt.Sprintf("{{ x * %d }}", n)})
				if err != nil {
					t.Error(err)
					return
				}
				if v, err := tpl.Render(map[string]any{"x": 2}); err != nil || v.(map[string]any)["v"] != float64(2*n) {
					t.Errorf("Render = %v, %v", v, err)
					return
				}
				if _, err := c.Program("1 +"); err == nil {
					t.Error("bad source compiled")
					return
				} else {
					asError(t, err).Path = "mine" // callers may annotate their copy
				}
			}
		}()
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.progs) > 8 || len(c.tmpls) > 8 {
		t.Fatalf("cache grew past its bound: %d programs, %d templates", len(c.progs), len(c.tmpls))
	}
}

func TestCacheReusesAndKeysCanonically(t *testing.T) {
	c := NewCache(Limits{}, 0)
	p1, _ := c.Program("a == 1")
	p2, _ := c.Program("a == 1")
	if p1 != p2 {
		t.Fatal("program compiled twice")
	}
	t1, _ := c.Template(map[string]any{"a": "{{ x }}", "b": []any{1.0, "y"}})
	t2, _ := c.Template(map[string]any{"b": []any{1.0, "y"}, "a": "{{ x }}"})
	if t1 == nil || t1 != t2 {
		t.Fatal("equal templates compiled twice")
	}
	if _, err := c.Template(map[string]any{"bad": "{{"}); err == nil || asError(t, err).Path != "bad" {
		t.Fatalf("Template error = %v", err)
	}
	if c.max != DefaultCacheSize {
		t.Fatalf("default size %d", c.max)
	}
}
