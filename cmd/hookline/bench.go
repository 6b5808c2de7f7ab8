package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/httpapi"
)

// bench runs a whole hookline in this process (SQLite in a temporary
// directory, or --db postgres://…), one hook whose send_webhook goes to a
// local sink, and --clients HTTP clients sending events (or creating records
// with --records) through the real REST API. It prints accepted/s,
// delivered/s and the event→delivery latency percentiles.
func bench(args []string, stdout *os.File, getenv func(string) string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	db := fs.String("db", "", "database: empty for SQLite in a temp dir, or a postgres:// URL (use an empty database)")
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	dur := fs.Duration("duration", 10*time.Second, "how long to send")
	rate := fs.Int("rate", 0, "events per second in all (0: as fast as possible)")
	records := fs.Bool("records", false, "create records in a collection instead of sending events")
	syncMode := fs.String("sqlite-synchronous", "FULL", "SQLite synchronous mode")
	workers := fs.Int("workers", 32, "engine workers")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	groupWait := fs.Duration("group-wait", 0, "SQLite writer's wait for a fuller commit group under load (0: the default; negative: none)")
	tracefile := fs.String("trace", "", "write an execution trace (go tool trace) of the run to this file")
	schedules := fs.Int("schedules", 0, "instead: measure the scheduler with this many idle schedules (plus --ticking every-second ones)")
	ticking := fs.Int("ticking", 10, "with --schedules: hooks firing every second, for the start precision")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *tracefile != "" {
		f, err := os.Create(*tracefile)
		if err != nil {
			return err
		}
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	o := &options{DB: *db, SQLiteSynchronous: *syncMode, groupWait: *groupWait}
	if o.DB == "" {
		dir, err := os.MkdirTemp("", "hookline-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.DB = filepath.Join(dir, "bench.db")
	}
	if *schedules > 0 {
		return benchSchedules(o, *schedules, *ticking, *dur, stdout)
	}
	ctx := context.Background()
	st, err := openStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	key := make([]byte, 32)
	_, _ = randRead(key)
	eng, err := hookline.Open(ctx, hookline.Config{
		Store: st, SecretKey: key, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AllowNet: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, EventsPerSecond: -1, Workers: *workers,
	})
	if err != nil {
		return err
	}
	_, admin, _, err := eng.Bootstrap(ctx, "")
	if err != nil {
		return err
	}
	if admin == "" {
		return fmt.Errorf("bench needs an empty database")
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	defer eng.Stop(context.Background())

	// The sink records when each numbered event arrived (first delivery only).
	var mu sync.Mutex
	arrived := map[int64]time.Time{}
	var delivered atomic.Int64
	sink := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ N int64 }
		_ = json.NewDecoder(r.Body).Decode(&body)
		now := time.Now()
		mu.Lock()
		if _, dup := arrived[body.N]; !dup {
			arrived[body.N] = now
			delivered.Add(1)
		}
		mu.Unlock()
		w.WriteHeader(204)
	})}
	sinkLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go sink.Serve(sinkLn)
	defer sink.Close()

	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	api := &http.Server{Handler: httpapi.New(eng, httpapi.Options{})}
	go api.Serve(apiLn)
	defer api.Close()
	base := "http://" + apiLn.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients * 2}}
	call := func(method, path string, body any) (int, []byte, error) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, rb, nil
	}
	trigger := map[string]any{"type": "event", "event": "records.create", "collection": "orders"}
	path := "/api/v1/collections/orders/records"
	if !*records {
		if code, b, err := call("POST", "/api/v1/event-types", map[string]any{"id": "70201", "label": "bench"}); err != nil || code != 201 {
			return fmt.Errorf("register event type: %d %s %v", code, b, err)
		}
		trigger = map[string]any{"type": "event", "event": "70201"}
		path = "/api/v1/events"
	} else if code, b, err := call("POST", "/api/v1/collections", map[string]any{"name": "orders"}); err != nil || code != 201 {
		return fmt.Errorf("create collection: %d %s %v", code, b, err)
	}
	hk := map[string]any{
		"name": "bench", "enabled": true, "trigger": trigger,
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
			"url": "http://" + sinkLn.Addr().String() + "/sink", "body_template": map[string]any{"n": "{{n}}"}}}},
	}
	if code, b, err := call("POST", "/api/v1/hooks", hk); err != nil || code != 201 {
		return fmt.Errorf("create hook: %d %s %v", code, b, err)
	}

	var next atomic.Int64
	var sentMu sync.Mutex
	sent := map[int64]time.Time{}
	var accepted, failed atomic.Int64
	deadline := time.Now().Add(*dur)
	var tick <-chan time.Time
	if *rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(*rate))
		defer t.Stop()
		tick = t.C
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if tick != nil {
					<-tick
				}
				n := next.Add(1)
				t0 := time.Now()
				var body any = map[string]any{"type": "70201", "data": map[string]any{"n": n}}
				if *records {
					body = map[string]any{"n": n, "total": 600}
				}
				code, _, err := call("POST", path, body)
				if err != nil || code >= 300 {
					failed.Add(1)
					continue
				}
				sentMu.Lock()
				sent[n] = t0
				sentMu.Unlock()
				accepted.Add(1)
			}
		}()
	}
	wg.Wait()
	sendTime := time.Since(start)
	// Wait (bounded) for the deliveries to catch up.
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end) && delivered.Load() < accepted.Load(); {
		time.Sleep(20 * time.Millisecond)
	}
	allTime := time.Since(start)
	mu.Lock()
	var lat []time.Duration
	var lastArrival time.Time
	for n, t0 := range sent {
		if t1, ok := arrived[n]; ok {
			lat = append(lat, t1.Sub(t0))
			if t1.After(lastArrival) {
				lastArrival = t1
			}
		}
	}
	mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	what := "events"
	if *records {
		what = "records"
	}
	kind := "sqlite (synchronous=" + *syncMode + ")"
	if o.isPostgres() {
		kind = "postgres"
	}
	deliverSpan := lastArrival.Sub(start)
	if deliverSpan <= 0 {
		deliverSpan = allTime
	}
	fmt.Fprintf(stdout, "hookline bench: %s, %d clients, %s of %s, rate %s\n", kind, *clients, *dur, what, rateStr(*rate))
	fmt.Fprintf(stdout, "accepted:  %d (%.0f/s), failed: %d\n", accepted.Load(), float64(accepted.Load())/sendTime.Seconds(), failed.Load())
	fmt.Fprintf(stdout, "delivered: %d (%.0f/s)\n", delivered.Load(), float64(delivered.Load())/deliverSpan.Seconds())
	fmt.Fprintf(stdout, "latency event→delivery: p50 %s  p90 %s  p99 %s  max %s\n", pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	if delivered.Load() < accepted.Load() {
		return fmt.Errorf("%d accepted events were not delivered within 60s", accepted.Load()-delivered.Load())
	}
	return nil
}

func rateStr(r int) string {
	if r == 0 {
		return "unbounded"
	}
	return fmt.Sprintf("%d/s", r)
}
