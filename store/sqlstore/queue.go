package sqlstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// claimWindow is how many of the oldest due executions a claim looks at
// for each one it takes, beside the oldest due execution of every account.
const claimWindow = 4

// claimAccounts bounds the accounts whose oldest due execution a claim
// looks at beside the window.
const claimAccounts = 256

// ExecutionClaim implements store.Querier. It looks at the oldest due
// pending rows and at the oldest due row of each account (found by a loose
// index scan over the accounts with due work), takes from them the accounts
// in turn (each account's oldest first, then each one's second…), so that
// one account's backlog never shuts another's executions out (SPEC §12),
// and leases them (SKIP LOCKED on PostgreSQL). The rows come back ordered
// by (run_at, id).
func (q *Q) ExecutionClaim(ctx context.Context, node string, now, leaseUntil time.Time, limit int, skip ...string) ([]*hook.Execution, error) {
	if limit <= 0 {
		return nil, nil
	}
	query, args, err := claimSQL(q.d.SkipLocked, node, now, leaseUntil, limit, skip)
	if err != nil {
		return nil, err
	}
	var xs []*hook.Execution
	err = q.write1(ctx, func(q *Q) error {
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

// claimSQL is the statement of ExecutionClaim and its arguments.
func claimSQL(skipLocked bool, node string, now, leaseUntil time.Time, limit int, skip []string) (string, []any, error) {
	token := rand.Text()
	// due is the condition on an execution that may be claimed now, its
	// columns prefixed with p.
	var notIn string
	if len(skip) > 0 {
		// The accounts to skip go into each use of due as literals: they are
		// ids, checked here to hold only letters, digits and _.
		var quoted []string
		for _, a := range skip {
			if a == "" || strings.IndexFunc(a, func(r rune) bool {
				return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
			}) >= 0 {
				return "", nil, fmt.Errorf("claim executions: not an account id: %q", a)
			}
			quoted = append(quoted, "'"+a+"'")
		}
		notIn = strings.Join(quoted, ", ")
	}
	dueOn := func(p string) string {
		c := p + `status = 'pending' AND ` + p + `after_exec = '' AND ` + p + `after_key = '' AND ` + p + `run_at <= ?`
		if notIn != "" {
			c += ` AND ` + p + `account_id NOT IN (` + notIn + `)`
		}
		return c
	}
	due := dueOn("")
	var t any = us(now)
	// Every step is an index probe that reads a row or a few, whatever the
	// backlog, also as PostgreSQL plans it without statistics of a table
	// that grew fast (where partial indexes look nearly empty): the
	// accounts with due work by "ORDER BY account_id LIMIT 1", not
	// MIN(account_id), which it computed by reading every due execution;
	// each account's head found with its columns (LATERAL), not joined
	// back to executions, which it did by a sequential scan.
	// The first account is looked for "account_id > ''" like the next
	// ones: without a range on account_id SQLite read every due execution
	// through executions_pending and sorted them by account.
	// TestClaimReadsNoBacklog and TestClaimPlanSQLite check the plans.
	heads := `heads AS (SELECT h.id, h.account_id, h.run_at FROM accts, LATERAL (SELECT id, account_id, run_at FROM executions
			WHERE account_id = accts.a AND ` + due + ` ORDER BY run_at, id LIMIT 1) h WHERE accts.a IS NOT NULL LIMIT ?)`
	// The limits that vary from claim to claim are "(SELECT ?)" on SQLite:
	// it looks at a bound LIMIT while planning and so prepared the whole
	// statement again whenever the number of idle workers changed (a
	// quarter of the claim's cost under load; BenchmarkClaimBacklog in
	// store/sqlite).
	limitVar := "?"
	if !skipLocked { // SQLite, which has no LATERAL
		heads = `heads AS (SELECT e.id, e.account_id, e.run_at FROM executions e JOIN (SELECT (SELECT id FROM executions
			WHERE account_id = accts.a AND ` + due + ` ORDER BY run_at, id LIMIT 1) AS id FROM accts WHERE accts.a IS NOT NULL LIMIT ?) h ON e.id = h.id)`
		limitVar = "(SELECT ?)"
	}
	pick := `WITH RECURSIVE accts(a) AS (
			SELECT (SELECT account_id FROM executions WHERE ` + due + ` AND account_id > '' ORDER BY account_id LIMIT 1)
			UNION ALL
			SELECT (SELECT account_id FROM executions WHERE ` + due + ` AND account_id > accts.a ORDER BY account_id LIMIT 1)
			FROM accts WHERE accts.a IS NOT NULL),
		` + heads + `,
		cand AS (SELECT id, account_id, run_at FROM (SELECT id, account_id, run_at FROM executions WHERE ` + due + `
				ORDER BY run_at, id LIMIT ` + limitVar + `) oldest
			UNION SELECT id, account_id, run_at FROM heads),
		picked AS (SELECT id FROM (SELECT id, run_at, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY run_at, id) AS turn
			FROM cand) ranked ORDER BY turn, run_at, id LIMIT ` + limitVar + `)`
	pickArgs := []any{t, t, t, claimAccounts, t, limit * claimWindow, limit}
	var query string
	var args []any
	if skipLocked {
		// The picked rows are locked by their primary key, and only then
		// checked to be still due (FOR UPDATE returns their newest version):
		// with the check inside, PostgreSQL may instead read the whole
		// backlog through a partial index that looks small without fresh
		// statistics.
		query = pick + `,
			locked AS MATERIALIZED (SELECT id, account_id, status, after_exec, after_key, run_at FROM executions
				WHERE id IN (SELECT id FROM picked) FOR UPDATE SKIP LOCKED)
			UPDATE executions e SET status = 'running', locked_by = ?, locked_until = ?, lease_token = ?,
				attempts = e.attempts + 1, executed_at = COALESCE(e.executed_at, ?)
			FROM locked WHERE e.id = locked.id AND ` + dueOn("locked.") + `
			RETURNING ` + cols("e.", executionCols)
		args = append(pickArgs, node, us(leaseUntil), token, t, t)
	} else {
		query = pick + `
			UPDATE executions SET status = 'running', locked_by = ?, locked_until = ?, lease_token = ?,
				attempts = attempts + 1, executed_at = COALESCE(executed_at, ?)
			WHERE id IN (SELECT id FROM picked)
			RETURNING ` + cols("", executionCols)
		args = append(pickArgs, node, us(leaseUntil), token, t)
	}
	return query, args, nil
}

// ExecutionSave implements store.Querier. It writes status, results,
// cursor, run_at, attempts, actions_executed, duration, executed_at,
// finished_at, error, exhausted, the condition outcome and the hook version
// run; not the context.
// A final status also releases the executions that wait for x, and leases
// one of them that is now due to lease.Node (see store.Querier).
func (q *Q) ExecutionSave(ctx context.Context, x *hook.Execution, lease *store.Lease) (*hook.Execution, error) {
	if x.LeaseToken == "" {
		return nil, fmt.Errorf("save execution %s: no lease token: %w", x.ID, store.ErrLeaseLost)
	}
	results, err := toJSON("execution results", x.Results)
	if err != nil {
		return nil, err
	}
	release := x.Status != hook.StatusRunning
	lock := ""
	if release {
		lock = ", locked_by = '', locked_until = NULL"
	}
	update := `UPDATE executions SET status = ?, results = ?, action_cursor = ?, run_at = ?,
			attempts = ?, actions_executed = ?, duration_ms = ?, executed_at = ?, finished_at = ?,
			error_message = ?, exhausted = ?, condition_result = ?, condition_error = ?, note = ?,
			hook_version = ?` + lock + `
			WHERE id = ? AND lease_token = ?`
	args := []any{x.Status, results, x.Cursor, us(x.RunAt), x.Attempts, x.ActionsExecuted, x.DurationMS,
		usPtr(x.ExecutedAt), usPtr(x.FinishedAt), x.ErrorMessage, x.Exhausted,
		nullBool(x.ConditionResult), x.ConditionError, x.Note, x.HookVersion, x.ID, x.LeaseToken}
	save := func(q *Q) error {
		n, err := q.execN(ctx, update, args...)
		if err != nil {
			return q.fail("save execution "+x.ID, err)
		}
		if n == 0 {
			return fmt.Errorf("save execution %s: %w", x.ID, store.ErrLeaseLost)
		}
		return nil
	}
	// Only an execution that others may wait for looks for them: one with
	// an ordering key, or one another hook of its event was planned behind.
	holds := x.Chained || x.OrderingKey != ""
	var next *hook.Execution
	switch {
	case !x.Done():
		err = q.write1(ctx, save)
	case q.d.WritableCTE && !q.inTx:
		next, err = q.saveFinal(ctx, x, update, args, lease, holds)
	default:
		err = q.write(ctx, func(q *Q) error {
			next = nil
			if x.OrderingKey != "" {
				// A transaction adding an execution behind x under this
				// key holds the key's lock until it commits: wait for it,
				// so that the release below sees the new row.
				if err := q.lockOrderingKey(ctx, x.HookID, x.OrderingKey); err != nil {
					return err
				}
			}
			if err := save(q); err != nil {
				return err
			}
			if query, args := healthSQL(x); query != "" {
				if err := q.execLater(ctx, "record the health of hook "+x.HookID, query, args...); err != nil {
					return err
				}
			}
			if !holds {
				return nil
			}
			var err error
			next, err = q.releaseWaiting(ctx, x.ID, lease)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	if release {
		x.LockedBy, x.LockedUntil = "", nil
	}
	return next, nil
}

// healthSQL is what a final save of x writes to its hook's health (SPEC
// §12), with its arguments: a success clears the hook's failing_since, a
// failure (failed or partial) sets it unless set (skipped and cancelled
// runs say nothing of the endpoint); "" when nothing. A hook deleted
// meanwhile gets no row (a plain read of hooks: no lock).
func healthSQL(x *hook.Execution) (string, []any) {
	switch x.Status {
	case hook.StatusSuccess:
		return `DELETE FROM hook_health WHERE hook_id = ?`, []any{x.HookID}
	case hook.StatusFailed, hook.StatusPartial:
		at := x.CreatedAt
		if x.FinishedAt != nil {
			at = *x.FinishedAt
		}
		return `INSERT INTO hook_health (hook_id, failing_since) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM hooks WHERE id = ?)
			ON CONFLICT (hook_id) DO NOTHING`, []any{x.HookID, us(at), x.HookID}
	}
	return "", nil
}

// Lookups by after_exec, after_key, ordering_key and debounce_key are
// written "col <> ” AND col = (SELECT ?)", and neither term is redundant.
// Their indexes are partial (WHERE col <> ”): the first term lets the
// planner use them without knowing the bound value (a generic PostgreSQL
// plan cannot, nor SQLite without it: every final save scanned the whole
// executions table). The subselect keeps SQLite from looking at the bound
// value to prove the index usable, which makes it re-prepare the statement
// at every new value (a quarter of the server CPU at saturation).
// TestHotQueriesUseIndexes checks the plans on both databases.
const (
	// waitersOf: the pending executions that wait for an id (bound twice).
	waitersOf = `WHERE status = 'pending' AND ((after_exec <> '' AND after_exec = (SELECT ?)) OR (after_key <> '' AND after_key = (SELECT ?)))`
	// passOnWaitsSQL makes what waited for an id wait for what it waited for.
	passOnWaitsSQL = `UPDATE executions SET after_exec = CASE WHEN after_exec = ? THEN ? ELSE after_exec END,
			after_key = CASE WHEN after_key = ? THEN ? ELSE after_key END
		` + waitersOf + `
		RETURNING after_exec, after_key`
	// behindTailSQL puts an execution just inserted behind its key's
	// tail, when there is one (bound: the tail's arguments, attempts and
	// executed_at as planned, the id, the tail's arguments again): it goes
	// in waiting, no longer leased. It returns the tail, or no row.
	behindTailSQL = `UPDATE executions SET after_key = (` + tailOf + `), status = 'pending', locked_by = '',
			locked_until = NULL, lease_token = '', attempts = ?, executed_at = ?
		WHERE id = ? AND EXISTS (` + tailOf + `)
		RETURNING after_key`
	// tailOf finds the unfinished execution of a hook's ordering key that
	// no other waits for, but one (bound: hook id, key, the one).
	tailOf = `SELECT id FROM executions x WHERE ordering_key <> '' AND hook_id = ? AND ordering_key = (SELECT ?)
			AND status IN ('pending', 'running') AND id <> (SELECT ?)
			AND NOT EXISTS (SELECT 1 FROM executions y WHERE y.after_key <> '' AND y.after_key = x.id)
			ORDER BY id DESC LIMIT 1`
	// supersedeSQL skips a debounce key's pending executions but one.
	supersedeSQL = `UPDATE executions SET status = 'skipped', finished_at = ?, note = ?
		WHERE debounce_key <> '' AND hook_id = ? AND debounce_key = (SELECT ?) AND status = 'pending' AND attempts = 0 AND id <> ?
		RETURNING id, after_exec, after_key`
)

// releaseSQL clears the waits on an id and, in the same statement, leases
// the first (by id) of the executions it frees that is due to a node (none
// when the node is ""): the freed execution does not enter the claimers'
// indexes only to leave them again. Bound: id four times, now and the node
// (the one to lease); id twice (the releases); node, lease end, token and
// now (the lease); id twice (which rows). It returns the rows it changed,
// whole.
var releaseSQL = `WITH ` + releaseFirstCTE + `
		UPDATE executions SET ` + releaseSet + `
		` + waitersOf + `
		RETURNING ` + cols("", executionCols)

// releaseFirstCTE picks "first", the execution a release leases (see
// releaseSQL; bound: id four times, now and the node, none when "").
const releaseFirstCTE = `first AS (SELECT MIN(id) AS id FROM executions
			` + waitersOf + `
			AND (after_exec = '' OR after_exec = (SELECT ?)) AND (after_key = '' OR after_key = (SELECT ?)) AND run_at <= ?
			AND CAST(? AS TEXT) <> '')`

// releaseSet clears the waits on an id and leases "first" (bound: id
// twice; node, lease end, token and now).
const releaseSet = `after_exec = CASE WHEN after_exec = ? THEN '' ELSE after_exec END,
			after_key = CASE WHEN after_key = ? THEN '' ELSE after_key END,
			status = CASE WHEN id = (SELECT id FROM first) THEN 'running' ELSE status END,
			locked_by = CASE WHEN id = (SELECT id FROM first) THEN ? ELSE locked_by END,
			locked_until = CASE WHEN id = (SELECT id FROM first) THEN ? ELSE locked_until END,
			lease_token = CASE WHEN id = (SELECT id FROM first) THEN ? ELSE lease_token END,
			attempts = CASE WHEN id = (SELECT id FROM first) THEN attempts + 1 ELSE attempts END,
			executed_at = CASE WHEN id = (SELECT id FROM first) THEN COALESCE(executed_at, ?) ELSE executed_at END`

// leasedWith says a row a release returned is the one it leased with token
// ("" when it leased none).
func leasedWith(token, leaseToken, status string) bool {
	return token != "" && leaseToken == token && status == hook.StatusRunning
}

// releaseArgs are releaseSQL's arguments after the id's first four (see
// releaseFirstCTE and releaseSet), for a release by id that leases to lease
// (none when nil), with the token it gives.
func releaseArgs(id string, lease *store.Lease) (args []any, token string) {
	var node string
	var now, until int64
	if lease != nil {
		node, token, now, until = lease.Node, rand.Text(), us(lease.Now), us(lease.Until)
	}
	return []any{now, node, id, id, node, until, token, now}, token
}

// releaseWaiting clears the waits on id of the executions behind it. Of
// those now free to run, the first (by id) is leased to lease.Node when
// lease is set and returned; the others are announced to the claimers.
func (q *Q) releaseWaiting(ctx context.Context, id string, lease *store.Lease) (*hook.Execution, error) {
	rest, token := releaseArgs(id, lease)
	xs, err := collect(ctx, q, "release executions waiting for "+id, scanExecution, releaseSQL,
		append(append([]any{id, id, id, id}, rest...), id, id)...)
	if err != nil {
		return nil, err
	}
	return q.handOver(ctx, xs, token)
}

// saveFinalSQL is update (a final save, RETURNING nothing) followed by the
// release of the executions waiting for it, which leases the first of them
// that is due to the saving node as releaseSQL does (bound after update's
// arguments as releaseSQL is), and more (further CTEs, bound after those),
// in one statement: it answers the count of rows saved (0: the lease was
// lost) beside each execution released, whole (NULLs when none was).
// Without release it only saves (and runs more), answering the count.
func saveFinalSQL(update, more string, release bool) string {
	if !release {
		return `WITH saved AS (` + update + ` RETURNING id)` + more + `
			SELECT (SELECT COUNT(*) FROM saved)`
	}
	return `WITH saved AS (` + update + ` RETURNING id), ` + releaseFirstCTE + `,
			freed AS (UPDATE executions SET ` + releaseSet + `
				` + waitersOf + ` AND EXISTS (SELECT 1 FROM saved)
				RETURNING ` + cols("", executionCols) + `)` + more + `
			SELECT (SELECT COUNT(*) FROM saved), ` + cols("f.", executionCols) + `
			FROM (SELECT 1) AS one LEFT JOIN freed f ON true`
}

// saveFinal is a final save outside a transaction on PostgreSQL: the save
// and, when others may wait for x (release), the release of the executions
// waiting for it are one statement (one round trip instead of four), sent
// with the final saves of other workers when the driver groups them, under
// the lock of x's ordering key if it has one. It answers the executions it
// released whole, so that the one it leased is handed over without another
// round trip.
func (q *Q) saveFinal(ctx context.Context, x *hook.Execution, update string, args []any, lease *store.Lease, release bool) (*hook.Execution, error) {
	var freed []*hook.Execution
	saved := false
	query := saveFinalSQL(update, "", release)
	token := ""
	if release {
		var rest []any
		rest, token = releaseArgs(x.ID, lease)
		args = append(append(append(args, x.ID, x.ID, x.ID, x.ID), rest...), x.ID, x.ID)
	}
	if hq, hargs := healthSQL(x); hq != "" {
		// The hook's health in the same statement: executed whether or not
		// it is referenced; only when the save took place.
		if x.Status == hook.StatusSuccess {
			hq += ` AND EXISTS (SELECT 1 FROM saved)`
		} else {
			hq = strings.Replace(hq, "WHERE EXISTS", "WHERE EXISTS (SELECT 1 FROM saved) AND EXISTS", 1)
		}
		query = saveFinalSQL(update, `, health AS (`+hq+`)`, release)
		args = append(args, hargs...)
	}
	read := func(r Rows) error {
		freed, saved = nil, false
		for r.Next() {
			var n int
			if !release {
				if err := r.Scan(&n); err != nil {
					return err
				}
				saved = n > 0
				continue
			}
			x, err := scanExecution(nullableAfter{r, &n})
			if err != nil && !errors.Is(err, errAllNull) {
				return err
			}
			saved = n > 0
			if x != nil {
				freed = append(freed, x)
			}
		}
		return r.Err()
	}
	// With an ordering key, the save holds the key's lock, as a
	// transaction adding an execution behind x does until it commits: the
	// release sees every row added behind x.
	lock := ""
	if x.OrderingKey != "" {
		lock = orderingLock(x.HookID, x.OrderingKey)
	}
	var err error
	if q.group != nil {
		err = q.fail("save execution "+x.ID, q.group.Group(ctx, lock, q.d.rebind(query), args, read))
		q.health.Note(err)
	} else {
		err = q.write1(ctx, func(q *Q) error {
			if lock != "" {
				if err := q.lockOrderingKey(ctx, x.HookID, x.OrderingKey); err != nil {
					return err
				}
			}
			r, err := q.query(ctx, query, args...)
			if err != nil {
				return q.fail("save execution "+x.ID, err)
			}
			defer r.Close()
			return q.fail("save execution "+x.ID, read(r))
		})
	}
	if err != nil {
		return nil, err
	}
	if !saved {
		return nil, fmt.Errorf("save execution %s: %w", x.ID, store.ErrLeaseLost)
	}
	return q.handOver(ctx, freed, token)
}

// handOver follows a release: the execution it leased (to the saving
// node, in the same statement) is returned, to run next on the saving
// worker; the others now free are announced to the claimers.
func (q *Q) handOver(ctx context.Context, freed []*hook.Execution, token string) (*hook.Execution, error) {
	var next *hook.Execution
	announce := false
	for _, x := range freed {
		switch {
		case leasedWith(token, x.LeaseToken, x.Status):
			next = x
		case !x.Waiting():
			announce = true
		}
	}
	if announce {
		if err := q.Notify(ctx, store.TopicExecutions, ""); err != nil {
			return next, err
		}
	}
	return next, nil
}

// lockOrderingKey serializes, until the transaction ends, the writers of
// one hook's ordering key: those adding an execution behind its tail and
// those releasing the tail. SQLite has one writer already.
func (q *Q) lockOrderingKey(ctx context.Context, hookID, key string) error {
	if !q.d.AdvisoryLocks {
		return nil
	}
	// Sent with the statement that follows it (a transaction's writes are
	// deferred on PostgreSQL), which runs only once the lock is held: one
	// round trip for both.
	return q.execLater(ctx, "lock ordering key", AdvisoryLockSQL, orderingLock(hookID, key))
}

// orderingLock is the advisory lock's key of a hook's ordering key.
func orderingLock(hookID, key string) string { return hookID + " " + key }

// ExecutionInsertKeyed implements store.Querier: x goes in as it is, and a
// second statement, once the key is held, puts it behind the key's tail.
// On PostgreSQL both wait for the commit, the lock too when nothing was
// sent yet (the commit group takes it first): no round trip of their own.
func (q *Q) ExecutionInsertKeyed(ctx context.Context, x, planned *hook.Execution, placed func(afterKey string)) error {
	if !q.inTx {
		return errors.New("insert keyed execution: must run inside a transaction")
	}
	if err := q.ExecutionInsert(ctx, x); err != nil {
		return err
	}
	args := []any{x.HookID, x.OrderingKey, x.ID, planned.Attempts, usPtr(planned.ExecutedAt), x.ID, x.HookID, x.OrderingKey, x.ID}
	read := func(r Rows) error {
		tail := ""
		for r.Next() {
			if err := r.Scan(&tail); err != nil {
				return err
			}
		}
		if err := r.Err(); err != nil {
			return err
		}
		placed(tail)
		return nil
	}
	what := "place execution " + x.ID + " behind its ordering key"
	if d, ok := q.db.(Deferrer); ok {
		d.DeferLocked(orderingLock(x.HookID, x.OrderingKey), q.d.rebind(behindTailSQL), args, read,
			func(err error) error { return q.fail(what, err) })
		return nil
	}
	if err := q.lockOrderingKey(ctx, x.HookID, x.OrderingKey); err != nil {
		return err
	}
	r, err := q.query(ctx, behindTailSQL, args...)
	if err != nil {
		return q.fail(what, err)
	}
	defer r.Close()
	return q.fail(what, read(r))
}

// ExecutionSupersede implements store.Querier.
func (q *Q) ExecutionSupersede(ctx context.Context, hookID, key, except, note string, now time.Time) (int, error) {
	if !q.inTx {
		return 0, errors.New("supersede: must run inside a transaction")
	}
	if err := q.lockOrderingKey(ctx, hookID, "debounce "+key); err != nil {
		return 0, err
	}
	type gone struct{ id, afterExec, afterKey string }
	rows, err := collect(ctx, q, "supersede debounced executions", func(r rowScanner) (gone, error) {
		var g gone
		return g, r.Scan(&g.id, &g.afterExec, &g.afterKey)
	}, supersedeSQL, us(now), note, hookID, key, except)
	if err != nil {
		return 0, err
	}
	freed := false
	for _, g := range rows {
		// What waited for a skipped execution waits for what it waited for
		// (the hook before it may still be running).
		waits, err := collect(ctx, q, "pass on the waits of "+g.id, func(r rowScanner) (bool, error) {
			var ae, ak string
			err := r.Scan(&ae, &ak)
			return ae == "" && ak == "", err
		}, passOnWaitsSQL, g.id, g.afterExec, g.id, g.afterKey, g.id, g.id)
		if err != nil {
			return 0, err
		}
		freed = freed || slices.Contains(waits, true)
	}
	if freed {
		if err := q.Notify(ctx, store.TopicExecutions, ""); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// ExecutionReleaseStale implements store.Querier.
func (q *Q) ExecutionReleaseStale(ctx context.Context, heldSince time.Time, hold string) (int, error) {
	var total int64
	err := q.write(ctx, func(q *Q) error {
		total = 0
		for _, col := range []string{"after_exec", "after_key"} {
			// Waits on an execution that is final (a release that could
			// not see this row) or gone (its account was deleted).
			n, err := q.execN(ctx, `UPDATE executions SET `+col+` = '' WHERE status = 'pending' AND `+col+` <> ''
				AND NOT EXISTS (SELECT 1 FROM executions p WHERE p.id = executions.`+col+`
					AND p.status IN ('pending', 'running'))`)
			if err != nil {
				return q.fail("release stale waits", err)
			}
			total += n
			// Waits on an execution that has been retrying longer than the hold.
			n, err = q.execN(ctx, `UPDATE executions SET note = CAST(? AS TEXT) || `+col+` || CAST(? AS TEXT), `+col+` = ''
				WHERE status = 'pending' AND `+col+` <> ''
				AND EXISTS (SELECT 1 FROM executions p WHERE p.id = executions.`+col+`
					AND p.status = 'pending' AND p.executed_at IS NOT NULL AND p.executed_at < ?)`,
				"went ahead without ", " (still not final when the ordering hold of "+hold+" ran out: retrying or waiting)", us(heldSince))
			if err != nil {
				return q.fail("release held waits", err)
			}
			total += n
		}
		if total > 0 {
			return q.Notify(ctx, store.TopicExecutions, "")
		}
		return nil
	})
	return int(total), err
}

// ExecutionExtend implements store.Querier. Executions the node no longer
// holds are left alone (their next save reports ErrLeaseLost). On
// PostgreSQL, rows another transaction has locked are skipped rather than
// waited for: they are being saved (final saves of this node, committed in
// groups), and waiting for them while holding the rows already extended
// deadlocked with a group saving those in the other order (one second lost
// to deadlock detection each time). A skipped lease is extended by the
// next heartbeat if it is still needed.
func (q *Q) ExecutionExtend(ctx context.Context, node string, ids []string, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return q.write1(ctx, func(q *Q) error {
		if q.d.SkipLocked {
			// One statement text whatever the number of ids (an IN list
			// of its own length was a statement to prepare and plan at
			// nearly every heartbeat).
			_, err := q.exec(ctx, extendSQL, us(until), ids, node)
			return q.fail("extend leases", err)
		}
		var w where
		w.add("status = 'running'")
		w.add("locked_by = ?", node)
		w.in("id", ids)
		_, err := q.exec(ctx, `UPDATE executions SET locked_until = ?`+w.String(), append([]any{us(until)}, w.args...)...)
		return q.fail("extend leases", err)
	})
}

// extendSQL is PostgreSQL's heartbeat (see ExecutionExtend): bound the new
// lease end, the ids (an array) and the node.
const extendSQL = `UPDATE executions SET locked_until = ? WHERE id IN (SELECT id FROM executions
		WHERE id = ANY(CAST(? AS TEXT[])) AND status = 'running' AND locked_by = ? FOR UPDATE SKIP LOCKED)`

// ExecutionRescue implements store.Querier. A rescued execution is due when
// its lease ended (before now, so at once; a caller taking everything back
// with a far-future now does not push it into that future). The lease token
// is cleared so the node that lost the lease cannot save any more.
//
// On PostgreSQL the expired leases are read in lease order, a batch at a
// time, skipping rows another transaction holds: an ordered index scan
// marks the index entries of finished executions (left behind by their
// final saves until a vacuum) dead as it passes them, so the next rescue
// skips them; the plain UPDATE read them all through a bitmap scan, with
// every heap page they point to, at every rescue (89 ms a second after
// 18,000 executions with autovacuum off; between two autovacuums of a large
// table, up to a fifth of its rows). TestRescueReadsLeasesInOrder.
func (q *Q) ExecutionRescue(ctx context.Context, now time.Time, except string) (int, error) {
	if !q.d.SkipLocked {
		var n int64
		err := q.write1(ctx, func(q *Q) error {
			var err error
			n, err = q.execN(ctx, `UPDATE executions SET status = 'pending', run_at = locked_until, locked_by = '',
				locked_until = NULL, lease_token = '' WHERE status = 'running' AND locked_until < ? AND locked_by <> ?`, us(now), except)
			return q.fail("rescue executions", err)
		})
		return int(n), err
	}
	total := 0
	for {
		var n int64
		err := q.write1(ctx, func(q *Q) error {
			var err error
			n, err = q.execN(ctx, rescueSQL, us(now), except, rescueBatch)
			return q.fail("rescue executions", err)
		})
		total += int(n)
		if err != nil || n < rescueBatch || q.inTx {
			return total, err
		}
	}
}

// rescueBatch bounds the executions one rescue statement returns to pending.
const rescueBatch = 1000

// rescueSQL is PostgreSQL's rescue of expired leases (see ExecutionRescue):
// bound the time, the node not to rescue and the batch size.
const rescueSQL = `UPDATE executions SET status = 'pending', run_at = locked_until, locked_by = '',
			locked_until = NULL, lease_token = ''
		WHERE id IN (SELECT id FROM executions WHERE status = 'running' AND locked_until < ? AND locked_by <> ?
			ORDER BY locked_until LIMIT ? FOR UPDATE SKIP LOCKED)`

// ExecutionReleaseNode implements store.Querier. Like a rescue, it clears
// the lease token, so a save by the process that held the lease fails.
func (q *Q) ExecutionReleaseNode(ctx context.Context, node string, now time.Time) (int, error) {
	var n int64
	err := q.write1(ctx, func(q *Q) error {
		var err error
		n, err = q.execN(ctx, `UPDATE executions SET status = 'pending', run_at = ?, locked_by = '',
			locked_until = NULL, lease_token = '' WHERE status = 'running' AND locked_by = ?`, us(now), node)
		return q.fail("release executions of node "+node, err)
	})
	return int(n), err
}

// ExecutionNextRunAt implements store.Querier.
func (q *Q) ExecutionNextRunAt(ctx context.Context) (time.Time, bool, error) {
	var v int64
	err := q.queryRow(ctx, `SELECT run_at FROM executions WHERE status = 'pending' AND after_exec = '' AND after_key = ''
		ORDER BY run_at LIMIT 1`).Scan(&v)
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

// pruneExecutionsSQL deletes finished executions older than a time (bound
// twice; the subquery's LIMIT and closing parenthesis follow). An execution
// finishes after it was created, so one finished before the time was
// created before it too: the first term, redundant for the result, lets the
// index on created_at serve the prune, which read the whole table every
// hour (most of it younger than the retention).
const pruneExecutionsSQL = `DELETE FROM executions WHERE id IN (SELECT id FROM executions
			WHERE created_at < ? AND status NOT IN ('pending', 'running') AND COALESCE(finished_at, created_at) < ?`

// pruneEventsSQL deletes events older than a time that no execution
// refers to (the subquery's LIMIT and closing parenthesis follow). Its
// first term bounds the id, which sorts by when hookline minted it: the
// primary key serves the prune, which read the whole table every hour
// (an index on occurred_at would cost every event's INSERT). A million
// events took 0.3-0.8 s a run, on SQLite's one writer.
const pruneEventsSQL = `DELETE FROM events WHERE id IN (SELECT id FROM events e WHERE e.id < ? AND e.occurred_at < ?
			AND NOT EXISTS (SELECT 1 FROM executions x WHERE x.event_id = e.id)`

// ExecutionPrune implements store.Querier. Finished executions (status
// neither pending nor running) whose finished_at, or created_at when unset,
// is before t go; then events older than t, with ids below eventIDBelow,
// left without executions (their field claims with them), and schedule
// slots before t. Outside a transaction it deletes in batches of separate
// transactions.
func (q *Q) ExecutionPrune(ctx context.Context, before time.Time, eventIDBelow string) (int, error) {
	t := us(before)
	limit := ""
	args := []any{t}
	if !q.inTx {
		limit = " LIMIT ?"
		args = append(args, pruneBatch)
	}
	steps := []struct {
		what, query string
		args        []any
	}{
		{"prune executions", pruneExecutionsSQL + limit + `)`, append([]any{t}, args...)},
		{"prune events", pruneEventsSQL + limit + `)`, append([]any{eventIDBelow}, args...)},
		{"prune schedule slots", `DELETE FROM schedule_slots WHERE slot < ?`, args[:1]},
	}
	total := 0
	for i, s := range steps {
		a := s.args
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
