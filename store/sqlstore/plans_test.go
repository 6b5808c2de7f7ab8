package sqlstore_test

import (
	"context"
	"database/sql"
	"maps"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/postgres"
	"github.com/hookline/hookline/store/sqlite"
	"github.com/hookline/hookline/store/sqlstore"
)

// TestHotQueriesUseIndexes: every final save releases what waits for the
// execution, so a lookup that cannot use its (partial) index scans the
// whole executions table once per delivery; that made hookline ten times
// slower once the table held a few thousand rows.
func TestHotQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		db := migratedSQLite(t)
		for name, hq := range sqlstore.HotQueries {
			q := hq.SQL
			rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, make([]any, strings.Count(q, "?"))...)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			checkPlan(t, name, hq, plan, func(step string) bool {
				// A common table expression's rows (what its own steps
				// read is checked with them) and a constant row are not
				// a table.
				cte := strings.Contains(q, "WITH "+strings.TrimPrefix(step, "SCAN ")+" AS (")
				// Nor is reading the whole of a partial index, for a
				// query meant to (it holds the rows the query is about).
				partial := false
				for _, ix := range hq.Indexes {
					partial = partial || sqlstore.ReadsWholeIndex[name] && (strings.HasSuffix(step, "USING INDEX "+ix) || strings.HasSuffix(step, "USING COVERING INDEX "+ix))
				}
				return strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" && !cte && !partial
			})
		}
	})
	t.Run("postgres", func(t *testing.T) {
		db := migratedPostgres(t)
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A generic plan (what a prepared statement gets after a few runs)
		// knows no bound value, and the tables have no statistics (as
		// with autovacuum off, or right after they grew): in a session of
		// the store a "Seq Scan" left in the plan means no index could
		// serve the query, or the store lets PostgreSQL price reading a
		// table it believes small below its index (the plan it then keeps).
		if _, err := conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan"); err != nil {
			t.Fatal(err)
		}
		queries := maps.Clone(sqlstore.HotQueries)
		maps.Copy(queries, sqlstore.HotQueriesPostgres)
		i := 0
		for name, hq := range queries {
			q := hq.SQL
			i++
			stmt := "hot" + string(rune('a'+i))
			if _, err := conn.ExecContext(ctx, "PREPARE "+stmt+" AS "+sqlstore.Rebind(q)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			execute := "EXPLAIN EXECUTE " + stmt
			if n := strings.Count(q, "?"); n > 0 {
				execute += "(" + strings.TrimSuffix(strings.Repeat("NULL, ", n), ", ") + ")"
			}
			plan := explain(t, conn, execute)
			checkPlan(t, name, hq, plan, func(step string) bool {
				return strings.Contains(step, "Seq Scan")
			})
		}
	})
}

// TestScanNotCompiled: a statement no index serves reads the table (as the
// hourly prune of executions did before it used the index on created_at:
// the case this test was written for); in the store's sessions, where
// sequential scans are priced out, its cost must not make PostgreSQL
// compile it (JIT took 450 ms on an empty table).
func TestScanNotCompiled(t *testing.T) {
	ctx := context.Background()
	db := migratedPostgres(t)
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	plan := explain(t, conn, "EXPLAIN (ANALYZE) SELECT COUNT(*) FROM executions WHERE results LIKE $1", "%timeout%")
	if all := strings.Join(plan, "\n"); strings.Contains(all, "JIT:") {
		t.Fatalf("a table scan is compiled:\n%s", all)
	}
}

// checkPlan fails when a step of plan scans a table or an index of hq is
// not in it.
func checkPlan(t *testing.T, name string, hq sqlstore.HotQuery, plan []string, scans func(string) bool) {
	t.Helper()
	all := strings.Join(plan, "\n")
	for _, step := range plan {
		if scans(step) {
			t.Errorf("%s scans a table:\n%s", name, all)
			return
		}
	}
	for _, ix := range hq.Indexes {
		if !strings.Contains(all, ix) {
			t.Errorf("%s does not use %s:\n%s", name, ix, all)
		}
	}
}

// migratedSQLite is a new SQLite test database with hookline's schema,
// closed when the test ends.
func migratedSQLite(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	path := testdb.SQLitePath(t)
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// migratedPostgres is a new PostgreSQL test database with hookline's
// schema, through the store's own sessions, closed when the test ends.
func migratedPostgres(t *testing.T) *sql.DB {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, testdb.PostgresURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s.DB()
}

// TestRescueReadsLeasesInOrder: once many executions were leased and
// finished (their entries in the lease index stay until a vacuum), the
// rescue reads the lease index in order with an index scan, which marks
// such entries dead as it passes them, and not every entry with its heap
// page through a bitmap scan at every rescue (89 ms a second after 18,000
// executions); and it still returns every expired lease, however many
// batches that takes.
func TestRescueReadsLeasesInOrder(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, testdb.PostgresURL(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	insert := func(from, to int, node string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, `INSERT INTO executions (id, account_id, hook_id, trigger_type, status,
				context, results, run_at, created_at, locked_by, locked_until, lease_token)
			SELECT 'ex_' || lpad(g::text, 6, '0'), 'acc_1', 'hk_1', 'event', 'running', '{}', '[]', 0, 0, $3, 1000 + g, 't'
			FROM generate_series($1::int, $2::int) g`, from, to, node); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []string{
		`INSERT INTO accounts (id, name, created_at, updated_at) VALUES ('acc_1', 'a', 0, 0)`,
		`SET plan_cache_mode = force_generic_plan`,
	} {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	insert(1, 20000, "node-1")
	if _, err := conn.ExecContext(ctx, `UPDATE executions SET status = 'success', locked_by = '', locked_until = NULL`); err != nil {
		t.Fatal(err)
	}
	insert(20001, 22500, "node-2") // expired leases of a node that died

	if _, err := conn.ExecContext(ctx, "PREPARE rescue AS "+sqlstore.RescueSQL); err != nil {
		t.Fatal(err)
	}
	plan := explain(t, conn, "EXPLAIN EXECUTE rescue(NULL, NULL, NULL)")
	if all := strings.Join(plan, "\n"); !strings.Contains(all, "Index Scan using executions_leases") || strings.Contains(all, "Bitmap") {
		t.Fatalf("the rescue does not read the lease index in order:\n%s", all)
	}

	n, err := s.ExecutionRescue(ctx, time.Now(), "node-1")
	if err != nil {
		t.Fatal(err)
	}
	var pending int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM executions WHERE status = 'pending' AND locked_by = '' AND run_at > 0`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	if n != 2500 || pending != 2500 {
		t.Fatalf("rescued %d (%d pending), want the 2,500 expired leases", n, pending)
	}
}

// explain runs an EXPLAIN statement on conn and returns its lines.
func explain(t *testing.T, conn *sql.Conn, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
