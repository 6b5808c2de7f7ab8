package hookline

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/plain"
	"github.com/hookline/hookline/store"
)

// EmitResult says what became of one event.
type EmitResult struct {
	EventID      string
	Duplicate    bool     // an event with the same idempotency key existed
	ExecutionIDs []string // executions created (none for a duplicate)
}

// Emit validates e, stores it and one execution per matching hook in one
// transaction, and wakes the queue. The event is durable when Emit returns.
func (e *Engine) Emit(ctx context.Context, ev *hook.Event) (*EmitResult, error) {
	rs, err := e.EmitBatch(ctx, []*hook.Event{ev})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// EmitBatch stores several events in one transaction: all or none. The
// hooks are matched and the executions built before the transaction, so the
// database's writer only writes.
func (e *Engine) EmitBatch(ctx context.Context, evs []*hook.Event) ([]*EmitResult, error) {
	return e.emitBatch(ctx, evs, true)
}

// emitBatch is EmitBatch; limit applies the per-account rate limit (change
// capture does not: its back-pressure is the replication slot).
func (e *Engine) emitBatch(ctx context.Context, evs []*hook.Event, limit bool) ([]*EmitResult, error) {
	for i, ev := range evs {
		if err := e.prepare(ctx, ev, limit); err != nil {
			if len(evs) > 1 {
				if pe, ok := err.(*Error); ok && pe.Field != "" {
					pe.Field = "[" + itoa(i) + "]." + pe.Field
				}
			}
			return nil, err
		}
	}
	plans := make([]*eventPlan, len(evs))
	for i, ev := range evs {
		p, err := e.planEvent(ctx, e.st, ev)
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	var out []*EmitResult
	err := e.st.Tx(ctx, func(q store.Querier) error {
		out = out[:0]
		for _, p := range plans {
			r, err := e.storePlan(ctx, q, p)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prepareEvent validates an event and fills its defaults.
func (e *Engine) prepareEvent(ctx context.Context, ev *hook.Event) error {
	return e.prepare(ctx, ev, true)
}

func (e *Engine) prepare(ctx context.Context, ev *hook.Event, limit bool) error {
	if ev.AccountID == "" {
		return invalid("account_id", "is required")
	}
	ev.Type = strings.TrimSpace(ev.Type)
	if ev.Type == "" {
		return invalid("type", "is required")
	}
	if len(ev.Type) > 100 {
		return invalid("type", "must be at most 100 characters")
	}
	if !hook.IsBuiltinEvent(ev.Type) {
		ok, err := e.eventTypeKnown(ctx, ev.AccountID, ev.Type)
		if err != nil {
			return err
		}
		if !ok {
			return invalid("type", "%q is not a registered hookable event: register it with POST /api/v1/event-types first", ev.Type)
		}
	}
	if ev.Collection != "" && !collectionRefRE.MatchString(ev.Collection) {
		return invalid("collection", "must be lower-case letters, digits and _ (a collection), or schema.table (a followed table outside public)")
	}
	if len(ev.IdempotencyKey) > 200 {
		return invalid("idempotency_key", "must be at most 200 characters")
	}
	if ev.Data == nil {
		ev.Data = map[string]any{}
	}
	// Hooks see the data as JSON would carry it (numbers are float64…),
	// whichever way it came in; decoded JSON is kept as it is.
	ev.Data = plain.Own(ev.Data)
	if ev.Previous != nil {
		ev.Previous = plain.Own(ev.Previous)
	}
	b, err := json.Marshal(ev.Data)
	if err != nil {
		return invalid("data", "must be a JSON object")
	}
	ev.DataJSON = b
	if len(b) > e.cfg.MaxEventBytes {
		return &Error{Kind: KindTooLarge, Field: "data", Msg: "event data is larger than " + itoa(e.cfg.MaxEventBytes) + " bytes"}
	}
	if limit {
		if wait, ok := e.limiter.allow(ev.AccountID, e.now()); !ok {
			return &Error{Kind: KindRateLimit, Msg: "too many events for this account; slow down", RetryAfter: int(wait.Seconds()) + 1}
		}
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = e.now()
	}
	ev.OccurredAt = ev.OccurredAt.UTC().Truncate(time.Microsecond)
	return nil
}

// EmitTx stores a prepared event and its executions inside the caller's
// transaction (records use it so a write and its event commit together).
func (e *Engine) EmitTx(ctx context.Context, q store.Querier, ev *hook.Event) (*EmitResult, error) {
	p, err := e.planEvent(ctx, q, ev)
	if err != nil {
		return nil, err
	}
	return e.storePlan(ctx, q, p)
}

// eventPlan is a prepared event with the executions it causes, built and
// encoded, ready to be written.
type eventPlan struct {
	ev  *hook.Event
	now time.Time
	xs  []*hook.Execution
}

// planEvent matches ev's hooks through q and builds their executions.
func (e *Engine) planEvent(ctx context.Context, q store.Querier, ev *hook.Event) (*eventPlan, error) {
	now := e.now().UTC()
	if ev.ID == "" {
		ev.ID = e.ids.next(prefixEvent, now)
	}
	p := &eventPlan{ev: ev, now: now}
	owners, err := e.accts.ancestors(ctx, q, ev.AccountID)
	if err != nil {
		return nil, err
	}
	hooks, err := e.hooks.match(ctx, q, owners, "event:"+ev.Type)
	if err != nil {
		return nil, err
	}
	acc, err := e.accts.get(ctx, q, ev.AccountID)
	if err != nil {
		return nil, err
	}
	base := eventContext(ev, acc)
	var baseJSON []byte
	for _, h := range hooks {
		if h.Trigger.Collection != "" && h.Trigger.Collection != ev.Collection {
			continue
		}
		if len(h.Roles) > 0 && (ev.Actor == nil || !slices.Contains(h.Roles, ev.Actor.Role)) {
			continue
		}
		if baseJSON == nil {
			if baseJSON, err = json.Marshal(base); err != nil {
				return nil, fmt.Errorf("encode execution context: %w", err)
			}
		}
		x := e.newExecution(h, hook.TriggerEvent, base, ev.Depth, now)
		x.ContextJSON = baseJSON
		x.EventID = ev.ID
		x.Seq = len(p.xs)
		e.refuseTooDeep(x)
		p.xs = append(p.xs, x)
	}
	return p, nil
}

// storePlan writes a planned event and, unless it is a duplicate, its
// executions; those due now go in already claimed by idle workers.
func (e *Engine) storePlan(ctx context.Context, q store.Querier, p *eventPlan) (*EmitResult, error) {
	id, inserted, err := q.EventInsert(ctx, p.ev)
	if err != nil {
		return nil, err
	}
	if !inserted {
		return &EmitResult{EventID: id, Duplicate: true}, nil
	}
	// Counted once committed, whichever way the event came (API, SDK,
	// record write); a transaction run again counts once.
	q.AfterTx(func(committed bool) {
		if committed {
			e.Metrics.events.Inc()
		}
	})
	if len(p.xs) == 0 {
		return &EmitResult{EventID: p.ev.ID}, nil
	}
	// Copies, so that a transaction run again (PostgreSQL retries) starts
	// from the plan, not from what a preclaim made of it.
	xs := make([]*hook.Execution, len(p.xs))
	for i, x := range p.xs {
		c := *x
		xs[i] = &c
	}
	pre, queued := e.preclaim(xs, p.now)
	if err := q.ExecutionInsert(ctx, xs...); err != nil {
		for range pre {
			e.queue.Release()
		}
		return nil, err
	}
	e.afterInsert(q, pre)
	if queued {
		if err := q.Notify(ctx, store.TopicExecutions, ""); err != nil {
			return nil, err
		}
	}
	res := &EmitResult{EventID: p.ev.ID}
	for _, x := range xs {
		res.ExecutionIDs = append(res.ExecutionIDs, x.ID)
	}
	return res, nil
}

// preclaim leases the executions of xs that are due now to this node's idle
// workers, so they are inserted already claimed and run as soon as their
// transaction commits (see afterInsert), with no claim round trip. queued
// says whether some are left pending for the claimer.
func (e *Engine) preclaim(xs []*hook.Execution, now time.Time) (pre []*hook.Execution, queued bool) {
	token := ""
	for _, x := range xs {
		if x.Status != hook.StatusPending {
			continue
		}
		if x.RunAt.After(now) {
			queued = true
			continue
		}
		if token == "" {
			token = rand.Text()
		}
		if !e.queue.Preclaim(x, token) {
			queued = true
			continue
		}
		pre = append(pre, x)
	}
	return pre, queued
}

// afterInsert hands the preclaimed executions to their workers once q's
// transaction has committed, or gives the workers back if it did not.
func (e *Engine) afterInsert(q store.Querier, pre []*hook.Execution) {
	if len(pre) == 0 {
		return
	}
	q.AfterTx(func(committed bool) {
		for _, x := range pre {
			if !committed {
				e.queue.Release()
				continue
			}
			// The context is plain JSON values already, as a claim would
			// read it back (prepareEvent and eventContext make it so); the
			// executions of one event share it, read-only.
			e.queue.Dispatch(x)
		}
	})
}

func (e *Engine) newExecution(h *hook.Hook, trigger string, ctxMap map[string]any, depth int, now time.Time) *hook.Execution {
	return &hook.Execution{
		ID: e.ids.next(prefixExecution, now), AccountID: h.AccountID, HookID: h.ID,
		TriggerType: trigger, Status: hook.StatusPending, Context: ctxMap, Depth: depth,
		RunAt: now, CreatedAt: now, Results: []hook.ActionResult{},
	}
}

// refuseTooDeep marks an execution caused by a chain deeper than MaxDepth as
// cancelled: it is logged, never run.
func (e *Engine) refuseTooDeep(x *hook.Execution) {
	if x.Depth > e.cfg.MaxDepth {
		now := x.CreatedAt
		x.Status = hook.StatusCancelled
		x.FinishedAt = &now
		x.ErrorMessage = "refused: hook chain depth " + itoa(x.Depth) + " exceeds the maximum of " + itoa(e.cfg.MaxDepth) + " (HOOKLINE_MAX_DEPTH)"
	}
}

// eventContext is the execution context of an event: what conditions and
// templates see, stored with each execution. For a prepared event it holds
// plain JSON values only (float64 numbers, []any, …), exactly what a claim
// reads back, so a preclaimed execution runs on the same values.
func eventContext(ev *hook.Event, acc *hook.Account) map[string]any {
	c := map[string]any{
		"event": map[string]any{
			"id": ev.ID, "type": ev.Type, "occurred_at": ev.OccurredAt.Format(time.RFC3339Nano),
			"collection": ev.Collection, "depth": float64(ev.Depth),
		},
		"data":    ev.Data,
		"account": accountContext(acc),
	}
	if ev.Collection != "" {
		c["collection"] = ev.Collection
	}
	if strings.HasPrefix(ev.Type, "records.") {
		c["record"] = ev.Data
		if ev.Previous != nil {
			c["previous"] = ev.Previous
		}
	}
	if ev.Actor != nil {
		a := map[string]any{"role": ev.Actor.Role, "key_id": ev.Actor.KeyID}
		if ev.Actor.UserID != "" {
			a["user_id"] = ev.Actor.UserID
		}
		if ev.Actor.Email != "" {
			a["email"] = ev.Actor.Email
		}
		c["auth"] = a
		c["event"].(map[string]any)["actor"] = a
	}
	return c
}

func accountContext(a *hook.Account) map[string]any {
	if a == nil {
		return nil
	}
	return map[string]any{"id": a.ID, "name": a.Name, "parent_id": a.ParentID}
}

// AuthorizeEmit checks that p may send every one of evs.
func (e *Engine) AuthorizeEmit(ctx context.Context, p Principal, evs []*hook.Event) error {
	for _, ev := range evs {
		if err := e.authorize(ctx, p, ev.AccountID, PermEmit); err != nil {
			if ErrorKind(err) == KindNotFound {
				return invalid("account_id", "no such account")
			}
			return err
		}
	}
	return nil
}
