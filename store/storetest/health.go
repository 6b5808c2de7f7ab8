package storetest

import (
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// failingSince reads a hook's failing_since back.
func (e *env) failingSince(id string) *time.Time {
	e.t.Helper()
	h, err := e.s.HookGet(e.ctx, id)
	e.must(err)
	return h.FailingSince
}

// end runs one execution of h to status at at, through a claim and a
// final save (inside a transaction when tx is set).
func (e *env) end(h *hook.Hook, status string, at time.Time, tx bool, mut ...func(*hook.Execution)) {
	e.t.Helper()
	x := e.newExecution(h.AccountID, h.ID, t0)
	for _, m := range mut {
		m(x)
	}
	e.must(e.s.ExecutionInsert(e.ctx, x))
	xs := e.claim("n1", t0, 1)
	if len(xs) != 1 || xs[0].ID != x.ID {
		e.t.Fatalf("claimed %v, want %s", ids(xs, execID), x.ID)
	}
	c := xs[0]
	c.Status = status
	if c.Done() {
		c.FinishedAt = ptr(at)
	} else {
		c.RunAt = at.Add(1000 * time.Hour) // not claimed again by this test
	}
	if tx {
		e.must(e.s.Tx(e.ctx, func(q store.Querier) error {
			_, err := q.ExecutionSave(e.ctx, c, nil)
			return err
		}))
		return
	}
	e.must(e.save(c))
}

// testHookHealth: a final failure (failed or partial) sets the hook's
// failing_since unless it is set, a success clears it, other outcomes and
// saves of the hook leave it, and a reset clears it (SPEC §12).
func testHookHealth(e *env) {
	a := e.account("")
	h, other := e.hook(a.ID), e.hook(a.ID)
	e.equal("new hook", e.failingSince(h.ID), (*time.Time)(nil))

	t1 := t0.Add(time.Minute)
	e.end(h, hook.StatusFailed, t1, false)
	e.equal("after a failure", e.failingSince(h.ID), ptr(t1))
	e.end(h, hook.StatusPartial, t1.Add(time.Minute), false)
	e.equal("a later failure keeps the first", e.failingSince(h.ID), ptr(t1))
	for _, st := range []string{hook.StatusSkipped, hook.StatusCancelled, hook.StatusPending} {
		e.end(h, st, t1.Add(2*time.Minute), false)
		e.equal(st+" leaves it", e.failingSince(h.ID), ptr(t1))
	}
	e.equal("another hook", e.failingSince(other.ID), (*time.Time)(nil))

	// A save of the hook does not overwrite it.
	h.Name = "renamed"
	e.must(e.s.HookUpdate(e.ctx, h))
	e.equal("after a save", e.failingSince(h.ID), ptr(t1))

	e.end(h, hook.StatusSuccess, t1.Add(3*time.Minute), false)
	e.equal("a success clears it", e.failingSince(h.ID), (*time.Time)(nil))
	t2 := t1.Add(4 * time.Minute)
	e.end(h, hook.StatusPartial, t2, false)
	e.equal("the clock starts again", e.failingSince(h.ID), ptr(t2))

	e.must(e.s.HookHealthReset(e.ctx, h.ID))
	e.equal("after a reset", e.failingSince(h.ID), (*time.Time)(nil))
	e.must(e.s.HookHealthReset(e.ctx, "hk_missing"))

	// A deleted hook's health goes with it; a failure saved after leaves none.
	e.end(h, hook.StatusFailed, t2, false)
	e.must(e.s.HookDelete(e.ctx, h.ID))
	e.must(e.s.HookInsert(e.ctx, h)) // the same id again: no health carried over
	e.equal("a hook deleted and inserted again", e.failingSince(h.ID), (*time.Time)(nil))
	e.must(e.s.HookDelete(e.ctx, h.ID))
	e.end(h, hook.StatusFailed, t2, false)
	e.must(e.s.HookInsert(e.ctx, h))
	e.equal("a failure saved while the hook was gone", e.failingSince(h.ID), (*time.Time)(nil))
}

// testHookHealthPaths: the health is kept whichever way the final save
// goes: inside a transaction, and with an ordering key (PostgreSQL saves
// without either in one statement of its own).
func testHookHealthPaths(e *env) {
	a := e.account("")
	for _, c := range []struct {
		name string
		tx   bool
		key  string
	}{{"in a transaction", true, ""}, {"with an ordering key", false, "k"}, {"ordering key in a transaction", true, "k"}} {
		h := e.hook(a.ID)
		key := func(x *hook.Execution) { x.OrderingKey = c.key }
		t1 := t0.Add(time.Minute)
		e.end(h, hook.StatusFailed, t1, c.tx, key)
		e.end(h, hook.StatusFailed, t1.Add(time.Minute), c.tx, key)
		e.equal(c.name+": failures", e.failingSince(h.ID), ptr(t1))
		e.end(h, hook.StatusSuccess, t1.Add(2*time.Minute), c.tx, key)
		e.equal(c.name+": success", e.failingSince(h.ID), (*time.Time)(nil))
	}
	// A save that lost its lease changes nothing.
	h := e.hook(a.ID)
	x := e.newExecution(a.ID, h.ID, t0)
	e.must(e.s.ExecutionInsert(e.ctx, x))
	c := e.claim("n1", t0, 1)[0]
	c.LeaseToken, c.Status, c.FinishedAt = "stolen", hook.StatusFailed, ptr(t0)
	_, err := e.s.ExecutionSave(e.ctx, c, nil)
	e.isErr(err, store.ErrLeaseLost)
	e.equal("lease lost", e.failingSince(h.ID), (*time.Time)(nil))
}

// testHookDisable: HookDisable turns an enabled hook off with its reason,
// once, moving its version on; a save writes the reason as the hook has it.
func testHookDisable(e *env) {
	a := e.account("")
	h := e.hook(a.ID, func(h *hook.Hook) { h.DisabledReason, h.DisabledAt = nil, nil })
	at := t0.Add(time.Hour)
	ok, err := e.s.HookDisable(e.ctx, h.ID, "every run failed for 1h", at)
	e.must(err)
	e.equal("disabled", ok, true)
	got, err := e.s.HookGet(e.ctx, h.ID)
	e.must(err)
	want := *h
	want.Enabled, want.NextRunAt, want.DisabledReason, want.DisabledAt = false, nil, ptr("every run failed for 1h"), ptr(at)
	want.Version, want.UpdatedAt = h.Version+1, at
	e.equal("disabled hook", got, &want)

	ok, err = e.s.HookDisable(e.ctx, h.ID, "again", at.Add(time.Hour))
	e.must(err)
	e.equal("disabled twice", ok, false)
	ok, err = e.s.HookDisable(e.ctx, "hk_missing", "gone", at)
	e.must(err)
	e.equal("missing hook", ok, false)
	got2, err := e.s.HookGet(e.ctx, h.ID)
	e.must(err)
	e.equal("unchanged by the second", got2, got)

	// The enabled state is not read from the cache of enabled hooks.
	enabled, err := e.s.HookListEnabled(e.ctx)
	e.must(err)
	for _, o := range enabled {
		if o.ID == h.ID {
			e.t.Fatalf("a disabled hook is listed as enabled")
		}
	}

	// A save (a person enabling it) writes what the hook says.
	got.Enabled, got.DisabledReason, got.DisabledAt = true, nil, nil
	e.must(e.s.HookUpdate(e.ctx, got))
	got3, err := e.s.HookGet(e.ctx, h.ID)
	e.must(err)
	e.equal("enabled again", got3, got)
}
