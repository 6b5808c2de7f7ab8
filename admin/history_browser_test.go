package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserHistory: a hook changed twice shows three versions on its
// History tab; any two compare side by side; Restore makes a new version
// equal to an old one; the execution detail links the version it ran; the
// hook page offers its YAML.
func TestBrowserHistory(t *testing.T) {
	s := startServer(t)
	s.mustAPI(201, "POST", "/api/v1/collections", s.Key, map[string]any{"name": "log"})
	def := func(cond, v string) map[string]any {
		return map[string]any{
			"key": "log-writes", "name": "Log writes", "condition": cond, "trigger": map[string]any{"type": "manual"},
			"actions": []any{map[string]any{"type": "create_record", "config": map[string]any{"collection": "log", "data": map[string]any{"v": v}}}},
		}
	}
	id := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, def("", "one"))["id"].(string)
	s.mustAPI(200, "PUT", "/api/v1/hooks/"+id, s.Key, def("true", "one"))
	s.mustAPI(200, "PUT", "/api/v1/hooks/"+id, s.Key, def("true", "three"))

	ctx := chrome(t)
	signIn(t, ctx, s)
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/hooks/"+id),
		chromedp.WaitVisible(css("#editor")),
		chromedp.Click(css(`.head-actions a[href="/admin/hooks/`+id+`/history"]`)),
		chromedp.WaitVisible(css("table.versions")),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.versions tbody tr")].map(r => r.dataset.version)`))
	if err != nil || strings.Join(rows, ",") != "3,2,1" {
		t.Fatalf("version rows: %v %v", rows, err)
	}
	// By default the last change: version 2 → 3, the data value.
	if got := text(t, ctx, "[data-changes]"); !strings.Contains(got, "actions[0].config.data.v") || !strings.Contains(got, `"one" → "three"`) {
		t.Fatalf("changes 2→3: %q", got)
	}
	changed := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("[data-diff] tr.change")].map(r => r.querySelector(".l").textContent + " | " + r.querySelector(".r").textContent).join("\n")`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := changed(); !strings.Contains(got, "v: one | ") || !strings.Contains(got, "v: three") {
		t.Fatalf("side by side 2→3: %q", got)
	}
	shot(t, ctx, "history")

	// Any two: A = 1, B = 3.
	do(t, ctx,
		chromedp.Click(css(`input[name="a"][value="1"]`)),
		chromedp.Click(css(`input[name="b"][value="3"]`)),
		chromedp.Click(css(`button[form="compare-form"]`)),
		chromedp.WaitVisible(css(`tr#v1.selected`)), // only on the answer: 2 and 3 were selected before
	)
	if got := text(t, ctx, "#compare"); got != "Version 1 → version 3" {
		t.Fatalf("heading: %q", got)
	}
	if got := text(t, ctx, "[data-changes]"); !strings.Contains(got, "condition") || !strings.Contains(got, "actions[0].config.data.v") {
		t.Fatalf("changes 1→3: %q", got)
	}
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("[data-diff] tr.add, [data-diff] tr.change")].map(r => r.querySelector(".r").textContent).join("\n")`)); err != nil || !strings.Contains(got, "condition: \"true\"") {
		t.Fatalf("condition added on the right: %q %v", got, err)
	}

	// Restore version 1 (confirming the dialog): a new version 4.
	do(t, ctx,
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(css(`button[form="restore-1"]`)),
		chromedp.WaitVisible(css("[data-flash]")),
	)
	if got := text(t, ctx, "[data-flash]"); !strings.Contains(got, "Restored version 1 as version 4.") {
		t.Fatalf("flash: %q", got)
	}
	h := s.mustAPI(200, "GET", "/api/v1/hooks/"+id, s.Key, nil)
	if h["version"] != 4.0 || h["condition"] != "" {
		t.Fatalf("restored hook: %v", h)
	}
	if got := text(t, ctx, "table.versions tbody tr:first-child"); !strings.Contains(got, "v4") || !strings.Contains(got, "current") || !strings.Contains(got, "restored version 1") {
		t.Fatalf("first row after restore: %q", got)
	}

	// The execution detail names the version it ran and links to it.
	x := s.mustAPI(200, "POST", "/api/v1/hooks/"+id+"/trigger?wait=20s", s.Key, nil)
	if x["status"] != "success" {
		t.Fatalf("execution: %v", x)
	}
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/executions/"+x["id"].(string)),
		chromedp.WaitVisible(css("[data-hook-version] a")),
	)
	if got := text(t, ctx, "[data-hook-version]"); got != "v4" {
		t.Fatalf("execution names version %q", got)
	}
	shot(t, ctx, "execution-version")
	// Once the hook changed, the execution can be replayed as it ran.
	s.mustAPI(200, "PUT", "/api/v1/hooks/"+id, s.Key, def("true", "five"))
	do(t, ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(css(`input[name="version"][value="original"] + button`)),
		chromedp.Click(css(`input[name="version"][value="original"] + button`)),
		chromedp.WaitVisible(css("[data-flash]")),
	)
	if got := text(t, ctx, "[data-hook-version]"); got != "v4 (now v5)" {
		t.Fatalf("the replay as it ran names version %q", got)
	}
	replayID, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname.split("/").pop()`))
	if err != nil || replayID == x["id"] {
		t.Fatalf("replay page: %q %v", replayID, err)
	}
	if rx, err := s.Eng.WaitExecution(context.Background(), replayID, 20*time.Second); err != nil || rx.Status != "success" || rx.HookVersion != 4 || rx.ReplayOf != x["id"] {
		t.Fatalf("replay of the original version: %+v %v", rx, err)
	}
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/executions/"+x["id"].(string)), chromedp.WaitVisible(css("[data-hook-version] a")))
	do(t, ctx,
		chromedp.Click(css("[data-hook-version] a")),
		chromedp.WaitVisible(css("[data-version-yaml]")),
	)
	if got := text(t, ctx, "#compare"); got != "Version 4" {
		t.Fatalf("linked version: %q", got)
	}
	if got := text(t, ctx, "[data-version-yaml]"); !strings.Contains(got, "key: log-writes") || !strings.Contains(got, "v: one") {
		t.Fatalf("version 4 YAML: %q", got)
	}
	shot(t, ctx, "history-version")

	// Export as YAML from the hook page.
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/hooks/"+id), chromedp.WaitVisible(css(`a[href="/admin/hooks/`+id+`/export.yaml"]`)))
	fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := chromedp.Run(fctx, chromedp.Evaluate[string](`fetch(document.querySelector('a[href$="/export.yaml"]').href).then(async r => r.headers.get("content-disposition") + "\n" + await r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`attachment; filename="log-writes.yaml"`, "# yaml-language-server: $schema=" + s.URL + "/schemas/hooks.json", "hooks:\n  - key: log-writes\n    name: Log writes"} {
		if !strings.Contains(got, want) {
			t.Errorf("export lacks %q:\n%s", want, got)
		}
	}
}
