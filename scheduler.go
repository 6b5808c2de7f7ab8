package hookline

import (
	"context"
	"errors"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/scheduler"
	"github.com/hookline/hookline/schedule"
	"github.com/hookline/hookline/store"
)

// MisfireGrace is how late a slot may fire and still count as on time. A
// slot later than this was missed (downtime, a clock jump) and the hook's
// misfire policy applies: run_once fires once for all missed slots, skip
// waits for the next slot.
const MisfireGrace = 2 * time.Second

// fireSchedule settles one due schedule hook in one transaction: the slot is
// claimed under a unique (hook, slot) key together with the execution it
// enqueues, so no node and no restart fires a slot twice.
func (e *Engine) fireSchedule(ctx context.Context, h *hook.Hook, now time.Time) error {
	if h.NextRunAt == nil {
		return nil
	}
	due := *h.NextRunAt
	spec, err := schedule.Parse(scheduleInput(&h.Trigger))
	if err != nil { // cannot happen for a validated hook; stop scheduling it
		e.log.Error("schedule no longer parses; not scheduling it", "hook", h.ID, "err", err)
		return e.st.HookSetSchedule(ctx, h.ID, nil, h.LastRunAt, h.RunCount)
	}
	d := scheduler.Decide(spec, due, h.RunCount, now, MisfireGrace)
	var fired *hook.Execution
	err = e.st.Tx(ctx, func(q store.Querier) error {
		fired = nil
		cur, err := q.HookGet(ctx, h.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !cur.Enabled || cur.NextRunAt == nil || !cur.NextRunAt.Equal(due) {
			return nil // changed (or fired by another node) since it was listed
		}
		last, runs := cur.LastRunAt, cur.RunCount
		if d.Fire {
			ok, err := q.SlotClaim(ctx, cur.ID, d.Slot)
			if err != nil {
				return err
			}
			if !ok {
				return nil // this slot fired already
			}
			acc, err := e.accts.get(ctx, q, cur.AccountID)
			if err != nil {
				return err
			}
			x := e.newExecution(cur, hook.TriggerSchedule, scheduleContext(cur, acc, d, now), 0, now.UTC())
			slot := d.Slot.UTC()
			x.ScheduledFor = &slot
			if err := q.ExecutionInsert(ctx, x); err != nil {
				return err
			}
			if err := q.Notify(ctx, store.TopicExecutions, ""); err != nil {
				return err
			}
			fired, last, runs = x, &slot, runs+1
		}
		return q.HookSetSchedule(ctx, cur.ID, d.Next, last, runs)
	})
	if err != nil {
		return err
	}
	switch {
	case fired != nil && d.Missed > 0:
		e.log.Warn("schedule misfire: fired once for missed slots", "hook", h.ID, "slot", d.Slot, "missed", d.Missed, "lateness", d.Lateness)
	case fired == nil && d.Missed > 0:
		e.log.Warn("schedule misfire: skipped missed slots (misfire=skip)", "hook", h.ID, "missed", d.Missed, "next", d.Next)
	case d.Next == nil:
		e.log.Info("schedule finished (max_runs reached or no slots left)", "hook", h.ID)
	}
	return nil
}

// scheduleContext is what a scheduled execution's condition and templates see.
func scheduleContext(h *hook.Hook, acc *hook.Account, d scheduler.Decision, now time.Time) map[string]any {
	slot := d.Slot.UTC().Format(time.RFC3339)
	trig := map[string]any{
		"type": "schedule", "slot": slot, "lateness_ms": d.Lateness.Milliseconds(),
		"missed_slots": d.Missed, "fired_at": now.UTC().Format(time.RFC3339Nano),
	}
	return map[string]any{
		"event":   map[string]any{"type": "schedule", "occurred_at": slot},
		"data":    map[string]any{"slot": slot, "scheduled_for": slot},
		"account": accountContext(acc),
		"trigger": trig,
	}
}
