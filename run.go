package hookline

import (
	"context"
	"errors"
	"time"

	"github.com/hookline/hookline/hook"
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
	acc, err := e.accts.get(ctx, e.st, h.AccountID)
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	ev := &hook.Event{ID: e.ids.next(prefixEvent, now), Type: "hook." + trigger, AccountID: h.AccountID, Data: data, Actor: actor, OccurredAt: now, Depth: depth}
	if h.Trigger.Type == hook.TriggerEvent {
		// Fired by hand, an event hook sees the data as its event would show
		// it (for record events: as the record).
		ev.Type, ev.Collection = h.Trigger.Event, h.Trigger.Collection
	}
	x := e.newExecution(h, trigger, eventContext(ev, acc), depth, now)
	x.ReplayOf = replayOf
	e.refuseTooDeep(x)
	err = e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.ExecutionInsert(ctx, x); err != nil {
			return err
		}
		return q.Notify(ctx, store.TopicExecutions, "")
	})
	if err != nil {
		return nil, err
	}
	return x, nil
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
	now := e.now().UTC()
	x := e.newExecution(h, old.TriggerType, old.Context, old.Depth, now)
	x.ReplayOf, x.EventID = old.ID, old.EventID
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
	err = e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.ExecutionInsert(ctx, x); err != nil {
			return err
		}
		return q.Notify(ctx, store.TopicExecutions, "")
	})
	return x, err
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
	acc, err := e.accts.get(ctx, e.st, h.AccountID)
	if err != nil {
		return nil, err
	}
	secrets, err := e.secretValues(ctx, h.AccountID)
	if err != nil {
		return nil, err
	}
	red := runner.NewRedactor(secrets)
	now := e.now().UTC()
	ev := &hook.Event{ID: "evt_test", Type: h.Trigger.Event, AccountID: h.AccountID, Collection: h.Trigger.Collection, Data: data, OccurredAt: now}
	if ev.Type == "" {
		ev.Type = "hook." + h.Trigger.Type
	}
	env := runner.Env(eventContext(ev, acc), map[string]any{}, secrets, now)
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
		idx, cfg, err := runner.Resolve(e.rules, a, env)
		ta.Case = idx
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
