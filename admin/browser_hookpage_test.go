package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// orderHook creates an enabled "on order created" hook through the API: a
// webhook to target (with a case for big orders), then an email (no SMTP
// server is configured in the tests, so it fails).
func orderHook(t *testing.T, s *server, target string) string {
	t.Helper()
	s.mustAPI(201, "POST", "/api/v1/collections", s.Key, map[string]any{"name": "orders"})
	h := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "Large orders", "enabled": true,
		"trigger":   map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
		"condition": "total >= 500",
		"actions": []any{
			map[string]any{"type": "send_webhook", "name": "notify", "config": map[string]any{"url": target, "body_template": map[string]any{"id": "{{record.id}}"}},
				"cases": []any{map[string]any{"when": "total > 5000", "config": map[string]any{"body_template": map[string]any{"vip": true}}}}},
			map[string]any{"type": "send_email", "config": map[string]any{"to": "ops@example.com", "from": "shop@example.com", "subject": "Order {{record.id}}", "text": "t"},
				"retry": map[string]any{"max_attempts": 1}},
		},
	})
	return h["id"].(string)
}

// TestBrowserHookFlow (item 8): the hook page draws trigger → condition →
// actions with their cases as branches, and colours the last run's path:
// the webhook succeeded by its else branch, the email failed.
func TestBrowserHookFlow(t *testing.T) {
	s := startServer(t)
	rcv := newReceiver(t)
	id := orderHook(t, s, rcv.URL+"/orders")
	ctx := chrome(t)
	signIn(t, ctx, s)

	// Before any run: the picture, nothing coloured.
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/hooks/"+id), chromedp.WaitVisible(css("[data-flow]")))
	steps, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-flow] > [data-step]")].map(e => e.dataset.step + ":" + e.dataset.state)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(steps, ",") != "trigger:,condition:,action:,action:" {
		t.Fatalf("steps before a run: %v", steps)
	}
	if got := text(t, ctx, "[data-flow]"); !strings.Contains(got, "Record created in orders") || !strings.Contains(got, "total >= 500") ||
		!strings.Contains(got, "Case 1") || !strings.Contains(got, "total > 5000") || !strings.Contains(got, "Else") || !strings.Contains(got, rcv.URL+"/orders") {
		t.Fatalf("flow: %q", got)
	}

	s.mustAPI(201, "POST", "/api/v1/collections/orders/records", s.Key, map[string]any{"total": 600})
	rcv.next(t, 20*time.Second)
	xs := s.mustAPI(200, "GET", "/api/v1/executions?hook_id="+id, s.Key, nil)["items"].([]any)
	x, err := s.Eng.WaitExecution(context.Background(), xs[0].(map[string]any)["id"].(string), 20*time.Second)
	if err != nil || x.Status != "partial" {
		t.Fatalf("execution: %+v %v", x, err)
	}
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/hooks/"+id), chromedp.WaitVisible(css("[data-flow]")))
	steps, _ = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-flow] > [data-step]")].map(e => e.dataset.step + ":" + e.dataset.state)`))
	if strings.Join(steps, ",") != "trigger:ok,condition:ok,action:ok,action:fail" {
		t.Fatalf("steps after a partial run: %v", steps)
	}
	taken, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-branch]")].map(e => e.dataset.taken)`))
	if strings.Join(taken, ",") != "false,true" {
		t.Fatalf("branches taken %v: the else branch was the path", taken)
	}
	if got := text(t, ctx, "[data-flow-card] .flow-head"); !strings.Contains(got, "partial") {
		t.Fatalf("flow head: %q", got)
	}
	shot(t, ctx, "hook-page")

	// A small order: the condition stops the run there.
	s.mustAPI(201, "POST", "/api/v1/collections/orders/records", s.Key, map[string]any{"total": 5})
	xs = s.mustAPI(200, "GET", "/api/v1/executions?hook_id="+id, s.Key, nil)["items"].([]any)
	if _, err := s.Eng.WaitExecution(context.Background(), xs[0].(map[string]any)["id"].(string), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(css("[data-flow]")))
	steps, _ = chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-flow] > [data-step]")].map(e => e.dataset.step + ":" + e.dataset.state)`))
	if strings.Join(steps, ",") != "trigger:ok,condition:stop,action:,action:" {
		t.Fatalf("steps after a skipped run: %v", steps)
	}
}

// TestBrowserSaferEditing (item 6): warnings before saving (an unconfigured
// provider, a missing collection, a fail-open condition), "Show" takes the
// cursor to the first problem, leaving with unsaved changes asks first, and
// the hook page itself disables and deletes.
func TestBrowserSaferEditing(t *testing.T) {
	s := startServer(t)
	id := orderHook(t, s, "http://127.0.0.1:9/x")
	ctx := chrome(t)
	signIn(t, ctx, s)

	// Disable from the hook page; it stays on the hook page.
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/hooks/"+id),
		chromedp.WaitVisible(css("[data-toggle-enabled]")),
		chromedp.Click(css("[data-toggle-enabled]")),
		chromedp.WaitVisible(css("[data-flash]")),
	)
	if got := text(t, ctx, "[data-flash]"); !strings.Contains(got, "is disabled") {
		t.Fatalf("flash: %q", got)
	}
	if hk := s.mustAPI(200, "GET", "/api/v1/hooks/"+id, s.Key, nil); hk["enabled"] != false {
		t.Fatalf("still enabled: %v", hk["enabled"])
	}
	if got := text(t, ctx, "[data-toggle-enabled]"); got != "Enable" {
		t.Fatalf("toggle now reads %q", got)
	}

	// Warnings beside their fields, without blocking the save.
	waitJS(t, ctx, "the warnings", `document.querySelector('[data-warning="actions[1].type"]') !== null &&
		document.querySelector('[data-warning="on_condition_error"]') !== null`)
	if got := text(t, ctx, `[data-warning="actions[1].type"]`); !strings.Contains(got, "no SMTP server is configured") {
		t.Fatalf("provider warning: %q", got)
	}
	do(t, ctx,
		chromedp.Clear(css(`[id="trigger.collection"]`)),
		chromedp.SendKeys(css(`[id="trigger.collection"]`), "ordres"),
	)
	waitJS(t, ctx, "the collection warning", `(document.querySelector('[data-warning="trigger.collection"]') || {}).textContent?.includes('"ordres"')`)
	if got := text(t, ctx, "[data-live-state]"); !strings.Contains(got, "Ready to save") || !strings.Contains(got, "3 warnings") {
		t.Fatalf("state: %q", got)
	}
	shot(t, ctx, "hook-warnings")

	// A problem in a field nobody touched: "Show" goes to it.
	do(t, ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("actions[0].send_webhook.url").value = ""`),
		chromedp.SendKeys(css("#description"), "x"),
	)
	waitJS(t, ctx, "the hidden problem", `!!document.querySelector("[data-show-errors]")`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`), chromedp.Click(css("[data-show-errors]")))
	waitJS(t, ctx, "the focus on the URL", `document.activeElement && document.activeElement.id === "actions[0].send_webhook.url"`)
	inView, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const r = document.activeElement.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`))
	if !inView {
		t.Fatal("the first problem was not scrolled into view")
	}

	// Leaving with unsaved changes asks; staying keeps the page.
	dialogs := chromedp.Events(ctx, cdppage.JavascriptDialogOpening)
	asked := make(chan string, 1)
	go func() {
		first := true
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			if first {
				asked <- string(ev.Type)
			}
			// Stay the first time, leave afterwards.
			_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: !first})
			first = false
		}
	}()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('.crumbs a').click()`))
	select {
	case typ := <-asked:
		if typ != "beforeunload" {
			t.Fatalf("dialog %q", typ)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("leaving with unsaved changes did not ask")
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/admin/hooks/"+id) {
		t.Fatalf("left the page: %s", loc)
	}

	// Delete from the hook page (through its confirmation).
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/hooks/"+id), // a fresh page: nothing unsaved
		chromedp.WaitVisible(css("[data-delete-hook]")),
		chromedp.Click(css("[data-delete-hook]")),
		chromedp.WaitVisible(css(`form[action$="/delete"] button.danger`)),
		chromedp.Click(css(`form[action$="/delete"] button.danger`)),
		chromedp.WaitVisible(css("[data-flash]")),
	)
	if st, _ := s.api("GET", "/api/v1/hooks/"+id, s.Key, nil); st != 404 {
		t.Fatalf("hook still there: %d", st)
	}
}
