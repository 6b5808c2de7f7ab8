package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bench measures a whole hookline: by default it starts `hookline serve`
// (this binary) as its own process on SQLite in a temporary directory (or
// --db postgres://…), exactly as a user runs it; with --inprocess (implied
// by --cpuprofile and --trace) the engine runs inside the bench process.
// One hook's send_webhook goes to a sink in the bench process, and
// --clients HTTP clients send events (or create records with --records)
// through the real REST API. It prints accepted/s, delivered/s and the
// event→delivery latency percentiles.
func bench(args []string, stdout *os.File, getenv func(string) string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	db := fs.String("db", "", "database: empty for SQLite in a temp dir, or a postgres:// URL (use an empty database)")
	clients := fs.Int("clients", 16, "concurrent HTTP clients")
	dur := fs.Duration("duration", 10*time.Second, "how long to send")
	warmup := fs.Duration("warmup", time.Second, "send the same load this long first, not measured (connections, statement caches and workers in use), and wait for its deliveries")
	rate := fs.Int("rate", 0, "events per second in all (0: as fast as possible)")
	records := fs.Bool("records", false, "create records in a collection instead of sending events")
	syncMode := fs.String("sqlite-synchronous", "FULL", "SQLite synchronous mode")
	workers := fs.Int("workers", 64, "engine workers (as hookline serve's default)")
	inprocess := fs.Bool("inprocess", false, "run the engine in the bench process instead of a separate `hookline serve`")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) of an --inprocess run to this file")
	memprofile := fs.String("memprofile", "", "write an allocation profile (go tool pprof -sample_index=alloc_space) of an --inprocess run to this file")
	tracefile := fs.String("trace", "", "write an execution trace (go tool trace) of an --inprocess run to this file")
	schedules := fs.Int("schedules", 0, "instead: measure the scheduler with this many idle schedules (plus --ticking every-second ones)")
	ticking := fs.Int("ticking", 10, "with --schedules: hooks firing every second, for the start precision")
	tree := fs.Bool("tree", false, "three hooks per event across an organization and its shop (shop order 100, shop order 200, organization order 100), run in turn: an event counts as delivered when its third webhook arrived")
	slowTenant := fs.Bool("slow-tenant", false, "instead: fairness between tenants; tenant A floods an endpoint that answers slowly, tenant B sends events to a fast one; reports B's latency and A's progress")
	slowEvents := fs.Int("slow-events", 200, "with --slow-tenant: tenant A's events")
	slowDelay := fs.Duration("slow-delay", 20*time.Second, "with --slow-tenant: how long A's endpoint takes to answer (0: never)")
	fastRate := fs.Int("fast-rate", 10, "with --slow-tenant: tenant B's events per second")
	keys := fs.Int("keys", 0, "give the hook an ordering key rendering to one of this many keys (events of one key run one at a time)")
	cdcURL := fs.String("cdc", "", "instead: measure change capture from this PostgreSQL database (the bench creates and drops a table hookline_bench_items there; needs wal_level=logical)")
	writers := fs.Int("writers", 4, "with --cdc: concurrent writers to the source database")
	rowsPerTx := fs.Int("rows-per-tx", 10, "with --cdc: rows per source transaction")
	nodes := fs.Int("nodes", 1, "with --db postgres://…: start this many `hookline serve` processes on the database and spread the clients over them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuprofile != "" || *tracefile != "" || *memprofile != "" {
		*inprocess = true
	}
	if *memprofile != "" {
		defer func() {
			if f, err := os.Create(*memprofile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
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
	dir, err := os.MkdirTemp("", "hookline-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	o := &options{DB: *db, DataDir: dir, SQLiteSynchronous: *syncMode, Workers: *workers}
	if o.DB == "" {
		o.DB = filepath.Join(dir, "bench.db")
	}
	if *schedules > 0 {
		return benchSchedules(o, *schedules, *ticking, *dur, stdout)
	}
	if *nodes > 1 && (!o.isPostgres() || *inprocess) {
		return fmt.Errorf("--nodes %d needs --db postgres://… and `hookline serve` processes (not --inprocess)", *nodes)
	}
	ctx := context.Background()
	var target *benchTarget
	loadP := 0 // GOMAXPROCS of the load generator, when the engine runs apart
	if *inprocess {
		target, err = startInProcess(ctx, o)
	} else {
		loadP = loadProcs()
		target, err = startServers(ctx, o, max(*nodes, 1))
	}
	if err != nil {
		return err
	}
	defer target.stop()
	if *slowTenant {
		return benchSlowTenant(target, *slowEvents, *slowDelay, *fastRate, *dur, stdout)
	}
	if *cdcURL != "" {
		return benchCDC(ctx, target, o, cdcBench{source: *cdcURL, dur: *dur, rate: *rate, writers: *writers, rowsPerTx: max(1, *rowsPerTx)}, stdout)
	}
	admin := target.admin

	// The sink records when each numbered event arrived: its first
	// delivery, or with --tree the delivery of its last hook (h = 2), and
	// counts hooks of one event arriving out of turn.
	perEvent := int64(1)
	if *tree {
		perEvent = 3
	}
	var mu sync.Mutex
	arrived := map[int64]time.Time{}
	turn := map[int64]int64{} // --tree: the next hook expected per event
	var delivered, outOfTurn atomic.Int64
	var warmAccepted, warmDelivered atomic.Int64 // the warm-up's events (numbered from warmBase)
	// The load generator shares the machine with the server, so it spends
	// as little CPU as it can: bodies built by hand, the sink reading the
	// number without a JSON decoder.
	sink := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n, ok := sinkNumber(b)
		if !ok {
			w.WriteHeader(400)
			return
		}
		now := time.Now()
		h, _ := sinkField(b, `"h":`)
		if n > warmBase {
			if h == perEvent-1 {
				warmDelivered.Add(1)
			}
			w.WriteHeader(204)
			return
		}
		mu.Lock()
		if _, dup := arrived[n]; !dup {
			switch {
			case h != turn[n]:
				if h > turn[n] {
					outOfTurn.Add(1)
				} // else: a repeated delivery of a hook that arrived already
			case h == perEvent-1:
				arrived[n] = now
				delivered.Add(1)
			default:
				turn[n] = h + 1
			}
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

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients * 2}}
	auth := "Bearer " + admin
	send := func(base, method, path string, body []byte) (int, []byte, error) {
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
		req.Header["Authorization"] = []string{auth}
		req.Header["Content-Type"] = []string{"application/json"}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode < 300 {
			_, err = io.Copy(io.Discard, resp.Body)
			return resp.StatusCode, nil, err
		}
		rb, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, rb, nil
	}
	call := func(method, path string, body any) (int, []byte, error) {
		b, _ := json.Marshal(body)
		return send(target.nodes[0].base, method, path, b)
	}
	// With --tree everything happens in a shop below the root account.
	account, accountQ, accountField := "", "", ""
	if *tree {
		req, _ := http.NewRequest("POST", target.nodes[0].base+"/api/v1/accounts", strings.NewReader(`{"name":"shop"}`))
		req.Header.Set("Authorization", auth)
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("create shop: %w", err)
		}
		var acc struct{ ID string }
		err = json.NewDecoder(resp.Body).Decode(&acc)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 201 || acc.ID == "" {
			return fmt.Errorf("create shop: %d %v", resp.StatusCode, err)
		}
		account, accountQ, accountField = acc.ID, "?account_id="+acc.ID, `"account_id":"`+acc.ID+`",`
	}
	trigger := map[string]any{"type": "event", "event": "records.create", "collection": "orders"}
	path := "/api/v1/collections/orders/records" + accountQ
	if !*records {
		if code, b, err := call("POST", "/api/v1/event-types", map[string]any{"id": "70201", "label": "bench"}); err != nil || code != 201 {
			return fmt.Errorf("register event type: %d %s %v", code, b, err)
		}
		trigger = map[string]any{"type": "event", "event": "70201"}
		path = "/api/v1/events"
	} else if code, b, err := call("POST", "/api/v1/collections", map[string]any{"name": "orders", "account_id": account}); err != nil || code != 201 {
		return fmt.Errorf("create collection: %d %s %v", code, b, err)
	}
	// In run order: the shop's hooks by order, then the organization's.
	type benchHook struct {
		account string
		order   int
	}
	hooks := []benchHook{{"", 100}}
	if *tree {
		hooks = []benchHook{{account, 100}, {account, 200}, {"", 100}}
	}
	for h := len(hooks) - 1; h >= 0; h-- { // created in reverse: creation order must not be what orders them
		hk := map[string]any{
			"name": "bench " + strconv.Itoa(h), "enabled": true, "trigger": trigger, "order": hooks[h].order, "account_id": hooks[h].account,
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
				"url": "http://" + sinkLn.Addr().String() + "/sink", "body_template": map[string]any{"n": "{{n}}", "h": h}}}},
		}
		if *keys > 0 {
			hk["ordering_key"] = "{{k}}"
		}
		if code, b, err := call("POST", "/api/v1/hooks", hk); err != nil || code != 201 {
			return fmt.Errorf("create hook: %d %s %v", code, b, err)
		}
	}

	var sentMu sync.Mutex
	sent := map[int64]time.Time{}
	var accepted, failed atomic.Int64
	acceptedBy := make([]atomic.Int64, len(target.nodes))
	// With --rate, event n is due at start + n/rate whichever client sends
	// it (a shared ticker dropped the ticks no client was waiting for, so
	// fewer were offered than asked), and its latency counts from when it
	// was due, so that a server falling behind is not measured only by the
	// events it let through.
	var interval time.Duration
	if *rate > 0 {
		interval = time.Second / time.Duration(*rate)
	}
	// load runs the clients from start until deadline, numbering events
	// from first; count says the events are measured (else only sent).
	load := func(first int64, start, deadline time.Time, count bool) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for c := 0; c < *clients; c++ {
			wg.Add(1)
			node := c % len(target.nodes) // spread the clients over the nodes
			go func() {
				defer wg.Done()
				var body []byte
				// With --rate every event due before the deadline is sent,
				// however late (a client that fell behind would otherwise
				// stop at the deadline with events due still unsent).
				for interval > 0 || time.Now().Before(deadline) {
					i := next.Add(1)
					n := first + i
					t0 := time.Now()
					if interval > 0 {
						due := start.Add(time.Duration(i-1) * interval)
						if !due.Before(deadline) {
							break
						}
						time.Sleep(time.Until(due))
						t0 = due
					}
					if *records {
						body = strconv.AppendInt(append(body[:0], `{"n":`...), n, 10)
					} else {
						body = append(append(append(body[:0], `{"type":"70201",`...), accountField...), `"data":{"n":`...)
						body = strconv.AppendInt(body, n, 10)
					}
					if *keys > 0 {
						body = strconv.AppendInt(append(body, `,"k":`...), n%int64(*keys), 10)
					}
					if *records {
						body = append(body, `,"total":600}`...)
					} else {
						body = append(body, `}}`...)
					}
					code, _, err := send(target.nodes[node].base, "POST", path, body)
					if !count {
						if err == nil && code < 300 {
							warmAccepted.Add(1)
						}
						continue
					}
					if err != nil || code >= 300 {
						failed.Add(1)
						continue
					}
					acceptedBy[node].Add(1)
					sentMu.Lock()
					sent[n] = t0
					sentMu.Unlock()
					accepted.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	// The warm-up: the same load, not measured, until the server's
	// connections, statement caches and worker pool are in use; then its
	// deliveries are waited for (bounded), so the measured run starts from
	// an idle queue.
	if *warmup > 0 {
		t := time.Now()
		load(warmBase, t, t.Add(*warmup), false)
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end) && warmDelivered.Load() < warmAccepted.Load(); {
			time.Sleep(20 * time.Millisecond)
		}
	}
	cpu0, _ := target.serverCPU()
	nodeCPU0, ran0, rt0 := make([]time.Duration, len(target.nodes)), make([]int64, len(target.nodes)), int64(0)
	for i, n := range target.nodes {
		if n.cpu != nil {
			nodeCPU0[i] = n.cpu()
		}
		ran0[i] = executionsRun(n.base)
		rt0 += roundTrips(n.base)
	}
	db0 := postgresCPU()
	self0 := selfCPU()
	start := time.Now()
	load(0, start, start.Add(*dur), true)
	sendTime := time.Since(start)
	// Wait (bounded) for the deliveries to catch up.
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end) && delivered.Load() < accepted.Load(); {
		time.Sleep(20 * time.Millisecond)
	}
	allTime := time.Since(start)
	cpu1, _ := target.serverCPU()
	serverCPU := cpu1 - cpu0
	benchCPU := selfCPU() - self0
	dbCPU := postgresCPU() - db0
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
	switch {
	case *tree:
		what += ", each run by 3 hooks in turn (shop, shop, organization)"
	case *keys > 0:
		what += ", ordering key over " + strconv.Itoa(*keys) + " keys"
	}
	kind := "sqlite (synchronous=" + *syncMode + ")"
	if o.isPostgres() {
		kind = "postgres"
	}
	if *inprocess {
		kind += ", engine in the bench process"
	} else {
		kind += ", `hookline serve` in its own process"
		if p := target.procs; p > 0 {
			kind += fmt.Sprintf(" (GOMAXPROCS=%d each)", p)
		}
		kind += fmt.Sprintf(", load generator GOMAXPROCS=%d", loadP)
	}
	deliverSpan := lastArrival.Sub(start)
	if deliverSpan <= 0 {
		deliverSpan = allTime
	}
	warm := ""
	if *warmup > 0 {
		warm = fmt.Sprintf(" (after %s of warm-up)", *warmup)
	}
	fmt.Fprintf(stdout, "hookline bench: %s, %d clients, %s of %s%s, rate %s\n", kind, *clients, *dur, what, warm, rateStr(*rate))
	fmt.Fprintf(stdout, "accepted:  %d (%.0f/s), failed: %d\n", accepted.Load(), float64(accepted.Load())/sendTime.Seconds(), failed.Load())
	fmt.Fprintf(stdout, "delivered: %d (%.0f/s)\n", delivered.Load(), float64(delivered.Load())/deliverSpan.Seconds())
	if *tree {
		fmt.Fprintf(stdout, "webhooks:  %d (%.0f/s), %d out of turn\n", delivered.Load()*perEvent, float64(delivered.Load()*perEvent)/deliverSpan.Seconds(), outOfTurn.Load())
	}
	fmt.Fprintf(stdout, "latency event→delivery: p50 %s  p90 %s  p99 %s  max %s\n", pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	if serverCPU > 0 && delivered.Load() > 0 {
		fmt.Fprintf(stdout, "server CPU: %.2f cores, %.0fµs per event; load generator and sink: %.2f cores\n",
			serverCPU.Seconds()/allTime.Seconds(), float64(serverCPU.Microseconds())/float64(delivered.Load()),
			benchCPU.Seconds()/allTime.Seconds())
	}
	if len(target.nodes) > 1 {
		for i, n := range target.nodes {
			ran := executionsRun(n.base) - ran0[i]
			cpu := n.cpu() - nodeCPU0[i]
			fmt.Fprintf(stdout, "node %s: accepted %d (%.0f/s), ran %d executions (%.0f/s), CPU %.2f cores, %.0fµs per execution\n",
				n.id, acceptedBy[i].Load(), float64(acceptedBy[i].Load())/sendTime.Seconds(), ran, float64(ran)/deliverSpan.Seconds(),
				cpu.Seconds()/allTime.Seconds(), float64(cpu.Microseconds())/float64(max(ran, 1)))
		}
	}
	if o.isPostgres() && delivered.Load() > 0 {
		rt := -rt0
		for _, n := range target.nodes {
			rt += roundTrips(n.base)
		}
		fmt.Fprintf(stdout, "database round trips: %.1f per event (all nodes, everything included: accepting, running, saving, claims, heartbeats)\n", float64(rt)/float64(delivered.Load()))
	}
	if o.isPostgres() && dbCPU > 0 && delivered.Load() > 0 {
		all := serverCPU + dbCPU + benchCPU
		fmt.Fprintf(stdout, "database (postgres processes on this machine, any other clients included): %.2f cores, %.0fµs per event, %.0f%% of the CPU used by servers, database and load generator\n",
			dbCPU.Seconds()/allTime.Seconds(), float64(dbCPU.Microseconds())/float64(delivered.Load()), 100*dbCPU.Seconds()/all.Seconds())
	}
	if n := outOfTurn.Load(); n > 0 {
		return fmt.Errorf("%d webhooks arrived before the hook ahead of them in the order", n)
	}
	if delivered.Load() < accepted.Load() {
		return fmt.Errorf("%d accepted events were not delivered within 60s", accepted.Load()-delivered.Load())
	}
	return nil
}

// sinkNumber reads n from the bench webhook's body, {"n":123}.
func sinkNumber(b []byte) (int64, bool) { return sinkField(b, `"n":`) }

// warmBase numbers the warm-up's events after it, apart from the measured
// ones (numbered from 1).
const warmBase = 1 << 40

// sinkField reads the number after key (`"n":`) in a webhook's body.
func sinkField(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	b = bytes.TrimLeft(b[i+len(key):], " ")
	j := 0
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(b[:j]), 10, 64)
	return n, err == nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = randRead(b)
	return hex.EncodeToString(b)
}

func rateStr(r int) string {
	if r == 0 {
		return "unbounded"
	}
	return fmt.Sprintf("%d/s", r)
}
