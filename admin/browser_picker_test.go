package admin_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDataPicker (item 3): typing {{rec in a template field offers
// the record's fields with their sample values; choosing one inserts the
// hole and the preview shows the value from the latest record. Condition
// fields complete too; steps of later actions and secret values are not
// offered.
func TestBrowserDataPicker(t *testing.T) {
	s := startServer(t)
	s.mustAPI(201, "POST", "/api/v1/collections", s.Key, map[string]any{"name": "orders"})
	s.mustAPI(201, "POST", "/api/v1/collections/orders/records", s.Key, map[string]any{"total": 612, "customer_name": "Ada"})
	s.mustAPI(201, "POST", "/api/v1/secrets", s.Key, map[string]any{"name": "API_TOKEN", "value": "tok-very-secret"})
	h := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name":    "Orders",
		"trigger": map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
		"actions": []any{
			map[string]any{"type": "send_webhook", "name": "notify", "config": map[string]any{"url": "http://127.0.0.1:9/x"}},
			map[string]any{"type": "create_record", "name": "log", "config": map[string]any{"collection": "orders", "data": map[string]any{"a": 1}}},
		},
	})
	ctx := chrome(t)
	signIn(t, ctx, s)

	body := `[id="actions[0].send_webhook.body_template"]`
	do(t, ctx,
		chromedp.Navigate(s.URL+"/admin/hooks/"+h["id"].(string)),
		chromedp.WaitVisible(css(body)),
		chromedp.SendKeys(css(body), "{{rec"),
		chromedp.WaitVisible(css(`#picker-list [data-path="record.total"]`)),
	)
	offered, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#picker-list [role=option]")].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(offered, "|")
	if !strings.Contains(joined, "record.customer_name\"Ada\"") || !strings.Contains(joined, "record.total612") {
		t.Fatalf("suggestions for {{rec: %q", offered)
	}
	shot(t, ctx, "picker")
	do(t, ctx,
		chromedp.Click(css(`#picker-list [data-path="record.total"]`)),
		chromedp.WaitVisible(css(`[data-pick-preview] [data-pick-value]`)),
	)
	if got, _ := chromedp.Run(ctx, chromedp.Value(css(body))); got != "{{record.total}}" {
		t.Fatalf("field after choosing: %q", got)
	}
	if got := text(t, ctx, "[data-pick-preview]"); !strings.Contains(got, "record.total = 612") || !strings.Contains(got, "latest record of orders") {
		t.Fatalf("preview: %q", got)
	}
	waitJS(t, ctx, "the list to close", `document.querySelector("#picker-list").hidden`)

	// The second action sees steps.notify; the first does not see steps.log.
	// Secrets are offered by name, their values never.
	data := `[id="actions[1].create_record.data"]`
	do(t, ctx,
		setValue(data, ""),
		chromedp.SendKeys(css(data), "{{s"),
		chromedp.WaitVisible(css(`#picker-list [data-path="steps.notify.status"]`)),
		chromedp.WaitVisible(css(`#picker-list [data-path="secret.API_TOKEN"]`)),
	)
	if got := text(t, ctx, "#picker-list"); strings.Contains(got, "steps.log") || strings.Contains(got, "tok-very-secret") {
		t.Fatalf("suggestions for the second action: %q", got)
	}
	do(t, ctx,
		setValue(body, ""),
		chromedp.SendKeys(css(body), "{{"),
		chromedp.WaitVisible(css(`#picker-list [data-path="record.total"]`)), // the list of this field
	)
	if got := text(t, ctx, "#picker-list"); strings.Contains(got, "steps.") || !strings.Contains(got, "secret.API_TOKEN") {
		t.Fatalf("the first action's scope: %q", got)
	}

	// A condition completes from what is typed, with the keyboard.
	do(t, ctx,
		chromedp.SendKeys(css("#condition"), "custo"),
		chromedp.WaitVisible(css(`#picker-list [data-path="customer_name"]`)),
		chromedp.KeyEvent("\t"),
	)
	waitJS(t, ctx, "the condition to hold the field", fmt.Sprintf(`document.querySelector("#condition").value === %q`, "customer_name"))
}
