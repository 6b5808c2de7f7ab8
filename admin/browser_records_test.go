package admin_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserRecordsTable (item 4): a collection's records as columns from
// its schema, newest first, sorted by a header, filtered, paged; a record
// created and edited with typed inputs keeps its types.
func TestBrowserRecordsTable(t *testing.T) {
	s := startServer(t)
	s.mustAPI(201, "POST", "/api/v1/collections", s.Key, map[string]any{"name": "orders", "schema": map[string]any{
		"type": "object", "required": []any{"total"},
		"properties": map[string]any{
			"total":  map[string]any{"type": "number"},
			"status": map[string]any{"type": "string", "enum": []any{"new", "paid"}},
			"vip":    map[string]any{"type": "boolean"},
		},
	}})
	for i := range 30 {
		st := "new"
		if i%2 == 1 {
			st = "paid"
		}
		s.mustAPI(201, "POST", "/api/v1/collections/orders/records", s.Key, map[string]any{"total": i * 10, "status": st})
	}
	s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{"name": "Watch orders",
		"trigger": map[string]any{"type": "event", "event": "records.update", "collection": "orders"},
		"actions": []any{map[string]any{"type": "enqueue_job", "config": map[string]any{"queue": "q"}}}})
	ctx := chrome(t)
	signIn(t, ctx, s)

	col := func(name string) string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelectorAll('[data-records] tbody td[data-col=%q]')].map(e => e.textContent.trim())`, name)))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, ",")
	}
	do(t, ctx, chromedp.Navigate(s.URL+"/admin/collections/orders"), chromedp.WaitVisible(css("[data-records]")))
	if got := text(t, ctx, "[data-record-count]"); got != "30" {
		t.Fatalf("count: %q", got)
	}
	if got := text(t, ctx, "[data-watchers]"); !strings.Contains(got, "Watch orders") {
		t.Fatalf("watchers: %q", got)
	}
	if got := col("total"); !strings.HasPrefix(got, "290,280,270,") || strings.Count(got, ",") != 24 {
		t.Fatalf("newest first, 25 a page: %q", got)
	}
	shot(t, ctx, "records")

	// Sort by total: ascending, then descending.
	do(t, ctx, chromedp.Click(css(`th[data-col="total"] a`)), chromedp.WaitVisible(css(`th[data-col="total"][aria-sort="ascending"]`)))
	if got := col("total"); !strings.HasPrefix(got, "0,10,20,") {
		t.Fatalf("ascending: %q", got)
	}
	// Page 2 of the sorted table holds the last five.
	do(t, ctx, chromedp.Click(css(`a[rel="next"]`)), chromedp.WaitVisible(css(`[data-page="2"]`)))
	if got := text(t, ctx, "[data-range]"); got != "26–30 of 30" {
		t.Fatalf("range: %q", got)
	}
	if got := col("total"); got != "250,260,270,280,290" {
		t.Fatalf("page 2: %q", got)
	}

	// Filter: status = paid, sorted by total descending.
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/collections/orders?sort=total&dir=desc"),
		chromedp.WaitVisible(css("#flt-field")),
		chromedp.SetValue(css("#flt-field"), "status"),
		chromedp.SetValue(css("#flt-op"), "eq"),
		chromedp.SendKeys(css("#flt-value"), "paid"),
		chromedp.Click(css(".filter-bar button[type=submit]")),
		chromedp.WaitVisible(css(`[data-matched="15"]`)),
	)
	if got := col("total"); !strings.HasPrefix(got, "290,270,250,") || strings.Contains(col("status"), "new") {
		t.Fatalf("filtered: %q / %q", got, col("status"))
	}

	// Create with typed inputs.
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/collections/orders"),
		chromedp.WaitVisible(css("#new-f-total")),
		chromedp.SendKeys(css("#new-f-total"), "7.5"),
		chromedp.SetValue(css("#new-f-status"), "paid"),
		chromedp.SetValue(css("#new-f-vip"), "true"),
		chromedp.Click(css(`[data-record-form="new"] button[type=submit]`)),
		chromedp.WaitVisible(css(`[data-record-count="31"]`)),
	)
	items := s.mustAPI(200, "GET", "/api/v1/collections/orders/records?limit=100", s.Key, nil)["items"].([]any)
	var id string
	for _, it := range items {
		if r := it.(map[string]any); r["total"] == 7.5 {
			if r["vip"] != true || r["status"] != "paid" {
				t.Fatalf("created record: %v", r)
			}
			id = r["id"].(string)
		}
	}
	if id == "" {
		t.Fatalf("no record with total 7.5 (a number): %v", items)
	}

	// Edit it: a whole new total, vip cleared (removed).
	do(t, ctx,
		chromedp.Click(css(`tr[data-record="`+id+`"] [data-edit]`)),
		chromedp.WaitVisible(css("#edit-f-total")),
		chromedp.SetValue(css("#edit-f-total"), "42"),
		setValue("#edit-f-vip", ""),
		chromedp.Click(css(`[data-record-form="edit"] button[type=submit]`)),
		chromedp.WaitVisible(css("[data-flash]")),
	)
	rec := s.mustAPI(200, "GET", "/api/v1/collections/orders/records/"+id, s.Key, nil)
	if rec["total"] != 42.0 || rec["status"] != "paid" || rec["vip"] != nil {
		t.Fatalf("edited record: %v", rec)
	}
}
