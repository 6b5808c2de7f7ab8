package hookline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// failedRuns takes part in the final save of every execution that failed
// (runner.Finisher), in the same transaction (SPEC §12):
//
//   - endpoint health: the save sets the hook's failing_since unless set
//     (store.ExecutionSave); when every run has failed for
//     AutoDisableAfter, or the failure was an endpoint answering 410 Gone,
//     the hook is disabled with the reason, as a new version, and the
//     execution's note says so;
//   - system events: execution.failed, and hook.disabled when the hook was
//     disabled, into the account that owns the hook, unless the execution
//     was itself triggered by a system event (no alert storms).
//
// Being one transaction with the save, an alert is never lost nor doubled
// by a crash: the save and the events commit together or not at all, and
// a save happens once per execution (its lease). The events carry the
// execution's id as idempotency key besides.
type failedRuns struct{ e *Engine }

// Finish implements runner.Finisher.
func (f failedRuns) Finish(ctx context.Context, q store.Querier, x *hook.Execution, save func() error) error {
	e := f.e
	at := e.now().UTC()
	if x.FinishedAt != nil {
		at = x.FinishedAt.UTC()
	}
	disabled, err := e.autoDisable(ctx, q, x, at)
	if err != nil {
		return err
	}
	if disabled != nil {
		x.Note = joinNote(x.Note, "this failure disabled the hook: "+*disabled.DisabledReason)
	}
	if err := save(); err != nil {
		return err
	}
	if systemCaused(x) {
		return nil
	}
	data, err := plainJSON(x) // the execution as the API shows it (its results redacted already)
	if err != nil {
		return err
	}
	if err := e.emitSystem(ctx, q, x, hook.EventExecutionFailed, data, at); err != nil {
		return err
	}
	if disabled == nil {
		return nil
	}
	return e.emitSystem(ctx, q, x, hook.EventHookDisabled, map[string]any{
		"hook_id": disabled.ID, "name": disabled.Name, "reason": *disabled.DisabledReason,
		"disabled_at": at.Format(time.RFC3339Nano), "execution_id": x.ID, "version": float64(disabled.Version),
	}, at)
}

// autoDisable disables x's hook when x's failure tips it (SPEC §12) and
// returns it as disabled; nil when it stays as it is.
func (e *Engine) autoDisable(ctx context.Context, q store.Querier, x *hook.Execution, at time.Time) (*hook.Hook, error) {
	after := e.cfg.AutoDisableAfter
	if after <= 0 {
		return nil, nil
	}
	h, err := q.HookGet(ctx, x.HookID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil || !h.Enabled {
		return nil, err
	}
	reason := x.DisableHook
	if reason == "" {
		since := at
		if h.FailingSince != nil && h.FailingSince.Before(at) {
			since = *h.FailingSince
		}
		if at.Sub(since) < after {
			return nil, nil
		}
		reason = fmt.Sprintf("every run failed for %s, since %s (HOOKLINE_AUTO_DISABLE_AFTER is %s)",
			at.Sub(since).Round(time.Millisecond), since.Format(time.RFC3339), after)
	}
	ok, err := q.HookDisable(ctx, h.ID, reason, at)
	if err != nil || !ok {
		return nil, err
	}
	if h, err = q.HookGet(ctx, h.ID); err != nil {
		return nil, err
	}
	// Enabled is part of the definition: the change is a version, by
	// hookline (no actor). A person's save racing it then fails with a
	// conflict instead of enabling the hook again unseen.
	v := &hook.Version{HookID: h.ID, AccountID: h.AccountID, Version: h.Version, CreatedAt: at,
		Note: "disabled by hookline: " + reason, Hook: h.Clone()}
	if err := q.HookVersionInsert(ctx, v); err != nil {
		return nil, err
	}
	if err := q.Notify(ctx, store.TopicHooks, ""); err != nil {
		return nil, err
	}
	q.AfterTx(func(committed bool) {
		if committed {
			e.hooks.Invalidate()
		}
	})
	return h, nil
}

// systemCaused reports whether x was triggered by a system event (SPEC
// §12): its failure and its hook's disabling emit no system event.
func systemCaused(x *hook.Execution) bool {
	ev, _ := x.Context["event"].(map[string]any)
	t, _ := ev["type"].(string)
	return hook.IsSystemEvent(t)
}

// emitSystem stores a system event caused by x, with the executions of the
// hooks listening to it, in q's transaction. Nothing is stored when no
// hook listens. Its depth is x's + 1, so that chains through system events
// end at the depth limit like any other.
func (e *Engine) emitSystem(ctx context.Context, q store.Querier, x *hook.Execution, typ string, data map[string]any, at time.Time) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", typ, err)
	}
	ev := &hook.Event{Type: typ, AccountID: x.AccountID, Data: data, DataJSON: b,
		OccurredAt: at.Truncate(time.Microsecond), IdempotencyKey: typ + ":" + x.ID, Depth: x.Depth + 1}
	p, err := e.dispatch.PlanEvent(ctx, q, ev)
	if err != nil || len(p.Executions) == 0 {
		return err
	}
	r, err := e.dispatch.Store(ctx, q, p)
	if err != nil {
		return err
	}
	e.emitted(q, r)
	return nil
}

// plainJSON is v as plain JSON values (what an event's data holds).
func plainJSON(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func joinNote(note, more string) string {
	if note == "" {
		return more
	}
	return note + "; " + more
}
