package sqlstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/store/sqlstore"
)

// TestClaimReadsNoBacklog: a claim reads a few rows whatever the backlog,
// also before PostgreSQL has statistics of a table that grew fast (a new
// database, or a backlog built up after the last ANALYZE, when "pending"
// was rare). Planned from the partial indexes' guessed size, the claim
// once read every due execution twice (MIN over the whole backlog, and the
// lock step through a partial index): 100 ms a claim at 40,000 due, which
// slowed change capture catching up.
func TestClaimReadsNoBacklog(t *testing.T) {
	ctx := context.Background()
	db := migratedPostgres(t)
	const backlog = 5000
	if _, err := db.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at, updated_at) VALUES ('acc_a', 'a', 0, 0), ('acc_b', 'b', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO executions (id, account_id, hook_id, trigger_type, status, context, results, run_at, created_at)
		SELECT 'exe_' || lpad(g::text, 8, '0'), CASE WHEN g % 100 = 0 THEN 'acc_b' ELSE 'acc_a' END, 'hk_1', 'event', 'pending', '{}', '[]', g, g
		FROM generate_series(1, $1) g`, backlog); err != nil {
		t.Fatal(err)
	}
	now := time.UnixMicro(backlog + 1)
	query, args, err := sqlstore.ClaimSQL("node", now, now.Add(time.Minute), 2)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var out string
	if err := tx.QueryRowContext(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+query, args...).Scan(&out); err != nil {
		t.Fatal(err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(out), &plans); err != nil || len(plans) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	var read float64
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.Relation == "executions" {
			read += n.Rows * n.Loops
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(plans[0].Plan)
	if read > 100 {
		t.Errorf("a claim of 2 read %.0f rows of executions with %d due:\n%s", read, backlog, out)
	}
}

type planNode struct {
	Relation string     `json:"Relation Name"`
	Rows     float64    `json:"Actual Rows"`
	Loops    float64    `json:"Actual Loops"`
	Plans    []planNode `json:"Plans"`
}

// TestClaimPlanSQLite: on SQLite each step that finds the accounts with due
// work (the first one, and the next after each) is a probe of the index by
// account, never a read of every due execution sorted by account (which
// the first step was: a third of the CPU of a bench with a backlog).
func TestClaimPlanSQLite(t *testing.T) {
	ctx := context.Background()
	db := migratedSQLite(t)
	for _, skip := range [][]string{nil, {"acc_full"}} {
		query, args, err := sqlstore.ClaimSQLite(skip)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		type step struct {
			id, parent int
			detail     string
		}
		var plan []step
		for rows.Next() {
			var st step
			var unused int
			if err := rows.Scan(&st.id, &st.parent, &unused, &st.detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, st)
		}
		rows.Close()
		var all []string
		for _, st := range plan {
			all = append(all, st.detail)
		}
		subqueries := 0
		for _, sub := range plan {
			if !strings.Contains(sub.detail, "SCALAR SUBQUERY") {
				continue
			}
			for _, st := range plan {
				if st.parent != sub.id {
					continue
				}
				if strings.Contains(st.detail, "TEMP B-TREE") || strings.HasPrefix(st.detail, "SEARCH executions") && !strings.Contains(st.detail, "executions_claim_account") {
					t.Errorf("skip %v: %s reads the backlog: %s\n%s", skip, sub.detail, st.detail, strings.Join(all, "\n"))
				}
			}
			subqueries++
		}
		if subqueries < 3 {
			t.Errorf("skip %v: %d scalar subqueries in the plan, want the first account, the next ones and the heads:\n%s", skip, subqueries, strings.Join(all, "\n"))
		}
	}
}
