// Package runner runs claimed executions: the hook's condition, then its
// actions in sequence (cases, templates, steps.<name>), recording each
// action's result, scheduling retries, and saving the outcome.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/plain"
	"github.com/hookline/hookline/rule"
	"github.com/hookline/hookline/store"
)

// Deps is what the runner needs from the engine.
type Deps struct {
	Store   store.Store
	Actions *action.Registry
	Rules   *rule.Cache
	Now     func() time.Time
	Logger  *slog.Logger
	Host    action.Host
	// Lookup finds the hook an execution runs and its account.
	Lookup Lookup
	// HookVersion returns a hook as its version n saved it (store.ErrNotFound
	// when the hook was deleted): what an execution pinned to n runs.
	HookVersion func(ctx context.Context, id string, n int) (*hook.Hook, error)
	// Secrets returns the decrypted secrets of an account.
	Secrets func(ctx context.Context, accountID string) (map[string]string, error)
	// OnDone is told about every execution the runner saved (final or retrying).
	OnDone func(x *hook.Execution)
	// OnAction is told about every attempt of an action: its type and
	// result (success, failed, retrying). Optional.
	OnAction func(actionType, result string)
	// Shares, when set, bounds the workers one account holds while other
	// accounts are active.
	Shares *Shares
	// ActionTimeout bounds one attempt of one action. Default 2m.
	ActionTimeout time.Duration
	// Failed, when set, takes part in the final save of every execution
	// that failed (failed or partial): what it writes commits with it.
	Failed Finisher
}

// Finisher takes part in the final save of a failed execution (the hook's
// health, system events: SPEC §12).
type Finisher interface {
	// Finish runs inside the transaction that saves x and must call save,
	// which saves x, exactly once (before or after its own writes, and
	// returning its error). It may run again if the transaction is retried,
	// on x as it was before the first attempt.
	Finish(ctx context.Context, q store.Querier, x *hook.Execution, save func() error) error
}

// Lookup is where the runner finds hooks and accounts (the dispatcher's
// caches).
type Lookup interface {
	// Hook returns the current definition of a hook (store.ErrNotFound when deleted).
	Hook(ctx context.Context, id string) (*hook.Hook, error)
	// Account returns an account (for signing secrets and templates).
	Account(ctx context.Context, id string) (*hook.Account, error)
}

// Runner runs executions.
type Runner struct {
	d Deps
}

// New builds a Runner.
func New(d Deps) *Runner {
	if d.ActionTimeout == 0 {
		d.ActionTimeout = 2 * time.Minute
	}
	return &Runner{d: d}
}

// Run runs x from its cursor and saves the outcome. It is the queue's
// Handler: when x ends, the save releases the executions waiting for it
// (SPEC §10), and the one handoff() leases to this node, if any, is
// returned for the worker to run next.
func (r *Runner) Run(ctx context.Context, x *hook.Execution, handoff func() *store.Lease) *hook.Execution {
	start := r.d.Now()
	if !r.d.Shares.Enter(x.AccountID, x.ID) {
		// Its account holds its share of this node's workers while others
		// wait: back to the queue, due now, not counted as an attempt (rare:
		// neither preclaims nor claims take a capped account's work; this
		// is one claimed as the account's last workers were taken). Claims
		// skip it until the account gives a worker back (Shares.Full,
		// WakeOnFree); a node with workers to spare may take it at once.
		x.Status, x.RunAt = hook.StatusPending, start
		x.Attempts = max(0, x.Attempts-1)
		r.save(ctx, x, nil)
		return nil
	}
	defer r.d.Shares.Leave(x.AccountID)
	r.run(ctx, x)
	x.DurationMS += r.d.Now().Sub(start).Milliseconds()
	if x.Done() {
		t := r.d.Now().UTC()
		x.FinishedAt = &t
	}
	next, saved := r.save(ctx, x, handoff)
	if !saved {
		return nil
	}
	if next != nil {
		r.d.Shares.HandOver(next.AccountID, next.ID)
	}
	if r.d.OnDone != nil {
		r.d.OnDone(x)
	}
	return next
}

// save saves x's outcome. While storage is unavailable it tries again, with
// backoff, as long as the lease may still be held (the queue's heartbeat
// keeps extending it; a rescue elsewhere clears it, and then the save says
// ErrLeaseLost): an action that ran, a webhook delivered, is not run again
// because its result could not be written for a moment. It gives up only
// when ctx ends (a shutdown past its drain time) and reports whether x was
// saved, with the execution handed over to this node by the save, if any.
func (r *Runner) save(ctx context.Context, x *hook.Execution, handoff func() *store.Lease) (next *hook.Execution, saved bool) {
	backoff := 50 * time.Millisecond
	for {
		var lease *store.Lease
		if x.Done() && handoff != nil {
			lease = handoff()
		}
		next, err := r.saveOnce(context.WithoutCancel(ctx), x, lease)
		switch {
		case err == nil:
			return next, true
		case errors.Is(err, store.ErrLeaseLost):
			r.d.Logger.Warn("execution lease lost; another node owns it now", "execution", x.ID)
			return nil, false
		case !errors.Is(err, store.ErrUnavailable):
			r.d.Logger.Error("save execution", "execution", x.ID, "err", err)
			return nil, false
		}
		r.d.Logger.Warn("save execution: storage unavailable; trying again while the lease holds", "execution", x.ID, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			r.d.Logger.Error("save execution: gave up at shutdown; another node will run it again", "execution", x.ID, "err", err)
			return nil, false
		}
		backoff = min(2*backoff, time.Second)
	}
}

// saveOnce saves x: a failed one in one transaction with what r.d.Failed
// writes.
func (r *Runner) saveOnce(ctx context.Context, x *hook.Execution, lease *store.Lease) (*hook.Execution, error) {
	if r.d.Failed == nil || (x.Status != hook.StatusFailed && x.Status != hook.StatusPartial) {
		return r.d.Store.ExecutionSave(ctx, x, lease)
	}
	var next *hook.Execution
	note := x.Note
	err := r.d.Store.Tx(ctx, func(q store.Querier) error {
		x.Note, next = note, nil
		return r.d.Failed.Finish(ctx, q, x, func() error {
			var err error
			next, err = q.ExecutionSave(ctx, x, lease)
			return err
		})
	})
	if err != nil {
		x.Note = note
		return nil, err
	}
	return next, nil
}

// loadHook returns the definition x runs: the version it is pinned to (a
// replay of its original version), else the hook's current one, whose
// version it then records.
func (r *Runner) loadHook(ctx context.Context, x *hook.Execution) (*hook.Hook, error) {
	if x.VersionPinned {
		return r.d.HookVersion(ctx, x.HookID, int(x.HookVersion))
	}
	h, err := r.d.Lookup.Hook(ctx, x.HookID)
	// Written only when the hook changed since x was built: a preclaimed
	// execution is shared, read-only, with the code that enqueued it.
	if err == nil && x.HookVersion != hook.VersionRef(h.Version) {
		x.HookVersion = hook.VersionRef(h.Version)
	}
	return h, err
}

func (r *Runner) run(ctx context.Context, x *hook.Execution) {
	if x.Status == hook.StatusCancelled {
		return
	}
	h, err := r.loadHook(ctx, x)
	if errors.Is(err, store.ErrNotFound) {
		x.Status, x.ErrorMessage = hook.StatusCancelled, "the hook was deleted before it ran"
		return
	}
	if err != nil {
		r.retryWhole(x, fmt.Errorf("load hook: %w", err))
		return
	}
	if !h.Enabled && x.TriggerType != hook.TriggerManual && x.ReplayOf == "" {
		// Disabled by a person or by hookline (its endpoint kept failing):
		// what it had queued, retries included, does not run. A run fired
		// by hand or a replay does.
		x.Status, x.ErrorMessage = hook.StatusCancelled, "the hook was disabled before this run; a disabled hook runs only when fired by hand or replayed"
		return
	}
	x.Debug = h.Debug
	acc, err := r.d.Lookup.Account(ctx, h.AccountID)
	if err != nil {
		r.retryWhole(x, fmt.Errorf("load account: %w", err))
		return
	}
	secrets, err := r.d.Secrets(ctx, h.AccountID)
	if err != nil {
		r.retryWhole(x, fmt.Errorf("load secrets: %w", err))
		return
	}
	red := NewRedactor(secrets)
	c, err := r.withEarlierWrites(ctx, h, x)
	if err != nil {
		r.retryWhole(x, fmt.Errorf("load earlier writes: %w", err))
		return
	}
	env := Env(c, Steps(x.Results), secrets, r.d.Now())

	if x.ConditionResult == nil && h.Condition != "" {
		ok, cerr := r.condition(h.Condition, env)
		x.ConditionResult = &ok
		if cerr != nil {
			x.ConditionError = red.String(cerr.Error())
			if h.OnConditionError == "skip" {
				f := false
				x.ConditionResult = &f
				x.Status, x.ErrorMessage = hook.StatusSkipped, "condition failed to evaluate; skipped (on_condition_error=skip): "+x.ConditionError
				return
			}
			t := true
			x.ConditionResult = &t // fail-open: the log says so
		} else if !ok {
			x.Status = hook.StatusSkipped
			return
		}
	}

	for len(x.Results) < len(h.Actions) {
		i := len(x.Results)
		x.Results = append(x.Results, hook.ActionResult{Index: i, Name: ActionName(h.Actions[i], i), Type: h.Actions[i].Type, Status: "pending"})
	}
	if len(x.Results) > len(h.Actions) { // the hook lost actions since: keep what ran
		x.Results = x.Results[:len(h.Actions)]
	}
	for i := x.Cursor; i < len(h.Actions); i++ {
		a := h.Actions[i]
		res := &x.Results[i]
		res.Name, res.Type = ActionName(a, i), a.Type
		outcome := r.runAction(ctx, h, acc, x, i, a, res, env, secrets, red)
		// An attempt cut by shutdown is run again, and a wait or a deferral
		// is no attempt: neither is counted.
		if r.d.OnAction != nil && ctx.Err() == nil && outcome != outcomeLater {
			r.d.OnAction(a.Type, res.Status)
		}
		switch outcome {
		case outcomeSuccess:
			x.Cursor = i + 1
			x.ActionsExecuted = countRan(x.Results)
			env["steps"] = Steps(x.Results)
			continue
		case outcomeRetry:
			x.ActionsExecuted = countRan(x.Results)
			x.Status = hook.StatusPending
			return
		case outcomeLater:
			// Parked (a wait) or deferred: pending again, due at RunAt,
			// holding no worker; neither counts as an attempt.
			x.Status = hook.StatusPending
			x.Attempts = max(0, x.Attempts-1)
			return
		case outcomeFailed:
			x.ActionsExecuted = countRan(x.Results)
			// Actions are numbered from 1 wherever a person reads them
			// (the admin UI too); array indexes stay 0-based.
			x.ErrorMessage = fmt.Sprintf("action %d (%s) failed: %s", i+1, res.Name, res.Error)
			if anySucceeded(x.Results) {
				x.Status = hook.StatusPartial
			} else {
				x.Status = hook.StatusFailed
			}
			return
		}
	}
	x.Status = hook.StatusSuccess
	x.ErrorMessage = ""
}

type outcome int

const (
	outcomeSuccess outcome = iota
	outcomeRetry
	outcomeFailed
	outcomeLater // a wait, or a deferral: no attempt
)

func (r *Runner) runAction(ctx context.Context, h *hook.Hook, acc *hook.Account, x *hook.Execution, i int, a hook.Action, res *hook.ActionResult, env map[string]any, secrets map[string]string, red *Redactor) outcome {
	before := *res
	started := r.d.Now().UTC()
	res.StartedAt = &started
	res.Attempts++
	res.Error = ""
	finish := func() { res.DurationMS += r.d.Now().Sub(started).Milliseconds() }

	caseIdx, cfg, err := Resolve(r.d.Rules, a, env)
	res.Case = caseIdx
	if err != nil {
		finish()
		res.Status, res.Error = "failed", red.String(err.Error())
		return outcomeFailed
	}
	ex, ok := r.d.Actions.Get(a.Type)
	if !ok {
		finish()
		res.Status, res.Error = "failed", fmt.Sprintf("unknown action type %q", a.Type)
		return outcomeFailed
	}
	req := &action.Request{
		Hook: h, Execution: x, Account: acc, Index: i, Action: a, Config: cfg,
		IdempotencyKey: fmt.Sprintf("msg_%s_%d", x.ID, i),
		Attempt:        res.Attempts, Debug: h.Debug, Host: r.d.Host,
	}
	actx, cancel := context.WithTimeout(ctx, r.d.ActionTimeout)
	out, err := ex.Execute(actx, req)
	cancel()
	finish()
	if err == nil {
		res.Status = "success"
		if out != nil {
			res.Output = red.Map(plainMap(out.Output))
			res.Request, res.Response = red.Value(plainValue(out.Request)), red.Value(plainValue(out.Response))
		}
		return outcomeSuccess
	}
	if l, ok := action.AsLater(err); ok {
		x.RunAt = l.Until
		if !l.Waiting { // deferred before it started: as if it had not been tried
			*res = before
			return outcomeLater
		}
		res.Attempts--
		res.Status, res.Error = "waiting", ""
		if l.Result != nil {
			res.Output = red.Map(plainMap(l.Result.Output))
			res.Request = red.Value(plainValue(l.Result.Request))
		}
		return outcomeLater
	}
	var ae *action.Error
	if errors.As(err, &ae) && ae.Result != nil {
		res.Request, res.Response = red.Value(plainValue(ae.Result.Request)), red.Value(plainValue(ae.Result.Response))
		res.Output = red.Map(plainMap(ae.Result.Output))
	}
	if ae != nil && ae.Gone {
		x.DisableHook = fmt.Sprintf("action %d (%s): the endpoint answered 410 Gone", i+1, res.Name)
	}
	res.Error = red.String(err.Error())
	if ctx.Err() != nil { // shutting down: run this action again later
		res.Attempts--
		res.Status = "retrying"
		x.RunAt = r.d.Now()
		return outcomeRetry
	}
	if action.IsRetryable(err) {
		if res.Attempts < a.Retry.Attempts() {
			delay := a.Retry.Delay(res.Attempts, rand.Float64())
			if ae != nil && ae.RetryAfter > delay {
				delay = ae.RetryAfter
			}
			res.Status = "retrying"
			x.RunAt = r.d.Now().Add(delay)
			return outcomeRetry
		}
		x.Exhausted = true
		res.Error = fmt.Sprintf("%s (gave up after %d attempts)", res.Error, res.Attempts)
	}
	res.Status = "failed"
	return outcomeFailed
}

// withEarlierWrites is x's context with the fields of its triggering record
// that the hooks before it in its event's order set (SPEC §10: later hooks
// see the first writer's value, never write it). x.Context itself, shared
// with the other executions of the event, is left as the event had it.
func (r *Runner) withEarlierWrites(ctx context.Context, h *hook.Hook, x *hook.Execution) (map[string]any, error) {
	if x.EventID == "" || x.Seq == 0 || h.Parallel() {
		return x.Context, nil
	}
	rec, _ := x.Context["record"].(map[string]any)
	id, _ := rec["id"].(string)
	if id == "" {
		return x.Context, nil
	}
	claims, err := r.d.Store.FieldClaimList(ctx, x.EventID, id)
	if err != nil || len(claims) == 0 {
		return x.Context, err
	}
	now := maps.Clone(rec)
	for _, cl := range claims {
		if cl.Value == nil {
			delete(now, cl.Field)
		} else {
			now[cl.Field] = cl.Value
		}
	}
	c := maps.Clone(x.Context)
	c["record"] = now
	if data, ok := c["data"].(map[string]any); ok && data["id"] == id {
		c["data"] = now // a record event's data is the record
	}
	return c, nil
}

// retryWhole puts x back for a later attempt after an internal error.
func (r *Runner) retryWhole(x *hook.Execution, err error) {
	r.d.Logger.Error("execution could not run; will retry", "execution", x.ID, "err", err)
	x.Status = hook.StatusPending
	x.ErrorMessage = "internal error; will retry"
	x.RunAt = r.d.Now().Add(time.Duration(min(x.Attempts, 10)) * 5 * time.Second)
}

func (r *Runner) condition(src string, env map[string]any) (bool, error) {
	p, err := r.d.Rules.Program(src)
	if err != nil {
		return false, err
	}
	return p.EvalBool(env)
}

// Resolve picks the action's case (the first whose when holds) and renders
// the merged config. caseIdx is nil when the action's own config is used.
func Resolve(rules *rule.Cache, a hook.Action, env map[string]any) (caseIdx *int, cfg map[string]any, err error) {
	caseIdx, cfg, _, err = resolve(rules, a, env, false)
	return caseIdx, cfg, err
}

// ResolveReport is Resolve for dry runs: warnings name each hole of the
// config that rendered no value (a field missing from the data renders
// empty without an error, so it would go unnoticed).
func ResolveReport(rules *rule.Cache, a hook.Action, env map[string]any) (caseIdx *int, cfg map[string]any, warnings []string, err error) {
	return resolve(rules, a, env, true)
}

func resolve(rules *rule.Cache, a hook.Action, env map[string]any, report bool) (caseIdx *int, cfg map[string]any, warnings []string, err error) {
	base := a.Config
	for ci, c := range a.Cases {
		p, err := rules.Program(c.When)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("cases[%d].when: %w", ci, err)
		}
		ok, err := p.EvalBool(env)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("cases[%d].when: %w", ci, err)
		}
		if ok {
			idx := ci
			caseIdx = &idx
			base = Merge(a.Config, c.Config)
			break
		}
	}
	t, err := rules.Template(base)
	if err != nil {
		return caseIdx, nil, nil, fmt.Errorf("config: %w", err)
	}
	var v any
	if report {
		var empties []rule.EmptyHole
		v, empties, err = t.RenderReport(env)
		warnings = []string{}
		for _, e := range empties {
			where := "config"
			if e.Path != "" {
				where += "." + e.Path
			}
			warnings = append(warnings, fmt.Sprintf("%s: {{%s}} has no value in this data and renders empty", where, e.Expr))
		}
	} else {
		v, err = t.Render(env)
	}
	if err != nil {
		return caseIdx, nil, warnings, fmt.Errorf("config: %w", err)
	}
	cfg, _ = v.(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	return caseIdx, cfg, warnings, nil
}

// Merge deep-merges over onto base (maps merge key by key; anything else in
// over replaces).
func Merge(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range over {
		if om, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = Merge(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// countRan counts the actions that completed successfully (SPEC §7
// actions_executed): a failed or retrying action does not count.
func countRan(rs []hook.ActionResult) int {
	n := 0
	for _, r := range rs {
		if r.Status == "success" {
			n++
		}
	}
	return n
}

func anySucceeded(rs []hook.ActionResult) bool {
	for _, r := range rs {
		if r.Status == "success" {
			return true
		}
	}
	return false
}

// plainMap and plainValue turn action outputs into plain JSON values so they
// can be redacted and stored; what JSON cannot encode is kept as it is.
// An output that is plain already is kept, not copied: the executor is done
// with it.
func plainMap(m map[string]any) map[string]any { return plain.Own(m) }

func plainValue(v any) any {
	if plain.Is(v) {
		return v
	}
	out, _ := plain.Value(v)
	return out
}
