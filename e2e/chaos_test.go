package e2e

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestClusterChaos runs three `hookline serve` processes on one PostgreSQL
// database with steady events and 20 schedules (every 2 s) delivered to a
// receiver that answers after 200 ms, and kills (SIGKILL) a rotating node
// every 3 s: most come back after 1 s under the same --node-id, one stays
// down for 9 s so that the others must rescue its work. Then:
//   - every accepted event is delivered (0 lost), each under one webhook-id;
//   - an event is delivered twice only when its first delivery was in flight
//     when a node was killed;
//   - every accepted event is first delivered within 10 s of its acceptance,
//     and a duplicate within 10 s of its kill;
//   - every schedule slot fires exactly once (one webhook-id, no gap).
func TestClusterChaos(t *testing.T) {
	db := pgURL(t)
	bin := hooklineBinary(t)
	rcv := newChaosReceiver(t, 200*time.Millisecond)

	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*7 + 1)
	}
	c := &chaosCluster{t: t, bin: bin, db: db, secret: hex.EncodeToString(key), admin: "hlk_chaos_admin_key_0123456789abcdef"}
	for i := range 3 {
		c.nodes = append(c.nodes, &chaosNode{id: fmt.Sprintf("node-%d", i), addr: freePort(t)})
	}
	for _, n := range c.nodes {
		c.start(n)
	}
	t.Cleanup(c.killAll)

	n0 := c.nodes[0].addr
	mustCall(t, n0, c.admin, "POST", "/api/v1/event-types", map[string]any{"id": "70266", "label": "chaos"}, 201)
	mustCall(t, n0, c.admin, "POST", "/api/v1/hooks", eventHook("chaos", "70266", rcv.URL+"/e", map[string]any{"n": "{{n}}"}), 201)
	for i := range 20 {
		mustCall(t, n0, c.admin, "POST", "/api/v1/hooks", map[string]any{
			"name": fmt.Sprintf("tick %d", i), "enabled": true,
			"trigger": map[string]any{"type": "schedule", "every": "2s"},
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
				"url": fmt.Sprintf("%s/s/%d", rcv.URL, i), "body_template": map[string]any{"slot": "{{trigger.slot}}"}}}},
		}, 201)
	}

	// Steady events, each to a live node (round robin).
	var (
		mu       sync.Mutex
		accepted = map[int64]time.Time{}
		next     atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	loadStart := time.Now()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(40 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				n := next.Add(1)
				addr := c.live(int(n))
				if addr == "" {
					continue
				}
				code, _, err := apiCallWith(client, addr, c.admin, "POST", "/api/v1/events", map[string]any{"type": "70266", "data": map[string]any{"n": n}})
				if err == nil && code == 202 {
					mu.Lock()
					accepted[n] = time.Now()
					mu.Unlock()
				}
			}
		}()
	}

	// The chaos: kill -9 a rotating node every 3 s.
	var kills []time.Time
	for k, down := range []time.Duration{time.Second, time.Second, 9 * time.Second, time.Second} {
		time.Sleep(3 * time.Second)
		n := c.nodes[k%3]
		kills = append(kills, c.kill(n))
		time.Sleep(down)
		c.start(n)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	loadEnd := time.Now()

	// Every accepted event delivered.
	mu.Lock()
	defer mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := 0
		for n := range accepted {
			if len(rcv.events(n)) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted events were never delivered", missing, len(accepted))
		}
		time.Sleep(50 * time.Millisecond)
	}
	inFlightAt := func(at time.Time) (time.Time, bool) {
		for _, k := range kills {
			if at.After(k.Add(-time.Second)) && at.Before(k.Add(100*time.Millisecond)) {
				return k, true
			}
		}
		return time.Time{}, false
	}
	dups, slowest, slowestAgain := 0, time.Duration(0), time.Duration(0)
	for n, acc := range accepted {
		ds := rcv.events(n)
		ids := map[string]bool{}
		for _, d := range ds {
			ids[d.webhookID] = true
		}
		if len(ids) != 1 {
			t.Errorf("event %d was delivered under %d webhook-ids: %v", n, len(ids), ids)
		}
		if lat := ds[0].at.Sub(acc); lat > 10*time.Second {
			t.Errorf("event %d was first delivered %s after it was accepted", n, lat)
		} else {
			slowest = max(slowest, lat)
		}
		if len(ds) > 1 {
			dups++
			k, ok := inFlightAt(ds[0].at)
			if !ok {
				t.Errorf("event %d was delivered %d times, its first delivery (%s) in flight at no kill", n, len(ds), ds[0].at.Format(time.StampMilli))
				continue
			}
			if d := ds[1].at.Sub(k); d > 10*time.Second {
				t.Errorf("event %d, in flight at a kill, was delivered again only %s after it", n, d)
			} else {
				slowestAgain = max(slowestAgain, d)
			}
		}
	}
	if len(accepted) < 200 {
		t.Fatalf("only %d events accepted; the test needs steady traffic", len(accepted))
	}

	// Every schedule slot inside the load window fired exactly once.
	time.Sleep(2500 * time.Millisecond) // the last slots of the window are delivered
	for i := range 20 {
		bySlot := rcv.slots(i)
		var slots []time.Time
		for slot, ds := range bySlot {
			ids := map[string]bool{}
			for _, d := range ds {
				ids[d.webhookID] = true
			}
			if len(ids) != 1 {
				t.Errorf("schedule %d slot %s fired %d times", i, slot, len(ids))
			}
			ts, err := time.Parse(time.RFC3339, slot)
			if err != nil {
				t.Fatalf("schedule %d: slot %q: %v", i, slot, err)
			}
			slots = append(slots, ts)
		}
		slices.SortFunc(slots, func(a, b time.Time) int { return a.Compare(b) })
		var inside []time.Time
		for _, s := range slots {
			if s.After(loadStart.Add(2*time.Second)) && s.Before(loadEnd.Add(-2*time.Second)) {
				inside = append(inside, s)
			}
		}
		if want := int(loadEnd.Sub(loadStart)/(2*time.Second)) - 3; len(inside) < want {
			t.Errorf("schedule %d: %d slots inside the load window, want at least %d: %v", i, len(inside), want, inside)
		}
		for j := 1; j < len(inside); j++ {
			if d := inside[j].Sub(inside[j-1]); d != 2*time.Second {
				t.Errorf("schedule %d: slots %s and %s are %s apart (a slot missed)", i, inside[j-1].Format(time.TimeOnly), inside[j].Format(time.TimeOnly), d)
			}
		}
	}
	t.Logf("%d kills; %d events accepted and delivered, %d twice (in flight at a kill, again at most %s after it); slowest first delivery %s after acceptance",
		len(kills), len(accepted), dups, slowestAgain.Round(time.Millisecond), slowest.Round(time.Millisecond))
}

type chaosNode struct {
	id, addr string
	cmd      *exec.Cmd
	up       atomic.Bool
}

type chaosCluster struct {
	t                      *testing.T
	bin, db, secret, admin string
	nodes                  []*chaosNode
}

func (c *chaosCluster) start(n *chaosNode) {
	c.t.Helper()
	cmd := exec.Command(c.bin, "serve", "--addr", n.addr, "--db", c.db, "--node-id", n.id, "--secret-key", c.secret,
		"--allow-net", "127.0.0.0/8", "--events-per-second", "-1", "--log-level", "error")
	cmd.Env = append(os.Environ(), "HOOKLINE_ADMIN_KEY="+c.admin)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	n.cmd = cmd
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r, err := http.Get("http://" + n.addr + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				n.up.Store(true)
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s did not become ready", n.id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill SIGKILLs n and returns when it died.
func (c *chaosCluster) kill(n *chaosNode) time.Time {
	n.up.Store(false)
	at := time.Now()
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	_, _ = n.cmd.Process.Wait()
	return at
}

func (c *chaosCluster) killAll() {
	for _, n := range c.nodes {
		if n.cmd != nil && n.up.Load() {
			c.kill(n)
		}
	}
}

// live is the address of a live node, chosen by i (round robin), or "".
func (c *chaosCluster) live(i int) string {
	for j := range len(c.nodes) {
		if n := c.nodes[(i+j)%len(c.nodes)]; n.up.Load() {
			return n.addr
		}
	}
	return ""
}

type delivery struct {
	webhookID string
	at        time.Time
}

// chaosReceiver records each delivery (by event number or schedule slot)
// and answers after a delay.
type chaosReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	evs   map[int64][]delivery
	ticks map[int]map[string][]delivery
}

func newChaosReceiver(t *testing.T, delay time.Duration) *chaosReceiver {
	r := &chaosReceiver{evs: map[int64][]delivery{}, ticks: map[int]map[string][]delivery{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		d := delivery{req.Header.Get("webhook-id"), time.Now()}
		var b struct {
			N    int64
			Slot string
		}
		_ = json.NewDecoder(req.Body).Decode(&b)
		r.mu.Lock()
		if i, ok := strings.CutPrefix(req.URL.Path, "/s/"); ok {
			var hook int
			fmt.Sscan(i, &hook)
			if r.ticks[hook] == nil {
				r.ticks[hook] = map[string][]delivery{}
			}
			r.ticks[hook][b.Slot] = append(r.ticks[hook][b.Slot], d)
		} else {
			r.evs[b.N] = append(r.evs[b.N], d)
		}
		r.mu.Unlock()
		time.Sleep(delay)
		w.WriteHeader(200)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *chaosReceiver) events(n int64) []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs[n])
}

func (r *chaosReceiver) slots(hook int) map[string][]delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]delivery{}
	for s, ds := range r.ticks[hook] {
		out[s] = slices.Clone(ds)
	}
	return out
}

func mustCall(t *testing.T, addr, key, method, path string, body any, want int) {
	t.Helper()
	code, b, err := apiCall(addr, key, method, path, body)
	if err != nil || code != want {
		t.Fatalf("%s %s: %d %s %v (want %d)", method, path, code, b, err, want)
	}
}
