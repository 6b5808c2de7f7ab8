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
