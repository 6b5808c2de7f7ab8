package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserReadingARun (item 7): the execution page shows the condition
// with the values it saw, JSON bodies pretty-printed, times to the
// millisecond, one action numbering, and what an execution waits for; the
// dashboard links hook names to their hooks.
func TestBrowserReadingARun(t *testing.T) {
	s := startServer(t)
	okSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"ticket":{"id":42}}`))
	}))
	t.Cleanup(okSrv.Close)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	t.Cleanup(failing.Close)

	s.mustAPI(201, "POST", "/api/v1/collections", s.Key, map[string]any{"name": "orders"})
	first := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "Open a ticket", "enabled": true, "order": 1,
		"trigger":   map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
		"condition": `total >= 500 && record.customer != ""`,
		"actions":   []any{map[string]any{"type": "send_webhook", "name": "ticket", "config": map[string]any{"url": okSrv.URL + "/t"}}},
	})["id"].(string)
	// Second in turn: it retries for an hour, so the third waits for it.
	s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "Flaky partner", "enabled": true, "order": 2,
		"trigger": map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": failing.URL + "/p"},
			"retry": map[string]any{"max_attempts": 3, "initial": "1h", "max": "1h"}}},
	})
	third := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "After the partner", "enabled": true, "order": 3,
		"trigger": map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
		"actions": []any{map[string]any{"type": "enqueue_job", "config": map[string]any{"queue": "q"}}},
	})["id"].(string)

	s.mustAPI(201, "POST", "/api/v1/collections/orders/records", s.Key, map[string]any{"total": 600, "customer": "Ada"})
	execOf := func(hookID string) map[string]any {
		t.Helper()
		xs := s.mustAPI(200, "GET", "/api/v1/executions?hook_id="+hookID, s.Key, nil)["items"].([]any)
		if len(xs) != 1 {
			t.Fatalf("executions of %s: %v", hookID, xs)
		}
		return xs[0].(map[string]any)
	}
	x1 := execOf(first)
	if x, err := s.Eng.WaitExecution(context.Background(), x1["id"].(string), 20*time.Second); err != nil || x.Status != "success" {
		t.Fatalf("first: %+v %v", x, err)
	}
	ctx := chrome(t)
	signIn(t, ctx, s)
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/executions/"+x1["id"].(string)), chromedp.WaitVisible(css("[data-cond-values]")))
	cond := text(t, ctx, "[data-condition]")
	for _, want := range []string{`total >= 500 && record.customer != ""`, "held", "total", "600", "record.customer", `"Ada"`} {
		if !strings.Contains(cond, want) {
			t.Errorf("condition section lacks %q: %q", want, cond)
		}
	}
	if ms := text(t, ctx, "[data-ms]"); !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$`).MatchString(ms) {
		t.Errorf("created at %q: not to the millisecond", ms)
	}
	resp, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelectorAll("[data-result] .split pre")[1].textContent`))
	if !strings.Contains(resp, "\"ticket\": {\n") || strings.Contains(resp, `\"`) {
		t.Errorf("the response body is not pretty JSON: %s", resp)
	}
	if n := text(t, ctx, "[data-result] .num"); n != "1" {
		t.Errorf("the first action is numbered %q", n)
	}
	shot(t, ctx, "execution-detail")

	// The third hook waits for the second, which waits for its retry.
	deadline := time.Now().Add(20 * time.Second)
	var x3 map[string]any
	for {
		x3 = execOf(third)
		if w, _ := x3["waiting_for"].(string); w != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the third execution never waited: %v", x3)
		}
		time.Sleep(50 * time.Millisecond) // polling the API: no signal to wait on from outside
	}
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/executions/"+x3["id"].(string)), chromedp.WaitVisible(css("[data-waiting-for]")))
	if got := text(t, ctx, "[data-waiting-for]"); got != x3["waiting_for"] {
		t.Fatalf("waits for %q, want %q", got, x3["waiting_for"])
	}
	shot(t, ctx, "execution-waiting")

	// The dashboard links each hook name to its hook.
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/"), chromedp.WaitVisible(css("[data-hook-link]")))
	hrefs, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-hook-link]")].map(a => a.getAttribute("href"))`))
	if !strings.Contains(strings.Join(hrefs, " "), "/admin/hooks/"+first) {
		t.Fatalf("dashboard hook links: %v", hrefs)
	}
}

// TestBrowserJobs (item 7): jobs show their id and payload, a dead one can
// be retried, and a job can be deleted.
func TestBrowserJobs(t *testing.T) {
	s := startServer(t)
	id := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "Reports", "enabled": true, "trigger": map[string]any{"type": "manual"},
		"actions": []any{map[string]any{"type": "enqueue_job", "config": map[string]any{"queue": "reports", "payload": map[string]any{"month": "2026-02"}}}},
	})["id"].(string)
	for range 2 {
		s.mustAPI(200, "POST", "/api/v1/hooks/"+id+"/trigger?wait=10s", s.Key, map[string]any{"data": map[string]any{}})
	}
	jobs := s.mustAPI(200, "GET", "/api/v1/jobs", s.Key, nil)["items"].([]any)
	if len(jobs) != 2 {
		t.Fatalf("jobs: %v", jobs)
	}
	dead, other := jobs[0].(map[string]any)["id"].(string), jobs[1].(map[string]any)["id"].(string)
	// Make the first dead, as a worker that failed it out of attempts would.
	ctx := context.Background()
	j, err := s.Eng.Store().JobGet(ctx, dead)
	if err != nil {
		t.Fatal(err)
	}
	j.State, j.Attempt, j.LastError = "dead", j.MaxAttempts, "worker: out of paper"
	if err := s.Eng.Store().JobUpdate(ctx, j); err != nil {
		t.Fatal(err)
	}

	bctx := chrome(t)
	signIn(t, bctx, s)
	do(t, bctx, chromedp.Navigate(s.URL+"/admin/jobs"), chromedp.WaitVisible(css(`[data-job="`+dead+`"]`)))
	row := text(t, bctx, `[data-job="`+dead+`"]`)
	if !strings.Contains(row, dead) || !strings.Contains(row, "out of paper") {
		t.Fatalf("dead job row: %q", row)
	}
	do(t, bctx, chromedp.Click(css(`[data-job="`+dead+`"] details summary`)))
	if got := text(t, bctx, `[data-job="`+dead+`"] details pre`); !strings.Contains(got, `"month": "2026-02"`) {
		t.Fatalf("payload: %q", got)
	}
	shot(t, bctx, "jobs")
	do(t, bctx,
		chromedp.Click(css(`[data-job="`+dead+`"] [data-retry-job]`)),
		chromedp.WaitVisible(css("[data-flash]")),
	)
	if j, _ := s.Eng.Store().JobGet(ctx, dead); j.State != "available" || j.Attempt != 0 {
		t.Fatalf("retried job: %+v", j)
	}
	// Delete asks first (a confirm dialog), then the job is gone.
	do(t, bctx,
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(css(`[data-job="`+other+`"] [data-delete-job]`)),
	)
	waitAfterNav(t, bctx, "the deleted row to go", `!document.querySelector('[data-job="`+other+`"]') && !!document.querySelector("[data-flash]")`)
	if _, err := s.Eng.Store().JobGet(ctx, other); err == nil {
		t.Fatal("the deleted job is still there")
	}
	if n, _ := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-job]").length`)); n != 1 {
		t.Fatalf("%d jobs listed after the delete", n)
	}
}

// waitAfterNav polls a JavaScript predicate across a navigation the last
// step started (waitJS fails when the page it polls goes away).
func waitAfterNav(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond) // polling the page: it is being replaced
	}
}
