package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// cdcBench options.
type cdcBench struct {
	source    string        // URL of a database the bench may create a table in
	dur       time.Duration // how long rows are written
	rate      int           // rows per second in all (0: as fast as the writers go)
	writers   int           // concurrent writers
	rowsPerTx int           // rows per source transaction
}

// benchCDC measures change capture: writers insert rows into a followed
// table of the source database for dur; hookline (target) turns each into an
// event and an execution of a webhook hook. It reports the rows written/s,
// the changes committed as executions/s, the lag the slot reached, and
// how long hookline needed to catch up after the last write.
func benchCDC(ctx context.Context, target *benchTarget, o *options, b cdcBench, stdout io.Writer) error {
	const table = "hookline_bench_items"
	src, err := pgx.Connect(ctx, b.source)
	if err != nil {
		return fmt.Errorf("--cdc: connect: %w", err)
	}
	defer src.Close(context.Background())
	if _, err := src.Exec(ctx, `DROP TABLE IF EXISTS `+table+`; CREATE TABLE `+table+` (id bigint PRIMARY KEY, total numeric(10,2), customer text, at timestamptz)`); err != nil {
		return fmt.Errorf("--cdc: create table: %w", err)
	}
	defer src.Exec(context.Background(), `DROP TABLE IF EXISTS `+table)

	var delivered atomic.Int64
	sink := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		delivered.Add(1)
		w.WriteHeader(204)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go sink.Serve(ln)
	defer sink.Close()
	call := func(method, path string, body any) (map[string]any, error) {
		bb, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, target.nodes[0].base+path, bytes.NewReader(bb))
		req.Header.Set("Authorization", "Bearer "+target.admin)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, rb)
		}
		var out map[string]any
		_ = json.Unmarshal(rb, &out)
		return out, nil
	}
	if _, err := call("POST", "/api/v1/hooks", map[string]any{
		"name": "bench", "enabled": true, "trigger": map[string]any{"type": "event", "event": "records.create", "collection": table},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{
			"url": "http://" + ln.Addr().String() + "/sink", "body_template": map[string]any{"n": "{{record.id}}"}}}},
	}); err != nil {
		return err
	}
	s, err := call("POST", "/api/v1/sources", map[string]any{"name": "bench", "url": b.source, "tables": []any{table}})
	if err != nil {
		return err
	}
	id, slot := s["id"].(string), s["slot"].(string)
	defer call("DELETE", "/api/v1/sources/"+id, nil)

	// Progress is hookline's own count of changes committed in its store
	// (hookline_source_changes_total on /metrics), which costs the database
	// nothing; counting executions does, and is done once at the end.
	committed := func() int64 { return metric(target.nodes[0].base, "hookline_source_changes_total", id) }
	executions := func() (int64, error) {
		if !o.isPostgres() {
			return committed(), nil
		}
		store, err := pgx.Connect(ctx, o.DB)
		if err != nil {
			return 0, err
		}
		defer store.Close(context.Background())
		var n int64
		return n, store.QueryRow(ctx, `SELECT count(*) FROM executions`).Scan(&n)
	}
	lag := func() int64 {
		var n *int64
		_ = src.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&n)
		if n == nil {
			return 0
		}
		return *n
	}
	// Wait until the source follows.
	for deadline := time.Now().Add(30 * time.Second); ; {
		st, err := call("GET", "/api/v1/sources/"+id, nil)
		if err == nil && st["status"].(map[string]any)["state"] == "following" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the source does not follow: %v %v", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	var written, next atomic.Int64
	var tick <-chan time.Time
	if b.rate > 0 {
		t := time.NewTicker(time.Second * time.Duration(b.rowsPerTx) / time.Duration(b.rate))
		defer t.Stop()
		tick = t.C
	}
	start := time.Now()
	end := start.Add(b.dur)
	var wg sync.WaitGroup
	errs := make(chan error, b.writers)
	for range b.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, b.source)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(context.Background())
			for time.Now().Before(end) {
				if tick != nil {
					<-tick
				}
				batch := &pgx.Batch{}
				for range b.rowsPerTx {
					batch.Queue(`INSERT INTO `+table+` VALUES ($1, 19.99, 'Ada', now())`, next.Add(1))
				}
				tx, err := c.Begin(ctx)
				if err == nil {
					err = tx.SendBatch(ctx, batch).Close()
					if err == nil {
						err = tx.Commit(ctx)
					}
				}
				if err != nil {
					errs <- err
					return
				}
				written.Add(int64(b.rowsPerTx))
			}
		}()
	}
	var maxLag int64
	var maxLagSec float64
	sample := func() {
		maxLag = max(maxLag, lag())
		if st, err := call("GET", "/api/v1/sources/"+id, nil); err == nil {
			if v, ok := st["status"].(map[string]any)["lag_seconds"].(float64); ok {
				maxLagSec = max(maxLagSec, v)
			}
		}
	}
	for time.Now().Before(end) {
		time.Sleep(250 * time.Millisecond)
		sample()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("writer: %w", err)
	}
	writeEnd := time.Now()
	atEnd := committed()
	total := written.Load()
	// The catch-up (hookline alone, the writers done) also gets its CPU:
	// hookline's and PostgreSQL's.
	cpu0, outside := target.serverCPU()
	if !outside {
		cpu0 = selfCPU()
	}
	// PostgreSQL's share: the processes serving hookline's store and the
	// slot's walsender (the server may have other clients here).
	var storeDB string
	if o.isPostgres() {
		if c, err := pgx.ParseConfig(o.DB); err == nil {
			storeDB = c.Database
		}
	}
	dbCPU0 := map[int]time.Duration{}
	if rows, err := src.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = $1
		UNION SELECT active_pid FROM pg_replication_slots WHERE slot_name = $2 AND active_pid IS NOT NULL`, storeDB, slot); err == nil {
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) == nil {
				dbCPU0[pid] = procCPU(pid)
			}
		}
		rows.Close()
	}
	for deadline, next := time.Now().Add(5*time.Minute), time.Now(); committed() < total; {
		if time.Now().After(deadline) {
			return fmt.Errorf("only %d of %d changes committed 5 minutes after the writes", committed(), total)
		}
		if time.Now().After(next) {
			sample()
			next = time.Now().Add(250 * time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
	}
	caughtUp := time.Since(writeEnd)
	drained := time.Since(start)
	cpu1, _ := target.serverCPU()
	if !outside {
		cpu1 = selfCPU()
	}
	var dbCPU time.Duration
	for pid, c0 := range dbCPU0 {
		dbCPU += max(0, procCPU(pid)-c0)
	}
	if n, err := executions(); err != nil || n != total {
		return fmt.Errorf("%d changes written, %d executions in the store (%v)", total, n, err)
	}
	secs := writeEnd.Sub(start).Seconds()
	fmt.Fprintf(stdout, "change capture: %d writers, %d rows per transaction, %s\n", b.writers, b.rowsPerTx, rateStr(b.rate))
	fmt.Fprintf(stdout, "  rows written           %8d  %8.0f/s\n", total, float64(total)/secs)
	fmt.Fprintf(stdout, "  executions committed   %8d  %8.0f/s while writing (%d by the last write), %8.0f/s overall\n",
		total, float64(atEnd)/secs, atEnd, float64(total)/drained.Seconds())
	fmt.Fprintf(stdout, "  caught up              %8.2fs after the last write", caughtUp.Seconds())
	if n := total - atEnd; n > 0 {
		who := "hookline"
		if !outside {
			who = "hookline and the bench"
		}
		fmt.Fprintf(stdout, ": %.0f executions/s; CPU per change %.0f µs (%s), %.0f µs (PostgreSQL: the store's connections and the walsender)",
			float64(n)/caughtUp.Seconds(), float64((cpu1-cpu0).Microseconds())/float64(n), who, float64(dbCPU.Microseconds())/float64(n))
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  lag reached (max)      %8.1f MiB, %.1f s\n", float64(maxLag)/(1<<20), maxLagSec)
	fmt.Fprintf(stdout, "  webhooks delivered     %8d  %8.0f/s\n", delivered.Load(), float64(delivered.Load())/drained.Seconds())
	return nil
}
