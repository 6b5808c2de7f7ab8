package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

func TestEventsBatchIdempotencyAndTypes(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		if r := s.do("POST", "/api/v1/events", s.Admin, map[string]any{"type": "30552", "data": map[string]any{}}); r.Status != 422 || r.Body["error"].(map[string]any)["field"] != "type" {
			t.Errorf("unregistered custom type: %d %s, want 422 on type", r.Status, r.Raw)
		}
		for _, bad := range []struct{ id, want string }{{"30500", "01-99"}, {"99901", "prefix"}, {"3055", "5 digits"}, {"30a55", "digits"}} {
			r := s.do("POST", "/api/v1/event-types", s.Admin, map[string]any{"id": bad.id, "label": "x"})
			if r.Status != 422 || !strings.Contains(r.Body["error"].(map[string]any)["message"].(string), bad.want) {
				t.Errorf("event type %s: %d %s, want 422 mentioning %q", bad.id, r.Status, r.Raw, bad.want)
			}
		}
		reg := s.do("POST", "/api/v1/event-types", s.Admin, []any{
			map[string]any{"id": "30551", "label": "Add to cart"}, map[string]any{"id": "30552", "label": "Purchase"},
		})
		if reg.Status != 201 {
			t.Fatalf("register: %d %s", reg.Status, reg.Raw)
		}
		if n := len(s.must(200, "GET", "/api/v1/event-types", nil)["items"].([]any)); n != 2 {
			t.Errorf("%d event types, want 2", n)
		}
		hk := s.must(201, "POST", "/api/v1/hooks", eventHook("purchase", "30552", sk.URL, map[string]any{"sku": "{{sku}}", "type": "{{event.type}}", "who": "{{auth.role}}"}))
		r := s.do("POST", "/api/v1/events", s.Admin, []any{
			map[string]any{"type": "30552", "data": map[string]any{"sku": "A"}, "idempotency_key": "k1"},
			map[string]any{"type": "30551", "data": map[string]any{"sku": "B"}},
			map[string]any{"type": "30552", "data": map[string]any{"sku": "C"}},
		})
		if r.Status != 202 || len(r.Body["event_ids"].([]any)) != 3 {
			t.Fatalf("batch: %d %s", r.Status, r.Raw)
		}
		first := r.Body["event_ids"].([]any)[0]
		dup := s.do("POST", "/api/v1/events", s.Admin, map[string]any{"type": "30552", "data": map[string]any{"sku": "A"}, "idempotency_key": "k1"})
		if dup.Status != 202 || dup.Body["event_ids"].([]any)[0] != first {
			t.Errorf("duplicate idempotency key must answer the first event id: %s", dup.Raw)
		}
		s.waitExecutions(hk["id"].(string), 2)
		time.Sleep(200 * time.Millisecond)
		reqs := sk.requests()
		if len(reqs) != 2 {
			t.Fatalf("want 2 deliveries (A and C; B is another type; the duplicate is dropped), got %d", len(reqs))
		}
		var b map[string]any
		_ = json.Unmarshal(reqs[0].Body, &b)
		if b["type"] != "30552" || b["who"] != "admin" {
			t.Errorf("template scope: %v", b)
		}
		// A bad event in a batch refuses the whole batch.
		r = s.do("POST", "/api/v1/events", s.Admin, []any{map[string]any{"type": "30552"}, map[string]any{"type": ""}})
		if r.Status != 422 || r.Body["error"].(map[string]any)["field"] != "[1].type" {
			t.Errorf("bad batch: %d %s", r.Status, r.Raw)
		}
	})
}

// TestOrderAcrossTree checks SPEC §7: the event's own account's hooks first,
// then its parent's; within one owner by order, then creation.
func TestOrderAcrossTree(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t), func(c *hookline.Config) { c.Workers = 1 })
		sk := newSink(t)
		shop := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "shop"})["id"].(string)
		shopKey := s.must(201, "POST", "/api/v1/accounts/"+shop+"/keys", map[string]any{"name": "k", "role": "admin"})["key"].(string)
		s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70301", "label": "Ping"})
		mk := func(key, name string, order int, roles []any) {
			h := eventHook(name, "70301", sk.URL, map[string]any{"name": name})
			h["order"] = order
			if roles != nil {
				h["roles"] = roles
			}
			if r := s.do("POST", "/api/v1/hooks", key, h); r.Status != 201 {
				t.Fatalf("create %s: %d %s", name, r.Status, r.Raw)
			}
		}
		mk(s.Admin, "org-10", 10, nil)
		mk(s.Admin, "org-1", 1, nil)
		mk(shopKey, "shop-50", 50, nil)
		mk(shopKey, "shop-5a", 5, nil)
		mk(shopKey, "shop-5b", 5, nil)
		mk(shopKey, "shop-agents-only", 0, []any{"agent"})
		s.do("POST", "/api/v1/events", shopKey, map[string]any{"type": "70301"})
		reqs := sk.wait(t, 5)
		time.Sleep(200 * time.Millisecond)
		var got []string
		for _, r := range sk.requests() {
			var b map[string]any
			_ = json.Unmarshal(r.Body, &b)
			got = append(got, b["name"].(string))
		}
		want := "shop-5a,shop-5b,shop-50,org-1,org-10"
		if strings.Join(got, ",") != want {
			t.Errorf("order %v, want %s (%d requests)", got, want, len(reqs))
		}
	})
}
