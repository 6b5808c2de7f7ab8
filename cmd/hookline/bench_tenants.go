package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// benchSlowTenant measures fairness between tenants (SPEC §12): tenant A
// sends slowEvents events at once to an endpoint that answers after
// slowDelay (0: never; the webhook timeout ends each attempt), tenant B
// sends fastRate events/s for dur to a fast endpoint. It reports B's
// event→delivery latency and how A progresses: how many of A's deliveries
// were answered and how many were in flight at most (the per-destination
// cap).
func benchSlowTenant(target *benchTarget, slowEvents int, slowDelay time.Duration, fastRate int, dur time.Duration, stdout *os.File) error {

	// A's endpoint is its own host (127.0.0.2), B's the usual one.
	var slowInflight, slowMost, slowDone atomic.Int64
	slowLn, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		return fmt.Errorf("listen on 127.0.0.2 for the slow endpoint: %w", err)
	}
	slow := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // read, so a closed connection cancels r.Context()
		n := slowInflight.Add(1)
		for m := slowMost.Load(); n > m && !slowMost.CompareAndSwap(m, n); m = slowMost.Load() {
		}
		defer slowInflight.Add(-1)
		var wait <-chan time.Time
		if slowDelay > 0 {
			wait = time.After(slowDelay)
		}
		select {
		case <-wait:
			slowDone.Add(1)
		case <-r.Context().Done():
		}
	})}
	go slow.Serve(slowLn)
	defer slow.Close()

	var mu sync.Mutex
	arrived := map[int64]time.Time{}
	fastLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fast := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if n, ok := sinkNumber(b); ok {
			mu.Lock()
			if _, dup := arrived[n]; !dup {
				arrived[n] = time.Now()
			}
			mu.Unlock()
		}
		w.WriteHeader(204)
	})}
	go fast.Serve(fastLn)
	defer fast.Close()

	call := func(path string, body any) (map[string]any, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", target.nodes[0].base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+target.admin)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode >= 300 {
			return nil, fmt.Errorf("POST %s: %d %v", path, res.StatusCode, out)
		}
		return out, nil
	}
	var accounts [2]string
	for i, name := range []string{"tenant A (slow endpoint)", "tenant B (fast endpoint)"} {
		acc, err := call("/api/v1/accounts", map[string]any{"name": name})
		if err != nil {
			return err
		}
		accounts[i] = acc["id"].(string)
	}
	if _, err := call("/api/v1/event-types", map[string]any{"id": "70202", "label": "bench tenants"}); err != nil {
		return err
	}
	for i, url := range []string{"http://" + slowLn.Addr().String() + "/slow", "http://" + fastLn.Addr().String() + "/fast"} {
		if _, err := call("/api/v1/hooks", map[string]any{
			"name": "deliver", "enabled": true, "account_id": accounts[i],
			"trigger": map[string]any{"type": "event", "event": "70202"},
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
				"url": url, "body_template": map[string]any{"n": "{{n}}"}}}},
		}); err != nil {
			return err
		}
	}
	for start := 0; start < slowEvents; start += 100 {
		var batch []any
		for n := start; n < min(start+100, slowEvents); n++ {
			batch = append(batch, map[string]any{"type": "70202", "account_id": accounts[0], "data": map[string]any{"n": n}})
		}
		if _, err := call("/api/v1/events", batch); err != nil {
			return err
		}
	}
	sent := map[int64]time.Time{}
	tick := time.NewTicker(time.Second / time.Duration(max(1, fastRate)))
	defer tick.Stop()
	for n, end := int64(0), time.Now().Add(dur); time.Now().Before(end); n++ {
		<-tick.C
		t0 := time.Now()
		if _, err := call("/api/v1/events", map[string]any{"type": "70202", "account_id": accounts[1], "data": map[string]any{"n": n}}); err != nil {
			return err
		}
		sent[n] = t0
	}
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		got := len(arrived)
		mu.Unlock()
		if got >= len(sent) {
			break
		}
	}
	mu.Lock()
	var lat []time.Duration
	for n, t0 := range sent {
		if t1, ok := arrived[n]; ok {
			lat = append(lat, t1.Sub(t0))
		}
	}
	mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))].Round(10 * time.Microsecond)
	}
	delay := slowDelay.String()
	if slowDelay == 0 {
		delay = "never (the webhook timeout ends each attempt)"
	}
	fmt.Fprintf(stdout, "hookline bench --slow-tenant\n")
	fmt.Fprintf(stdout, "tenant A: %d events to an endpoint answering after %s; tenant B: %d events/s to a fast endpoint for %s\n", slowEvents, delay, fastRate, dur)
	fmt.Fprintf(stdout, "B delivered: %d of %d; event→delivery p50 %s  p90 %s  p99 %s  max %s\n", len(lat), len(sent), pct(0.5), pct(0.9), pct(0.99), pct(1))
	fmt.Fprintf(stdout, "A: %d deliveries answered, at most %d in flight at once (the per-destination cap)\n", slowDone.Load(), slowMost.Load())
	if len(lat) < len(sent) {
		return fmt.Errorf("%d of B's events were not delivered", len(sent)-len(lat))
	}
	return nil
}
