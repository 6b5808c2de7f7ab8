package sqlstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// ExecutionClaim implements store.Querier. One statement picks the due
// pending rows (oldest run_at first; SKIP LOCKED on PostgreSQL) and leases
// them; the rows come back ordered by (run_at, id).
func (q *Q) ExecutionClaim(ctx context.Context, node string, now, leaseUntil time.Time, limit int) ([]*hook.Execution, error) {
	if limit <= 0 {
		return nil, nil
	}
	token := rand.Text()
	var (
		query string
		args  []any
	)
	if q.d.SkipLocked {
		query = `WITH picked AS MATERIALIZED (SELECT id FROM executions
				WHERE status = 'pending' AND run_at <= ? ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
			UPDATE executions e SET status = 'running', locked_by = ?, locked_until = ?, lease_token = ?,
				attempts = e.attempts + 1, executed_at = COALESCE(e.executed_at, ?)
			FROM picked WHERE e.id = picked.id
			RETURNING ` + cols("e.", executionCols)
		args = []any{us(now), limit, node, us(leaseUntil), token, us(now)}
	} else {
		query = `UPDATE executions SET status = 'running', locked_by = ?, locked_until = ?, lease_token = ?,
				attempts = attempts + 1, executed_at = COALESCE(executed_at, ?)
			WHERE id IN (SELECT id FROM executions WHERE status = 'pending' AND run_at <= ?
				ORDER BY run_at, id LIMIT ?)
			RETURNING ` + cols("", executionCols)
		args = []any{node, us(leaseUntil), token, us(now), us(now), limit}
	}
	var xs []*hook.Execution
	err := q.write1(ctx, func(q *Q) error {
		var err error
		xs, err = collect(ctx, q, "claim executions", scanExecution, query, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(xs, func(a, b *hook.Execution) int {
		return cmp.Or(a.RunAt.Compare(b.RunAt), cmp.Compare(a.ID, b.ID))
	})
	return xs, nil
}

// ExecutionSave implements store.Querier. It writes status, results,
// cursor, run_at, attempts, actions_executed, duration, executed_at,
// finished_at, error, exhausted and the condition outcome; not the context.
func (q *Q) ExecutionSave(ctx context.Context, x *hook.Execution) error {
	if x.LeaseToken == "" {
		return fmt.Errorf("save execution %s: no lease token: %w", x.ID, store.ErrLeaseLost)
	}
	results, err := toJSON("execution results", x.Results)
	if err != nil {
		return err
	}
	release := x.Status != hook.StatusRunning
	lock := ""
	if release {
		lock = ", locked_by = '', locked_until = NULL"
	}
	var n int64
	err = q.write1(ctx, func(q *Q) error {
		var err error
		n, err = q.execN(ctx, `UPDATE executions SET status = ?, results = ?, action_cursor = ?, run_at = ?,
			attempts = ?, actions_executed = ?, duration_ms = ?, executed_at = ?, finished_at = ?,
			error_message = ?, exhausted = ?, condition_result = ?, condition_error = ?`+lock+`
			WHERE id = ? AND lease_token = ?`,
			x.Status, results, x.Cursor, us(x.RunAt), x.Attempts, x.ActionsExecuted, x.DurationMS,
			usPtr(x.ExecutedAt), usPtr(x.FinishedAt), x.ErrorMessage, x.Exhausted,
			nullBool(x.ConditionResult), x.ConditionError, x.ID, x.LeaseToken)
		return q.fail("save execution "+x.ID, err)
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("save execution %s: %w", x.ID, store.ErrLeaseLost)
	}
	if release {
		x.LockedBy, x.LockedUntil = "", nil
	}
	return nil
}

// ExecutionExtend implements store.Querier. Executions the node no longer
// holds are left alone (their next save reports ErrLeaseLost).
func (q *Q) ExecutionExtend(ctx context.Context, node string, ids []string, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return q.write1(ctx, func(q *Q) error {
		var w where
		w.add("status = 'running'")
		w.add("locked_by = ?", node)
		w.in("id", ids)
		_, err := q.exec(ctx, `UPDATE executions SET locked_until = ?`+w.String(), append([]any{us(until)}, w.args...)...)
		return q.fail("extend leases", err)
	})
}

// ExecutionRescue implements store.Querier. A rescued execution is due when
// its lease ended (before now, so at once; a caller taking everything back
// with a far-future now does not push it into that future). The lease token
// is cleared so the node that lost the lease cannot save any more.
func (q *Q) ExecutionRescue(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := q.write1(ctx, func(q *Q) error {
		var err error
		n, err = q.execN(ctx, `UPDATE executions SET status = 'pending', run_at = locked_until, locked_by = '',
			locked_until = NULL, lease_token = '' WHERE status = 'running' AND locked_until < ?`, us(now))
		return q.fail("rescue executions", err)
	})
	return int(n), err
}

// ExecutionNextRunAt implements store.Querier.
func (q *Q) ExecutionNextRunAt(ctx context.Context) (time.Time, bool, error) {
	var v int64
	err := q.queryRow(ctx, `SELECT run_at FROM executions WHERE status = 'pending' ORDER BY run_at LIMIT 1`).Scan(&v)
	if err != nil {
		if err = q.fail("next run", err); errors.Is(err, store.ErrNotFound) {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, err
	}
	return fromUS(v), true, nil
}

// pruneBatch bounds the rows one prune transaction deletes at top level, so
// other writers get their turn.
const pruneBatch = 2000

// ExecutionPrune implements store.Querier. Finished executions (status
// neither pending nor running) whose finished_at, or created_at when unset,
// is before t go; then events older than t left without executions (their
// field claims with them), and schedule slots before t. Outside a
// transaction it deletes in batches of separate transactions.
func (q *Q) ExecutionPrune(ctx context.Context, before time.Time) (int, error) {
	t := us(before)
	limit := ""
	args := []any{t}
	if !q.inTx {
		limit = " LIMIT ?"
		args = append(args, pruneBatch)
	}
	steps := []struct{ what, query string }{
		{"prune executions", `DELETE FROM executions WHERE id IN (SELECT id FROM executions
			WHERE status NOT IN ('pending', 'running') AND COALESCE(finished_at, created_at) < ?` + limit + `)`},
		{"prune events", `DELETE FROM events WHERE id IN (SELECT id FROM events e WHERE e.occurred_at < ?
			AND NOT EXISTS (SELECT 1 FROM executions x WHERE x.event_id = e.id)` + limit + `)`},
		{"prune schedule slots", `DELETE FROM schedule_slots WHERE slot < ?`},
	}
	total := 0
	for i, s := range steps {
		a := args
		if i == 2 {
			a = args[:1]
		}
		for {
			var n int64
			err := q.write1(ctx, func(q *Q) error {
				var err error
				n, err = q.execN(ctx, s.query, a...)
				return q.fail(s.what, err)
			})
			if err != nil {
				return total, err
			}
			if i == 0 {
				total += int(n)
			}
			if q.inTx || i == 2 || n < pruneBatch {
				break
			}
			if err := ctx.Err(); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}
