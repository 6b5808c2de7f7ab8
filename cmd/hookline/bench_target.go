package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/httpapi"
)

// benchTarget is the running hookline the bench drives over HTTP: one
// `hookline serve` process, an engine in this process, or (--nodes) several
// serve processes sharing one PostgreSQL database.
type benchTarget struct {
	admin string
	nodes []*benchNode
	stop  func()
	procs int // GOMAXPROCS of each serve process (0: Go's default)
}

// benchNode is one hookline serving the REST API at base.
type benchNode struct {
	id, base string
	// cpu is the CPU time (user and system) the node's process has used so
	// far; nil when it shares this process.
	cpu func() time.Duration
}

// serverCPU is the CPU time all nodes have used so far; false in-process.
func (t *benchTarget) serverCPU() (time.Duration, bool) {
	var sum time.Duration
	for _, n := range t.nodes {
		if n.cpu == nil {
			return 0, false
		}
		sum += n.cpu()
	}
	return sum, true
}

// startInProcess runs the engine and its REST API in this process, with
// the GC setting of `hookline serve`.
func startInProcess(ctx context.Context, o *options) (*benchTarget, error) {
	tuneGC(os.Getenv)
	st, err := openStore(ctx, o)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	_, _ = randRead(key)
	eng, err := hookline.Open(ctx, hookline.Config{
		Store: st, SecretKey: key, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AllowNet: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, EventsPerSecond: -1, Workers: o.Workers,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	_, admin, _, err := eng.Bootstrap(ctx, "")
	if err == nil && admin == "" {
		err = fmt.Errorf("bench needs an empty database")
	}
	if err == nil {
		err = eng.Start(ctx)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = eng.Stop(ctx)
		st.Close()
		return nil, err
	}
	api := &http.Server{Handler: httpapi.New(eng, httpapi.Options{})}
	go api.Serve(ln)
	return &benchTarget{admin: admin, nodes: []*benchNode{{id: "in-process", base: "http://" + ln.Addr().String()}}, stop: func() {
		api.Close()
		_ = eng.Stop(context.Background())
		st.Close()
	}}, nil
}

// startServers starts n `hookline serve` processes (this very binary) on
// the database of o, one after the other (the first migrates), each with
// its own --node-id and port and the same admin and secret keys, and waits
// until each is ready.
func startServers(ctx context.Context, o *options, n int) (*benchTarget, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	t := &benchTarget{admin: "hlk_bench" + randomHex(16)}
	secret := randomHex(32)
	var stops []func()
	t.stop = func() { // SIGTERM all at once, then wait for each
		var wg sync.WaitGroup
		for _, s := range stops {
			wg.Add(1)
			go func() { defer wg.Done(); s() }()
		}
		wg.Wait()
	}
	t.procs = nodeProcs(n)
	for i := range n {
		id := fmt.Sprintf("bench-%d", i)
		node, stop, err := startNode(ctx, exe, o, t.admin, secret, id, t.procs)
		if err != nil {
			t.stop()
			return nil, err
		}
		t.nodes, stops = append(t.nodes, node), append(stops, stop)
	}
	return t, nil
}

// nodeProcs is the GOMAXPROCS of each of n nodes started on this machine:
// its share of the cores (at least one), as if each node had a machine of
// its own that size; 0 (the Go default, all cores) for one node or when
// GOMAXPROCS is set in the environment (it then applies to every node).
// Three Go schedulers each spinning on both cores of a two-core machine cost
// more CPU per event than the nodes' own work explains.
func nodeProcs(n int) int {
	if n <= 1 || os.Getenv("GOMAXPROCS") != "" {
		return 0
	}
	return max(1, runtime.NumCPU()/n)
}

// loadProcs limits the bench process (the load generator and the sink) to
// one P when the engine runs in `hookline serve` processes of its own and
// GOMAXPROCS is not set: its 16 clients need well under a core, and a
// second spinning scheduler on a small machine takes CPU from the server
// being measured. It returns the GOMAXPROCS in effect.
func loadProcs() int {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	return runtime.GOMAXPROCS(0)
}

// startNode starts one `hookline serve` and waits until it is ready; procs
// is its GOMAXPROCS (0: the default).
func startNode(ctx context.Context, exe string, o *options, admin, secret, id string, procs int) (*benchNode, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the server
	if err != nil {
		return nil, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(exe, "serve", "--addr", addr, "--db", o.DB, "--data-dir", o.DataDir,
		"--admin-key", admin, "--secret-key", secret, "--node-id", id,
		"--allow-net", "127.0.0.0/8", "--events-per-second", "-1",
		"--workers", fmt.Sprint(o.Workers), "--sqlite-synchronous", o.SQLiteSynchronous, "--log-level", "warn")
	for _, kv := range os.Environ() { // only the flags above configure it
		if !strings.HasPrefix(kv, "HOOKLINE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if procs > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", procs))
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		select {
		case err := <-exited:
			return nil, nil, fmt.Errorf("hookline serve (%s) exited before it was ready: %v: %s", id, err, stderr.String())
		case <-ctx.Done():
			stop()
			return nil, nil, ctx.Err()
		default:
		}
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("hookline serve (%s) not ready after 30s: %s", id, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	pid := cmd.Process.Pid
	return &benchNode{id: id, base: "http://" + addr, cpu: func() time.Duration { return procCPU(pid) }}, stop, nil
}

// metric reads a counter from a node's /metrics: the first sample of name
// whose labels contain label ("" for none); 0 when absent.
func metric(base, name, label string) int64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name); ok && (rest[0] == ' ' || rest[0] == '{') && strings.Contains(rest, label) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			return int64(v)
		}
	}
	return 0
}

// executionsRun is how many executions a node finished successfully.
func executionsRun(base string) int64 {
	return metric(base, "hookline_executions_total", `status="success"`)
}

// roundTrips is how many round trips to the database a node made.
func roundTrips(base string) int64 { return metric(base, "hookline_db_round_trips_total", "") }

// postgresCPU is the CPU time the PostgreSQL server processes on this
// machine (command name postgres) have used so far: the database's share
// when it runs here. Other clients of the same server count too.
func postgresCPU() time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var sum time.Duration
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(b, []byte("(postgres)")) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		sum += procCPU(pid)
	}
	return sum
}

// selfCPU is the CPU time (user and system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads a process's user and system CPU time from /proc (Linux);
// 0 when it cannot.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses: state is
	// field 3, utime 14 and stime 15, in clock ticks (100 per second).
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
