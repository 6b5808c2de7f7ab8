package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser starts headless Debian Chromium for a test. Without Chromium the
// test fails under CI and is skipped (saying why) elsewhere.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (scripts/test installs it)")
		}
		t.Skip("browser test skipped: install Debian's chromium (scripts/test does)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// TestBrowserSDKPurchase: a shop page on another origin loads /sdk.js and
// tracks a Purchase; the hook on 30552 fires.
func TestBrowserSDKPurchase(t *testing.T) {
	s := start(t, mustSQLite(t))
	sk := newSink(t)
	s.must(201, "POST", "/api/v1/event-types", []any{map[string]any{"id": "30552", "label": "Purchase"}, map[string]any{"id": "70201", "label": "Server sync"}})
	s.must(201, "POST", "/api/v1/hooks", eventHook("purchase", "30552", sk.URL, map[string]any{"sku": "{{sku}}", "total": "{{total}}"}))

	page := httptest.NewUnstartedServer(nil)
	page.Start()
	defer page.Close()
	pub := s.must(201, "POST", "/api/v1/accounts/"+s.Root+"/keys", map[string]any{"name": "shop web", "role": "publishable", "allowed_origins": []any{page.URL}})["key"].(string)
	page.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>shop</title><script src="%s/sdk.js"></script>
<script>hookline.init({key: %q, endpoint: %q, debug: true});
document.title = "ready";
hookline.track("30552", {sku: "SKU-9", total: 129.5}, {immediate: true});</script>`, s.URL, pub, s.URL)
	})

	ctx := browser(t)
	if _, err := chromedp.Run(ctx, chromedp.Navigate(page.URL)); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || title != "ready" {
		t.Fatalf("the page did not run the SDK: title %q, %v", title, err)
	}
	reqs := sk.wait(t, 1)
	var b map[string]any
	_ = json.Unmarshal(reqs[0].Body, &b)
	if b["sku"] != "SKU-9" || b["total"] != 129.5 {
		t.Errorf("hook fired with %v", b)
	}

	// What a publishable key may not do.
	if r := s.do("GET", "/api/v1/hooks", pub, nil); r.Status != 403 {
		t.Errorf("publishable key on the REST API: %d", r.Status)
	}
	sdk := func(origin string, body any) int {
		j, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/sdk/events", strings.NewReader(string(j)))
		req.Header.Set("Authorization", "Bearer "+pub)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if c := sdk(page.URL, map[string]any{"type": "70201"}); c != 403 {
		t.Errorf("publishable key sending 702xx: %d", c)
	}
	if c := sdk("https://evil.example.com", map[string]any{"type": "30552"}); c != 403 {
		t.Errorf("publishable key from another origin: %d", c)
	}
	if c := sdk(page.URL, []any{map[string]any{"type": "30552", "data": map[string]any{"sku": "B"}}}); c != 202 {
		t.Errorf("batch from the allowed origin: %d", c)
	}
	// sendBeacon's form: key in the query, text/plain body.
	res, err := http.Post(s.URL+"/api/v1/sdk/events?key="+pub, "text/plain", strings.NewReader(`[{"type":"30552","data":{"sku":"C"}}]`))
	if err != nil || res.StatusCode != 202 {
		t.Errorf("beacon form: %v %v", err, res.StatusCode)
	}
}
