package dispatch

import (
	"context"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// StoreMany is Store for several plans in q's transaction, with the same
// outcome as storing them one after another, in fewer statements: their
// events go in through one EventInsertMany and their executions through
// one ExecutionInsert (change capture stores hundreds of events at once).
func (d *Dispatcher) StoreMany(ctx context.Context, q store.Querier, plans []*Plan) ([]*Result, error) {
	if len(plans) == 1 {
		r, err := d.Store(ctx, q, plans[0])
		if err != nil {
			return nil, err
		}
		return []*Result{r}, nil
	}
	out := make([]*Result, len(plans))
	var evs []*hook.Event
	var stored []int // plans whose event is inserted
	for i, p := range plans {
		out[i] = &Result{}
		if p.Event != nil {
			out[i].EventID = p.Event.ID
			if p.StoreEvent {
				evs = append(evs, p.Event)
				stored = append(stored, i)
			}
		}
	}
	if len(evs) > 0 {
		ids, inserted, err := q.EventInsertMany(ctx, evs)
		if err != nil {
			return nil, err
		}
		for j, i := range stored {
			if !inserted[j] {
				out[i] = &Result{EventID: ids[j], Duplicate: true}
			}
		}
	}
	var xs []*hook.Execution
	var now = plans[0].now
	for i, p := range plans {
		if out[i].Duplicate {
			continue
		}
		for _, x := range p.Executions {
			c := *x // a copy: a transaction run again starts from the plan
			xs = append(xs, &c)
		}
		if p.now.After(now) {
			now = p.now
		}
	}
	if len(xs) == 0 {
		return out, nil
	}
	inserted, err := d.insert(ctx, q, xs, now)
	if err != nil {
		return nil, err
	}
	for i, p := range plans {
		if !out[i].Duplicate {
			out[i].Executions, inserted = inserted[:len(p.Executions)], inserted[len(p.Executions):]
		}
	}
	return out, nil
}
