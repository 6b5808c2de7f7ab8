package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

var hookCols = []string{"id", "account_id", "name", "description", "enabled", "position", "roles",
	"category", "debug", "trigger_type", "trigger_json", "cond", "on_condition_error", "actions",
	"next_run_at", "last_run_at", "run_count", "created_at", "updated_at", "ordering", "ordering_key", "hook_key", "version", "debounce",
	"disabled_reason", "disabled_at"}

// hookSelect reads hookCols, the run counters (table hook_runs, which only
// HookAddRuns writes: a save never overwrites them, and counting never
// locks a hook's row) and failing_since (table hook_health, written by
// final saves of executions; see ExecutionSave). Subqueries rather than a
// join, so that FOR UPDATE applies to hooks alone.
var hookSelect = "SELECT " + cols("", hookCols) + `,
	COALESCE((SELECT r.runs FROM hook_runs r WHERE r.hook_id = hooks.id), 0),
	(SELECT r.last_at FROM hook_runs r WHERE r.hook_id = hooks.id),
	(SELECT f.failing_since FROM hook_health f WHERE f.hook_id = hooks.id) FROM hooks`

func scanHook(r rowScanner) (*hook.Hook, error) {
	var (
		h                        hook.Hook
		roles, trigger, actions  string
		debounce                 string
		next, last, lastExec     sql.NullInt64
		disabledAt, failing      sql.NullInt64
		disabledReason           sql.NullString
		created, updated         int64
		triggerType, cond, onErr string
	)
	if err := r.Scan(&h.ID, &h.AccountID, &h.Name, &h.Description, &h.Enabled, &h.Order, &roles,
		&h.Category, &h.Debug, &triggerType, &trigger, &cond, &onErr, &actions,
		&next, &last, &h.RunCount, &created, &updated, &h.Ordering, &h.OrderingKey, &h.Key, &h.Version, &debounce,
		&disabledReason, &disabledAt, &h.Runs, &lastExec, &failing); err != nil {
		return nil, err
	}
	h.LastRun = fromNullUS(lastExec)
	if disabledReason.Valid {
		h.DisabledReason = &disabledReason.String
	}
	h.DisabledAt, h.FailingSince = fromNullUS(disabledAt), fromNullUS(failing)
	var d jsonDec
	d.val("hook roles", roles, &h.Roles)
	d.val("hook trigger", trigger, &h.Trigger)
	d.val("hook actions", actions, &h.Actions)
	d.val("hook debounce", debounce, &h.Debounce)
	if d.err != nil {
		return nil, d.err
	}
	h.Condition, h.OnConditionError = cond, onErr
	h.NextRunAt, h.LastRunAt = fromNullUS(next), fromNullUS(last)
	h.CreatedAt, h.UpdatedAt = fromUS(created), fromUS(updated)
	return &h, nil
}

// hookArgs are the values of hookCols after id and account_id.
func hookArgs(h *hook.Hook) ([]any, error) {
	var e jsonEnc
	roles := e.str("hook roles", h.Roles)
	trigger := e.str("hook trigger", h.Trigger)
	actions := e.str("hook actions", h.Actions)
	debounce := e.str("hook debounce", h.Debounce)
	if e.err != nil {
		return nil, e.err
	}
	return []any{h.Name, h.Description, h.Enabled, h.Order, roles, h.Category, h.Debug,
		h.Trigger.Type, trigger, h.Condition, h.OnConditionError, actions,
		usPtr(h.NextRunAt), usPtr(h.LastRunAt), h.RunCount, us(h.CreatedAt), us(h.UpdatedAt), h.Ordering, h.OrderingKey, h.Key, h.Version, debounce,
		nullString(h.DisabledReason), usPtr(h.DisabledAt)}, nil
}

// HookInsert implements store.Querier.
func (q *Q) HookInsert(ctx context.Context, h *hook.Hook) error {
	args, err := hookArgs(h)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO hooks (`+cols("", hookCols)+`) VALUES (`+placeholders(len(hookCols))+`)`,
			append([]any{h.ID, h.AccountID}, args...)...)
		return q.fail("insert hook "+h.ID, err)
	})
}

// HookGet implements store.Querier.
func (q *Q) HookGet(ctx context.Context, id string) (*hook.Hook, error) {
	h, err := scanHook(q.queryRow(ctx, hookSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, q.fail("hook "+id, err)
	}
	return h, nil
}

// HookList implements store.Querier.
func (q *Q) HookList(ctx context.Context, f store.HookFilter) ([]*hook.Hook, error) {
	var w where
	w.in("account_id", f.AccountIDs)
	if f.Key != "" {
		// So that hooks_key (partial) serves it, as eventByKeySQL.
		w.add("hook_key <> '' AND hook_key = (SELECT ?)", f.Key)
	}
	if f.TriggerType != "" {
		w.add("trigger_type = ?", f.TriggerType)
	}
	if f.Enabled != nil {
		w.add("enabled = ?", *f.Enabled)
	}
	if f.Q != "" {
		pat := "%" + likeEscape(strings.ToLower(f.Q)) + "%"
		w.add(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(description) LIKE ? ESCAPE '\')`, pat, pat)
	}
	if f.Cursor != "" {
		w.add("id > ?", f.Cursor)
	}
	return collect(ctx, q, "list hooks", scanHook,
		hookSelect+w.String()+` ORDER BY id LIMIT ?`, append(w.args, limitOf(f.Page))...)
}

// HookUpdate implements store.Querier. It writes every field of h but
// id, account_id and created_at.
func (q *Q) HookUpdate(ctx context.Context, h *hook.Hook) error {
	args, err := hookArgs(h)
	if err != nil {
		return err
	}
	// Every column after id and account_id but created_at.
	var set []string
	var vals []any
	for i, c := range hookCols[2:] {
		if c == "created_at" {
			continue
		}
		set = append(set, c+" = ?")
		vals = append(vals, args[i])
	}
	vals = append(vals, h.ID)
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "update hook "+h.ID, `UPDATE hooks SET `+strings.Join(set, ", ")+` WHERE id = ?`, vals...)
	})
}

// HookDelete implements store.Querier. Its executions stay in the log.
func (q *Q) HookDelete(ctx context.Context, id string) error {
	return q.write1(ctx, func(q *Q) error {
		if err := q.execOne(ctx, "delete hook "+id, `DELETE FROM hooks WHERE id = ?`, id); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM hook_runs WHERE hook_id = ?`, id); err != nil {
			return q.fail("delete runs of hook "+id, err)
		}
		_, err := q.exec(ctx, `DELETE FROM hook_health WHERE hook_id = ?`, id)
		return q.fail("delete health of hook "+id, err)
	})
}

// HookCount implements store.Querier.
func (q *Q) HookCount(ctx context.Context, accountID string) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM hooks WHERE account_id = ?`, accountID).Scan(&n); err != nil {
		return 0, q.fail("count hooks", err)
	}
	return n, nil
}

// HookListEnabled implements store.Querier: every enabled hook, by id.
func (q *Q) HookListEnabled(ctx context.Context) ([]*hook.Hook, error) {
	return collect(ctx, q, "list enabled hooks", scanHook, hookSelect+` WHERE enabled ORDER BY id`)
}

// HookListDue implements store.Querier: enabled schedule hooks due at now,
// earliest next_run_at first.
func (q *Q) HookListDue(ctx context.Context, now time.Time, limit int) ([]*hook.Hook, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	query := hookSelect + ` WHERE enabled AND next_run_at <= ?
		AND trigger_type = ? ORDER BY next_run_at, id LIMIT ?`
	if q.d.SkipLocked {
		// Inside a Tx the rows stay locked until commit, so concurrent
		// schedulers on other nodes skip them and take other due hooks.
		query += " FOR UPDATE SKIP LOCKED"
	}
	return collect(ctx, q, "list due hooks", scanHook, query, us(now), hook.TriggerSchedule, limit)
}

// HookSetSchedule implements store.Querier.
func (q *Q) HookSetSchedule(ctx context.Context, id string, next, last *time.Time, runCount int) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "set hook schedule "+id,
			`UPDATE hooks SET next_run_at = ?, last_run_at = ?, run_count = ? WHERE id = ?`,
			usPtr(next), usPtr(last), runCount, id)
	})
}

// HookAddRuns implements store.Querier.
func (q *Q) HookAddRuns(ctx context.Context, runs []store.HookRuns) error {
	return q.write1(ctx, func(q *Q) error {
		for _, r := range runs {
			if _, err := q.exec(ctx, `INSERT INTO hook_runs (hook_id, runs, last_at) VALUES (?, ?, ?)
				ON CONFLICT (hook_id) DO UPDATE SET runs = hook_runs.runs + excluded.runs, last_at =
				CASE WHEN hook_runs.last_at IS NULL OR hook_runs.last_at < excluded.last_at THEN excluded.last_at ELSE hook_runs.last_at END`,
				r.HookID, r.Runs, us(r.Last)); err != nil {
				return q.fail("add runs of hook "+r.HookID, err)
			}
			// A hook deleted meanwhile keeps no counter (a plain read: no lock).
			if _, err := q.exec(ctx, `DELETE FROM hook_runs WHERE hook_id = ?
				AND NOT EXISTS (SELECT 1 FROM hooks WHERE id = ?)`, r.HookID, r.HookID); err != nil {
				return q.fail("add runs of hook "+r.HookID, err)
			}
		}
		return nil
	})
}

func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

// HookDisable implements store.Querier.
func (q *Q) HookDisable(ctx context.Context, id, reason string, at time.Time) (bool, error) {
	var n int64
	err := q.write1(ctx, func(q *Q) error {
		var err error
		n, err = q.execN(ctx, `UPDATE hooks SET enabled = false, next_run_at = NULL, disabled_reason = ?, disabled_at = ?,
			version = version + 1, updated_at = ? WHERE id = ? AND enabled`, reason, us(at), us(at), id)
		return q.fail("disable hook "+id, err)
	})
	return n == 1, err
}

// HookHealthReset implements store.Querier.
func (q *Q) HookHealthReset(ctx context.Context, id string) error {
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `DELETE FROM hook_health WHERE hook_id = ?`, id)
		return q.fail("reset health of hook "+id, err)
	})
}
