package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCollectionSchemaAndTypedRecords: a collection made with a JSON Schema
// in the admin lists its fields and count; typed inputs that do not parse
// are refused naming the field, and nothing is written.
func TestCollectionSchemaAndTypedRecords(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)

	if p := b.post("/admin/collections", url.Values{"name": {"orders"}, "schema": {`{"type": "object"`}}); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "The JSON Schema") {
		t.Fatalf("bad schema: %d %.500s", p.Status, p.Body)
	}
	schema := `{"type": "object", "properties": {"total": {"type": "number"}, "qty": {"type": "integer"}}}`
	if p := b.post("/admin/collections", url.Values{"name": {"orders"}, "schema": {schema}}); p.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %.500s", p.Status, p.Body)
	}
	for _, c := range []struct{ field, kind, value, want string }{
		{"total", "number", "abc", "total must be a number"},
		{"qty", "integer", "1.5", "qty must be a whole number"},
		{"meta", "json", "{", "meta is not valid JSON"},
	} {
		p := b.post("/admin/collections/orders/records", url.Values{"f." + c.field: {c.value}, "k." + c.field: {c.kind}})
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, c.want) || !strings.Contains(p.Body, `value="`+c.value) && c.kind != "json" {
			t.Errorf("%s=%q: %d, want 422 with %q", c.field, c.value, p.Status, c.want)
		}
	}
	if p := b.post("/admin/collections/orders/records", url.Values{"f.total": {"12.5"}, "k.total": {"number"}, "f.qty": {"3"}, "k.qty": {"integer"}, "data": {`{"note": "x"}`}}); p.Status != http.StatusSeeOther {
		t.Fatalf("create record: %d %.500s", p.Status, p.Body)
	}
	items := s.mustAPI(200, "GET", "/api/v1/collections/orders/records", s.Key, nil)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("records: %v", items)
	}
	if r := items[0].(map[string]any); r["total"] != 12.5 || r["qty"] != 3.0 || r["note"] != "x" {
		t.Fatalf("record: %v", r)
	}
	p := b.get("/admin/collections")
	if !strings.Contains(p.Body, "2 fields") || !strings.Contains(p.Body, "<td data-label=\"Records\" data-count>1</td>") {
		t.Fatalf("collections list: %.3000s", p.Body)
	}
}

// TestCollectionSchemaChangeInAdmin: the collection's page changes its
// schema; a bad one is refused with why and the draft kept, changing
// nothing; an empty one removes it.
func TestCollectionSchemaChangeInAdmin(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)
	s.mustAPI(201, "POST", "/api/v1/collections", s.Key, map[string]any{"name": "items"})
	if p := b.get("/admin/collections/items"); !strings.Contains(p.Body, "data-schema-form") {
		t.Fatalf("no schema form: %.2000s", p.Body)
	}
	p := b.post("/admin/collections/items/schema", url.Values{"schema": {`{"type": "object"`}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "data-schema-error") || !strings.Contains(p.Body, `{&#34;type&#34;: &#34;object&#34;`) {
		t.Fatalf("bad schema: %d %.3000s", p.Status, p.Body)
	}
	p = b.post("/admin/collections/items/schema", url.Values{"schema": {`{"type": 12}`}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "not a valid JSON Schema") {
		t.Fatalf("not a JSON Schema: %d %.3000s", p.Status, p.Body)
	}
	if c := s.mustAPI(200, "GET", "/api/v1/collections/items", s.Key, nil); c["schema"] != nil && len(c["schema"].(map[string]any)) > 0 {
		t.Fatalf("a refused schema was saved: %v", c["schema"])
	}
	p = b.post("/admin/collections/items/schema", url.Values{"schema": {`{"type": "object", "required": ["sku"]}`}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %.2000s", p.Status, p.Body)
	}
	if p = b.get(p.Location); !strings.Contains(p.Body, "Saved the schema of items") || !strings.Contains(p.Body, "&#34;required&#34;") {
		t.Fatalf("after saving: %.3000s", p.Body)
	}
	if st, _ := s.api("POST", "/api/v1/collections/items/records", s.Key, map[string]any{"n": 1}); st != 422 {
		t.Fatalf("a record the new schema refuses: %d", st)
	}
	if p = b.post("/admin/collections/items/schema", url.Values{"schema": {""}}); p.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d", p.Status)
	}
	s.mustAPI(201, "POST", "/api/v1/collections/items/records", s.Key, map[string]any{"n": 1})
}
