package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookline/hookline/internal/hookdoc"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/postgres"
	"github.com/hookline/hookline/store/sqlite"
)

// freshStores runs fn on SQLite and on PostgreSQL with a function that
// opens a new, empty database each time it is called.
func freshStores(t *testing.T, fn func(t *testing.T, fresh func() store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, func() store.Store {
			st, err := sqlite.Open(context.Background(), testdb.SQLitePath(t), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, func() store.Store {
			st, err := postgres.Open(context.Background(), testdb.PostgresURL(t), postgres.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
}

// seedAccount gives an instance hookable events, collections and hooks of
// every trigger type (one without a key), as a user would click them in.
func seedAccount(s *server) {
	s.t.Helper()
	s.must(201, "POST", "/api/v1/event-types", []any{map[string]any{"id": "30552", "label": "Purchase"}, map[string]any{"id": "70201", "label": "CRM sync"}})
	s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders", "schema": map[string]any{"type": "object", "properties": map[string]any{"total": map[string]any{"type": "number"}}}})
	s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "inbox"})
	big := webhookHook("https://hooks.example.com/orders")
	big["key"], big["description"] = "notify-large-orders", "Multi\nline: description"
	big["actions"].([]any)[0].(map[string]any)["retry"] = map[string]any{"max_attempts": 5, "backoff": "exponential", "initial": "2s", "max": "10m"}
	s.must(201, "POST", "/api/v1/hooks", big)
	s.must(201, "POST", "/api/v1/hooks", map[string]any{
		"key": "morning-report", "name": "Morning report", "enabled": false, "order": 5, "roles": []any{"admin"},
		"trigger": map[string]any{"type": "schedule", "weekdays": []any{"mon", "thu"}, "times": []any{"06:00", "18:30"}, "timezone": "America/New_York"},
		"actions": []any{map[string]any{"type": "enqueue_job", "config": map[string]any{"queue": "reports", "payload": map[string]any{"slot": "{{trigger.slot}}"}}}},
	})
	s.must(201, "POST", "/api/v1/hooks", map[string]any{
		"key": "payments", "name": "Payments", "debug": true,
		"trigger": map[string]any{"type": "inbound", "path": "payment", "methods": []any{"POST"}, "auth": map[string]any{"kind": "hmac-sha256", "secret_ref": "PAYMENT_SECRET"}},
		"actions": []any{map[string]any{"type": "send_webhook", "name": "forward", "config": map[string]any{"url": "https://x.example.com", "headers": map[string]any{"Authorization": "Bearer {{secret.API_TOKEN}}"}}}},
	})
	s.must(201, "POST", "/api/v1/hooks", map[string]any{ // no key: export makes one up
		"name": "Purchase → CRM", "condition": "sku != ''",
		"trigger": map[string]any{"type": "event", "event": "30552"},
		"actions": []any{map[string]any{"type": "create_record", "config": map[string]any{"collection": "inbox", "data": map[string]any{"text": "{{ sku }}"}}}},
	})
}

// exportYAML is GET /api/v1/export?format=yaml without its first line (the
// schema comment, which names the server).
func exportYAML(s *server) (string, []byte) {
	s.t.Helper()
	r := s.do("GET", "/api/v1/export?format=yaml", s.Admin, nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/yaml") {
		s.t.Fatalf("export: %d %s", r.Status, r.Raw)
	}
	first, rest, _ := strings.Cut(string(r.Raw), "\n")
	if first != "# yaml-language-server: $schema="+s.URL+"/schemas/hooks.json" {
		s.t.Fatalf("export starts with %q", first)
	}
	return rest, r.Raw
}

// apply posts documents and returns the status and the plan (or error).
func apply(s *server, docs []json.RawMessage, prune, dry bool) resp {
	s.t.Helper()
	return s.do("POST", "/api/v1/apply", s.Admin, map[string]any{"documents": docs, "prune": prune, "dry_run": dry})
}

func summary(r resp) string {
	b, _ := json.Marshal(r.Body["summary"])
	return fmt.Sprintf("%d %s applied=%v", r.Status, b, r.Body["applied"])
}

func versionCounts(s *server) map[string]int {
	s.t.Helper()
	out := map[string]int{}
	for _, h := range s.must(200, "GET", "/api/v1/hooks?limit=500", nil)["items"].([]any) {
		hm := h.(map[string]any)
		out[fmt.Sprint(hm["key"])] = len(versionsOf(s, hm["id"].(string)))
	}
	return out
}

func TestApplyRoundTrip(t *testing.T) {
	freshStores(t, func(t *testing.T, fresh func() store.Store) {
		a := start(t, fresh())
		seedAccount(a)
		yamlA, raw := exportYAML(a)
		for _, want := range []string{"key: notify-large-orders", "key: purchase-crm", `id: "30552"`, "description: |-\n      Multi\n      line: description", "enabled: false"} {
			if !strings.Contains(yamlA, want) {
				t.Errorf("export lacks %q:\n%s", want, yamlA)
			}
		}
		for _, leak := range []string{"hk_", "acc_", "created_at", "updated_at", "version", "run_count"} {
			if strings.Contains(yamlA, leak) {
				t.Errorf("export has %q:\n%s", leak, yamlA)
			}
		}
		docs, err := hookdoc.Split("export.yaml", raw)
		if err != nil || len(docs) != 1 {
			t.Fatalf("split: %v %v", docs, err)
		}

		// The export is valid against the published JSON Schema.
		checkSchema(t, a, docs[0], true)

		// Apply on an empty instance reproduces everything.
		b := start(t, fresh())
		dry := apply(b, docs, false, true)
		if summary(dry) != `200 {"create":8,"delete":0,"unchanged":0,"update":0} applied=false` {
			t.Fatalf("dry run on an empty instance: %s %s", summary(dry), dry.Raw)
		}
		if n := len(b.must(200, "GET", "/api/v1/hooks", nil)["items"].([]any)); n != 0 {
			t.Fatalf("a dry run created %d hooks", n)
		}
		r := apply(b, docs, false, false)
		if summary(r) != `200 {"create":8,"delete":0,"unchanged":0,"update":0} applied=true` {
			t.Fatalf("apply: %s %s", summary(r), r.Raw)
		}
		if ws := r.Body["warnings"].([]any); len(ws) != 2 || !strings.Contains(fmt.Sprint(ws), "API_TOKEN") || !strings.Contains(fmt.Sprint(ws), "PAYMENT_SECRET") {
			t.Errorf("warnings about missing secrets: %v", ws)
		}
		yamlB, _ := exportYAML(b)
		if yamlB != yamlA {
			t.Fatalf("export of the copy differs:\n--- a\n%s\n--- b\n%s", yamlA, yamlB)
		}

		// Again: nothing changes, no new version.
		before := versionCounts(b)
		r = apply(b, docs, false, false)
		if summary(r) != `200 {"create":0,"delete":0,"unchanged":8,"update":0} applied=false` {
			t.Fatalf("second apply: %s %s", summary(r), r.Raw)
		}
		if after := versionCounts(b); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("versions %v became %v", before, after)
		}

		// On the instance it came from, the hook without a key is adopted
		// (it gets the made-up key), not copied.
		r = apply(a, docs, false, false)
		if summary(r) != `200 {"create":0,"delete":0,"unchanged":7,"update":1} applied=true` {
			t.Fatalf("apply to the source: %s %s", summary(r), r.Raw)
		}
		if n := len(a.must(200, "GET", "/api/v1/hooks", nil)["items"].([]any)); n != 4 {
			t.Fatalf("source has %d hooks after applying its own export", n)
		}
		if r = apply(a, docs, false, false); r.Body["summary"].(map[string]any)["unchanged"] != 8.0 {
			t.Fatalf("after adoption: %s", summary(r))
		}
	})
}

// checkSchema validates a document against GET /schemas/hooks.json.
func checkSchema(t *testing.T, s *server, doc json.RawMessage, valid bool) {
	t.Helper()
	r := s.do("GET", "/schemas/hooks.json", "", nil)
	if r.Status != 200 {
		t.Fatalf("schema: %d", r.Status)
	}
	sch, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("hooks.json", sch); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile("hooks.json")
	if err != nil {
		t.Fatalf("the published schema does not compile: %v", err)
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err := compiled.Validate(inst); (err == nil) != valid {
		t.Fatalf("schema validation of %s: %v (want valid=%v)", doc, err, valid)
	}
}

func TestApplyChanges(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		doc := func(hooks ...string) []json.RawMessage {
			return []json.RawMessage{json.RawMessage(`{"event_types": [{"id": "30551", "label": "Add to cart"}], "hooks": [` + strings.Join(hooks, ",") + `]}`)}
		}
		one := `{"key": "one", "name": "One", "trigger": {"type": "event", "event": "30551"}, "actions": [{"type": "enqueue_job", "config": {"queue": "q"}}]}`
		two := `{"key": "two", "name": "Two", "trigger": {"type": "manual"}, "actions": [{"type": "enqueue_job", "config": {"queue": "q"}}]}`
		if r := apply(s, doc(one, two), false, false); r.Status != 200 {
			t.Fatalf("apply: %s", r.Raw)
		}
		s.must(201, "POST", "/api/v1/hooks", logHook("x")) // keyed, but not in the documents

		// A dry run shows the update with a field-level diff and changes nothing.
		oneB := strings.Replace(one, `"queue": "q"`, `"queue": "q2"`, 1)
		r := apply(s, doc(oneB, two), true, true)
		if summary(r) != `200 {"create":0,"delete":1,"unchanged":2,"update":1} applied=false` {
			t.Fatalf("dry run: %s %s", summary(r), r.Raw)
		}
		var upd map[string]any
		for _, it := range r.Body["items"].([]any) {
			if it.(map[string]any)["action"] == "update" {
				upd = it.(map[string]any)
			}
		}
		if b, _ := json.Marshal(upd["diff"]); string(b) != `[{"field":"actions[0].config.queue","new":"q2","old":"q"}]` || upd["key"] != "one" || upd["version"] != 2.0 {
			t.Fatalf("update item: %v", upd)
		}
		if h := s.must(200, "GET", "/api/v1/hooks?key=one", nil)["items"].([]any)[0].(map[string]any); h["version"] != 1.0 {
			t.Fatalf("the dry run changed the hook: %v", h)
		}
		if n := len(s.must(200, "GET", "/api/v1/hooks?key=log-writes", nil)["items"].([]any)); n != 1 {
			t.Fatal("the dry run pruned")
		}

		// Without prune, a keyed hook the documents leave out stays.
		if r := apply(s, doc(oneB, two), false, false); summary(r) != `200 {"create":0,"delete":0,"unchanged":2,"update":1} applied=true` {
			t.Fatalf("apply: %s %s", summary(r), r.Raw)
		}
		vs := versionsOf(s, s.must(200, "GET", "/api/v1/hooks?key=one", nil)["items"].([]any)[0].(map[string]any)["id"].(string))
		if len(vs) != 2 || vs[0]["note"] != "hookline apply" || vs[0]["actor"].(map[string]any)["role"] != "admin" {
			t.Fatalf("versions after apply: %v", vs)
		}
		// With prune it goes, and so does a keyed hook removed from the documents.
		if r := apply(s, doc(oneB), true, false); summary(r) != `200 {"create":0,"delete":2,"unchanged":2,"update":0} applied=true` {
			t.Fatalf("prune: %s %s", summary(r), r.Raw)
		}
		keys := []string{}
		for _, h := range s.must(200, "GET", "/api/v1/hooks", nil)["items"].([]any) {
			keys = append(keys, fmt.Sprint(h.(map[string]any)["key"]))
		}
		if fmt.Sprint(keys) != "[one]" {
			t.Fatalf("after prune: %v", keys)
		}

		// Refused whole: nothing of the apply happens, the error names the
		// document, the hook and the field.
		bad := `{"key": "bad", "name": "Bad", "trigger": {"type": "event", "event": "30599"}, "actions": [{"type": "enqueue_job", "config": {"queue": "q"}}]}`
		fresh := `{"key": "fresh", "name": "Fresh", "trigger": {"type": "manual"}, "actions": [{"type": "enqueue_job", "config": {"queue": "q"}}]}`
		newType := json.RawMessage(`{"event_types": [{"id": "70301", "label": "New"}], "hooks": [` + fresh + `]}`)
		for _, tc := range []struct {
			name   string
			docs   []json.RawMessage
			status int
			field  string
			msg    string
		}{
			{"invalid hook", []json.RawMessage{newType, json.RawMessage(`{"hooks": [` + oneB + `, ` + bad + `]}`)}, 422, "documents[1].hooks[1].trigger.event", `hook "bad": trigger.event`},
			{"conflicting keys", []json.RawMessage{newType, json.RawMessage(`{"hooks": [` + strings.Replace(bad, `"bad"`, `"fresh"`, 1) + `]}`)}, 422, "documents[1].hooks[0].key", "documents[0].hooks[0]"},
			{"unknown field", []json.RawMessage{newType, json.RawMessage(`{"hooks": [` + strings.Replace(fresh, `"name"`, `"nmae"`, 1) + `]}`)}, 422, "documents[1].hooks[0].nmae", "not a field"},
			{"unknown nested field", []json.RawMessage{json.RawMessage(`{"hooks": [` + strings.Replace(fresh, `"type": "manual"`, `"type": "manual", "cron": "x", "evnet": 1`, 1) + `]}`)}, 422, "documents[0].hooks[0].trigger.evnet", "not a field"},
			{"id set", []json.RawMessage{json.RawMessage(`{"hooks": [` + strings.Replace(fresh, `"name"`, `"id": "hk_1", "name"`, 1) + `]}`)}, 422, "documents[0].hooks[0].id", "set by the server"},
			{"no key", []json.RawMessage{json.RawMessage(`{"hooks": [` + strings.Replace(fresh, `"key": "fresh",`, ``, 1) + `]}`)}, 422, "documents[0].hooks[0].key", "required"},
			{"wrong type", []json.RawMessage{json.RawMessage(`{"hooks": [` + strings.Replace(fresh, `"name": "Fresh"`, `"name": 5`, 1) + `]}`)}, 422, "documents[0].hooks[0].name", "want string"},
			{"bad event type", []json.RawMessage{json.RawMessage(`{"event_types": [{"id": "99901", "label": "x"}]}`)}, 422, "documents[0].event_types[0].id", "prefix"},
			{"unknown document field", []json.RawMessage{json.RawMessage(`{"secrets": [{"name": "X", "value": "y"}]}`)}, 422, "documents[0].secrets", "not a document field"},
			{"collection schema changes", []json.RawMessage{json.RawMessage(`{"collections": [{"name": "log"}]}`), json.RawMessage(`{"collections": [{"name": "log2"}]}`)}, 0, "", ""},
		} {
			before := s.do("GET", "/api/v1/export", s.Admin, nil).Raw
			r := apply(s, tc.docs, true, false)
			if tc.status == 0 {
				continue
			}
			e, _ := r.Body["error"].(map[string]any)
			if r.Status != tc.status || e["field"] != tc.field || !strings.Contains(fmt.Sprint(e["message"]), tc.msg) {
				t.Errorf("%s: %d %s", tc.name, r.Status, r.Raw)
			}
			if after := s.do("GET", "/api/v1/export", s.Admin, nil).Raw; !bytes.Equal(before, after) {
				t.Errorf("%s: a refused apply changed the account:\n%s\n%s", tc.name, before, after)
			}
		}
		// A collection's schema changes with its document: records written
		// from then on are checked against the new one, those stored
		// before stay.
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "typed", "schema": map[string]any{"type": "object"}})
		old := s.must(201, "POST", "/api/v1/collections/typed/records", map[string]any{"note": "before"})["id"].(string)
		typed := []json.RawMessage{json.RawMessage(`{"collections": [{"name": "typed", "schema": {"type": "object", "required": ["sku"]}}]}`)}
		if r = apply(s, typed, false, true); r.Status != 200 || !planHas(r.Body, "collection", "typed", "update") {
			t.Fatalf("dry run of a collection schema change: %d %s", r.Status, r.Raw)
		}
		if got := s.must(200, "GET", "/api/v1/collections/typed", nil)["schema"].(map[string]any); got["required"] != nil {
			t.Fatalf("a dry run changed the schema: %v", got)
		}
		if r = apply(s, typed, false, false); r.Status != 200 || !planHas(r.Body, "collection", "typed", "update") {
			t.Fatalf("collection schema change: %d %s", r.Status, r.Raw)
		}
		if r := s.do("POST", "/api/v1/collections/typed/records", s.Admin, map[string]any{"note": "after"}); r.Status != 422 {
			t.Errorf("a record without the now required sku: %d %s", r.Status, r.Raw)
		}
		s.must(201, "POST", "/api/v1/collections/typed/records", map[string]any{"sku": "A-1"})
		s.must(200, "GET", "/api/v1/collections/typed/records/"+old, nil)
		if r = apply(s, typed, false, false); r.Status != 200 || !planHas(r.Body, "collection", "typed", "unchanged") {
			t.Errorf("the same documents again: %d %s", r.Status, r.Raw)
		}
		if r := s.do("POST", "/api/v1/apply", s.Admin, map[string]any{"prune": true}); r.Status != 422 {
			t.Errorf("no documents: %d %s", r.Status, r.Raw)
		}
		checkSchema(t, s, json.RawMessage(`{"hooks": [{"key": "x", "name": "x", "trigger": {"type": "manual", "evnet": 1}, "actions": []}]}`), false)
	})
}

// planHas reports whether an apply's plan holds the item.
func planHas(plan map[string]any, kind, key, action string) bool {
	items, _ := plan["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if m["kind"] == kind && m["key"] == key && m["action"] == action {
			return true
		}
	}
	return false
}
