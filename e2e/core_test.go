package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/stdwebhooks"
	"github.com/hookline/hookline/store"
)

// TestSeedLargeOrders is the README tour: a record in orders with a large
// total posts a signed webhook; a small one is skipped; a huge one takes the
// VIP case.
func TestSeedLargeOrders(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders"})
		h := s.must(201, "POST", "/api/v1/hooks", webhookHook(sk.URL+"/x"))
		hookID := h["id"].(string)

		big := s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"total": 600, "customer": "Ada"})
		reqs := sk.wait(t, 1)
		var body map[string]any
		if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
			t.Fatalf("webhook body is not JSON: %s", reqs[0].Body)
		}
		if want := fmt.Sprintf("New order #%s for $600", big["id"]); body["text"] != want {
			t.Errorf("text = %q, want %q", body["text"], want)
		}
		if body["total"] != float64(600) {
			t.Errorf("a whole-string hole must keep the number type, got %#v", body["total"])
		}
		if reqs[0].Header.Get("X-Source") != "hookline" || reqs[0].Method != "POST" {
			t.Errorf("method/header: %s %v", reqs[0].Method, reqs[0].Header)
		}
		sec := s.must(200, "GET", "/api/v1/accounts/"+s.Root+"/signing-secret", nil)
		if err := stdwebhooks.Verify(sec["secret"].(string), reqs[0].Header, reqs[0].Body, time.Minute, time.Now()); err != nil {
			t.Errorf("signature does not verify with the account's signing secret: %v", err)
		}

		s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"total": 100})
		s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"total": 9000})
		xs := s.waitExecutions(hookID, 3)
		if xs[0]["status"] != "success" || xs[1]["status"] != "skipped" || xs[2]["status"] != "success" {
			t.Fatalf("statuses = %v %v %v, want success skipped success", xs[0]["status"], xs[1]["status"], xs[2]["status"])
		}
		reqs = sk.wait(t, 2)
		if len(reqs) != 2 {
			t.Fatalf("the skipped order must not send: %d requests", len(reqs))
		}
		if !strings.Contains(string(reqs[1].Body), "VIP order") {
			t.Errorf("total 9000 should take the VIP case: %s", reqs[1].Body)
		}
		vip := xs[2]["actions"].([]any)[0].(map[string]any)
		if vip["case"] != float64(0) || vip["status"] != "success" {
			t.Errorf("execution log should say case 0 ran: %v", vip)
		}
		// The execution log carries the SPEC fields.
		x := s.must(200, "GET", "/api/v1/executions/"+xs[0]["id"].(string), nil)
		for _, f := range []string{"trigger_type", "status", "actions_executed", "duration_ms", "execution_context", "attempts", "actions", "executed_at"} {
			if _, ok := x[f]; !ok {
				t.Errorf("execution lacks %q: %v", f, x)
			}
		}
		ctx := x["execution_context"].(map[string]any)
		if ctx["record"].(map[string]any)["total"] != float64(600) || ctx["collection"] != "orders" {
			t.Errorf("execution_context = %v", ctx)
		}
		if x["actions_executed"] != float64(1) || x["trigger_type"] != "event" {
			t.Errorf("actions_executed/trigger_type = %v/%v", x["actions_executed"], x["trigger_type"])
		}
	})
}

func TestHookCRUD(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		var ids []string
		for i := 0; i < 5; i++ {
			h := webhookHook("https://hooks.example.com/x")
			h["name"] = fmt.Sprintf("hook %d", i)
			h["enabled"] = i%2 == 0
			ids = append(ids, s.must(201, "POST", "/api/v1/hooks", h)["id"].(string))
		}
		got := s.must(200, "GET", "/api/v1/hooks/"+ids[0], nil)
		if got["name"] != "hook 0" || got["on_condition_error"] != "fire" || got["category"] != "notification" {
			t.Fatalf("get: %v", got)
		}
		// Pagination walks all five in pages of two.
		var seen []string
		cursor := ""
		for page := 0; page < 5; page++ {
			b := s.must(200, "GET", "/api/v1/hooks?limit=2&cursor="+cursor, nil)
			for _, it := range b["items"].([]any) {
				seen = append(seen, it.(map[string]any)["id"].(string))
			}
			if b["next_cursor"] == nil {
				break
			}
			cursor = b["next_cursor"].(string)
		}
		if strings.Join(seen, ",") != strings.Join(ids, ",") {
			t.Fatalf("paged ids %v, want %v", seen, ids)
		}
		if n := len(s.must(200, "GET", "/api/v1/hooks?enabled=false", nil)["items"].([]any)); n != 2 {
			t.Errorf("enabled=false: %d hooks, want 2", n)
		}
		if n := len(s.must(200, "GET", "/api/v1/hooks?q=HOOK%203", nil)["items"].([]any)); n != 1 {
			t.Errorf("q: %d hooks, want 1", n)
		}
		if n := len(s.must(200, "GET", "/api/v1/hooks?trigger_type=schedule", nil)["items"].([]any)); n != 0 {
			t.Errorf("trigger_type=schedule: %d hooks, want 0", n)
		}
		// PATCH disables and renames; other fields stay.
		p := s.must(200, "PATCH", "/api/v1/hooks/"+ids[0], map[string]any{"enabled": false, "name": "renamed"})
		if p["enabled"] != false || p["name"] != "renamed" || p["condition"] != "total >= 500" {
			t.Errorf("patch: %v", p)
		}
		// PUT replaces.
		rep := webhookHook("https://hooks.example.com/y")
		rep["condition"] = ""
		rep["name"] = "replaced"
		r := s.must(200, "PUT", "/api/v1/hooks/"+ids[0], rep)
		if r["condition"] != "" || r["name"] != "replaced" || r["created_at"] != got["created_at"] {
			t.Errorf("put: %v", r)
		}
		d := s.must(201, "POST", "/api/v1/hooks/"+ids[1]+"/duplicate", nil)
		if d["name"] != "hook 1 (copy)" || d["enabled"] != false || d["id"] == ids[1] {
			t.Errorf("duplicate: %v", d)
		}
		s.must(204, "DELETE", "/api/v1/hooks/"+ids[2], nil)
		s.must(404, "GET", "/api/v1/hooks/"+ids[2], nil)
	})
}

func TestHookValidation(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		mod := func(f func(h map[string]any)) map[string]any {
			h := webhookHook("https://hooks.example.com/x")
			f(h)
			return h
		}
		action := func(h map[string]any) map[string]any { return h["actions"].([]any)[0].(map[string]any) }
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"no name", mod(func(h map[string]any) { h["name"] = "" }), "name"},
			{"bad category", mod(func(h map[string]any) { h["category"] = "misc" }), "category"},
			{"bad role", mod(func(h map[string]any) { h["roles"] = []any{"boss"} }), "roles[0]"},
			{"no trigger type", mod(func(h map[string]any) { h["trigger"] = map[string]any{} }), "trigger.type"},
			{"unknown trigger", mod(func(h map[string]any) { h["trigger"] = map[string]any{"type": "sometimes"} }), "trigger.type"},
			{"unregistered event", mod(func(h map[string]any) { h["trigger"] = map[string]any{"type": "event", "event": "30555"} }), "trigger.event"},
			{"bad cron", mod(func(h map[string]any) { h["trigger"] = map[string]any{"type": "schedule", "cron": "61 * * * *"} }), "trigger.cron"},
			{"bad timezone", mod(func(h map[string]any) {
				h["trigger"] = map[string]any{"type": "schedule", "cron": "0 9 * * *", "timezone": "Mars/Olympus"}
			}), "trigger.timezone"},
			{"condition syntax", mod(func(h map[string]any) { h["condition"] = "total >= " }), "condition"},
			{"bad on_condition_error", mod(func(h map[string]any) { h["on_condition_error"] = "maybe" }), "on_condition_error"},
			{"no actions", mod(func(h map[string]any) { h["actions"] = []any{} }), "actions"},
			{"unknown action", mod(func(h map[string]any) { action(h)["type"] = "send_pigeon" }), "actions[0].type"},
			{"bad url", mod(func(h map[string]any) { action(h)["config"].(map[string]any)["url"] = "ftp://x" }), "actions[0].config.url"},
			{"bad method", mod(func(h map[string]any) { action(h)["config"].(map[string]any)["method"] = "BREW" }), "actions[0].config.method"},
			{"bad template", mod(func(h map[string]any) {
				action(h)["config"].(map[string]any)["body_template"] = map[string]any{"text": "{{ record.id "}
			}), "actions[0].config.body_template.text"},
			{"bad case when", mod(func(h map[string]any) { action(h)["cases"].([]any)[0].(map[string]any)["when"] = "total >" }), "actions[0].cases[0].when"},
			{"bad retry", mod(func(h map[string]any) { action(h)["retry"] = map[string]any{"backoff": "sometimes"} }), "actions[0].retry.backoff"},
			{"wrong type", mod(func(h map[string]any) { h["order"] = "first" }), "order"},
		}
		for _, c := range cases {
			r := s.do("POST", "/api/v1/hooks", s.Admin, c.body)
			if r.Status != 422 {
				t.Errorf("%s: status %d, want 422: %s", c.name, r.Status, r.Raw)
				continue
			}
			if f := r.Body["error"].(map[string]any)["field"]; f != c.field {
				t.Errorf("%s: field %v, want %s (%s)", c.name, f, c.field, r.Raw)
			}
		}
		if r := s.do("POST", "/api/v1/hooks", s.Admin, `{"name": "x",`); r.Status != 400 {
			t.Errorf("malformed JSON: %d, want 400", r.Status)
		}
		if n := len(s.must(200, "GET", "/api/v1/hooks", nil)["items"].([]any)); n != 0 {
			t.Errorf("bad input must change nothing: %d hooks exist", n)
		}
		// A bad PATCH changes nothing either.
		id := s.must(201, "POST", "/api/v1/hooks", webhookHook("https://hooks.example.com/x"))["id"].(string)
		if r := s.do("PATCH", "/api/v1/hooks/"+id, s.Admin, map[string]any{"name": "new", "condition": "((("}); r.Status != 422 {
			t.Errorf("bad patch: %d", r.Status)
		}
		if h := s.must(200, "GET", "/api/v1/hooks/"+id, nil); h["name"] != "Notify on large orders" {
			t.Errorf("bad patch changed the hook: %v", h["name"])
		}
	})
}

func TestLimits(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t), func(c *hookline.Config) { c.MaxHooksPerAccount = 3; c.MaxActionsPerHook = 2; c.EventsPerSecond = 5 })
		for i := 0; i < 3; i++ {
			s.must(201, "POST", "/api/v1/hooks", webhookHook("https://hooks.example.com/x"))
		}
		r := s.do("POST", "/api/v1/hooks", s.Admin, webhookHook("https://hooks.example.com/x"))
		if r.Status != 409 || r.Body["error"].(map[string]any)["code"] != "limit_reached" {
			t.Errorf("4th hook: %d %s, want 409 limit_reached", r.Status, r.Raw)
		}
		acc := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "shop"})["id"].(string)
		h := webhookHook("https://hooks.example.com/x")
		h["account_id"] = acc
		a := h["actions"].([]any)[0]
		h["actions"] = []any{a, a, a}
		r = s.do("POST", "/api/v1/hooks", s.Admin, h)
		if r.Status != 409 || r.Body["error"].(map[string]any)["code"] != "limit_reached" {
			t.Errorf("3 actions: %d %s, want 409 limit_reached", r.Status, r.Raw)
		}
		big := strings.Repeat("x", 300<<10)
		s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70201", "label": "Sync"})
		if r := s.do("POST", "/api/v1/events", s.Admin, map[string]any{"type": "70201", "data": map[string]any{"blob": big}}); r.Status != 413 {
			t.Errorf("oversize event: %d, want 413", r.Status)
		}
		var limited resp
		for i := 0; i < 20; i++ {
			limited = s.do("POST", "/api/v1/events", s.Admin, map[string]any{"type": "70201"})
			if limited.Status == 429 {
				break
			}
		}
		if limited.Status != 429 || limited.Header.Get("Retry-After") == "" {
			t.Errorf("rate limit: %d Retry-After=%q, want 429 with Retry-After", limited.Status, limited.Header.Get("Retry-After"))
		}
	})
}

func TestAuthAndTenancy(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		if r := s.do("GET", "/api/v1/hooks", "", nil); r.Status != 401 {
			t.Errorf("no key: %d", r.Status)
		}
		if r := s.do("GET", "/api/v1/hooks", "hlk_wrong", nil); r.Status != 401 {
			t.Errorf("wrong key: %d", r.Status)
		}
		a := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "tenant A"})["id"].(string)
		b := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "tenant B"})["id"].(string)
		keyA := s.must(201, "POST", "/api/v1/accounts/"+a+"/keys", map[string]any{"name": "a", "role": "admin"})
		keyB := s.must(201, "POST", "/api/v1/accounts/"+b+"/keys", map[string]any{"name": "b", "role": "admin"})["key"].(string)
		userA := s.must(201, "POST", "/api/v1/accounts/"+a+"/keys", map[string]any{"name": "u", "role": "user"})["key"].(string)
		if keyA["key"] == nil || keyA["prefix"] == nil {
			t.Fatalf("key create must return key and prefix: %v", keyA)
		}
		// Keys are listed without their secret.
		lr := s.do("GET", "/api/v1/accounts/"+a+"/keys", s.Admin, nil)
		if strings.Contains(string(lr.Raw), keyA["key"].(string)) || strings.Contains(string(lr.Raw), `"hash"`) {
			t.Errorf("key list leaks the key: %s", lr.Raw)
		}
		hA := s.do("POST", "/api/v1/hooks", keyA["key"].(string), webhookHook("https://hooks.example.com/x"))
		if hA.Status != 201 || hA.Body["account_id"] != a {
			t.Fatalf("tenant A creates a hook: %d %s", hA.Status, hA.Raw)
		}
		id := hA.Body["id"].(string)
		// The key that was just used shows when; the unused one does not.
		used := map[string]any{}
		for _, k := range s.must(200, "GET", "/api/v1/accounts/"+a+"/keys", nil)["items"].([]any) {
			k := k.(map[string]any)
			used[k["name"].(string)] = k["last_used_at"]
		}
		if at, ok := used["a"].(string); !ok {
			t.Errorf("key a was used but has no last_used_at: %v", used)
		} else if ts, err := time.Parse(time.RFC3339Nano, at); err != nil || time.Since(ts) > time.Minute {
			t.Errorf("key a last_used_at %q, want about now", at)
		}
		if used["u"] != nil {
			t.Errorf("key u was never used but has last_used_at %v", used["u"])
		}
		for _, c := range []struct{ method, path string }{
			{"GET", "/api/v1/hooks/" + id}, {"PATCH", "/api/v1/hooks/" + id}, {"DELETE", "/api/v1/hooks/" + id},
			{"GET", "/api/v1/accounts/" + a}, {"GET", "/api/v1/hooks/" + id + "/executions"},
		} {
			var body any
			if c.method == "PATCH" {
				body = map[string]any{"name": "x"}
			}
			if r := s.do(c.method, c.path, keyB, body); r.Status != 404 {
				t.Errorf("tenant B %s %s: %d, want 404", c.method, c.path, r.Status)
			}
		}
		if n := len(s.do("GET", "/api/v1/hooks", keyB, nil).Body["items"].([]any)); n != 0 {
			t.Errorf("tenant B sees %d hooks", n)
		}
		// The organization (root) sees its shops' hooks.
		if n := len(s.must(200, "GET", "/api/v1/hooks", nil)["items"].([]any)); n != 1 {
			t.Errorf("root sees %d hooks, want 1", n)
		}
		if r := s.do("POST", "/api/v1/hooks", userA, webhookHook("https://hooks.example.com/x")); r.Status != 403 {
			t.Errorf("user role creating a hook: %d, want 403", r.Status)
		}
		if r := s.do("POST", "/api/v1/accounts/"+a+"/keys", userA, map[string]any{"name": "x", "role": "admin"}); r.Status != 403 {
			t.Errorf("user role creating a key: %d, want 403", r.Status)
		}
		// Deleting a key revokes it.
		s.must(204, "DELETE", "/api/v1/keys/"+keyA["id"].(string), nil)
		if r := s.do("GET", "/api/v1/hooks", keyA["key"].(string), nil); r.Status != 401 {
			t.Errorf("revoked key: %d, want 401", r.Status)
		}
	})
}

func TestDocsAndOps(t *testing.T) {
	s := start(t, mustSQLite(t))
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		r := s.do("GET", p, "", nil)
		if r.Status != 200 {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	doc := s.do("GET", "/openapi.json", "", nil).Body
	paths := doc["paths"].(map[string]any)
	for _, want := range []string{"/api/v1/hooks", "/api/v1/hooks/{id}/trigger", "/api/v1/events", "/api/v1/executions/{id}/replay", "/api/v1/accounts/{id}/signing-secret/rotate"} {
		if _, ok := paths[want]; !ok {
			t.Errorf("openapi.json lacks %s", want)
		}
	}
	// Every documented API route is served (not the catch-all 404).
	for p, ops := range paths {
		for method := range ops.(map[string]any) {
			path := strings.NewReplacer("{id}", "nope", "{name}", "nope").Replace(p)
			r := s.do(strings.ToUpper(method), path, s.Admin, nil)
			if r.Status == 404 && strings.Contains(string(r.Raw), "no such route") {
				t.Errorf("%s %s is documented but not served", method, p)
			}
		}
	}
	// The Key schema documents every field a used key is listed with.
	s.must(201, "POST", "/api/v1/accounts/"+s.Root+"/keys", map[string]any{"name": "shop", "role": "publishable", "allowed_origins": []any{"https://shop.example"}})
	keyProps := doc["components"].(map[string]any)["schemas"].(map[string]any)["Key"].(map[string]any)["properties"].(map[string]any)
	for _, k := range s.must(200, "GET", "/api/v1/accounts/"+s.Root+"/keys", nil)["items"].([]any) {
		for field := range k.(map[string]any) {
			if _, ok := keyProps[field]; !ok {
				t.Errorf("a listed key has %q, which the Key schema does not document", field)
			}
		}
	}
	m := s.do("GET", "/metrics", "", nil)
	if !strings.Contains(string(m.Raw), "hookline_events_total") {
		t.Errorf("metrics lack hookline_events_total")
	}
}
