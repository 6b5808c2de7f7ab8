package hookline

import (
	"context"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/plain"
	"github.com/hookline/hookline/internal/scheduler"
	"github.com/hookline/hookline/schedule"
	"github.com/hookline/hookline/store"
)

// MisfireGrace is how late a slot may fire and still count as on time. A
// slot later than this was missed (downtime, a clock jump) and the hook's
// misfire policy applies: run_once fires once for all missed slots, skip
// waits for the next slot.
const MisfireGrace = 2 * time.Second

// fireDue settles the schedule hooks due at now in one transaction. The due
// hooks are locked (SKIP LOCKED on PostgreSQL, so nodes split them), and
// each slot is claimed under a unique (hook, slot) key together with the
// execution it enqueues: no node and no restart fires a slot twice.
func (e *Engine) fireDue(ctx context.Context, now time.Time, limit int) (int, error) {
	type outcome struct {
		h *hook.Hook
		d scheduler.Decision
	}
	var done []outcome
	var n int
	err := e.st.Tx(ctx, func(q store.Querier) error {
		done, n = done[:0], 0
		due, err := q.HookListDue(ctx, now, limit)
		if err != nil {
			return err
		}
		n = len(due)
		for _, h := range due {
			spec, err := schedule.Parse(scheduleInput(&h.Trigger))
			if err != nil { // cannot happen for a validated hook: stop scheduling it
				e.log.Error("schedule no longer parses; not scheduling it", "hook", h.ID, "err", err)
				if err := q.HookSetSchedule(ctx, h.ID, nil, h.LastRunAt, h.RunCount); err != nil {
					return err
				}
				continue
			}
			d := scheduler.Decide(spec, *h.NextRunAt, h.RunCount, now, MisfireGrace)
			last, runs := h.LastRunAt, h.RunCount
			if d.Fire {
				ok, err := q.SlotClaim(ctx, h.ID, d.Slot)
				if err != nil {
					return err
				}
				if ok {
					acc, err := e.accts.Get(ctx, q, h.AccountID)
					if err != nil {
						return err
					}
					p := e.dispatch.PlanHook(h, hook.TriggerSchedule, scheduleContext(h, acc, d, now), 0)
					slot := d.Slot.UTC()
					p.Executions[0].ScheduledFor = &slot
					if _, err := e.dispatch.Store(ctx, q, p); err != nil {
						return err
					}
					last, runs = &slot, runs+1
				}
			}
			if err := q.HookSetSchedule(ctx, h.ID, d.Next, last, runs); err != nil {
				return err
			}
			done = append(done, outcome{h, d})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, o := range done {
		switch {
		case o.d.Fire && o.d.Missed > 0:
			e.log.Warn("schedule misfire: fired once for missed slots", "hook", o.h.ID, "slot", o.d.Slot, "missed", o.d.Missed, "lateness", o.d.Lateness)
		case !o.d.Fire && o.d.Missed > 0:
			e.log.Warn("schedule misfire: skipped missed slots (misfire=skip)", "hook", o.h.ID, "missed", o.d.Missed, "next", o.d.Next)
		}
		if o.d.Next == nil {
			e.log.Info("schedule finished (max_runs reached or no slots left)", "hook", o.h.ID)
		}
	}
	return n, nil
}

// scheduleContext is what a scheduled execution's condition and templates see.
func scheduleContext(h *hook.Hook, acc *hook.Account, d scheduler.Decision, now time.Time) map[string]any {
	slot := d.Slot.UTC().Format(time.RFC3339)
	trig := map[string]any{
		"type": "schedule", "slot": slot, "lateness_ms": d.Lateness.Milliseconds(),
		"missed_slots": d.Missed, "fired_at": now.UTC().Format(time.RFC3339Nano),
	}
	// Plain JSON values: a preclaimed execution runs on this very map.
	return plain.Own(map[string]any{
		"event":   map[string]any{"type": "schedule", "occurred_at": slot},
		"data":    map[string]any{"slot": slot, "scheduled_for": slot},
		"account": dispatch.AccountContext(acc),
		"trigger": trig,
	})
}
