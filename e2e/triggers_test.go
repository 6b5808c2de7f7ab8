package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/inboundsig"
	"github.com/hookline/hookline/store"
)

func rawPost(t *testing.T, url, contentType string, body []byte, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, res.Header, out
}

// TestInboundPaymentSeed: a payment provider POSTs a signed callback and the
// order's payment status updates.
func TestInboundPaymentSeed(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders"})
		order := s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"total": 80, "payment_status": "pending"})
		s.must(201, "POST", "/api/v1/secrets", map[string]any{"name": "PAYMENT_SECRET", "value": "whsec_paysecret_123"})
		s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "Payment callback", "enabled": true,
			"trigger":   map[string]any{"type": "inbound", "path": "payment", "methods": []any{"POST"}, "auth": map[string]any{"kind": "stripe", "secret_ref": "PAYMENT_SECRET"}},
			"condition": `request.headers["X-Provider"] == "acme" && status != ""`,
			"actions": []any{map[string]any{"type": "update_record", "name": "mark", "config": map[string]any{
				"collection": "orders", "id": "{{order_id}}", "data": map[string]any{"payment_status": "{{status}}", "paid_via": "{{request.query.via}}"}}}},
		})
		url := s.URL + "/in/" + s.Root + "/payment?via=card"
		body, _ := json.Marshal(map[string]any{"order_id": order["id"], "status": "paid"})
		sig := inboundsig.SignStripe("whsec_paysecret_123", time.Now(), body)
		hdr := map[string]string{"Stripe-Signature": sig, "X-Provider": "acme"}

		if code, _, _ := rawPost(t, s.URL+"/in/"+s.Root+"/nope", "application/json", body, hdr); code != 404 {
			t.Errorf("unknown route: %d", code)
		}
		req, _ := http.NewRequest("GET", url, nil)
		res, _ := http.DefaultClient.Do(req)
		if res.StatusCode != 405 || res.Header.Get("Allow") != "POST" {
			t.Errorf("wrong method: %d Allow=%q", res.StatusCode, res.Header.Get("Allow"))
		}
		if code, _, _ := rawPost(t, url, "application/json", body, map[string]string{"Stripe-Signature": inboundsig.SignStripe("wrong", time.Now(), body)}); code != 401 {
			t.Errorf("bad signature: %d", code)
		}
		if code, _, _ := rawPost(t, url, "application/json", body, map[string]string{"Stripe-Signature": inboundsig.SignStripe("whsec_paysecret_123", time.Now().Add(-10*time.Minute), body)}); code != 401 {
			t.Errorf("replayed (old) signature: %d", code)
		}
		if code, _, _ := rawPost(t, url, "application/json", body, nil); code != 401 {
			t.Errorf("missing signature: %d", code)
		}
		big := []byte(`{"x":"` + strings.Repeat("a", 300<<10) + `"}`)
		if code, _, _ := rawPost(t, url, "application/json", big, hdr); code != 413 {
			t.Errorf("oversize: %d", code)
		}
		code, _, out := rawPost(t, url, "application/json", body, hdr)
		if code != 202 || out["execution_id"] == nil {
			t.Fatalf("signed callback: %d %v", code, out)
		}
		x := s.waitExecution(out["execution_id"].(string))
		if x["status"] != "success" || x["trigger_type"] != "inbound" {
			t.Fatalf("execution: %v %v %v", x["status"], x["error_message"], x["actions"])
		}
		got := s.must(200, "GET", "/api/v1/collections/orders/records/"+order["id"].(string), nil)
		if got["payment_status"] != "paid" || got["paid_via"] != "card" || got["total"] != float64(80) {
			t.Errorf("order after callback: %v", got)
		}
		raw := string(s.do("GET", "/api/v1/executions/"+x["id"].(string), s.Admin, nil).Raw)
		if strings.Contains(raw, "whsec_paysecret_123") {
			t.Errorf("the inbound secret leaked into the log")
		}
	})
}

func TestInboundFormAndSync(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		s.must(201, "POST", "/api/v1/secrets", map[string]any{"name": "GH", "value": "gh-secret-xyz"})
		s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "sync", "enabled": true,
			"trigger": map[string]any{"type": "inbound", "path": "lead/new", "methods": []any{"POST", "PUT"}, "respond": "sync", "auth": map[string]any{"kind": "github", "secret_ref": "GH"}},
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": sk.URL, "body_template": map[string]any{"email": "{{request.body.email}}"}}}},
		})
		body := []byte("email=ada%40example.com&name=Ada")
		code, hdr, out := rawPost(t, s.URL+"/in/"+s.Root+"/lead/new", "application/x-www-form-urlencoded", body,
			map[string]string{"X-Hub-Signature-256": "sha256=" + inboundsig.SignHex("gh-secret-xyz", body)})
		if code != 200 || out["status"] != float64(200) || hdr.Get("X-Hookline-Execution-Id") == "" {
			t.Fatalf("sync answer: %d %v", code, out)
		}
		var got map[string]any
		_ = json.Unmarshal(sk.requests()[0].Body, &got)
		if got["email"] != "ada@example.com" {
			t.Errorf("form body in templates: %v", got)
		}
	})
}

// TestRecordsEventsDepthAndFirstWriter covers record events with previous,
// the depth limit on self-triggering hooks and first-writer-wins.
func TestRecordsEventsDepthAndFirstWriter(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders"})
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "audit"})
		// update: previous is visible.
		s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "status change", "enabled": true, "trigger": map[string]any{"type": "event", "event": "records.update", "collection": "orders"},
			"condition": "previous.status != record.status",
			"actions":   []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": sk.URL, "body_template": map[string]any{"from": "{{previous.status}}", "to": "{{record.status}}"}}}},
		})
		o := s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"status": "new", "total": 10})
		s.must(200, "PATCH", "/api/v1/collections/orders/records/"+o["id"].(string), map[string]any{"status": "shipped"})
		r := sk.wait(t, 1)
		if !strings.Contains(string(r[0].Body), `"from":"new"`) || !strings.Contains(string(r[0].Body), `"to":"shipped"`) {
			t.Errorf("update webhook: %s", r[0].Body)
		}
		// delete emits records.delete and a create_record action writes an audit entry.
		s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "audit deletes", "enabled": true, "trigger": map[string]any{"type": "event", "event": "records.delete", "collection": "orders"},
			"actions": []any{map[string]any{"type": "create_record", "name": "log", "config": map[string]any{"collection": "audit", "data": map[string]any{"deleted": "{{record.id}}"}}}},
		})
		s.must(204, "DELETE", "/api/v1/collections/orders/records/"+o["id"].(string), nil)
		deadline := time.Now().Add(10 * time.Second)
		for {
			items := s.must(200, "GET", "/api/v1/collections/audit/records", nil)["items"].([]any)
			if len(items) == 1 && items[0].(map[string]any)["deleted"] == o["id"] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("audit record not written: %v", items)
			}
			time.Sleep(20 * time.Millisecond)
		}

		// A hook that updates the record it was triggered by loops; depth stops it.
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "counters"})
		loop := s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "loop", "enabled": true, "trigger": map[string]any{"type": "event", "event": "records.update", "collection": "counters"},
			"actions": []any{map[string]any{"type": "update_record", "config": map[string]any{"collection": "counters", "data": map[string]any{"n": "{{record.n + 1}}"}}}},
		})
		c := s.must(201, "POST", "/api/v1/collections/counters/records", map[string]any{"n": 0})
		s.must(200, "PATCH", "/api/v1/collections/counters/records/"+c["id"].(string), map[string]any{"n": 1})
		// Depths 0 (the API write) to 5 run; the run at depth 6 is refused.
		s.waitExecutions(loop["id"].(string), 7)
		time.Sleep(300 * time.Millisecond)
		xs := s.waitExecutions(loop["id"].(string), 7)
		last := xs[len(xs)-1]
		if len(xs) != 7 || last["status"] != "cancelled" || !strings.Contains(last["error_message"].(string), "depth") {
			t.Fatalf("loop: %d executions, last %v %v", len(xs), last["status"], last["error_message"])
		}
		final := s.must(200, "GET", "/api/v1/collections/counters/records/"+c["id"].(string), nil)
		if final["n"] != float64(7) {
			t.Errorf("counter after the depth limit: %v, want 7 (1 + six hook runs)", final["n"])
		}

		// First writer wins: of two hooks setting the same field, the first in order sets it.
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "leads"})
		mk := func(name string, order int, val string) {
			s.must(201, "POST", "/api/v1/hooks", map[string]any{
				"name": name, "enabled": true, "order": order, "trigger": map[string]any{"type": "event", "event": "records.create", "collection": "leads"},
				"actions": []any{map[string]any{"type": "update_record", "config": map[string]any{"collection": "leads", "data": map[string]any{"owner": val, "by_" + name: true}}}},
			})
		}
		mk("second", 20, "bob")
		mk("first", 10, "alice")
		l := s.must(201, "POST", "/api/v1/collections/leads/records", map[string]any{"email": "x@example.com"})
		deadline = time.Now().Add(10 * time.Second)
		for {
			got := s.must(200, "GET", "/api/v1/collections/leads/records/"+l["id"].(string), nil)
			if got["by_first"] == true && got["by_second"] == true {
				if got["owner"] != "alice" {
					t.Errorf("first writer wins: owner=%v, want alice (hook order 10)", got["owner"])
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("both hooks did not run: %v", got)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestChainCycleAndAuthEvents(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		b := s.must(201, "POST", "/api/v1/hooks", manualHook("b", post("b", sk.URL, map[string]any{"from": "{{data.from}}"}, nil)))
		a := s.must(201, "POST", "/api/v1/hooks", manualHook("a", map[string]any{"type": "trigger_hook", "config": map[string]any{"hook_id": b["id"], "data": map[string]any{"from": "a"}}}))
		// b -> a would close a cycle a -> b -> a.
		r := s.do("PATCH", "/api/v1/hooks/"+b["id"].(string), s.Admin, map[string]any{"actions": []any{map[string]any{"type": "trigger_hook", "config": map[string]any{"hook_id": a["id"]}}}})
		if r.Status != 422 || r.Body["error"].(map[string]any)["field"] != "actions[0].config.hook_id" {
			t.Errorf("cycle: %d %s", r.Status, r.Raw)
		}
		x := s.must(200, "POST", "/api/v1/hooks/"+a["id"].(string)+"/trigger?wait=10s", nil)
		if x["status"] != "success" {
			t.Fatalf("chain: %v", x)
		}
		reqs := sk.wait(t, 1)
		if !strings.Contains(string(reqs[0].Body), `"from":"a"`) {
			t.Errorf("chained data: %s", reqs[0].Body)
		}
		// auth.login from the host application: auth.user_id and auth.email in templates.
		s.must(201, "POST", "/api/v1/hooks", eventHook("login", "auth.login", sk.URL, map[string]any{"user": "{{auth.user_id}}", "email": "{{auth.email}}"}))
		s.must(202, "POST", "/api/v1/events", map[string]any{"type": "auth.login", "data": map[string]any{"user_id": "u_42", "email": "ada@example.com"}})
		reqs = sk.wait(t, 2)
		if !strings.Contains(string(reqs[1].Body), `"user":"u_42"`) || !strings.Contains(string(reqs[1].Body), `"email":"ada@example.com"`) {
			t.Errorf("auth.login scope: %s", reqs[1].Body)
		}
	})
}

func TestCollectionSchema(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		if r := s.do("POST", "/api/v1/collections", s.Admin, map[string]any{"name": "bad", "schema": map[string]any{"type": 12}}); r.Status != 422 || r.Body["error"].(map[string]any)["field"] != "schema" {
			t.Errorf("invalid schema: %d %s", r.Status, r.Raw)
		}
		if r := s.do("POST", "/api/v1/collections", s.Admin, map[string]any{"name": "Bad Name"}); r.Status != 422 {
			t.Errorf("bad name: %d", r.Status)
		}
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders", "schema": map[string]any{
			"type": "object", "required": []any{"total"},
			"properties": map[string]any{"total": map[string]any{"type": "number", "minimum": 0}, "email": map[string]any{"type": "string"}},
		}})
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"email": "a@b.c"}, "total"},
			{map[string]any{"total": -1}, "total"},
			{map[string]any{"total": 5, "email": 7}, "email"},
		} {
			r := s.do("POST", "/api/v1/collections/orders/records", s.Admin, c.body)
			if r.Status != 422 || r.Body["error"].(map[string]any)["field"] != c.field {
				t.Errorf("%v: %d %s, want 422 on %s", c.body, r.Status, r.Raw, c.field)
			}
		}
		ok := s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"total": 5})
		if r := s.do("PATCH", "/api/v1/collections/orders/records/"+ok["id"].(string), s.Admin, map[string]any{"total": "five"}); r.Status != 422 {
			t.Errorf("bad update: %d", r.Status)
		}
		if n := len(s.must(200, "GET", "/api/v1/collections/orders/records", nil)["items"].([]any)); n != 1 {
			t.Errorf("refused writes must store nothing: %d records", n)
		}
		if n := len(s.must(200, "GET", "/api/v1/executions", nil)["items"].([]any)); n != 0 {
			t.Errorf("refused writes must emit nothing")
		}
	})
}

// TestCollectionRecreated: a record write after its collection was deleted
// answers 404, and after it was created again with a schema the new schema
// holds — on this node at once, on another node sharing PostgreSQL as soon
// as the notification arrives.
func TestCollectionRecreated(t *testing.T) {
	schema := map[string]any{"type": "object", "required": []any{"customer"}}
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders"})
		s.must(201, "POST", "/api/v1/collections/orders/records", map[string]any{"total": 1})
		s.must(204, "DELETE", "/api/v1/collections/orders", nil)
		if r := s.do("POST", "/api/v1/collections/orders/records", s.Admin, map[string]any{"total": 2}); r.Status != 404 {
			t.Fatalf("record into a deleted collection: %d %s, want 404", r.Status, r.Raw)
		}
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders", "schema": schema})
		if r := s.do("POST", "/api/v1/collections/orders/records", s.Admin, map[string]any{"total": 3}); r.Status != 422 {
			t.Fatalf("record breaking the new schema: %d %s, want 422", r.Status, r.Raw)
		}
	})
	t.Run("postgres two nodes", func(t *testing.T) {
		url := pgURL(t)
		a := start(t, openPG(t, url))
		b := start(t, openPG(t, url))
		post := func(s *server, body map[string]any) resp {
			return s.do("POST", "/api/v1/collections/orders/records", a.Admin, body)
		}
		a.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders"})
		if r := post(b, map[string]any{"total": 1}); r.Status != 201 { // b knows the collection now
			t.Fatalf("write on b: %d %s", r.Status, r.Raw)
		}
		a.must(204, "DELETE", "/api/v1/collections/orders", nil)
		a.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders", "schema": schema})
		deadline := time.Now().Add(5 * time.Second)
		for {
			r := post(b, map[string]any{"total": 2})
			if r.Status == 422 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("b still writes with the deleted collection's schema: %d %s", r.Status, r.Raw)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
