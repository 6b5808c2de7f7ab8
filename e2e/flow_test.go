package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

// TestWaitAction: a wait parks its execution without holding a worker, a
// restart neither loses nor shortens it, and the actions after it run with
// the steps of those before.
func TestWaitAction(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		oneWorker := func(c *hookline.Config) { c.Workers = 1 }
		s := start(t, open(t), oneWorker)
		sink := newOrderSink(t, "n", 0)
		s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70311", "label": "wait"})
		h := s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "remind later", "enabled": true, "trigger": map[string]any{"type": "event", "event": "70311"},
			"actions": []any{
				map[string]any{"type": "send_webhook", "name": "first", "config": map[string]any{"url": sink.URL, "body_template": map[string]any{"n": "{{n}}", "step": 1}}},
				map[string]any{"type": "wait", "name": "pause", "config": map[string]any{"duration": "{{wait}}"}},
				map[string]any{"type": "send_webhook", "name": "second", "config": map[string]any{"url": sink.URL, "body_template": map[string]any{
					"n": "{{n}}", "step": 2, "first": "{{steps.first.status}}", "until": "{{steps.pause.until}}"}}},
			},
		})
		t0 := time.Now()
		s.must(202, "POST", "/api/v1/events", map[string]any{"type": "70311", "data": map[string]any{"n": 1, "wait": "4s"}})
		sink.wait(1)
		// With one worker, a second event runs to its end while the first waits.
		s.must(202, "POST", "/api/v1/events", map[string]any{"type": "70311", "data": map[string]any{"n": 2, "wait": "0s"}})
		sink.wait(3)
		if d := time.Since(t0); d > 3*time.Second {
			t.Fatalf("the second event took %s: the wait held the only worker", d)
		}
		var waiting map[string]any
		for _, x := range s.executions(h["id"].(string)) {
			if x["execution_context"].(map[string]any)["data"].(map[string]any)["n"] == 1.0 {
				waiting = x
			}
		}
		acts := waiting["actions"].([]any)
		pause := acts[1].(map[string]any)
		until, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(pause["output"].(map[string]any)["until"]))
		if waiting["status"] != "pending" || pause["status"] != "waiting" || until.Before(t0.Add(3*time.Second)) || waiting["run_at"] == nil {
			t.Fatalf("waiting execution: status %v, pause %v", waiting["status"], pause)
		}
		if runAt, _ := time.Parse(time.RFC3339Nano, waiting["run_at"].(string)); !runAt.Equal(until) {
			t.Errorf("run_at %v, want the wake time %v", runAt, until)
		}

		// Restart during the wait: nothing lost, nothing shortened.
		s.http.Close()
		if err := s.Eng.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := s.Eng.Store().Close(); err != nil { // the process ends
			t.Fatal(err)
		}
		s2 := start(t, open(t), oneWorker)
		s2.Admin = s.Admin
		got := sink.wait(4)
		var second map[string]any
		for _, g := range got {
			if g["n"] == 1.0 && g["step"] == 2.0 {
				second = g
			}
		}
		if second == nil {
			t.Fatalf("the action after the wait did not run: %v", got)
		}
		if second["first"] != 200.0 || second["until"] != pause["output"].(map[string]any)["until"] {
			t.Errorf("steps after the wait: %v", second)
		}
		x := s2.waitExecution(waiting["id"].(string))
		if x["status"] != "success" || x["actions_executed"] != 3.0 {
			t.Errorf("after the wait: %v, %v actions", x["status"], x["actions_executed"])
		}
		if time.Since(t0) < 4*time.Second {
			t.Errorf("the wait was shortened: ended %s after the event", time.Since(t0))
		}
	})
}

// TestWaitRefused: a wait needs exactly one of duration and until, each valid.
func TestWaitRefused(t *testing.T) {
	s := start(t, mustSQLite(t))
	for _, c := range []struct {
		cfg   map[string]any
		field string
	}{
		{map[string]any{}, "actions[0].config.duration"},
		{map[string]any{"duration": "10m", "until": "2030-01-01T00:00:00Z"}, "actions[0].config.duration"},
		{map[string]any{"duration": "ten minutes"}, "actions[0].config.duration"},
		{map[string]any{"duration": "9000h"}, "actions[0].config.duration"},
		{map[string]any{"until": "tomorrow"}, "actions[0].config.until"},
	} {
		r := s.do("POST", "/api/v1/hooks", s.Admin, map[string]any{
			"name": "w", "trigger": map[string]any{"type": "manual"},
			"actions": []any{map[string]any{"type": "wait", "config": c.cfg}}})
		if r.Status != 422 || !strings.Contains(string(r.Raw), c.field) {
			t.Errorf("%v: %d %s, want 422 naming %s", c.cfg, r.Status, r.Raw, c.field)
		}
	}
}

// TestDebounce: of the events with one key inside the window only the last
// runs the hook, once the window passed quietly; the others are skipped
// with the reason.
func TestDebounce(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sink := newOrderSink(t, "id", 0)
		s.must(201, "POST", "/api/v1/collections", map[string]any{"name": "docs"})
		h := s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "notify once", "enabled": true,
			"trigger":  map[string]any{"type": "event", "event": "records.update", "collection": "docs"},
			"debounce": map[string]any{"key": "{{record.id}}", "window": "1s"},
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
				"url": sink.URL, "body_template": map[string]any{"id": "{{record.id}}", "v": "{{record.v}}"}}}},
		})
		if h["debounce"].(map[string]any)["window"] != "1s" {
			t.Fatalf("debounce not kept: %v", h["debounce"])
		}
		r1 := s.must(201, "POST", "/api/v1/collections/docs/records", map[string]any{"v": 0})["id"].(string)
		r2 := s.must(201, "POST", "/api/v1/collections/docs/records", map[string]any{"v": 0})["id"].(string)
		last := time.Now()
		for v := 1; v <= 5; v++ {
			s.must(200, "PATCH", "/api/v1/collections/docs/records/"+r1, map[string]any{"v": v})
			last = time.Now()
		}
		s.must(200, "PATCH", "/api/v1/collections/docs/records/"+r2, map[string]any{"v": 1})
		sink.wait(2)
		if since := time.Since(last); since < time.Second {
			t.Errorf("delivered %s after the last change, inside the 1s window", since)
		}
		xs := s.waitExecutions(h["id"].(string), 6) // all final: nothing else will arrive
		got := sink.requests()
		slices.SortFunc(got, func(a, b map[string]any) int { return strings.Compare(a["id"].(string), b["id"].(string)) })
		want := []map[string]any{{"id": r1, "v": 5.0}, {"id": r2, "v": 1.0}}
		slices.SortFunc(want, func(a, b map[string]any) int { return strings.Compare(a["id"].(string), b["id"].(string)) })
		if len(got) != 2 || got[0]["v"] != want[0]["v"] || got[1]["v"] != want[1]["v"] || got[0]["id"] != want[0]["id"] {
			t.Fatalf("deliveries: %v, want %v", got, want)
		}
		skipped := 0
		for _, x := range xs {
			if x["status"] == "skipped" {
				skipped++
				if note, _ := x["note"].(string); !strings.Contains(note, "debounced") {
					t.Errorf("skipped without the reason: %v", x["note"])
				}
			}
		}
		if skipped != 4 {
			t.Errorf("%d executions skipped, want 4", skipped)
		}
	})
}

// slowServer answers after delay on addr ("127.0.0.2:0"), counting the
// requests in flight.
type slowServer struct {
	URL            string
	inflight, most atomic.Int64
	done           atomic.Int64
}

func newSlowServer(t *testing.T, ip string, delay time.Duration) *slowServer {
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatalf("listen on %s: %v", ip, err)
	}
	s := &slowServer{URL: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // read, so a closed connection cancels r.Context()
		n := s.inflight.Add(1)
		for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
		}
		select {
		case <-time.After(delay):
			s.done.Add(1)
		case <-r.Context().Done():
		}
		s.inflight.Add(-1)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// TestFairness: tenant A floods endpoints that do not answer while the test
// runs (three hosts); tenant B's deliveries to a fast endpoint must still all
// arrive. Without fair sharing A would hold every worker until its
// deliveries time out (60 s) and B's would not arrive. With the
// per-destination cap (2) A holds at most 2 workers per host; with a cap A
// cannot reach (8), the account share keeps A to 6 of the 8 workers while B
// has work. The latency is measured by `hookline bench --slow-tenant`.
func TestFairness(t *testing.T) {
	for _, c := range []struct {
		name string
		cap  int
	}{{"destination cap", 2}, {"account share", 8}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			backends(t, func(t *testing.T, open func(t *testing.T) store.Store) { fairness(t, open(t), c.cap) })
		})
	}
}

func fairness(t *testing.T, st store.Store, perDestination int) {
	s := start(t, st, func(c *hookline.Config) {
		c.Workers = 8
		c.MaxPerDestination = perDestination
	})
	// A's endpoints: three hosts (loopback addresses other than B's
	// 127.0.0.1) that answer only when the test ends.
	var slow []*slowServer
	for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		slow = append(slow, newSlowServer(t, ip, time.Hour))
	}
	fast := newOrderSink(t, "n", 0)
	a := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "A", "parent_id": s.Root})["id"].(string)
	b := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "B", "parent_id": s.Root})["id"].(string)
	s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70321", "label": "flow"})
	for i, sl := range slow {
		s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "A slow " + itoa(i), "enabled": true, "account_id": a, "ordering": "parallel",
			"trigger": map[string]any{"type": "event", "event": "70321"},
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
				"url": sl.URL, "timeout": "60s", "body_template": map[string]any{"n": "{{n}}"}}}},
		})
	}
	s.must(201, "POST", "/api/v1/hooks", map[string]any{
		"name": "B fast", "enabled": true, "account_id": b,
		"trigger": map[string]any{"type": "event", "event": "70321"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": fast.URL, "body_template": map[string]any{"n": "{{n}}"}}}},
	})
	// B is a tenant with work before A's flood begins.
	s.must(202, "POST", "/api/v1/events", map[string]any{"type": "70321", "account_id": b, "data": map[string]any{"n": 0}})
	fast.wait(1)
	// A's flood: 40 events, 120 deliveries that hang.
	var batch []any
	for n := range 40 {
		batch = append(batch, map[string]any{"type": "70321", "account_id": a, "data": map[string]any{"n": n}})
	}
	s.must(202, "POST", "/api/v1/events", batch)
	for deadline := time.Now().Add(20 * time.Second); inflight(slow) < min(6, 3*int64(perDestination)); {
		if time.Now().After(deadline) {
			t.Fatalf("A's deliveries did not start: %d in flight", inflight(slow))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// B keeps sending while A's deliveries hang: all of B's arrive.
	for n := 1; n <= 20; n++ {
		s.must(202, "POST", "/api/v1/events", map[string]any{"type": "70321", "account_id": b, "data": map[string]any{"n": n}})
	}
	fast.wait(21)
	for _, sl := range slow {
		if m := sl.most.Load(); m > int64(perDestination) {
			t.Errorf("%s: %d deliveries at once, over the cap of %d", sl.URL, m, perDestination)
		}
		if sl.done.Load() != 0 {
			t.Errorf("%s answered: the test needs endpoints that hang", sl.URL)
		}
	}
	if perDestination == 2 {
		for _, sl := range slow {
			if m := sl.most.Load(); m != 2 {
				t.Errorf("%s: at most %d deliveries at once, want A at its cap of 2", sl.URL, m)
			}
		}
	} else if n := inflight(slow); n > 6 {
		t.Errorf("A holds %d of the 8 workers while B has work, want at most 6", n)
	}
}

func inflight(ss []*slowServer) int64 {
	var n int64
	for _, s := range ss {
		n += s.inflight.Load()
	}
	return n
}
