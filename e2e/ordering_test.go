package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

// orderSink is a receiver that records, per key (a field of the JSON body),
// the order of arrival and how many requests of one key were in flight at
// once. Requests may be held back (hold) or answered with an error (status).
type orderSink struct {
	*httptest.Server
	t      *testing.T
	keyOf  string        // the body field that names a request's key
	delay  time.Duration // each answer takes this long
	mu     sync.Mutex
	hits   []map[string]any
	now    map[string]int // key -> requests in flight
	most   map[string]int // key -> most requests in flight at once
	total  int            // requests in flight
	most2  int            // most requests in flight at once, all keys
	hold   func(body map[string]any) <-chan struct{}
	status func(body map[string]any, nth int) int // nth: 1-based count of requests with this body
	seen   map[string]int
	arrive chan struct{}
}

func newOrderSink(t *testing.T, keyOf string, delay time.Duration) *orderSink {
	s := &orderSink{t: t, keyOf: keyOf, delay: delay, now: map[string]int{}, most: map[string]int{},
		seen: map[string]int{}, arrive: make(chan struct{}, 10000)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("order sink: body %q: %v", raw, err)
		}
		key := fmt.Sprint(body[s.keyOf])
		s.mu.Lock()
		s.now[key]++
		s.most[key] = max(s.most[key], s.now[key])
		s.total++
		s.most2 = max(s.most2, s.total)
		s.seen[string(raw)]++
		nth := s.seen[string(raw)]
		body["_nth"] = float64(nth)
		body["_at"] = time.Now()
		s.hits = append(s.hits, body)
		hold, status := s.hold, s.status
		s.mu.Unlock()
		select {
		case s.arrive <- struct{}{}:
		default:
		}
		if hold != nil {
			if ch := hold(body); ch != nil {
				select {
				case <-ch:
				case <-time.After(30 * time.Second):
					t.Errorf("order sink: a held request was never released: %v", body)
				}
			}
		}
		time.Sleep(s.delay)
		code := 200
		if status != nil {
			code = status(body, nth)
		}
		s.mu.Lock()
		s.now[key]--
		s.total--
		s.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(s.Close)
	return s
}

// checkKey fails the test unless key's deliveries carried the numbers ns
// ("n"), in that order, and never two at once.
func (s *orderSink) checkKey(key string, ns []float64) {
	s.t.Helper()
	var got []float64
	for _, h := range s.byKey()[key] {
		got = append(got, h["n"].(float64))
	}
	if !slices.Equal(got, ns) {
		s.t.Errorf("key %s: deliveries %v, want %v", key, got, ns)
	}
	s.mu.Lock()
	most := s.most[key]
	s.mu.Unlock()
	if most != 1 {
		s.t.Errorf("key %s: %d deliveries in flight at once", key, most)
	}
}

func (s *orderSink) requests() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits)
}

// wait waits until n requests arrived (and were answered, when answered is set).
func (s *orderSink) wait(n int) []map[string]any {
	s.t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		got, inflight := len(s.hits), s.total
		s.mu.Unlock()
		if got >= n && inflight == 0 {
			return s.requests()
		}
		select {
		case <-s.arrive:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			s.t.Fatalf("order sink got %d requests, want %d", got, n)
		}
	}
}

// byKey groups the requests by key, in arrival order.
func (s *orderSink) byKey() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, h := range s.requests() {
		k := fmt.Sprint(h[s.keyOf])
		out[k] = append(out[k], h)
	}
	return out
}

// treeHooks makes the seed's setup: an organization (the root) with a shop;
// orders in the shop; three hooks on records.create of orders (shop order
// 200, organization order 100, shop order 100), each setting the order's
// winner field and then posting what it saw; and a watcher posting every
// records.update of an order. It returns the shop's id and the hooks' ids by
// name.
func treeHooks(s *server, sink, watcher *orderSink, retry map[string]any) (shop string, ids map[string]string) {
	s.t.Helper()
	shop = s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "shop", "parent_id": s.Root})["id"].(string)
	s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "orders", "account_id": shop})
	ids = map[string]string{}
	for _, h := range []struct {
		name, account string
		order         int
	}{{"shop-200", shop, 200}, {"org-100", s.Root, 100}, {"shop-100", shop, 100}} {
		post := map[string]any{"type": "send_webhook", "name": "post", "config": map[string]any{
			"url": sink.URL, "body_template": map[string]any{
				"hook": h.name, "record": "{{record.id}}",
				"winner_step": "{{steps.upd.winner}}", "winner_seen": "{{record.winner}}"}}}
		if retry != nil {
			post["retry"] = retry
		}
		ids[h.name] = s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": h.name, "enabled": true, "order": h.order, "account_id": h.account,
			"trigger": map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
			"actions": []any{
				map[string]any{"type": "update_record", "name": "upd", "config": map[string]any{
					"collection": "orders", "data": map[string]any{"winner": h.name}}},
				post,
			},
		})["id"].(string)
	}
	if watcher != nil {
		s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "watch updates", "enabled": true, "account_id": shop,
			"trigger": map[string]any{"type": "event", "event": "records.update", "collection": "orders"},
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
				"url": watcher.URL, "body_template": map[string]any{
					"record": "{{record.id}}", "winner": "{{record.winner}}", "before": "{{previous.winner}}"}}}},
		})
	}
	return shop, ids
}

// checkTurns checks the deliveries of the tree hooks for each record: in
// order shop-100, shop-200, org-100, never two at once, every hook seeing
// the first writer's value in steps and the later ones in record too.
func checkTurns(t *testing.T, sink *orderSink, records []string) {
	t.Helper()
	by := sink.byKey()
	for _, id := range records {
		hs := by[id]
		var order []string
		for _, h := range hs {
			if len(order) > 0 && order[len(order)-1] == h["hook"] {
				continue // a retry of the same delivery
			}
			order = append(order, h["hook"].(string))
			if h["winner_step"] != "shop-100" {
				t.Errorf("record %s: %s saw steps.upd.winner = %v, want the first writer's shop-100", id, h["hook"], h["winner_step"])
			}
			if h["hook"] != "shop-100" && h["winner_seen"] != "shop-100" {
				t.Errorf("record %s: %s saw record.winner = %v, want shop-100 (set by the hook before it)", id, h["hook"], h["winner_seen"])
			}
		}
		if !slices.Equal(order, []string{"shop-100", "shop-200", "org-100"}) {
			t.Errorf("record %s: hooks ran in order %v, want shop-100, shop-200, org-100", id, order)
		}
		sink.mu.Lock()
		most := sink.most[id]
		sink.mu.Unlock()
		if most != 1 {
			t.Errorf("record %s: %d of its hooks' deliveries were in flight at once", id, most)
		}
	}
}

// createOrders creates n orders in the shop from several clients at once,
// spread over the servers, and returns their ids.
func createOrders(t *testing.T, servers []*server, shop string, n int) []string {
	t.Helper()
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += 4 {
				s := servers[i%len(servers)]
				r := s.do("POST", "/api/v1/collections/orders/records?account_id="+shop, s.Admin, map[string]any{"total": i})
				if r.Status != 201 {
					t.Errorf("create order: %d %s", r.Status, r.Raw)
					return
				}
				mu.Lock()
				ids = append(ids, r.Body["id"].(string))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ids
}

// TestOrderingTreeTakesTurns is the seed's ordering rule at run time, with
// the default workers (64) and a slow receiver: for every order the shop's
// hooks run first by order, then the organization's, one after another;
// the first writer's value is the only one the record ever shows (the
// update watcher sees one update per order, to shop-100); later hooks see
// it; a replay keeps its place.
func TestOrderingTreeTakesTurns(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sink := newOrderSink(t, "record", 15*time.Millisecond)
		watcher := newOrderSink(t, "record", 0)
		shop, ids := treeHooks(s, sink, watcher, nil)
		const n = 30
		records := createOrders(t, []*server{s}, shop, n)
		sink.wait(3 * n)
		checkTurns(t, sink, records)
		for _, id := range records {
			got := s.must(200, "GET", "/api/v1/collections/orders/records/"+id+"?account_id="+shop, nil)
			if got["winner"] != "shop-100" {
				t.Errorf("record %s: winner %v, want shop-100", id, got["winner"])
			}
		}
		for _, id := range ids {
			s.waitExecutions(id, n)
		}
		watched := watcher.wait(n)
		checkWatched(t, watched, records)

		// A replay of the organization's run keeps its place: it may not
		// take the field over, and its no-op update emits nothing.
		org := s.executions(ids["org-100"])
		x := s.must(202, "POST", "/api/v1/executions/"+org[0]["id"].(string)+"/replay", nil)
		done := s.waitExecution(x["execution_id"].(string))
		if done["status"] != "success" {
			t.Fatalf("replay: %v %v", done["status"], done["error_message"])
		}
		rec := org[0]["execution_context"].(map[string]any)["record"].(map[string]any)["id"].(string)
		got := s.must(200, "GET", "/api/v1/collections/orders/records/"+rec+"?account_id="+shop, nil)
		if got["winner"] != "shop-100" {
			t.Errorf("after replaying org-100's run the winner is %v, want shop-100", got["winner"])
		}
		sink.wait(3*n + 1)
		if len(watcher.requests()) != n {
			t.Errorf("the replay emitted records.update: the watcher got %d updates, want %d", len(watcher.requests()), n)
		}
	})
}

// checkWatched: one records.update per order, from nothing to shop-100.
func checkWatched(t *testing.T, watched []map[string]any, records []string) {
	t.Helper()
	per := map[string]int{}
	for _, w := range watched {
		per[w["record"].(string)]++
		if w["winner"] != "shop-100" || w["before"] != nil {
			t.Errorf("the record showed a temporary value: update %v", w)
		}
	}
	for _, id := range records {
		if per[id] != 1 {
			t.Errorf("record %s: %d records.update events, want 1", id, per[id])
		}
	}
}

// TestOrderingAcrossNodes runs the tree on two nodes sharing PostgreSQL:
// events arrive at both, either node's workers may run any execution, and
// each order's hooks still take turns.
func TestOrderingAcrossNodes(t *testing.T) {
	s1, s2 := twoNodes(t)
	sink := newOrderSink(t, "record", 10*time.Millisecond)
	watcher := newOrderSink(t, "record", 0)
	shop, _ := treeHooks(s1, sink, watcher, nil)
	const n = 30
	records := createOrders(t, []*server{s1, s2}, shop, n)
	sink.wait(3 * n)
	checkTurns(t, sink, records)
	checkWatched(t, watcher.wait(n), records)
}

// TestOrderingRetryHoldsTheChain: a hook waiting for a retry holds the hooks
// after it, which show what they wait for; they run once it succeeds.
func TestOrderingRetryHoldsTheChain(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sink := newOrderSink(t, "record", 0)
		release := make(chan struct{})
		sink.status = func(b map[string]any, nth int) int {
			if b["hook"] == "shop-100" && nth == 1 {
				return 503
			}
			return 200
		}
		sink.hold = func(b map[string]any) <-chan struct{} {
			if b["hook"] == "shop-100" && b["_nth"] == 2.0 {
				return release // the retry waits until the test has looked
			}
			return nil
		}
		shop, ids := treeHooks(s, sink, nil, map[string]any{"max_attempts": 3, "backoff": "fixed", "initial": "1s"})
		rec := createOrders(t, []*server{s}, shop, 1)[0]
		sink.wait(1) // shop-100's first attempt failed
		for deadline := time.Now().Add(15 * time.Second); len(sink.requests()) < 2; {
			if time.Now().After(deadline) {
				t.Fatal("shop-100 was not retried")
			}
			time.Sleep(20 * time.Millisecond)
		}
		// shop-100's retry is in flight: the others wait, and say for what.
		first := s.executions(ids["shop-100"])[0]
		second := s.executions(ids["shop-200"])[0]
		third := s.executions(ids["org-100"])[0]
		if second["status"] != "pending" || second["waiting_for"] != first["id"] {
			t.Errorf("shop-200 while shop-100 retries: status %v waiting_for %v, want pending waiting for %v", second["status"], second["waiting_for"], first["id"])
		}
		if third["status"] != "pending" || third["waiting_for"] != second["id"] {
			t.Errorf("org-100 while shop-100 retries: status %v waiting_for %v, want pending waiting for %v", third["status"], third["waiting_for"], second["id"])
		}
		if len(sink.requests()) != 2 {
			t.Errorf("a later hook ran while shop-100 was retrying: %v", sink.requests())
		}
		close(release)
		sink.wait(4)
		checkTurns(t, sink, []string{rec})
		for _, id := range []string{ids["shop-200"], ids["org-100"]} {
			x := s.waitExecutions(id, 1)[0]
			if x["status"] != "success" || x["waiting_for"] != nil {
				t.Errorf("after the retry: %v waiting_for %v", x["status"], x["waiting_for"])
			}
		}
	})
}

// TestOrderingHoldRunsOut: past the ordering hold, the hooks behind a
// retrying one go ahead, and their log says why.
func TestOrderingHoldRunsOut(t *testing.T) {
	s := start(t, mustSQLite(t), func(c *hookline.Config) {
		c.OrderHold = time.Second
		c.RescueInterval = 100 * time.Millisecond
	})
	sink := newOrderSink(t, "record", 0)
	sink.status = func(b map[string]any, _ int) int {
		if b["hook"] == "shop-100" {
			return 503 // retried in 1 minute: longer than the hold
		}
		return 200
	}
	shop, ids := treeHooks(s, sink, nil, map[string]any{"max_attempts": 3, "backoff": "fixed", "initial": "1m"})
	createOrders(t, []*server{s}, shop, 1)
	got := sink.wait(3) // shop-100's failed attempt, then the two others
	if got[0]["hook"] != "shop-100" || got[1]["hook"] != "shop-200" || got[2]["hook"] != "org-100" {
		t.Fatalf("order: %v", got)
	}
	x := s.waitExecutions(ids["shop-200"], 1)[0]
	first := s.executions(ids["shop-100"])[0]
	note, _ := x["note"].(string)
	if x["status"] != "success" || !strings.Contains(note, first["id"].(string)) || !strings.Contains(note, "1s") {
		t.Errorf("shop-200 after the hold: status %v note %q", x["status"], note)
	}
	if first["status"] != "pending" {
		t.Errorf("shop-100 should still be waiting for its retry: %v", first["status"])
	}
}

// TestOrderingParallelOptsOut: a parallel hook starts at once and nothing
// waits for it.
func TestOrderingParallelOptsOut(t *testing.T) {
	s := start(t, mustSQLite(t))
	sink := newOrderSink(t, "record", 0)
	release := make(chan struct{})
	sink.hold = func(b map[string]any) <-chan struct{} {
		if b["hook"] == "parallel" {
			return release
		}
		return nil
	}
	shop, ids := treeHooks(s, sink, nil, nil)
	par := s.must(201, "POST", "/api/v1/hooks", map[string]any{
		"name": "parallel", "enabled": true, "order": 1, "account_id": shop, "ordering": "parallel",
		"trigger": map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
		"actions": []any{
			map[string]any{"type": "update_record", "name": "upd", "config": map[string]any{"collection": "orders", "data": map[string]any{"winner": "parallel"}}},
			map[string]any{"type": "send_webhook", "config": map[string]any{"url": sink.URL, "body_template": map[string]any{
				"hook": "parallel", "record": "{{record.id}}", "winner_step": "{{steps.upd.winner}}"}}},
		},
	})
	if par["ordering"] != "parallel" {
		t.Fatalf("ordering not kept: %v", par["ordering"])
	}
	rec := createOrders(t, []*server{s}, shop, 1)[0]
	// The sequential chain finishes while the parallel hook is held.
	for _, id := range []string{ids["shop-100"], ids["shop-200"], ids["org-100"]} {
		s.waitExecutions(id, 1)
	}
	close(release)
	got := sink.wait(4)
	var seq []map[string]any
	for _, h := range got {
		if h["hook"] != "parallel" {
			seq = append(seq, h)
		}
	}
	if len(seq) != 3 || seq[0]["hook"] != "shop-100" || seq[2]["hook"] != "org-100" {
		t.Errorf("sequential hooks: %v", seq)
	}
	// The parallel hook takes no part in first-writer-wins: it wrote over
	// shop-100's value; shop-100 still claimed its field first among the
	// sequential hooks.
	r := s.must(200, "GET", "/api/v1/collections/orders/records/"+rec+"?account_id="+shop, nil)
	if r["winner"] != "shop-100" && r["winner"] != "parallel" {
		t.Errorf("winner: %v", r["winner"])
	}
	if x := s.executions(par["id"].(string))[0]; x["waiting_for"] != nil {
		t.Errorf("the parallel hook waited for %v", x["waiting_for"])
	}
}

// TestOrderingKeys: executions of one hook with the same rendered key run
// one at a time in the order their events were accepted, across keys in
// parallel; a retrying execution holds its key, not the others.
func TestOrderingKeys(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sink := newOrderSink(t, "customer", 5*time.Millisecond)
		sawB := make(chan struct{})
		var once sync.Once
		sink.hold = func(b map[string]any) <-chan struct{} {
			switch {
			case b["customer"] == "b":
				once.Do(func() { close(sawB) })
			case b["customer"] == "a" && b["n"] == 1.0 && b["_nth"] == 1.0:
				return sawB // a's first delivery waits until one of b's arrives: keys run in parallel
			}
			return nil
		}
		sink.status = func(b map[string]any, nth int) int {
			if b["customer"] == "a" && b["n"] == 3.0 && nth == 1 {
				return 503
			}
			return 200
		}
		s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70301", "label": "order step"})
		h := s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "per customer", "enabled": true, "ordering_key": "{{customer}}",
			"trigger": map[string]any{"type": "event", "event": "70301"},
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
				"url": sink.URL, "body_template": map[string]any{"customer": "{{customer}}", "n": "{{n}}"}},
				"retry": map[string]any{"max_attempts": 3, "backoff": "fixed", "initial": "1s"}}},
		})
		if h["ordering_key"] != "{{customer}}" {
			t.Fatalf("ordering_key not kept: %v", h["ordering_key"])
		}
		const per = 8
		customers := []string{"a", "b", "c"}
		for n := 1; n <= per; n++ {
			var batch []any
			for _, c := range customers {
				batch = append(batch, map[string]any{"type": "70301", "data": map[string]any{"customer": c, "n": n}})
			}
			s.must(202, "POST", "/api/v1/events", batch)
		}
		sink.wait(len(customers)*per + 1) // a-3 twice
		for _, c := range customers {
			want := []float64{1, 2, 3, 4, 5, 6, 7, 8}
			if c == "a" {
				want = []float64{1, 2, 3, 3, 4, 5, 6, 7, 8} // a-3 failed once and held a-4 until it succeeded
			}
			sink.checkKey(c, want)
		}
		xs := s.waitExecutions(h["id"].(string), len(customers)*per)
		for _, x := range xs {
			data := x["execution_context"].(map[string]any)["data"].(map[string]any)
			if x["ordering_key"] != data["customer"] {
				t.Errorf("execution %v: ordering_key %v, want %v", x["id"], x["ordering_key"], data["customer"])
			}
		}
	})
}

// TestOrderingKeysAcrossNodes: two nodes sharing PostgreSQL accept a key's
// events in turn (each answered before the next is sent, so their order is
// known); either node may run any of them, and each key's deliveries still
// come one at a time, in that order.
func TestOrderingKeysAcrossNodes(t *testing.T) {
	s1, s2 := twoNodes(t)
	sink := newOrderSink(t, "customer", 5*time.Millisecond)
	s1.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70302", "label": "order step"})
	s1.must(201, "POST", "/api/v1/hooks", map[string]any{
		"name": "per customer", "enabled": true, "ordering_key": "{{customer}}",
		"trigger": map[string]any{"type": "event", "event": "70302"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
			"url": sink.URL, "body_template": map[string]any{"customer": "{{customer}}", "n": "{{n}}"}}}},
	})
	const per = 12
	customers := []string{"a", "b", "c"}
	nodes := []*server{s1, s2}
	i := 0
	for n := 1; n <= per; n++ {
		for _, c := range customers {
			nodes[i%2].must(202, "POST", "/api/v1/events", map[string]any{"type": "70302", "data": map[string]any{"customer": c, "n": n}})
			i++
		}
	}
	sink.wait(len(customers) * per)
	want := make([]float64, per)
	for n := range want {
		want[n] = float64(n + 1)
	}
	for _, c := range customers {
		sink.checkKey(c, want)
	}
}
