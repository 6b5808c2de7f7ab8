package hookline

import (
	"context"
	"errors"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/plain"
	"github.com/hookline/hookline/internal/runner"
	"github.com/hookline/hookline/store"
)

// TriggerHook fires a hook now with data (manual trigger). It works for any
// trigger type; the execution's trigger_type is "manual".
func (e *Engine) TriggerHook(ctx context.Context, p Principal, id string, data map[string]any) (*hook.Execution, error) {
	h, err := e.GetHook(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, h.AccountID, PermEmit); err != nil {
		return nil, err
	}
	actor := &hook.Actor{KeyID: p.KeyID, Role: p.Role}
	return e.fire(ctx, h, hook.TriggerManual, data, actor, 0, "")
}

// fire creates one execution of h with data as the event data.
func (e *Engine) fire(ctx context.Context, h *hook.Hook, trigger string, data map[string]any, actor *hook.Actor, depth int, replayOf string) (*hook.Execution, error) {
	if data == nil {
		data = map[string]any{}
	}
	data = plain.Own(data)
	acc, err := e.accts.Get(ctx, e.st, h.AccountID)
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	p := e.dispatch.PlanHook(h, trigger, firingContext(h, acc, data, actor, depth, now), depth)
	x := p.Executions[0]
	x.ReplayOf = replayOf
	res, err := e.dispatch.Enqueue(ctx, p)
	if err != nil {
		return nil, err
	}
	return res.Executions[0], nil
}

// firingContext is the context of a hook fired by hand, by trigger_hook or
// in a dry run: data as its event would show it (for record events: as the
// record), and for a schedule hook a trigger namespace whose slot is now.
func firingContext(h *hook.Hook, acc *hook.Account, data map[string]any, actor *hook.Actor, depth int, now time.Time) map[string]any {
	ev := &hook.Event{ID: "", Type: "hook." + h.Trigger.Type, AccountID: h.AccountID, Data: data, Actor: actor, OccurredAt: now, Depth: depth}
	if h.Trigger.Type == hook.TriggerEvent {
		ev.Type, ev.Collection = h.Trigger.Event, h.Trigger.Collection
	}
	c := dispatch.EventContext(ev, acc)
	if h.Trigger.Type == hook.TriggerSchedule {
		slot := now.UTC().Format(time.RFC3339)
		c["trigger"] = map[string]any{
			"type": "schedule", "slot": slot, "manual": true, "lateness_ms": 0.0, "missed_slots": 0.0,
			"fired_at": now.UTC().Format(time.RFC3339Nano),
		}
	}
	return c
}

// WaitExecution waits up to d (bounded by WaitMax) for an execution to reach
// a final status and returns it as it is then.
func (e *Engine) WaitExecution(ctx context.Context, id string, d time.Duration) (*hook.Execution, error) {
	d = min(d, e.cfg.WaitMax)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	ch := e.waiters.add(id)
	defer e.waiters.remove(id, ch)
	poll := time.NewTicker(250 * time.Millisecond) // the execution may run on another node
	defer poll.Stop()
	for {
		x, err := e.st.ExecutionGet(context.WithoutCancel(ctx), id)
		if err != nil {
			return nil, err
		}
		if x.Done() || ctx.Err() != nil {
			return x, nil
		}
		select {
		case <-ch:
			ch = e.waiters.add(id) // re-arm; the loop re-reads the row
		case <-poll.C:
		case <-ctx.Done():
		}
	}
}

// GetExecution returns an execution of p's subtree.
func (e *Engine) GetExecution(ctx context.Context, p Principal, id string) (*hook.Execution, error) {
	x, err := e.st.ExecutionGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("execution")
	}
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, x.AccountID, PermRead); err != nil {
		if ErrorKind(err) == KindNotFound {
			return nil, notFound("execution")
		}
		return nil, err
	}
	return x, nil
}

// ListExecutions lists executions of p's subtree, newest first.
func (e *Engine) ListExecutions(ctx context.Context, p Principal, f store.ExecutionFilter) ([]*hook.Execution, error) {
	if !Can(p.Role, PermRead) {
		return nil, forbidden("the %s role may not do this", p.Role)
	}
	ids, err := e.Scope(ctx, p)
	if err != nil {
		return nil, err
	}
	f.AccountIDs = ids
	if f.Status != "" && !contains(hook.Statuses, f.Status) {
		return nil, invalid("status", "must be one of pending, running, success, partial, failed, skipped, cancelled")
	}
	return e.st.ExecutionList(ctx, f)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ReplayOptions choose how a replay runs.
type ReplayOptions struct {
	// From "failed_action" resumes a partial or failed execution at the action
	// that failed, keeping the results of those that succeeded; "" (or
	// "start") runs every action again.
	From string `json:"from"`
	// Version "original" runs the hook as the version the execution ran;
	// "" (or "current") runs its current version.
	Version string `json:"version"`
}

// ReplayExecution runs the same hook again on the recorded context.
func (e *Engine) ReplayExecution(ctx context.Context, p Principal, id string, o ReplayOptions) (*hook.Execution, error) {
	old, err := e.GetExecution(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, old.AccountID, RoleManage); err != nil {
		return nil, err
	}
	h, err := e.st.HookGet(ctx, old.HookID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: KindConflict, Msg: "the hook of this execution was deleted"}
	}
	if err != nil {
		return nil, err
	}
	plan := e.dispatch.PlanHook(h, old.TriggerType, old.Context, old.Depth)
	x := plan.Executions[0]
	// A replay keeps its execution's place in the order (SPEC §10): its
	// position among its event's hooks (for first-writer-wins) and its
	// ordering key (it runs after the key's unfinished executions).
	x.ReplayOf, x.EventID, x.Seq, x.OrderingKey = old.ID, old.EventID, old.Seq, old.OrderingKey
	x.DebounceKey, x.RunAt = "", x.CreatedAt // asked for by hand: runs now, not debounced
	if x.Status == hook.StatusPending {
		x.Note = ""
	}
	if err := e.pinReplayVersion(ctx, x, old, o.Version); err != nil {
		return nil, err
	}
	switch o.From {
	case "", "start":
	case "failed_action":
		if old.Status != hook.StatusPartial && old.Status != hook.StatusFailed {
			return nil, invalid("from", "only a partial or failed execution can resume from its failed action")
		}
		x.Results = append([]hook.ActionResult(nil), old.Results[:old.Cursor]...)
		x.Cursor = old.Cursor
		t := true
		x.ConditionResult = &t
	default:
		return nil, invalid("from", `must be "start" or "failed_action"`)
	}
	res, err := e.dispatch.Enqueue(ctx, plan)
	if err != nil {
		return nil, err
	}
	return res.Executions[0], nil
}

// TestResult is a dry run's answer.
type TestResult struct {
	Condition struct {
		Result bool    `json:"result"`
		Error  *string `json:"error"`
	} `json:"condition"`
	Actions []TestAction `json:"actions"`
}

// TestAction is one action of a dry run: the case taken and the rendered config.
type TestAction struct {
	Name   string         `json:"name"`
	Type   string         `json:"type"`
	Case   *int           `json:"case"`
	Config map[string]any `json:"config,omitempty"`
	Error  *string        `json:"error,omitempty"`
	// Warnings name the template holes that had no value in the sample
	// data (a missing field renders empty without an error).
	Warnings []string `json:"warnings"`
}

// TestHook evaluates a hook against data without side effects: the
// condition's verdict, each action's case and rendered config (secrets
// redacted). Nothing is sent and nothing is logged.
func (e *Engine) TestHook(ctx context.Context, p Principal, id string, data map[string]any) (*TestResult, error) {
	h, err := e.GetHook(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return e.DryRun(ctx, p, h, data)
}

// DryRun is TestHook for a hook that need not be saved (the admin editor);
// p must be allowed to read the hook's account.
func (e *Engine) DryRun(ctx context.Context, p Principal, h *hook.Hook, data map[string]any) (*TestResult, error) {
	if h.AccountID == "" {
		h.AccountID = p.AccountID
	}
	if err := e.authorize(ctx, p, h.AccountID, PermRead); err != nil {
		return nil, err
	}
	if data == nil {
		data = map[string]any{}
	}
	acc, err := e.accts.Get(ctx, e.st, h.AccountID)
	if err != nil {
		return nil, err
	}
	secrets, err := e.secretValues(ctx, h.AccountID)
	if err != nil {
		return nil, err
	}
	red := runner.NewRedactor(secrets)
	now := e.now().UTC()
	c := firingContext(h, acc, plain.Own(data), &hook.Actor{KeyID: p.KeyID, Role: p.Role}, 0, now)
	c["event"].(map[string]any)["id"] = "evt_test"
	env := runner.Env(c, map[string]any{}, secrets, now)
	res := &TestResult{Actions: []TestAction{}}
	res.Condition.Result = true
	if h.Condition != "" {
		prog, err := e.rules.Program(h.Condition)
		if err == nil {
			res.Condition.Result, err = prog.EvalBool(env)
		}
		if err != nil {
			msg := red.String(err.Error())
			res.Condition.Error = &msg
			res.Condition.Result = h.OnConditionError != "skip"
		}
	}
	for i, a := range h.Actions {
		ta := TestAction{Name: runner.ActionName(a, i), Type: a.Type}
		idx, cfg, warnings, err := runner.ResolveReport(e.rules, a, env)
		ta.Case, ta.Warnings = idx, warnings
		if ta.Warnings == nil {
			ta.Warnings = []string{}
		}
		if err != nil {
			msg := red.String(err.Error())
			ta.Error = &msg
		} else {
			ta.Config = red.Map(cfg)
		}
		res.Actions = append(res.Actions, ta)
	}
	return res, nil
}

// ReplayFilter selects executions for a bulk replay.
type ReplayFilter struct {
	HookID    string     `json:"hook_id"`
	Status    string     `json:"status"`
	Exhausted *bool      `json:"exhausted"`
	Since     *time.Time `json:"since"`
	Until     *time.Time `json:"until"`
}

// MaxBulkReplay bounds one bulk replay.
const MaxBulkReplay = 500

// ReplayExecutions replays every execution matching f (at most 500): the
// dead-letter view's "replay all".
func (e *Engine) ReplayExecutions(ctx context.Context, p Principal, f ReplayFilter, o ReplayOptions) ([]string, error) {
	if !Can(p.Role, RoleManage) {
		return nil, forbidden("the %s role may not replay", p.Role)
	}
	if f.Status == "" && f.HookID == "" && f.Exhausted == nil && f.Since == nil {
		return nil, invalid("filter", "give at least one of hook_id, status, exhausted, since")
	}
	xs, err := e.ListExecutions(ctx, p, store.ExecutionFilter{HookID: f.HookID, Status: f.Status, Exhausted: f.Exhausted, Since: f.Since, Until: f.Until, Page: store.Page{Limit: MaxBulkReplay}})
	if err != nil {
		if ee, ok := err.(*Error); ok && ee.Field != "" {
			ee.Field = "filter." + ee.Field
		}
		return nil, err
	}
	ids := []string{}
	for _, x := range xs {
		if x.Status == hook.StatusPending || x.Status == hook.StatusRunning {
			continue
		}
		nx, err := e.ReplayExecution(ctx, p, x.ID, o)
		if err != nil {
			if k := ErrorKind(err); k == KindConflict || k == KindInvalid {
				continue // hook deleted, or nothing to resume
			}
			return ids, err
		}
		ids = append(ids, nx.ID)
	}
	return ids, nil
}
