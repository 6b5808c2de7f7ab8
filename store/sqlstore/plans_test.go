package sqlstore_test

import (
	"context"
	"database/sql"
	"maps"
	"strings"
	"testing"

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
		defer db.Close()
		for name, q := range sqlstore.HotQueries {
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
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" {
					t.Errorf("%s scans a table:\n  %s", name, strings.Join(plan, "\n  "))
					break
				}
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		url := testdb.PostgresURL(t)
		s, err := postgres.Open(ctx, url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// A generic plan (what a prepared statement gets after a few runs)
		// knows no bound value; with sequential scans priced out, a
		// "Seq Scan" left in it means no index could serve the query.
		for _, set := range []string{"SET plan_cache_mode = force_generic_plan", "SET enable_seqscan = off"} {
			if _, err := conn.ExecContext(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		queries := maps.Clone(sqlstore.HotQueries)
		maps.Copy(queries, sqlstore.HotQueriesPostgres)
		i := 0
		for name, q := range queries {
			i++
			stmt := "hot" + string(rune('a'+i))
			if _, err := conn.ExecContext(ctx, "PREPARE "+stmt+" AS "+sqlstore.Rebind(q)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			nulls := strings.TrimSuffix(strings.Repeat("NULL, ", strings.Count(q, "?")), ", ")
			rows, err := conn.QueryContext(ctx, "EXPLAIN EXECUTE "+stmt+"("+nulls+")")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			rows.Close()
			if strings.Contains(strings.Join(plan, "\n"), "Seq Scan on executions") {
				t.Errorf("%s scans executions:\n%s", name, strings.Join(plan, "\n"))
			}
		}
	})
}
