package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

var executionCols = []string{"id", "account_id", "hook_id", "event_id", "trigger_type", "status",
	"attempts", "actions_executed", "error_message", "duration_ms", "context", "results", "exhausted",
	"depth", "seq", "action_cursor", "replay_of", "condition_result", "condition_error",
	"scheduled_for", "run_at", "created_at", "executed_at", "finished_at", "locked_by",
	"locked_until", "lease_token", "debug", "wait_for_completion",
	"ordering_key", "after_exec", "after_key", "note", "hook_version", "version_pinned", "debounce_key", "chained"}

var executionSelect = "SELECT " + cols("", executionCols) + " FROM executions"

func scanExecution(r rowScanner) (*hook.Execution, error) {
	var (
		x                               hook.Execution
		ctxJSON, results                string
		condResult                      sql.NullBool
		scheduled, executed, finished   sql.NullInt64
		lockedUntil                     sql.NullInt64
		runAt, created                  int64
		errMsg, condErr, lockedBy, repl string
	)
	if err := r.Scan(&x.ID, &x.AccountID, &x.HookID, &x.EventID, &x.TriggerType, &x.Status,
		&x.Attempts, &x.ActionsExecuted, &errMsg, &x.DurationMS, &ctxJSON, &results, &x.Exhausted,
		&x.Depth, &x.Seq, &x.Cursor, &repl, &condResult, &condErr,
		&scheduled, &runAt, &created, &executed, &finished, &lockedBy,
		&lockedUntil, &x.LeaseToken, &x.Debug, &x.WaitForCompletion,
		&x.OrderingKey, &x.AfterExec, &x.AfterKey, &x.Note, &x.HookVersion, &x.VersionPinned, &x.DebounceKey, &x.Chained); err != nil {
		return nil, err
	}
	var d jsonDec
	d.val("execution results", results, &x.Results)
	if d.err != nil {
		return nil, d.err
	}
	if ctxJSON != "" {
		c, err := hook.DecodeContext([]byte(ctxJSON))
		if err != nil {
			return nil, fmt.Errorf("decode execution context: %w", err)
		}
		x.Context = c
	}
	x.ErrorMessage, x.ConditionError, x.LockedBy, x.ReplayOf = errMsg, condErr, lockedBy, repl
	if condResult.Valid {
		b := condResult.Bool
		x.ConditionResult = &b
	}
	x.ScheduledFor, x.ExecutedAt, x.FinishedAt = fromNullUS(scheduled), fromNullUS(executed), fromNullUS(finished)
	x.LockedUntil = fromNullUS(lockedUntil)
	x.RunAt, x.CreatedAt = fromUS(runAt), fromUS(created)
	x.WaitingFor = waitingFor(&x)
	return &x, nil
}

// errAllNull: the row nullableAfter scanned had only NULLs after its
// first columns (a LEFT JOIN that matched nothing).
var errAllNull = errors.New("no row joined")

// nullableAfter scans a row whose first columns (lead) come before the
// columns of a row that may be missing (all NULL), into dest as it would a
// row of those alone; missing, Scan fills lead and reports errAllNull.
type nullableAfter struct {
	r    rowScanner
	lead any
}

func (n nullableAfter) Scan(dest ...any) error {
	vals := make([]nullable, len(dest))
	to := make([]any, 0, len(dest)+1)
	to = append(to, n.lead)
	for i := range vals {
		to = append(to, &vals[i])
	}
	if err := n.r.Scan(to...); err != nil {
		return err
	}
	if !slices.ContainsFunc(vals, func(v nullable) bool { return v.v != nil }) {
		return errAllNull
	}
	for i, v := range vals {
		if err := assign(dest[i], v.v); err != nil {
			return fmt.Errorf("column %d: %w", i+1, err)
		}
	}
	return nil
}

// nullable holds what a column held (nil for NULL).
type nullable struct{ v any }

func (n *nullable) Scan(src any) error {
	n.v = src
	return nil
}

// assign stores src, a column's value as a driver gives it (string or
// []byte, int64, bool), in dest: a sql.Scanner, or a pointer to a string,
// an integer or a bool (or a type made of one, as hook.VersionRef).
func assign(dest, src any) error {
	if d, ok := dest.(sql.Scanner); ok {
		return d.Scan(src)
	}
	if p := reflect.ValueOf(dest); p.Kind() == reflect.Pointer && !p.IsNil() {
		e := p.Elem()
		switch v := src.(type) {
		case string:
			if e.Kind() == reflect.String {
				e.SetString(v)
				return nil
			}
		case []byte:
			if e.Kind() == reflect.String {
				e.SetString(string(v))
				return nil
			}
		case int64:
			if e.CanInt() {
				e.SetInt(v)
				return nil
			}
		case bool:
			if e.Kind() == reflect.Bool {
				e.SetBool(v)
				return nil
			}
		}
	}
	return fmt.Errorf("cannot store %T in %T", src, dest)
}

func nullBool(b *bool) sql.NullBool {
	if b == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *b, Valid: true}
}

func executionArgs(x *hook.Execution) ([]any, error) {
	var e jsonEnc
	var ctxJSON string
	if x.ContextJSON != nil {
		ctxJSON = string(x.ContextJSON)
	} else {
		b, err := hook.EncodeContext(x.Context)
		if err != nil {
			return nil, fmt.Errorf("encode execution context: %w", err)
		}
		ctxJSON = string(b)
	}
	results := "[]"
	if x.Results == nil || len(x.Results) > 0 {
		results = e.str("execution results", x.Results)
	}
	if e.err != nil {
		return nil, e.err
	}
	return []any{x.ID, x.AccountID, x.HookID, x.EventID, x.TriggerType, x.Status,
		x.Attempts, x.ActionsExecuted, x.ErrorMessage, x.DurationMS, ctxJSON, results, x.Exhausted,
		x.Depth, x.Seq, x.Cursor, x.ReplayOf, nullBool(x.ConditionResult), x.ConditionError,
		usPtr(x.ScheduledFor), us(x.RunAt), us(x.CreatedAt), usPtr(x.ExecutedAt), usPtr(x.FinishedAt), x.LockedBy,
		usPtr(x.LockedUntil), x.LeaseToken, x.Debug, x.WaitForCompletion,
		x.OrderingKey, x.AfterExec, x.AfterKey, x.Note, x.HookVersion, x.VersionPinned, x.DebounceKey, x.Chained}, nil
}

// waitingFor is what an execution shows it waits for: the previous hook of
// its event first, else the previous execution of its ordering key.
func waitingFor(x *hook.Execution) string {
	if x.AfterExec != "" {
		return x.AfterExec
	}
	return x.AfterKey
}

// insertChunk bounds the rows of one multi-row INSERT.
const insertChunk = 32

// ExecutionInsert implements store.Querier: all of xs or none.
func (q *Q) ExecutionInsert(ctx context.Context, xs ...*hook.Execution) error {
	if len(xs) == 0 {
		return nil
	}
	args := make([]any, 0, len(xs)*len(executionCols))
	for _, x := range xs {
		a, err := executionArgs(x)
		if err != nil {
			return err
		}
		args = append(args, a...)
	}
	row := "(" + placeholders(len(executionCols)) + ")"
	insert := func(q *Q) error {
		for start := 0; start < len(xs); start += insertChunk {
			n := min(insertChunk, len(xs)-start)
			query := "INSERT INTO executions (" + cols("", executionCols) + ") VALUES " + row
			for range n - 1 {
				query += ", " + row
			}
			w := len(executionCols)
			if err := q.execLater(ctx, "insert execution "+xs[start].ID, query, args[start*w:(start+n)*w]...); err != nil {
				return err
			}
		}
		return nil
	}
	if len(xs) <= insertChunk {
		return q.write1(ctx, insert)
	}
	return q.write(ctx, insert)
}

// ExecutionGet implements store.Querier.
func (q *Q) ExecutionGet(ctx context.Context, id string) (*hook.Execution, error) {
	x, err := scanExecution(q.queryRow(ctx, executionSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, q.fail("execution "+id, err)
	}
	return x, nil
}

// ExecutionList implements store.Querier: newest first. Since and Until
// bound created_at (Since inclusive, Until exclusive).
func (q *Q) ExecutionList(ctx context.Context, f store.ExecutionFilter) ([]*hook.Execution, error) {
	var w where
	w.in("account_id", f.AccountIDs)
	if f.HookID != "" {
		w.add("hook_id = ?", f.HookID)
	}
	if f.EventID != "" {
		w.add("event_id = ?", f.EventID)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.TriggerType != "" {
		w.add("trigger_type = ?", f.TriggerType)
	}
	if f.Exhausted != nil {
		w.add("exhausted = ?", *f.Exhausted)
	}
	if f.Since != nil {
		w.add("created_at >= ?", us(*f.Since))
	}
	if f.Until != nil {
		w.add("created_at < ?", us(*f.Until))
	}
	if f.Cursor != "" {
		w.add("id < ?", f.Cursor)
	}
	return collect(ctx, q, "list executions", scanExecution,
		executionSelect+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, limitOf(f.Page))...)
}

// ExecutionHookStats implements store.Querier.
func (q *Q) ExecutionHookStats(ctx context.Context, accountIDs []string, since time.Time) ([]store.HookStat, error) {
	var w where
	w.add("created_at >= ?", us(since))
	w.in("account_id", accountIDs)
	const timed = `status NOT IN ('pending', 'running', 'cancelled')`
	return collect(ctx, q, "hook stats", func(r rowScanner) (store.HookStat, error) {
		var h store.HookStat
		err := r.Scan(&h.HookID, &h.Runs, &h.Failures, &h.Timed, &h.TotalMS, &h.MaxMS)
		return h, err
	}, `SELECT hook_id, COUNT(*),
			CAST(SUM(CASE WHEN status IN ('failed', 'partial') THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN `+timed+` THEN 1 ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN `+timed+` THEN duration_ms ELSE 0 END) AS BIGINT),
			CAST(MAX(CASE WHEN `+timed+` THEN duration_ms ELSE 0 END) AS BIGINT)
		FROM executions`+w.String()+` GROUP BY hook_id ORDER BY hook_id`, w.args...)
}

// ExecutionStats implements store.Querier. Buckets without executions are
// left out; the others come in time order.
func (q *Q) ExecutionStats(ctx context.Context, accountIDs []string, since time.Time, step time.Duration) ([]store.StatBucket, error) {
	stepUS := step.Microseconds()
	if stepUS <= 0 {
		return nil, errors.New("execution stats: step must be at least 1µs")
	}
	var w where
	w.add("created_at >= ?", us(since))
	w.in("account_id", accountIDs)
	args := append([]any{us(since), stepUS}, w.args...)
	rows, err := q.query(ctx, `SELECT (created_at - ?) / ? AS bucket, status, COUNT(*) FROM executions`+
		w.String()+` GROUP BY 1, 2 ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, q.fail("execution stats", err)
	}
	defer rows.Close()
	var out []store.StatBucket
	last := int64(-1)
	for rows.Next() {
		var (
			bucket int64
			status string
			n      int
		)
		if err := rows.Scan(&bucket, &status, &n); err != nil {
			return nil, q.fail("execution stats", err)
		}
		if bucket != last {
			last = bucket
			out = append(out, store.StatBucket{
				Start:    fromUS(us(since) + bucket*stepUS),
				ByStatus: map[string]int{},
			})
		}
		out[len(out)-1].ByStatus[status] = n
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail("execution stats", err)
	}
	return out, nil
}
