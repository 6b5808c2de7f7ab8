package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookline/hookline/store"
)

// logHook writes {"v": v} into the log collection when fired by hand.
func logHook(v string) map[string]any {
	return map[string]any{
		"name": "Log", "key": "log-writes", "enabled": true, "trigger": map[string]any{"type": "manual"},
		"actions": []any{map[string]any{"type": "create_record", "config": map[string]any{"collection": "log", "data": map[string]any{"v": v}}}},
	}
}

// waitFinal waits (on the engine's signal) for an execution to be final.
func (s *server) waitFinal(id string) map[string]any {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	x, err := s.Eng.WaitExecution(ctx, id, 15*time.Second)
	if err != nil || !x.Done() {
		s.t.Fatalf("execution %s not final: %v %v", id, x, err)
	}
	return s.must(200, "GET", "/api/v1/executions/"+id, nil)
}

func versionsOf(s *server, id string) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for _, v := range s.must(200, "GET", "/api/v1/hooks/"+id+"/versions", nil)["items"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func TestHookVersions(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "log"})
		id := s.must(201, "POST", "/api/v1/hooks", logHook("one"))["id"].(string)
		h := s.must(200, "GET", "/api/v1/hooks/"+id, nil)
		if h["version"] != 1.0 || h["key"] != "log-writes" {
			t.Fatalf("created hook: version %v, key %v", h["version"], h["key"])
		}
		vs := versionsOf(s, id)
		if len(vs) != 1 || vs[0]["version"] != 1.0 || vs[0]["actor"].(map[string]any)["role"] != "admin" || vs[0]["hook"].(map[string]any)["name"] != "Log" {
			t.Fatalf("versions after create: %v", vs)
		}

		// A change that changes nothing makes no version (PUT and PATCH).
		if got := s.must(200, "PUT", "/api/v1/hooks/"+id, logHook("one")); got["version"] != 1.0 || got["updated_at"] != h["updated_at"] {
			t.Fatalf("unchanged PUT: %v", got)
		}
		s.must(200, "PATCH", "/api/v1/hooks/"+id, map[string]any{"enabled": true, "version": 99})
		if n := len(versionsOf(s, id)); n != 1 {
			t.Fatalf("%d versions after changes that change nothing", n)
		}

		// Execution under version 1.
		x1 := s.waitFinal(s.must(202, "POST", "/api/v1/hooks/"+id+"/trigger", nil)["execution_id"].(string))
		if x1["hook_version"] != 1.0 || x1["status"] != "success" {
			t.Fatalf("execution 1: %v", x1)
		}

		// A change makes version 2, with the old one kept whole.
		two := logHook("two")
		two["condition"] = "true"
		if got := s.must(200, "PUT", "/api/v1/hooks/"+id, two); got["version"] != 2.0 {
			t.Fatalf("changed PUT: version %v", got["version"])
		}
		vs = versionsOf(s, id)
		if len(vs) != 2 || vs[0]["version"] != 2.0 || vs[1]["version"] != 1.0 {
			t.Fatalf("versions: %v", vs)
		}
		v1 := s.must(200, "GET", "/api/v1/hooks/"+id+"/versions/1", nil)
		if cfg := v1["hook"].(map[string]any)["actions"].([]any)[0].(map[string]any)["config"].(map[string]any); cfg["data"].(map[string]any)["v"] != "one" {
			t.Fatalf("version 1 is not the hook as it was: %v", v1)
		}
		for _, bad := range []string{"/versions/9", "/versions/0", "/versions/x"} {
			if r := s.do("GET", "/api/v1/hooks/"+id+bad, s.Admin, nil); r.Status != 404 {
				t.Errorf("GET %s: %d", bad, r.Status)
			}
		}

		// Replay: the current version by default, the original on request.
		cur := s.waitFinal(s.must(202, "POST", "/api/v1/executions/"+x1["id"].(string)+"/replay", nil)["execution_id"].(string))
		orig := s.waitFinal(s.must(202, "POST", "/api/v1/executions/"+x1["id"].(string)+"/replay", map[string]any{"version": "original"})["execution_id"].(string))
		if cur["hook_version"] != 2.0 || orig["hook_version"] != 1.0 || cur["status"] != "success" || orig["status"] != "success" {
			t.Fatalf("replays: current ran %v (%v), original ran %v (%v)", cur["hook_version"], cur["status"], orig["hook_version"], orig["status"])
		}
		recs := s.must(200, "GET", "/api/v1/collections/log/records?limit=10", nil)["items"].([]any)
		var written []any
		for _, r := range recs {
			written = append(written, r.(map[string]any)["v"])
		}
		if b, _ := json.Marshal(written); string(b) != `["one","two","one"]` {
			t.Fatalf("records written by execution, replay (current), replay (original): %s", b)
		}
		if r := s.do("POST", "/api/v1/executions/"+x1["id"].(string)+"/replay", s.Admin, map[string]any{"version": "v1"}); r.Status != 422 || r.Body["error"].(map[string]any)["field"] != "version" {
			t.Fatalf("bad version: %d %s", r.Status, r.Raw)
		}

		// Restore makes a new version equal to the old one; restoring what
		// the hook is already changes nothing.
		rest := s.must(200, "POST", "/api/v1/hooks/"+id+"/versions/1/restore", nil)
		if rest["version"] != 3.0 || rest["condition"] != "" {
			t.Fatalf("restored: %v", rest)
		}
		s.must(200, "POST", "/api/v1/hooks/"+id+"/versions/3/restore", nil)
		vs = versionsOf(s, id)
		if len(vs) != 3 || vs[0]["note"] != "restored version 1" {
			t.Fatalf("versions after restores: %v", vs)
		}
		x3 := s.waitFinal(s.must(202, "POST", "/api/v1/hooks/"+id+"/trigger", nil)["execution_id"].(string))
		if x3["hook_version"] != 3.0 {
			t.Fatalf("execution after restore ran version %v", x3["hook_version"])
		}

		// Keys: a slug, unique in the account, free in another, found by ?key=.
		if r := s.do("POST", "/api/v1/hooks", s.Admin, logHook("x")); r.Status != 409 || r.Body["error"].(map[string]any)["field"] != "key" {
			t.Fatalf("duplicate key: %d %s", r.Status, r.Raw)
		}
		bad := logHook("x")
		bad["key"] = "Not a slug"
		if r := s.do("POST", "/api/v1/hooks", s.Admin, bad); r.Status != 422 || r.Body["error"].(map[string]any)["field"] != "key" {
			t.Fatalf("bad key: %d %s", r.Status, r.Raw)
		}
		if items := s.must(200, "GET", "/api/v1/hooks?key=log-writes", nil)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
			t.Fatalf("?key=: %v", items)
		}
		if cp := s.must(201, "POST", "/api/v1/hooks/"+id+"/duplicate", nil); cp["key"] != nil || cp["version"] != 1.0 {
			t.Fatalf("a copy keeps no key: %v", cp)
		}
		child := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "shop", "parent_id": s.Root})["id"].(string)
		childKey := s.must(201, "POST", "/api/v1/accounts/"+child+"/keys", map[string]any{"name": "c", "role": "admin"})["key"].(string)
		if r := s.do("POST", "/api/v1/hooks", childKey, logHook("c")); r.Status != 201 {
			t.Fatalf("same key in another account: %d %s", r.Status, r.Raw)
		}
		// Another tenant sees no versions.
		if r := s.do("GET", "/api/v1/hooks/"+id+"/versions", childKey, nil); r.Status != 404 {
			t.Fatalf("child key read the parent's versions: %d", r.Status)
		}
		if r := s.do("POST", "/api/v1/hooks/"+id+"/versions/1/restore", childKey, nil); r.Status != 404 {
			t.Fatalf("child key restored the parent's hook: %d", r.Status)
		}
	})
}

// The OpenAPI document describes the new fields and routes.
func TestVersionsDocumented(t *testing.T) {
	s := start(t, mustSQLite(t))
	doc := s.do("GET", "/openapi.json", "", nil).Body
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	props := func(name string) map[string]any { return schemas[name].(map[string]any)["properties"].(map[string]any) }
	h := s.must(201, "POST", "/api/v1/hooks", logHook("x"))
	x := s.must(200, "POST", "/api/v1/hooks/"+h["id"].(string)+"/trigger?wait=10s", nil)
	v := s.must(200, "GET", "/api/v1/hooks/"+h["id"].(string)+"/versions/1", nil)
	for name, obj := range map[string]map[string]any{"Hook": h, "Execution": x, "HookVersion": v} {
		for field := range obj {
			if _, ok := props(name)[field]; !ok {
				t.Errorf("%s has %q, which the %s schema does not document", name, field, name)
			}
		}
	}
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/hooks/{id}/versions", "/api/v1/hooks/{id}/versions/{n}", "/api/v1/hooks/{id}/versions/{n}/restore"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
}
