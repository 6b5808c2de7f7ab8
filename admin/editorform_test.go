package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/sqlite"
)

// engineCatalog is the catalog of a real engine's action types.
func engineCatalog(t *testing.T) *catalog {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	eng, err := hookline.Open(ctx, hookline.Config{Store: st, SecretKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return newCatalog(eng.ActionDescriptions())
}

// Every hook the editor can show must come back unchanged from its form.
func TestHookFormRoundTrip(t *testing.T) {
	cat := engineCatalog(t)
	docs := []string{
		`{"name":"orders","description":"d","account_id":"acc_1","order":7,"roles":["admin","user"],"category":"notification","debug":true,
		  "enabled":true,"condition":"total >= 500","on_condition_error":"skip","ordering":"parallel","ordering_key":"{{record.customer}}","debounce":{"key":"{{record.id}}","window":"30s"},
		  "trigger":{"type":"event","event":"records.create","collection":"orders"},
		  "actions":[{"type":"send_webhook","name":"slack","config":{"url":"https://x.example/{{record.id}}","method":"PUT","timeout":"5s",
		    "headers":{"X-A":"b"},"query":{"q":"{{record.id}}"},"body_template":{"text":"hi","n":"{{record.total}}"}},
		    "cases":[{"when":"total > 5000","config":{"body_template":{"text":"VIP"}}},{"when":"total > 1000","config":{}}],
		    "retry":{"max_attempts":3,"backoff":"fixed","initial":"1s","max":"1m"}}]}`,
		`{"name":"cart","account_id":"acc_1","order":0,"roles":[],"category":"analytics","enabled":false,"on_condition_error":"fire",
		  "trigger":{"type":"event","event":"30552"},
		  "actions":[{"type":"send_email","config":{"to":["a@example.com","{{record.email}}"],"cc":"c@example.com","subject":"s","text":"t","html":"<p>h</p>","from":"f@example.com"}},
		    {"type":"send_sms","config":{"to":"+14155550100","body":"b","from":"+14155550101"}}]}`,
		`{"name":"card","account_id":"acc_1","order":1,"roles":[],"category":"workflow","enabled":true,"on_condition_error":"fire",
		  "trigger":{"type":"schedule","weekdays":["mon","thu"],"times":["06:00","18:30"],"timezone":"America/New_York","start_at":"2026-01-01T00:00","end_at":"2027-01-01T00:00","max_runs":10,"misfire":"skip"},
		  "actions":[{"type":"create_record","config":{"collection":"invoices","data":{"order":"{{record.id}}"}}},
		    {"type":"update_record","config":{"collection":"orders","id":"{{record.id}}","data":{"flag":true}}},
		    {"type":"delete_record","config":{"collection":"orders","id":"rec_1"}}]}`,
		`{"name":"cron","account_id":"acc_1","order":1,"roles":[],"category":"other","enabled":true,"on_condition_error":"fire",
		  "trigger":{"type":"schedule","cron":"0 9 * * MON","timezone":"Europe/Berlin","misfire":"run_once"},
		  "actions":[{"type":"enqueue_job","config":{"queue":"reports","payload":{"a":[1,2]},"priority":5,"run_at":"{{now}}"}}]}`,
		`{"name":"every","account_id":"acc_1","order":1,"roles":[],"category":"other","enabled":true,"on_condition_error":"fire",
		  "trigger":{"type":"schedule","every":"15m","timezone":"UTC","misfire":"run_once"},
		  "actions":[{"type":"trigger_hook","config":{"hook_id":"hk_1","data":{"x":1}}}]}`,
		`{"name":"once","account_id":"acc_1","order":1,"roles":[],"category":"other","enabled":false,"on_condition_error":"fire",
		  "trigger":{"type":"schedule","once_at":"2026-12-01T09:00","timezone":"Europe/Berlin","misfire":"run_once"},
		  "actions":[{"type":"send_webhook","config":{"url":"https://x.example","method":"POST"}}]}`,
		`{"name":"inbound","account_id":"acc_1","order":1,"roles":[],"category":"other","enabled":true,"on_condition_error":"fire",
		  "trigger":{"type":"inbound","path":"pay/stripe","methods":["POST","PUT"],"respond":"sync","auth":{"kind":"hmac-sha256","header":"X-Sig","secret_ref":"PAY"}},
		  "actions":[{"type":"send_webhook","config":{"url":"https://x.example","method":"POST","extra":"kept as JSON"}}]}`,
		`{"name":"manual","account_id":"acc_1","order":1,"roles":[],"category":"other","enabled":true,"on_condition_error":"fire",
		  "trigger":{"type":"manual"},"actions":[{"type":"future_action","config":{"anything":{"goes":1}}}]}`,
	}
	for _, doc := range docs {
		var h hook.Hook
		if err := json.Unmarshal([]byte(doc), &h); err != nil {
			t.Fatal(err)
		}
		back, errs := cat.parseHookForm(cat.hookForm(&h))
		if len(errs) > 0 {
			t.Errorf("%s: form errors %v", h.Name, errs)
			continue
		}
		want, _ := json.Marshal(&h)
		got, _ := json.Marshal(back)
		if string(want) != string(got) {
			t.Errorf("%s: round trip changed the hook\nwant %s\ngot  %s", h.Name, want, got)
		}
	}
}

func TestLocalInput(t *testing.T) {
	for _, c := range []struct{ in, tz, want string }{
		{"2026-12-01T09:00:00+01:00", "Europe/Berlin", "2026-12-01T09:00"},
		{"2026-12-01T08:00:00Z", "Europe/Berlin", "2026-12-01T09:00"},
		{"2026-12-01T09:00", "Europe/Berlin", "2026-12-01T09:00"},
		{"", "UTC", ""},
	} {
		if got := localInput(c.in, c.tz); got != c.want {
			t.Errorf("localInput(%q, %q) = %q, want %q", c.in, c.tz, got, c.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/admin/hooks?q=1": "/admin/hooks?q=1", "": "/admin/", "//evil": "/admin/", "https://evil/admin/": "/admin/",
		"/admin/../x": "/admin/", "/x": "/admin/", "/admin/login": "/admin/", `/admin/\evil`: "/admin/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAxis(t *testing.T) {
	for v, want := range map[int][2]int{0: {4, 1}, 3: {4, 1}, 4: {4, 1}, 5: {5, 1}, 7: {8, 2}, 25: {25, 5}, 26: {30, 10}, 480: {500, 100}, 1001: {1500, 500}} {
		top, step := axis(v)
		if top != want[0] || step != want[1] || top < v || top/step > 5 {
			t.Errorf("axis(%d) = %d, %d; want %v", v, top, step, want)
		}
	}
}

// Cases are edited with their action's inputs: a case fills only what it
// changes; the action's inputs come from its type's description.
func TestCaseForms(t *testing.T) {
	cat := engineCatalog(t)
	var h hook.Hook
	_ = json.Unmarshal([]byte(`{"name":"x","trigger":{"type":"manual"},"actions":[{"type":"send_email","config":{"to":"a@example.com","subject":"s","text":"t"},
		"cases":[{"when":"vip","config":{"subject":"VIP","to":["b@example.com","c@example.com"]}},{"when":"odd","config":{"unknown":1}}]}]}`), &h)
	f := cat.hookForm(&h)
	if f.Get("actions[0].cases[0].config.subject") != "VIP" || f.Get("actions[0].cases[0].config.to") != "b@example.com, c@example.com" {
		t.Fatalf("case 1 as inputs: %v", f)
	}
	if f.Has("actions[0].cases[0].config.text") || f.Has("actions[0].cases[0].config_json") {
		t.Fatalf("case 1 fills only what it changes: %v", f)
	}
	if !f.Has("actions[0].cases[1].config_json") {
		t.Fatalf("a case the inputs cannot show is JSON: %v", f)
	}
	wh := cat.get("send_webhook")
	timeout, _ := wh.input("timeout")
	if timeout.Placeholder != "10s (default)" || timeout.DefaultText != "10s" {
		t.Fatalf("the webhook's timeout shows its default: %+v", timeout)
	}
	method, _ := wh.input("method")
	if method.Input != inSelect || len(method.Enum) != 5 || method.DefaultText != "POST" {
		t.Fatalf("method: %+v", method)
	}
	if cat.get("nope").Free != true {
		t.Fatal("an unknown type is free-form")
	}
}

// Saving from the editor keeps every hook field the form does not show.
func TestKeepUnformed(t *testing.T) {
	cat := engineCatalog(t)
	var old hook.Hook
	_ = json.Unmarshal([]byte(`{"id":"hk_1","name":"a","run_count":7,"created_at":"2026-01-02T03:04:05Z","ordering":"parallel","ordering_key":"{{record.id}}",
		"trigger":{"type":"manual"},"actions":[{"type":"send_webhook","config":{"url":"https://x.example"}}]}`), &old)
	f := cat.hookForm(&old)
	if f.Get("ordering") != "parallel" || f.Get("ordering_key") != "{{record.id}}" {
		t.Fatalf("ordering fields in the form: %v", f)
	}
	f.Set("name", "b")
	hk, errs := cat.parseHookForm(f)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	full, err := keepUnformed(&old, hk)
	if err != nil {
		t.Fatal(err)
	}
	if full.Name != "b" || full.Ordering != "parallel" || full.OrderingKey != "{{record.id}}" {
		t.Fatalf("form fields: %+v", full)
	}
	om, fm := extraFields(&old), extraFields(full)
	for k, v := range om {
		if slices.Contains(formFields, k) {
			continue
		}
		if a, b := pretty(v), pretty(fm[k]); a != b {
			t.Errorf("%s changed from %s to %s", k, a, b)
		}
	}
}
