package admin_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium. Without it the browser tests skip,
// except under CI=true, where they fail: CI must run them.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("HOOKLINE_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need chromium at %s (CI=true, so they may not skip): %v", path, err)
		}
		t.Skipf("browser tests skipped: no chromium at %s (apt-get install chromium, or set HOOKLINE_CHROMIUM)", path)
	}
	return path
}

// chrome starts a headless chromium for the test and returns its context.
func chrome(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// Start the browser on a context without a deadline (Run's rule), then
	// bound the test.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel)
	return tctx
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	for i, st := range steps {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := chromedp.Do(sctx, st)
		cancel()
		if err != nil {
			t.Fatalf("browser step %d of %d: %v", i+1, len(steps), err)
		}
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitJS polls a JavaScript predicate.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// setValue sets a field the way typing would end (for time pickers, whose
// keyboard entry depends on the locale) and tells the page.
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); })()`, sel, v))
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

func signIn(t *testing.T, ctx context.Context, s *server) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/"),
		chromedp.WaitVisible(css("#key")),
		chromedp.SendKeys(css("#key"), s.Key),
		chromedp.Click(css("form button[type=submit]")),
		chromedp.WaitVisible(css("nav[aria-label=Main]")),
	)
}

// TestBrowserSeedFlow is seed 1 in a real browser: sign in, add an "on
// create in orders → send webhook" hook with a case, test it, activate it,
// create an order through the API and watch its execution appear.
func TestBrowserSeedFlow(t *testing.T) {
	s := startServer(t)
	rcv := newReceiver(t)
	ctx := chrome(t)
	signIn(t, ctx, s)

	do(t, ctx,
		chromedp.Click(css(`nav a[href="/admin/hooks"]`)),
		chromedp.WaitVisible(css(`a[href="/admin/hooks/new"]`)),
		chromedp.Click(css(`.page-head a[href="/admin/hooks/new"]`)),
		chromedp.WaitVisible(css("#editor")),
		chromedp.SendKeys(css("#name"), "Notify on large orders"),
		chromedp.SendKeys(css("#description"), "Posts large orders to the ops channel."),
		chromedp.SendKeys(css(`[id="trigger.collection"]`), "orders"),
		chromedp.SetValue(css(`[id="trigger.lifecycle"]`), "records.create"),
		chromedp.SendKeys(css("#condition"), "total >= 500"),
		chromedp.SendKeys(css(`[id="actions[0].name"]`), "notify"),
		chromedp.SendKeys(css(`[id="actions[0].send_webhook.url"]`), rcv.URL+"/orders"),
		chromedp.SendKeys(css(`[id="actions[0].send_webhook.body_template"]`), `{"text": "order {{record.id}} total {{record.total}}"}`),
		chromedp.Click(css("[data-add-case]")),
		chromedp.WaitVisible(css(`[id="actions[0].cases[0].when"]`)),
		chromedp.SendKeys(css(`[id="actions[0].cases[0].when"]`), "total > 5000"),
		chromedp.SendKeys(css(`[id="actions[0].cases[0].send_webhook.body_template"]`), `{"text": "VIP {{record.id}}"}`),
	)
	waitJS(t, ctx, "the live check to pass", `document.querySelector("[data-live-state]").textContent.includes("Ready to save")`)

	// Test: a big order takes the case; the rendered request is shown.
	do(t, ctx,
		chromedp.SetValue(css("#test_data"), `{"id": "rec_sample", "total": 6000}`),
		chromedp.Click(css("button[data-dryrun]")),
		chromedp.WaitVisible(css(`[data-verdict="true"]`)),
	)
	if got := text(t, ctx, "[data-case-taken]"); !strings.Contains(got, "Case 1: when total > 5000") {
		t.Fatalf("case taken: %q", got)
	}
	if got := text(t, ctx, "[data-dryrun-result]"); !strings.Contains(got, "VIP rec_sample") || !strings.Contains(got, "POST "+rcv.URL+"/orders") {
		t.Fatalf("dry run result: %q", got)
	}
	shot(t, ctx, "editor-new")
	// A small order: the condition fails.
	do(t, ctx,
		chromedp.SetValue(css("#test_data"), `{"total": 20}`),
		chromedp.Click(css("button[data-dryrun]")),
		chromedp.WaitVisible(css(`[data-verdict="false"]`)),
	)

	// Save and Activate.
	do(t, ctx,
		chromedp.Click(css(`.savebar button[value="activate"]`)),
		chromedp.WaitVisible(css("[data-flash]")),
	)
	if got := text(t, ctx, "[data-flash]"); !strings.Contains(got, "Saved and activated") {
		t.Fatalf("flash after Save and Activate: %q", got)
	}
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/hooks"), chromedp.WaitVisible(css(".hooks-table")))
	row := text(t, ctx, ".hooks-table tbody tr")
	for _, want := range []string{"Notify on large orders", "Record created in orders", "Enabled", "root", "never"} {
		if !strings.Contains(row, want) {
			t.Errorf("hooks table row lacks %q: %q", want, row)
		}
	}

	// An order through the API.
	s.mustAPI(201, "POST", "/api/v1/collections", s.Key, map[string]any{"name": "orders"})
	rec := s.mustAPI(201, "POST", "/api/v1/collections/orders/records", s.Key, map[string]any{"total": 600})
	got := rcv.next(t, 20*time.Second)
	if want := fmt.Sprintf("order %s total 600", rec["id"]); got["text"] != want {
		t.Fatalf("webhook body text %q, want %q", got["text"], want)
	}

	// The execution appears in the log with its status (wait for it to
	// finish through the engine's completion signal, then look).
	xs := s.mustAPI(200, "GET", "/api/v1/executions", s.Key, nil)["items"].([]any)
	if len(xs) != 1 {
		t.Fatalf("executions: %v", xs)
	}
	x, err := s.Eng.WaitExecution(context.Background(), xs[0].(map[string]any)["id"].(string), 20*time.Second)
	if err != nil || x.Status != "success" {
		t.Fatalf("execution: %v %v", x, err)
	}
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/executions"), chromedp.WaitVisible(css(`tr[data-status="success"]`)))
	if row := text(t, ctx, `tr[data-status="success"]`); !strings.Contains(row, "Notify on large orders") || !strings.Contains(row, "event") {
		t.Fatalf("execution row: %q", row)
	}
	do(t, ctx,
		chromedp.Click(css(`tr[data-status="success"] a.btn`)),
		chromedp.WaitVisible(css("[data-result]")),
	)
	shot(t, ctx, "execution")
	detail := text(t, ctx, "main")
	for _, want := range []string{"notify", "send_webhook", "own config", "Request", "Response", "orders", "600"} {
		if !strings.Contains(detail, want) {
			t.Errorf("execution detail lacks %q", want)
		}
	}
	// The table's last run now shows it.
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/hooks"), chromedp.WaitVisible(css(".hooks-table")))
	if row := text(t, ctx, ".hooks-table tbody tr"); !strings.Contains(strings.ToLower(row), "success") {
		t.Errorf("hooks table last run: %q", row)
	}
}

// TestBrowserScheduleCard: weekdays, times and zone give five next runs.
func TestBrowserScheduleCard(t *testing.T) {
	s := startServer(t)
	ctx := chrome(t)
	signIn(t, ctx, s)
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/hooks/new"),
		chromedp.WaitVisible(css("#editor")),
		chromedp.SendKeys(css("#name"), "Morning report"),
		chromedp.Click(css(`input[name="trigger_kind"][value="schedule"]`)),
		chromedp.WaitVisible(css(`[data-skind="card"]`)),
		chromedp.Click(css(`label.day:has(input[value="mon"]) span`)),
		chromedp.Click(css(`label.day:has(input[value="thu"]) span`)),
		setValue(`input[name="trigger.times"]`, "06:00"),
		chromedp.Click(css("[data-add-time]")),
		setValue(`.time-item:nth-of-type(2) input[name="trigger.times"]`, "18:30"),
		chromedp.Clear(css(`[id="trigger.timezone"]`)),
		chromedp.SendKeys(css(`[id="trigger.timezone"]`), "America/New_York"),
	)
	waitJS(t, ctx, "five next runs", `document.querySelectorAll("[data-next-runs] li").length === 5 &&
		document.querySelector("[data-schedule-preview]").textContent.includes("America/New_York")`)
	preview := text(t, ctx, "[data-schedule-preview]")
	if !strings.Contains(preview, "Mondays and Thursdays at 06:00 and 18:30, America/New_York") {
		t.Fatalf("schedule description: %q", preview)
	}
	stamps, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-next-runs] time")].map(t => t.getAttribute("datetime"))`))
	if err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	prev := time.Now().Add(-time.Minute)
	for _, st := range stamps {
		at, err := time.Parse(time.RFC3339, st)
		if err != nil {
			t.Fatal(err)
		}
		local := at.In(ny)
		hm := local.Format("15:04")
		if !at.After(prev) || (local.Weekday() != time.Monday && local.Weekday() != time.Thursday) || (hm != "06:00" && hm != "18:30") {
			t.Errorf("next run %s (%s in New York) is not a Monday or Thursday slot after %s", st, local.Format("Mon 15:04"), prev)
		}
		prev = at
	}
	// Max runs caps the preview; the hook saves and its table row says when.
	do(t, ctx,
		chromedp.SendKeys(css(`[id="trigger.max_runs"]`), "3"),
		chromedp.SendKeys(css(`[id="actions[0].send_webhook.url"]`), "http://127.0.0.1:9/report"),
	)
	waitJS(t, ctx, "three next runs", `document.querySelectorAll("[data-next-runs] li").length === 3`)
	do(t, ctx,
		chromedp.Click(css(`.savebar button[value="activate"]`)),
		chromedp.WaitVisible(css("[data-flash]")),
		chromedp.Navigate(s.URL+"/admin/hooks"),
		chromedp.WaitVisible(css(".hooks-table")),
	)
	if row := text(t, ctx, ".hooks-table tbody tr"); !strings.Contains(row, "Mondays and Thursdays") || !strings.Contains(row, "in ") {
		t.Errorf("schedule hook row: %q", row)
	}
}

// TestBrowserConditionError: a bad condition is reported beside the field
// while typing, and again when saving.
func TestBrowserConditionError(t *testing.T) {
	s := startServer(t)
	ctx := chrome(t)
	signIn(t, ctx, s)
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/hooks/new"),
		chromedp.WaitVisible(css("#editor")),
		chromedp.SendKeys(css("#condition"), "total >= "),
	)
	errSel := `[data-field="condition"] > .err`
	waitJS(t, ctx, "the condition error", `(() => { const e = document.querySelector('`+errSel+`'); return !e.hidden && e.textContent.length > 0; })()`)
	msg := text(t, ctx, errSel)
	if !strings.Contains(msg, "unexpected") {
		t.Fatalf("condition error: %q", msg)
	}
	inv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("condition").getAttribute("aria-invalid")`))
	if err != nil || inv != "true" {
		t.Fatalf("condition aria-invalid = %q (%v)", inv, err)
	}
	// Saving anyway: refused, the error is shown again beside the field.
	do(t, ctx,
		chromedp.SendKeys(css("#name"), "Bad one"),
		chromedp.SendKeys(css(`[id="actions[0].send_webhook.url"]`), "http://127.0.0.1:9/x"),
		chromedp.Click(css(`.savebar button[value="save"]`)),
		chromedp.WaitVisible(css("#form-errors")),
	)
	waitJS(t, ctx, "the error beside the field after saving", `(() => { const e = document.querySelector('`+errSel+`'); return !e.hidden && e.textContent.includes("unexpected"); })()`)
	if v, _ := chromedp.Run(ctx, chromedp.Value(css("#condition"))); v != "total >= " {
		t.Fatalf("the form lost the condition: %q", v)
	}
	// Fixing it clears the error.
	do(t, ctx, chromedp.Clear(css("#condition")), chromedp.SendKeys(css("#condition"), "total >= 5"))
	waitJS(t, ctx, "the error to clear", `document.querySelector('`+errSel+`').hidden`)
}

// TestBrowserActionsReorder: actions added, moved and removed in the page
// save in the order shown, each with its own case.
func TestBrowserActionsReorder(t *testing.T) {
	s := startServer(t)
	ctx := chrome(t)
	signIn(t, ctx, s)
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/hooks/new?trigger=manual"),
		chromedp.WaitVisible(css("#editor")),
		chromedp.SendKeys(css("#name"), "Three steps"),
		chromedp.SendKeys(css(`[id="actions[0].send_webhook.url"]`), "http://127.0.0.1:9/a"),
		chromedp.Click(css("[data-add-action]")),
		chromedp.WaitVisible(css(`[id="actions[1].send_webhook.url"]`)),
		chromedp.SendKeys(css(`[id="actions[1].send_webhook.url"]`), "http://127.0.0.1:9/b"),
		chromedp.Click(css(`[data-action]:nth-child(2) [data-add-case]`)),
		chromedp.SendKeys(css(`[id="actions[1].cases[0].when"]`), "data.vip == true"),
		chromedp.Click(css("[data-add-action]")),
		chromedp.WaitVisible(css(`[id="actions[2].type"]`)),
		chromedp.SetValue(css(`[id="actions[2].type"]`), "send_sms"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("actions[2].type").dispatchEvent(new Event("change", {bubbles: true}))`),
		chromedp.WaitVisible(css(`[id="actions[2].send_sms.to"]`)),
		chromedp.SendKeys(css(`[id="actions[2].send_sms.to"]`), "+14155550100"),
		chromedp.SendKeys(css(`[id="actions[2].send_sms.body"]`), "hi"),
		// b up to first place, then remove the sms action.
		chromedp.Click(css(`[data-action]:nth-child(2) [data-move="-1"]`)),
		chromedp.Click(css(`[data-action]:nth-child(3) [data-remove-action]`)),
	)
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-action]").length`)); n != 2 {
		t.Fatalf("%d actions on the page, want 2", n)
	}
	if got := text(t, ctx, `[data-action]:nth-child(1) [data-num]`); got != "1" {
		t.Fatalf("first action numbered %q", got)
	}
	do(t, ctx,
		chromedp.Click(css(`.savebar button[value="save"]`)),
		chromedp.WaitVisible(css("[data-flash]")),
	)
	list := s.mustAPI(200, "GET", "/api/v1/hooks", s.Key, nil)["items"].([]any)
	if len(list) != 1 {
		t.Fatalf("hooks: %v", list)
	}
	acts := list[0].(map[string]any)["actions"].([]any)
	if len(acts) != 2 {
		t.Fatalf("actions: %v", acts)
	}
	first, second := acts[0].(map[string]any), acts[1].(map[string]any)
	if first["config"].(map[string]any)["url"] != "http://127.0.0.1:9/b" || second["config"].(map[string]any)["url"] != "http://127.0.0.1:9/a" {
		t.Fatalf("action order: %v", acts)
	}
	if cs, _ := first["cases"].([]any); len(cs) != 1 || cs[0].(map[string]any)["when"] != "data.vip == true" {
		t.Fatalf("the case did not move with its action: %v", first)
	}
	if _, has := second["cases"]; has {
		t.Fatalf("the second action got a case: %v", second)
	}
}

// shot saves full-page screenshots of the current page, at desktop and at
// phone width, into $HOOKLINE_SCREENSHOTS (when set) as name.png and
// name-phone.png, for people to look at.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("HOOKLINE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		suffix string
		width  int64
	}{{"", 1280}, {"-phone", 390}} {
		do(t, ctx, chromedp.EmulateViewport(w.width, 900))
		h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`Math.min(document.documentElement.scrollHeight, 12000)`))
		if err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.EmulateViewport(w.width, max(h, 600)))
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+w.suffix+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do(t, ctx, chromedp.EmulateViewport(1280, 900))
}
