package e2e

import (
	"testing"
	"time"

	"github.com/hookline/hookline/store"
)

// TestCollectionSchemaChange: PATCH /collections/{name} replaces the schema;
// writes from then on are checked against it, records stored before stay.
func TestCollectionSchemaChange(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "items",
			"schema": map[string]any{"type": "object", "properties": map[string]any{"total": map[string]any{"type": "number"}}}})
		old := s.must(201, "POST", "/api/v1/collections/items/records", map[string]any{"total": 5})["id"].(string)

		sku := map[string]any{"type": "object", "required": []any{"sku"}}
		got := s.must(200, "PATCH", "/api/v1/collections/items", map[string]any{"schema": sku})
		if req, _ := got["schema"].(map[string]any)["required"].([]any); len(req) != 1 || req[0] != "sku" {
			t.Fatalf("PATCH answered %v", got)
		}
		if r := s.do("POST", "/api/v1/collections/items/records", s.Admin, map[string]any{"total": 6}); r.Status != 422 {
			t.Errorf("a record without the now required sku: %d %s", r.Status, r.Raw)
		}
		s.must(201, "POST", "/api/v1/collections/items/records", map[string]any{"sku": "A-1", "total": "any"})
		if rec := s.must(200, "GET", "/api/v1/collections/items/records/"+old, nil); rec["total"] != 5.0 {
			t.Errorf("the record stored before: %v", rec)
		}

		// null: no schema at all.
		if got := s.must(200, "PATCH", "/api/v1/collections/items", map[string]any{"schema": nil}); !noSchema(got["schema"]) {
			t.Errorf("schema after null: %v", got["schema"])
		}
		s.must(201, "POST", "/api/v1/collections/items/records", map[string]any{"anything": true})

		// Bad input changes nothing and names the field.
		for _, body := range []any{map[string]any{}, map[string]any{"schema": "object"}, map[string]any{"schema": map[string]any{"type": 12}}} {
			r := s.do("PATCH", "/api/v1/collections/items", s.Admin, body)
			if e, _ := r.Body["error"].(map[string]any); r.Status != 422 || e["field"] != "schema" {
				t.Errorf("PATCH %v: %d %s", body, r.Status, r.Raw)
			}
		}
		if got := s.must(200, "GET", "/api/v1/collections/items", nil); !noSchema(got["schema"]) {
			t.Errorf("a refused PATCH changed the schema: %v", got["schema"])
		}
		if r := s.do("PATCH", "/api/v1/collections/none", s.Admin, map[string]any{"schema": sku}); r.Status != 404 {
			t.Errorf("PATCH of a missing collection: %d %s", r.Status, r.Raw)
		}
		user := s.must(201, "POST", "/api/v1/accounts/"+s.Root+"/keys", map[string]any{"name": "u", "role": "user"})["key"].(string)
		if r := s.do("PATCH", "/api/v1/collections/items", user, map[string]any{"schema": sku}); r.Status != 403 {
			t.Errorf("a user changes a schema: %d %s", r.Status, r.Raw)
		}
	})
}

// TestCollectionSchemaChangeAcrossNodes: the other nodes check writes
// against the new schema too.
func TestCollectionSchemaChangeAcrossNodes(t *testing.T) {
	s1, s2 := twoNodes(t)
	s1.must(201, "POST", "/api/v1/collections", map[string]any{"name": "items"})
	s2.must(201, "POST", "/api/v1/collections/items/records", map[string]any{"n": 1}) // node 2 now holds the collection
	s1.must(200, "PATCH", "/api/v1/collections/items", map[string]any{"schema": map[string]any{"type": "object", "required": []any{"sku"}}})
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := s2.do("POST", "/api/v1/collections/items/records", s2.Admin, map[string]any{"n": 2})
		if r.Status == 422 {
			break
		}
		if r.Status != 201 || time.Now().After(deadline) {
			t.Fatalf("node 2 still takes a record without sku: %d %s", r.Status, r.Raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noSchema: a collection's schema shown as null or {}.
func noSchema(v any) bool {
	m, _ := v.(map[string]any)
	return len(m) == 0
}
