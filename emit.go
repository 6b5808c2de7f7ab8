package hookline

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/dispatch"
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
	return e.emitAfter(ctx, evs, limit, nil)
}

// txTurn orders a transaction after the one before it (cdc.Turn).
type txTurn interface {
	BeforeBegan() error
	Began()
	Prior() error
}

// emitAfter is emitBatch for a transaction that may overlap the one
// before it (change capture), in its turn: unless nil, the transaction
// begins after the one before began and commits after it committed, and
// stores nothing that depends on what the one before stored (ordering and
// debounce keys) before then; so transactions commit, and become visible
// to the workers, in their order.
func (e *Engine) emitAfter(ctx context.Context, evs []*hook.Event, limit bool, turn txTurn) ([]*EmitResult, error) {
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
	// Planning mints the ids, which sort the log: it waits until the one
	// before has planned and begun, so that ids follow the turns (the
	// order of the source's commits).
	if turn != nil {
		if err := turn.BeforeBegan(); err != nil {
			return nil, err
		}
	}
	plans := make([]*dispatch.Plan, len(evs))
	for i, ev := range evs {
		p, err := e.dispatch.PlanEvent(ctx, e.st, ev)
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	// On SQLite, whose one writer runs every transaction, one waiting for
	// another would stop them all: there only the planning overlaps the
	// one before's transaction.
	wait := false // for the one before inside the transaction
	if turn != nil {
		if !e.st.Shared() || slices.ContainsFunc(plans, (*dispatch.Plan).Keyed) {
			if err := turn.Prior(); err != nil {
				return nil, err
			}
		} else {
			wait = true
		}
	}
	var out []*EmitResult
	err := e.st.Tx(ctx, func(q store.Querier) error {
		if wait {
			// Begin now (the transaction holds its connection from here),
			// so that the next one may begin too.
			if err := q.Flush(ctx); err != nil {
				return err
			}
			turn.Began()
		}
		out = out[:0]
		rs, err := e.dispatch.StoreMany(ctx, q, plans)
		if err != nil {
			return err
		}
		for _, r := range rs {
			out = append(out, e.emitted(q, r))
		}
		if turn == nil {
			return nil
		}
		turn.Began()
		if wait {
			// The writes held back for the commit go now: the database
			// inserts them while the one before commits.
			if err := q.Flush(ctx); err != nil {
				return err
			}
			return turn.Prior()
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
	if hook.IsSystemEvent(ev.Type) {
		return invalid("type", "%q is a system event: only hookline emits it (hooks may listen to it)", ev.Type)
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
		if err := e.allowEvent(ctx, ev.AccountID); err != nil {
			return err
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
	p, err := e.dispatch.PlanEvent(ctx, q, ev)
	if err != nil {
		return nil, err
	}
	return e.storePlan(ctx, q, p)
}

// storePlan stores a planned event with its executions in q's transaction.
func (e *Engine) storePlan(ctx context.Context, q store.Querier, p *dispatch.Plan) (*EmitResult, error) {
	r, err := e.dispatch.Store(ctx, q, p)
	if err != nil {
		return nil, err
	}
	return e.emitted(q, r), nil
}

// emitted counts a stored event (once committed) and says what became of it.
func (e *Engine) emitted(q store.Querier, r *dispatch.Result) *EmitResult {
	if !r.Duplicate {
		// Counted once committed, whichever way the event came (API, SDK,
		// record write); a transaction run again counts once.
		q.AfterTx(func(committed bool) {
			if committed {
				e.Metrics.events.Inc()
			}
		})
	}
	res := &EmitResult{EventID: r.EventID, Duplicate: r.Duplicate}
	for _, x := range r.Executions {
		res.ExecutionIDs = append(res.ExecutionIDs, x.ID)
	}
	return res
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
