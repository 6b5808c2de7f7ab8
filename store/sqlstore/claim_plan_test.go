package sqlstore_test

import (
	"context"
	"encoding/json"
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
