package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/testdb"
)

// cdcProc is a hookline serve process with a fixed node id.
type cdcProc struct {
	cmd  *exec.Cmd
	addr string
	node string
}

func startNode(t *testing.T, db, dataDir, addr, admin, node string) *cdcProc {
	t.Helper()
	cmd := exec.Command(hooklineBinary(t), "serve", "--addr", addr, "--db", db, "--data-dir", dataDir,
		"--allow-net", "127.0.0.0/8", "--events-per-second", "-1", "--node-id", node)
	cmd.Env = append(os.Environ(), "HOOKLINE_ADMIN_KEY="+admin, "HOOKLINE_LOG_LEVEL=warn",
		"HOOKLINE_SECRET_KEY="+strings.Repeat("ab", 32))
	runServe(t, cmd, addr, node)
	return &cdcProc{cmd: cmd, addr: addr, node: node}
}

func (p *cdcProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = p.cmd.Process.Wait()
}

func (p *cdcProc) must(t *testing.T, admin string, want int, method, path string, body any) map[string]any {
	t.Helper()
	code, b, err := apiCall(p.addr, admin, method, path, body)
	if err != nil || code != want {
		t.Fatalf("%s %s: %d %s %v", method, path, code, b, err)
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// delivered counts the sink's requests per "id" of their body.
func delivered(sk *sink) map[float64]int {
	out := map[float64]int{}
	for _, r := range sk.requests() {
		var b map[string]any
		_ = json.Unmarshal(r.Body, &b)
		if id, ok := b["id"].(float64); ok {
			out[id]++
		}
	}
	return out
}

// waitDelivered waits until every id in 1..n reached the sink.
func waitDelivered(t *testing.T, sk *sink, n int, within time.Duration) map[float64]int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := delivered(sk)
		missing, example := 0, 0
		for i := 1; i <= n; i++ {
			if got[float64(i)] == 0 {
				missing++
				example = i
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d rows never delivered (e.g. id %d)", missing, n, example)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func itemsHook(url string) map[string]any {
	return map[string]any{
		"name": "items", "enabled": true,
		"trigger": map[string]any{"type": "event", "event": "records.create", "collection": "items"},
		"actions": []any{map[string]any{"type": "send_webhook", "name": "post", "config": map[string]any{
			"url": url, "body_template": map[string]any{"id": "{{record.id}}"}}}},
	}
}

// TestSourceCrash SIGKILLs hookline in the middle of 5,000 inserts into a
// followed table and starts it again: every row becomes exactly one event
// (redelivered changes are dropped by their LSN-derived keys) and reaches
// the hook.
func TestSourceCrash(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		sourceCrashTest(t, testdb.SQLitePath(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		sourceCrashTest(t, testdb.PostgresURL(t))
	})
}

func sourceCrashTest(t *testing.T, store string) {
	const rows = 5000
	db := newSourceDB(t, `CREATE TABLE items (id int PRIMARY KEY, n int)`)
	admin := "hlk_cdc_crash_admin_key_0123456789"
	dataDir, addr := t.TempDir(), freePort(t)
	sk := newSink(t)
	p := startNode(t, store, dataDir, addr, admin, "crash-node")
	p.must(t, admin, 201, "POST", "/api/v1/hooks", itemsHook(sk.URL))
	src := p.must(t, admin, 201, "POST", "/api/v1/sources", map[string]any{"name": "items", "url": db.URL, "tables": []any{"items"}})

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // one transaction per row, as an application writes
		defer wg.Done()
		conn, err := pgxConnect(db.URL)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		// Each row is its own committed transaction; without waiting for
		// its fsync, so the 5,000 take seconds, not minutes.
		if _, err := conn.Exec(context.Background(), `SET synchronous_commit = off`); err != nil {
			t.Error(err)
			return
		}
		for i := 1; i <= rows; i++ {
			if _, err := conn.Exec(context.Background(), `INSERT INTO items VALUES ($1, $1)`, i); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	// Kill it once part of the rows went through.
	deadline := time.Now().Add(60 * time.Second)
	for len(delivered(sk)) < 300 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d rows delivered before the kill", len(delivered(sk)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.kill(t)
	before := len(delivered(sk))
	wg.Wait()
	if t.Failed() {
		return
	}
	if before >= rows {
		t.Fatalf("all %d rows were delivered before the kill; the test needs the kill in the middle", rows)
	}
	p = startNode(t, store, dataDir, addr, admin, "crash-node")
	// Events: one per row, whatever the slot delivered again.
	id := src["id"].(string)
	deadline = time.Now().Add(180 * time.Second)
	for {
		ids, execs := executionRecordIDs(t, p, admin)
		if execs == rows && len(ids) == rows {
			break
		}
		if execs > rows || time.Now().After(deadline) {
			t.Fatalf("%d executions for %d distinct rows of %d", execs, len(ids), rows)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// And every row reached the hook's endpoint.
	got := waitDelivered(t, sk, rows, 300*time.Second)
	dups := 0
	for _, n := range got {
		dups += n - 1
	}
	st := p.must(t, admin, 200, "GET", "/api/v1/sources/"+id, nil)["status"].(map[string]any)
	t.Logf("%d rows: %d delivered before the kill; after the restart one execution per row and all delivered (%d repeated webhook deliveries); source %v",
		rows, before, dups, st["state"])
	p.must(t, admin, 204, "DELETE", "/api/v1/sources/"+id, nil)
}

// executionRecordIDs lists the record ids of every execution, and how many
// executions there are.
func executionRecordIDs(t *testing.T, p *cdcProc, admin string) (map[float64]bool, int) {
	t.Helper()
	ids, n, cursor := map[float64]bool{}, 0, ""
	for {
		b := p.must(t, admin, 200, "GET", "/api/v1/executions?limit=500"+cursor, nil)
		items := b["items"].([]any)
		for _, it := range items {
			n++
			c, _ := it.(map[string]any)["execution_context"].(map[string]any)
			if r, ok := c["record"].(map[string]any); ok {
				if id, ok := r["id"].(float64); ok {
					ids[id] = true
				}
			}
		}
		next, _ := b["next_cursor"].(string)
		if next == "" || len(items) == 0 {
			return ids, n
		}
		cursor = "&cursor=" + next
	}
}

// TestSourceTakeover runs two nodes on one PostgreSQL store: one follows the
// source; SIGKILLed, the other takes the source over within 30 s and no row
// is lost.
func TestSourceTakeover(t *testing.T) {
	store := testdb.PostgresURL(t)
	db := newSourceDB(t, `CREATE TABLE items (id int PRIMARY KEY, n int)`)
	admin := "hlk_cdc_takeover_admin_key_0123456789"
	sk := newSink(t)
	nodes := map[string]*cdcProc{}
	for _, name := range []string{"node-a", "node-b"} {
		nodes[name] = startNode(t, store, t.TempDir(), freePort(t), admin, name)
	}
	a := nodes["node-a"]
	a.must(t, admin, 201, "POST", "/api/v1/hooks", itemsHook(sk.URL))
	id := a.must(t, admin, 201, "POST", "/api/v1/sources", map[string]any{"name": "items", "url": db.URL, "tables": []any{"items"}})["id"].(string)
	holder := func(p *cdcProc) (string, string) {
		st := p.must(t, admin, 200, "GET", "/api/v1/sources/"+id, nil)["status"].(map[string]any)
		node, _ := st["node"].(string)
		return node, st["state"].(string)
	}
	insert := func(from, to int) {
		for i := from; i <= to; i++ {
			db.exec(`INSERT INTO items VALUES ($1, $1)`, i)
		}
	}
	insert(1, 100)
	waitDelivered(t, sk, 100, 30*time.Second)
	first, _ := holder(a)
	for wait := time.Now().Add(10 * time.Second); first == "" && time.Now().Before(wait); first, _ = holder(a) {
		time.Sleep(50 * time.Millisecond) // the follower writes its status every 2 s
	}
	dead, alive := nodes[first], nodes["node-a"]
	if first == "node-a" {
		alive = nodes["node-b"]
	}
	if dead == nil {
		t.Fatalf("the source is followed by %q", first)
	}
	dead.kill(t)
	killed := time.Now()
	insert(101, 200)
	for {
		node, state := holder(alive)
		if node == alive.node && state == "following" {
			t.Logf("%s took the source over from %s %.1fs after it was killed", node, first, time.Since(killed).Seconds())
			break
		}
		if time.Since(killed) > 30*time.Second {
			t.Fatalf("after 30 s the source is still %s on %s", state, node)
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitDelivered(t, sk, 200, 30*time.Second)
	alive.must(t, admin, 204, "DELETE", "/api/v1/sources/"+id, nil)
	if n := db.count(`SELECT count(*) FROM pg_replication_slots WHERE database = current_database()`); n != 0 {
		t.Errorf("%d slots left", n)
	}
}
