package e2e

import (
	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/inboundsig"
	"github.com/hookline/hookline/internal/stdwebhooks"
	"github.com/hookline/hookline/store"
)

// TestInboundContextRedactsSignatures: the stored context of an inbound run
// keeps no signature or credential header in clear (Standard Webhooks,
// Stripe, GitHub, plain HMAC, Authorization), on both drivers.
func TestInboundContextRedactsSignatures(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		const secret = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
		s.must(201, "POST", "/api/v1/secrets", map[string]any{"name": "SIG", "value": secret})
		for _, kind := range []string{"standard-webhooks", "stripe", "github", "hmac-sha256"} {
			s.must(201, "POST", "/api/v1/hooks", map[string]any{
				"name": kind, "enabled": true,
				"trigger": map[string]any{"type": "inbound", "path": "sig/" + kind, "auth": map[string]any{"kind": kind, "secret_ref": "SIG"}},
				"actions": []any{map[string]any{"type": "enqueue_job", "config": map[string]any{"queue": "q", "payload": map[string]any{"k": "{{ kind }}"}}}},
			})
		}
		body := []byte(`{"kind":"x"}`)
		now := time.Now()
		swSig, err := stdwebhooks.Sign(secret, "msg_1", now, body)
		if err != nil {
			t.Fatal(err)
		}
		cases := map[string]map[string]string{
			"standard-webhooks": {"Webhook-Id": "msg_1", "Webhook-Timestamp": itoa(int(now.Unix())), "Webhook-Signature": swSig},
			"stripe":            {"Stripe-Signature": inboundsig.SignStripe(secret, now, body)},
			"github":            {"X-Hub-Signature-256": "sha256=" + inboundsig.SignHex(secret, body)},
			"hmac-sha256":       {"X-Signature": inboundsig.SignHex(secret, body)},
		}
		for kind, hdr := range cases {
			hdr["Authorization"] = "Bearer inbound-caller-token-123"
			code, _, out := rawPost(t, s.URL+"/in/"+s.Root+"/sig/"+kind, "application/json", body, hdr)
			if code != 202 {
				t.Fatalf("%s: %d %v", kind, code, out)
			}
			x := s.waitExecution(out["execution_id"].(string))
			raw := string(s.do("GET", "/api/v1/executions/"+x["id"].(string), s.Admin, nil).Raw)
			headers := x["execution_context"].(map[string]any)["request"].(map[string]any)["headers"].(map[string]any)
			for name, v := range hdr {
				if name == "Webhook-Id" || name == "Webhook-Timestamp" {
					continue
				}
				if headers[name] != "[redacted]" {
					t.Errorf("%s: context header %s = %v, want [redacted]", kind, name, headers[name])
				}
				if strings.Contains(raw, v) {
					t.Errorf("%s: the value of %s is in the stored execution", kind, name)
				}
			}
			if headers["Webhook-Id"] != nil && headers["Webhook-Id"] != "msg_1" {
				t.Errorf("%s: a plain header was redacted: %v", kind, headers["Webhook-Id"])
			}

		}
	})
}

// TestClientErrorsNameJSONTypes: a value of the wrong type is a 422 naming
// the field and the JSON types, never a Go type name.
func TestClientErrorsNameJSONTypes(t *testing.T) {
	s := start(t, mustSQLite(t))
	h := s.must(201, "POST", "/api/v1/hooks", manualHook("types", post("p", "http://127.0.0.1:1/x", nil, nil)))
	for _, c := range []struct {
		method, path string
		body         string
		field, want  string
	}{
		{"POST", "/api/v1/hooks", `{"name":"x","trigger":{"type":"manual"},"actions":{}}`, "actions", "want array, got object"},
		{"POST", "/api/v1/events", `{"type":"records.create","data":[1,2]}`, "data", "want object, got array"},
		{"POST", "/api/v1/events", `{"type":"records.create","occurred_at":"yesterday"}`, "", "RFC 3339"},
		{"PATCH", "/api/v1/hooks/" + h["id"].(string), `{"order":"first"}`, "order", "want integer, got string"},
		{"PUT", "/api/v1/hooks/" + h["id"].(string), `{"name":"x","enabled":"yes","trigger":{"type":"manual"},"actions":[]}`, "enabled", "want boolean, got string"},
		{"POST", "/api/v1/accounts", `{"name":["a"]}`, "name", "want string, got array"},
	} {
		r := s.do(c.method, c.path, s.Admin, c.body)
		e, _ := r.Body["error"].(map[string]any)
		msg, _ := e["message"].(string)
		if r.Status != 422 || e["field"] != nilIfEmpty(c.field) || !strings.Contains(msg, c.want) {
			t.Errorf("%s %s %s: %d %s, want 422 field %q and %q", c.method, c.path, c.body, r.Status, r.Raw, c.field, c.want)
		}
		for _, goName := range []string{"interface", "map[", "[]", "hook.", "int64", "float64", "time.Time", "Go value"} {
			if strings.Contains(msg, goName) {
				t.Errorf("%s %s: the message names a Go type (%s): %s", c.method, c.path, goName, msg)
			}
		}
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// TestHookEnabledByDefault: a hook created without "enabled" is active (as
// in Directus, Hasura and PocketBase) and fires; "enabled": false is kept.
func TestHookEnabledByDefault(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		h := eventHook("default", "records.create", sk.URL, map[string]any{"id": "{{record.id}}"})
		delete(h, "enabled")
		got := s.must(201, "POST", "/api/v1/hooks", h)
		if got["enabled"] != true {
			t.Fatalf("created without enabled: enabled = %v, want true", got["enabled"])
		}
		off := eventHook("off", "records.create", sk.URL, nil)
		off["enabled"] = false
		if g := s.must(201, "POST", "/api/v1/hooks", off); g["enabled"] != false {
			t.Errorf("enabled false: %v", g["enabled"])
		}
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders"})
		s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"total": 1})
		sk.wait(t, 1)
		if xs := s.waitExecutions(got["id"].(string), 1); xs[0]["status"] != "success" {
			t.Errorf("the default-enabled hook ran: %v", xs[0]["status"])
		}
	})
}

// TestExecutionFieldsAlwaysPresent: every field of hook.Execution (and of
// its per-action results) is in every real answer, null when it has no
// value, whatever status the execution has; and the OpenAPI document lists
// every one as required. A field added to the Go type is checked by itself.
func TestExecutionFieldsAlwaysPresent(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		ok, bad := newSink(t), newSink(t)
		bad.status = func(int) int { return 500 }
		fire := func(h map[string]any) string {
			id := s.must(201, "POST", "/api/v1/hooks", h)["id"].(string)
			return s.must(202, "POST", "/api/v1/hooks/"+id+"/trigger", map[string]any{"data": map[string]any{"n": 1}})["execution_id"].(string)
		}
		success := fire(manualHook("ok", post("a", ok.URL, nil, nil)))
		failed := fire(manualHook("bad", post("a", bad.URL, nil, map[string]any{"max_attempts": 1})))
		skipped := manualHook("skip", post("a", ok.URL, nil, nil))
		skipped["condition"] = "n > 5"
		skippedID := fire(skipped)
		pending := fire(manualHook("later", post("a", bad.URL, nil, map[string]any{"max_attempts": 3, "initial": "1h"})))

		schema := s.must(200, "GET", "/openapi.json", nil)["components"].(map[string]any)["schemas"].(map[string]any)["Execution"].(map[string]any)
		required := map[string]bool{}
		for _, r := range schema["required"].([]any) {
			required[r.(string)] = true
		}
		props := schema["properties"].(map[string]any)
		for _, f := range hook.Fields(reflect.TypeOf(hook.Execution{})) {
			if !required[f.Name] || props[f.Name] == nil {
				t.Errorf("OpenAPI Execution: %s is not a required property", f.Name)
			}
			if hook.Nullable(f.Type) && props[f.Name].(map[string]any)["nullable"] != true {
				t.Errorf("OpenAPI Execution: %s is not nullable", f.Name)
			}
		}

		check := func(what string, x map[string]any) {
			t.Helper()
			for _, f := range hook.Fields(reflect.TypeOf(hook.Execution{})) {
				if _, present := x[f.Name]; !present {
					t.Errorf("%s: field %s missing: %v", what, f.Name, x)
				}
			}
			for _, a := range x["actions"].([]any) {
				for _, f := range hook.Fields(reflect.TypeOf(hook.ActionResult{})) {
					if _, present := a.(map[string]any)[f.Name]; !present {
						t.Errorf("%s: action field %s missing: %v", what, f.Name, a)
					}
				}
			}
		}
		xs := map[string]map[string]any{
			"success": s.waitExecution(success), "failed": s.waitExecution(failed), "skipped": s.waitExecution(skippedID),
		}
		for name, x := range xs {
			check(name, x)
		}
		if xs["success"]["error_message"] != nil || xs["success"]["replay_of"] != nil || xs["skipped"]["actions"] == nil {
			t.Errorf("empty values must be null: error_message=%v replay_of=%v", xs["success"]["error_message"], xs["success"]["replay_of"])
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			x := s.must(200, "GET", "/api/v1/executions/"+pending, nil)
			if x["status"] == "pending" && x["attempts"] == float64(1) {
				check("pending", x)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not waiting for its retry: %v", x)
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, it := range s.must(200, "GET", "/api/v1/executions?limit=10", nil)["items"].([]any) {
			check("list item", it.(map[string]any))
		}
	})
}

// TestTriggerTypeHook: runs started by trigger_hook have trigger_type hook,
// and the log filters by it; an unknown trigger_type is a 422.
func TestTriggerTypeHook(t *testing.T) {
	s := start(t, mustSQLite(t))
	sk := newSink(t)
	target := s.must(201, "POST", "/api/v1/hooks", manualHook("target", post("p", sk.URL, nil, nil)))
	s.must(201, "POST", "/api/v1/hooks", map[string]any{
		"name": "caller", "trigger": map[string]any{"type": "event", "event": "records.create"},
		"actions": []any{map[string]any{"type": "trigger_hook", "config": map[string]any{"hook_id": target["id"], "data": map[string]any{"x": 1}}}},
	})
	s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "c"})
	s.must(201, "POST", "/api/v1/collections/c/records", map[string]any{"a": 1})
	sk.wait(t, 1)
	xs := s.waitExecutions(target["id"].(string), 1)
	if xs[0]["trigger_type"] != "hook" {
		t.Errorf("trigger_type = %v, want hook", xs[0]["trigger_type"])
	}
	items := s.must(200, "GET", "/api/v1/executions?trigger_type=hook", nil)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["hook_id"] != target["id"] {
		t.Errorf("filter trigger_type=hook: %v", items)
	}
	if r := s.do("GET", "/api/v1/executions?trigger_type=bogus", s.Admin, nil); r.Status != 422 || !strings.Contains(string(r.Raw), "hook") {
		t.Errorf("unknown trigger_type: %d %s", r.Status, r.Raw)
	}
}

// metric reads one sample of /metrics (0 when absent).
func (s *server) metric(name string) float64 {
	s.t.Helper()
	for _, line := range strings.Split(string(s.do("GET", "/metrics", "", nil).Raw), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				s.t.Fatalf("metric %s: %q", line, rest)
			}
			return v
		}
	}
	return 0
}

// TestMetricsCountEveryAttempt: hookline_actions_total counts every action
// attempt by type and result (fast enqueue_job actions included), and a
// record write counts as an event.
func TestMetricsCountEveryAttempt(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		ok, bad := newSink(t), newSink(t)
		bad.status = func(int) int { return 500 }
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders"})
		jobs := s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "jobs", "trigger": map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
			"actions": []any{
				map[string]any{"type": "enqueue_job", "config": map[string]any{"queue": "q", "payload": map[string]any{"id": "{{record.id}}"}}},
				map[string]any{"type": "send_webhook", "config": map[string]any{"url": ok.URL}},
			},
		})
		failing := s.must(201, "POST", "/api/v1/hooks", manualHook("failing", post("a", bad.URL, nil, map[string]any{"max_attempts": 2, "initial": "10ms"})))
		const n = 30
		for i := 0; i < n; i++ {
			s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"i": i})
		}
		s.must(202, "POST", "/api/v1/events", map[string]any{"type": "records.create", "collection": "other", "data": map[string]any{}})
		s.waitExecutions(jobs["id"].(string), n)
		s.waitExecution(s.must(202, "POST", "/api/v1/hooks/"+failing["id"].(string)+"/trigger", nil)["execution_id"].(string))

		for name, want := range map[string]float64{
			`hookline_actions_total{result="success",type="enqueue_job"}`:   n,
			`hookline_actions_total{result="success",type="send_webhook"}`:  n,
			`hookline_actions_total{result="retrying",type="send_webhook"}`: 1,
			`hookline_actions_total{result="failed",type="send_webhook"}`:   1,
			`hookline_events_total`: n + 1,
		} {
			if got := s.metric(name); got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
	})
}

// pages follows next_cursor through a list with limit 2 and returns the
// items' keys in order.
func (s *server) pages(path, key, field string) []string {
	s.t.Helper()
	var out []string
	cursor := ""
	for i := 0; i < 50; i++ {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := s.do("GET", path+sep+"limit=2&cursor="+cursor, key, nil)
		if r.Status != 200 {
			s.t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
		}
		items := r.Body["items"].([]any)
		if len(items) > 2 {
			s.t.Fatalf("%s: limit=2 answered %d items", path, len(items))
		}
		for _, it := range items {
			out = append(out, it.(map[string]any)[field].(string))
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
	s.t.Fatalf("%s: no end of pages", path)
	return nil
}

// TestEveryListPaginates: keys, hookable events, secrets and collections
// honour limit and cursor like the other lists; a shop lists the hookable
// events its organization registered (which it may send).
func TestEveryListPaginates(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		for i := 1; i <= 4; i++ {
			n := itoa(i)
			s.must(201, "POST", "/api/v1/accounts/"+s.Root+"/keys", map[string]any{"name": "k" + n, "role": "user"})
			s.must(201, "POST", "/api/v1/secrets", map[string]any{"name": "S" + n, "value": "value-" + n})
			s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "c" + n})
			s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "3050" + n, "label": "e" + n})
		}
		if got := s.pages("/api/v1/accounts/"+s.Root+"/keys", s.Admin, "name"); len(got) != 5 { // 4 + the admin key
			t.Errorf("keys: %v", got)
		}
		if got := strings.Join(s.pages("/api/v1/secrets", s.Admin, "name"), ","); got != "S1,S2,S3,S4" {
			t.Errorf("secrets: %v", got)
		}
		if got := strings.Join(s.pages("/api/v1/collections", s.Admin, "name"), ","); got != "c1,c2,c3,c4" {
			t.Errorf("collections: %v", got)
		}
		if got := strings.Join(s.pages("/api/v1/event-types", s.Admin, "id"), ","); got != "30501,30502,30503,30504" {
			t.Errorf("event types: %v", got)
		}
		if r := s.do("GET", "/api/v1/secrets?limit=0", s.Admin, nil); r.Status != 422 {
			t.Errorf("limit=0: %d", r.Status)
		}

		// A shop sees its organization's hookable events beside its own,
		// and may send them.
		shop := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "shop", "parent_id": s.Root})
		shopKey := s.must(201, "POST", "/api/v1/accounts/"+shop["id"].(string)+"/keys", map[string]any{"name": "shop", "role": "manager"})["key"].(string)
		r := s.do("POST", "/api/v1/event-types", shopKey, map[string]any{"id": "70201", "label": "shop's own"})
		if r.Status != 201 {
			t.Fatalf("shop event type: %d %s", r.Status, r.Raw)
		}
		if got := strings.Join(s.pages("/api/v1/event-types", shopKey, "id"), ","); got != "30501,30502,30503,30504,70201" {
			t.Errorf("a shop's hookable events: %v", got)
		}
		if r := s.do("POST", "/api/v1/events", shopKey, map[string]any{"type": "30502"}); r.Status != 202 {
			t.Errorf("a shop sends its organization's event: %d %s", r.Status, r.Raw)
		}
		// The organization sees its shops' events too (its subtree).
		if got := strings.Join(s.pages("/api/v1/event-types", s.Admin, "id"), ","); got != "30501,30502,30503,30504,70201" {
			t.Errorf("the organization's list: %v", got)
		}
		// A shop cannot delete its organization's event.
		if r := s.do("DELETE", "/api/v1/event-types/30501?account_id="+s.Root, shopKey, nil); r.Status != 404 {
			t.Errorf("shop deletes the organization's event: %d", r.Status)
		}
	})
}

// batchOf is an array of n events of type typ.
func batchOf(typ string, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"type": typ, "data": map[string]any{"i": i}}
	}
	return out
}

// TestNoEventRateLimitByDefault: with the default configuration an account
// is not capped (the former default of 1,000 events/s answered 429 past a
// second's burst). The clock stands still, so no token would come back.
func TestNoEventRateLimitByDefault(t *testing.T) {
	frozen := time.Now()
	s := start(t, mustSQLite(t), func(c *hookline.Config) { c.Now = func() time.Time { return frozen } })
	s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70201", "label": "Sync"})
	for i := 0; i < 12; i++ { // 1,200 events in the same instant
		if r := s.do("POST", "/api/v1/events", s.Admin, batchOf("70201", 100)); r.Status != 202 {
			t.Fatalf("batch %d: %d %s", i, r.Status, r.Raw)
		}
	}
}

// TestAccountLimits: an admin of a parent account sets a shop's
// events_per_second and max_hooks with PATCH /accounts/{id}; the account
// shows them; the shop's own admin cannot change them; bad values are 422
// and change nothing; null returns to the default.
func TestAccountLimits(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		frozen := time.Now()
		s := start(t, open(t), func(c *hookline.Config) { c.Now = func() time.Time { return frozen } })
		s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70201", "label": "Sync"})
		shop := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "shop"})
		shopID := shop["id"].(string)
		lim := shop["limits"].(map[string]any)
		if _, ok := lim["events_per_second"]; !ok || lim["events_per_second"] != nil || lim["max_hooks"] != nil {
			t.Errorf("a new account's limits: %v, want both null", lim)
		}
		shopAdmin := s.must(201, "POST", "/api/v1/accounts/"+shopID+"/keys", map[string]any{"name": "a", "role": "admin"})["key"].(string)

		got := s.must(200, "PATCH", "/api/v1/accounts/"+shopID, map[string]any{"limits": map[string]any{"events_per_second": 5, "max_hooks": 1}})
		if l := got["limits"].(map[string]any); l["events_per_second"] != float64(5) || l["max_hooks"] != float64(1) {
			t.Errorf("limits after PATCH: %v", l)
		}
		if l := s.must(200, "GET", "/api/v1/accounts/"+shopID, nil)["limits"].(map[string]any); l["events_per_second"] != float64(5) {
			t.Errorf("GET shows limits: %v", l)
		}
		// The shop's own admin sees them but cannot raise them.
		if r := s.do("GET", "/api/v1/accounts/"+shopID, shopAdmin, nil); r.Status != 200 || r.Body["limits"].(map[string]any)["max_hooks"] != float64(1) {
			t.Errorf("shop admin reads its limits: %d %s", r.Status, r.Raw)
		}
		if r := s.do("PATCH", "/api/v1/accounts/"+shopID, shopAdmin, map[string]any{"limits": map[string]any{"max_hooks": 1000}}); r.Status != 403 {
			t.Errorf("shop admin raises its own limit: %d %s", r.Status, r.Raw)
		}
		if r := s.do("PATCH", "/api/v1/accounts/"+s.Root, s.Admin, map[string]any{"limits": map[string]any{"max_hooks": 1}}); r.Status != 403 {
			t.Errorf("the root admin sets its own account's limits: %d", r.Status)
		}
		for body, field := range map[string]string{
			`{"limits":{"events_per_second":0}}`:    "limits.events_per_second",
			`{"limits":{"events_per_second":"10"}}`: "limits.events_per_second",
			`{"limits":{"max_hooks":1.5}}`:          "limits.max_hooks",
			`{"limits":{"max_hooks":-1}}`:           "limits.max_hooks",
			`{"limits":{"hooks":3}}`:                "limits.hooks",
			`{"name":"x","limits":{"hooks":3}}`:     "limits.hooks",
		} {
			r := s.do("PATCH", "/api/v1/accounts/"+shopID, s.Admin, body)
			if r.Status != 422 || r.Body["error"].(map[string]any)["field"] != field {
				t.Errorf("%s: %d %s, want 422 naming %s", body, r.Status, r.Raw, field)
			}
		}
		if a := s.must(200, "GET", "/api/v1/accounts/"+shopID, nil); a["name"] != "shop" || a["limits"].(map[string]any)["max_hooks"] != float64(1) {
			t.Errorf("a refused PATCH changed the account: %v", a)
		}

		// events_per_second: a burst of one second, then 429 with Retry-After.
		if r := s.do("POST", "/api/v1/events", shopAdmin, batchOf("70201", 5)); r.Status != 202 {
			t.Fatalf("5 events: %d %s", r.Status, r.Raw)
		}
		r := s.do("POST", "/api/v1/events", shopAdmin, batchOf("70201", 1))
		if r.Status != 429 || r.Header.Get("Retry-After") == "" {
			t.Errorf("6th event: %d Retry-After=%q", r.Status, r.Header.Get("Retry-After"))
		}
		// The organization itself is not limited (no default limit).
		if r := s.do("POST", "/api/v1/events", s.Admin, batchOf("70201", 100)); r.Status != 202 {
			t.Errorf("root events: %d", r.Status)
		}
		// max_hooks.
		h := manualHook("one", post("p", "https://hooks.example.com/x", nil, nil))
		h["account_id"] = shopID
		s.must(201, "POST", "/api/v1/hooks", h)
		r = s.do("POST", "/api/v1/hooks", s.Admin, h)
		if r.Status != 409 || r.Body["error"].(map[string]any)["code"] != "limit_reached" || !strings.Contains(string(r.Raw), "max_hooks") {
			t.Errorf("2nd hook past max_hooks 1: %d %s", r.Status, r.Raw)
		}
		// null returns to the defaults: no rate limit, 50 hooks.
		got = s.must(200, "PATCH", "/api/v1/accounts/"+shopID, map[string]any{"limits": map[string]any{"events_per_second": nil, "max_hooks": nil}})
		if l := got["limits"].(map[string]any); l["events_per_second"] != nil || l["max_hooks"] != nil {
			t.Errorf("limits after null: %v", l)
		}
		s.must(201, "POST", "/api/v1/hooks", h)
		if r := s.do("POST", "/api/v1/events", shopAdmin, batchOf("70201", 100)); r.Status != 202 {
			t.Errorf("events after the limit was removed: %d %s", r.Status, r.Raw)
		}
	})
}

// TestAccountLimitsOnEveryNode: limits set through one node hold on another
// node of the same PostgreSQL database at once.
func TestAccountLimitsOnEveryNode(t *testing.T) {
	url := pgURL(t)
	a := start(t, openPG(t, url))
	b := start(t, openPG(t, url)) // a second node on the same database
	b.Admin, b.Root = a.Admin, a.Root
	a.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70201", "label": "Sync"})
	shopID := a.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "shop"})["id"].(string)
	shopKey := a.must(201, "POST", "/api/v1/accounts/"+shopID+"/keys", map[string]any{"name": "k", "role": "admin"})["key"].(string)
	// Node b has the account cached without limits.
	if r := b.do("POST", "/api/v1/events", shopKey, batchOf("70201", 20)); r.Status != 202 {
		t.Fatalf("before: %d %s", r.Status, r.Raw)
	}
	a.must(200, "PATCH", "/api/v1/accounts/"+shopID, map[string]any{"limits": map[string]any{"events_per_second": 10, "max_hooks": 0}})
	h := manualHook("one", post("p", "https://hooks.example.com/x", nil, nil))
	h["account_id"] = shopID
	if r := b.do("POST", "/api/v1/hooks", b.Admin, h); r.Status != 409 {
		t.Errorf("max_hooks 0 on the other node: %d %s", r.Status, r.Raw)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := b.do("POST", "/api/v1/events", shopKey, batchOf("70201", 20)) // more than a second's burst of 10
		if r.Status == 429 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node b still accepts 20 events at once 5 s after the limit of 10/s was set on node a: %d", r.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRunCountCountsEveryRun: run_count counts every run of a hook (events,
// manual triggers, replays), not only schedule firings, and last_run_at says
// when the latest ran.
func TestRunCountCountsEveryRun(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		h := s.must(201, "POST", "/api/v1/hooks", eventHook("counted", "records.create", sk.URL, map[string]any{"id": "{{record.id}}"}))
		id := h["id"].(string)
		if _, ok := h["last_run_at"]; !ok || h["last_run_at"] != nil || h["run_count"] != float64(0) {
			t.Errorf("a new hook: run_count=%v last_run_at=%v (present: %v)", h["run_count"], h["last_run_at"], ok)
		}
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders"})
		for i := 0; i < 3; i++ {
			s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"i": i})
		}
		x := s.must(202, "POST", "/api/v1/hooks/"+id+"/trigger", map[string]any{"data": map[string]any{"i": 9}})["execution_id"].(string)
		s.waitExecution(x)
		s.waitExecution(s.must(202, "POST", "/api/v1/executions/"+x+"/replay", nil)["execution_id"].(string))
		s.waitExecutions(id, 5)
		before := time.Now()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := s.must(200, "GET", "/api/v1/hooks/"+id, nil)
			if got["run_count"] == float64(5) {
				last, err := time.Parse(time.RFC3339Nano, got["last_run_at"].(string))
				if err != nil || last.After(before) || time.Since(last) > time.Minute {
					t.Errorf("last_run_at = %v (%v)", got["last_run_at"], err)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run_count = %v after 10 s, want 5", got["run_count"])
			}
			time.Sleep(50 * time.Millisecond)
		}
		// A save keeps the count; run_count and last_run_at cannot be set.
		got := s.must(200, "PATCH", "/api/v1/hooks/"+id, map[string]any{"name": "renamed", "run_count": 0, "last_run_at": nil})
		if got["run_count"] != float64(5) || got["last_run_at"] == nil {
			t.Errorf("after PATCH: run_count=%v last_run_at=%v", got["run_count"], got["last_run_at"])
		}
		if l := s.must(200, "GET", "/api/v1/hooks?q=renamed", nil)["items"].([]any); l[0].(map[string]any)["run_count"] != float64(5) {
			t.Errorf("list: %v", l[0].(map[string]any)["run_count"])
		}
	})
}

// TestProviderWarnings: a send_email or send_sms hook saved or enabled while
// its provider is not configured is saved, and the answer warns that its
// runs will fail; with the provider configured there is no warning.
func TestProviderWarnings(t *testing.T) {
	mail := map[string]any{"type": "send_email", "config": map[string]any{"to": "ann@example.com", "from": "shop@example.com", "subject": "Hi", "text": "x"}}
	text := map[string]any{"type": "send_sms", "name": "sms", "config": map[string]any{"to": "+15550100", "from": "+15550101", "body": "x"}}
	hk := map[string]any{"name": "notify", "trigger": map[string]any{"type": "manual"}, "actions": []any{mail, text}}

	s := start(t, mustSQLite(t))
	h := s.must(201, "POST", "/api/v1/hooks", hk)
	ws, _ := h["warnings"].([]any)
	if len(ws) != 2 || !strings.Contains(ws[0].(string), "HOOKLINE_SMTP_HOST") || !strings.Contains(ws[1].(string), "action 2 (sms)") || !strings.Contains(ws[1].(string), "HOOKLINE_SMS") {
		t.Errorf("create without providers: warnings %v", h["warnings"])
	}
	p := s.must(200, "PATCH", "/api/v1/hooks/"+h["id"].(string), map[string]any{"enabled": true})
	if len(p["warnings"].([]any)) != 2 {
		t.Errorf("enable: warnings %v", p["warnings"])
	}
	if g := s.must(200, "GET", "/api/v1/hooks/"+h["id"].(string), nil); len(g["warnings"].([]any)) != 2 {
		t.Errorf("get: warnings %v", g["warnings"])
	}
	web := s.must(201, "POST", "/api/v1/hooks", manualHook("web", post("p", "https://hooks.example.com/x", nil, nil)))
	if w, ok := web["warnings"].([]any); !ok || len(w) != 0 {
		t.Errorf("a webhook hook: warnings %v (want [])", web["warnings"])
	}

	configured := start(t, mustSQLite(t), func(c *hookline.Config) {
		c.SMTP.Host = "127.0.0.1"
		c.SMS.AccountSID, c.SMS.AuthToken = "AC1", "token"
	})
	if h := configured.must(201, "POST", "/api/v1/hooks", hk); len(h["warnings"].([]any)) != 0 {
		t.Errorf("with providers configured: warnings %v", h["warnings"])
	}
}

// TestDryRunWarnsOfEmptyHoles: a dry run lists the template holes that have
// no value in the sample data as warnings (they render empty).
func TestDryRunWarnsOfEmptyHoles(t *testing.T) {
	s := start(t, mustSQLite(t))
	h := s.must(201, "POST", "/api/v1/hooks", webhookHook("https://hooks.example.com/x"))
	res := s.must(200, "POST", "/api/v1/hooks/"+h["id"].(string)+"/test", map[string]any{"data": map[string]any{"total": 600}})
	a := res["actions"].([]any)[0].(map[string]any)
	ws, _ := a["warnings"].([]any)
	if len(ws) != 1 || !strings.Contains(ws[0].(string), "{{record.id}}") || !strings.Contains(ws[0].(string), "config.body_template.text") {
		t.Errorf("warnings without an id: %v", a["warnings"])
	}
	res = s.must(200, "POST", "/api/v1/hooks/"+h["id"].(string)+"/test", map[string]any{"data": map[string]any{"id": "rec_1", "total": 600}})
	if ws := res["actions"].([]any)[0].(map[string]any)["warnings"]; ws == nil || len(ws.([]any)) != 0 {
		t.Errorf("warnings with every value: %v (want [])", ws)
	}
}
