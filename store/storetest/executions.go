package storetest

import (
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// fullExecution has every field set.
func (e *env) fullExecution(accountID, hookID, eventID string) *hook.Execution {
	return &hook.Execution{
		ID: e.id("ex"), AccountID: accountID, HookID: hookID, EventID: eventID, TriggerType: hook.TriggerSchedule,
		Status: hook.StatusPartial, Attempts: 3, ActionsExecuted: 2, ErrorMessage: "smtp: 550", DurationMS: 1234,
		Context: map[string]any{"event": map[string]any{"id": eventID, "type": "records.create"}, "record": map[string]any{"total": 600.0}},
		Results: []hook.ActionResult{
			{Index: 0, Name: "slack", Type: "send_webhook", Status: "success", Attempts: 1,
				Output: map[string]any{"status": 200.0}, Request: map[string]any{"url": "https://x"},
				Response: "ok", StartedAt: ptr(t0.Add(time.Second)), DurationMS: 20},
			{Index: 1, Name: "mail", Type: "send_email", Status: "failed", Case: ptr(1), Attempts: 5, Error: "550"},
		},
		Exhausted: true, Depth: 1, Seq: 4, Cursor: 2, ReplayOf: "ex_old",
		ConditionResult: ptr(false), ConditionError: "boom",
		ScheduledFor: ptr(t0.Add(-time.Minute)), RunAt: t0.Add(time.Minute), CreatedAt: t0,
		ExecutedAt: ptr(t0.Add(2 * time.Second)), FinishedAt: ptr(t0.Add(3 * time.Second)),
		LockedBy: "node-1", LockedUntil: ptr(t0.Add(time.Hour)), LeaseToken: "tok",
		Debug: true, WaitForCompletion: true, HookVersion: 7, VersionPinned: true,
	}
}

func testExecutions(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	ev := e.event(a.ID, t0)
	full := e.fullExecution(a.ID, h.ID, ev.ID)
	bare := e.newExecution(a.ID, h.ID, t0)
	bare.Context = nil
	e.must(e.s.ExecutionInsert(e.ctx, full, bare))
	for _, want := range []*hook.Execution{full, bare} {
		got, err := e.s.ExecutionGet(e.ctx, want.ID)
		e.must(err)
		e.equal("execution", got, want)
	}
	e.must(e.s.ExecutionInsert(e.ctx)) // nothing to insert

	// A context encoded already is stored as given; no results stay [].
	pre := e.newExecution(a.ID, h.ID, t0)
	pre.Context, pre.ContextJSON = map[string]any{"n": 2.0}, []byte(`{"n":2}`)
	pre.Results = []hook.ActionResult{}
	e.must(e.s.ExecutionInsert(e.ctx, pre))
	got, err := e.s.ExecutionGet(e.ctx, pre.ID)
	e.must(err)
	e.equal("pre-encoded context", got.Context, pre.Context)
	e.equal("no results", got.Results, pre.Results)

	// A record event's context (its data is the record) reads back whole,
	// whether the store encodes it or is given it encoded.
	rec := map[string]any{"id": "rec_1", "total": 600.0}
	recCtx := map[string]any{"event": map[string]any{"type": "records.create"}, "data": rec, "record": rec}
	recJSON, err := hook.EncodeContext(recCtx)
	e.must(err)
	enc, given := e.newExecution(a.ID, h.ID, t0), e.newExecution(a.ID, h.ID, t0)
	enc.Context = recCtx
	given.Context, given.ContextJSON = recCtx, recJSON
	e.must(e.s.ExecutionInsert(e.ctx, enc, given))
	for _, x := range []*hook.Execution{enc, given} {
		got, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.must(err)
		e.equal("record event context", got.Context, map[string]any{
			"event": map[string]any{"type": "records.create"}, "data": map[string]any{"id": "rec_1", "total": 600.0},
			"record": map[string]any{"id": "rec_1", "total": 600.0}})
	}

	// A batch with one conflict writes nothing.
	x1, x2 := e.newExecution(a.ID, h.ID, t0), e.newExecution(a.ID, h.ID, t0)
	x2.ID = full.ID
	e.isErr(e.s.ExecutionInsert(e.ctx, x1, x2), store.ErrConflict)
	_, err = e.s.ExecutionGet(e.ctx, x1.ID)
	e.isErr(err, store.ErrNotFound)
	_, err = e.s.ExecutionGet(e.ctx, "ex_missing")
	e.isErr(err, store.ErrNotFound)
	e.isErr(e.s.ExecutionInsert(e.ctx, e.newExecution("acc_missing", h.ID, t0)), store.ErrNotFound)

	// Many at once (more than one INSERT statement's worth).
	many := e.executions(a.ID, h.ID, t0, 75)
	xs, err := e.s.ExecutionList(e.ctx, store.ExecutionFilter{Page: store.Page{Limit: 500}})
	e.must(err)
	e.equal("listed", len(xs), 80)
	e.equal("newest first", xs[0].ID, many[len(many)-1].ID)
}

func testExecutionList(e *env) {
	a, b := e.account(""), e.account("")
	ha, hb := e.hook(a.ID), e.hook(b.ID)
	mk := func(accountID, hookID, status, trigger string, exhausted bool, created time.Time) *hook.Execution {
		x := e.newExecution(accountID, hookID, t0)
		x.Status, x.TriggerType, x.Exhausted, x.CreatedAt = status, trigger, exhausted, created
		e.must(e.s.ExecutionInsert(e.ctx, x))
		return x
	}
	x1 := mk(a.ID, ha.ID, hook.StatusSuccess, hook.TriggerEvent, false, t0)
	x2 := mk(a.ID, ha.ID, hook.StatusFailed, hook.TriggerManual, true, t0.Add(time.Minute))
	x3 := mk(b.ID, hb.ID, hook.StatusSuccess, hook.TriggerSchedule, false, t0.Add(2*time.Minute))
	x4 := mk(a.ID, ha.ID, hook.StatusPending, hook.TriggerEvent, false, t0.Add(3*time.Minute))
	x5 := mk(b.ID, hb.ID, hook.StatusFailed, hook.TriggerEvent, false, t0.Add(4*time.Minute))

	list := func(f store.ExecutionFilter) []string {
		e.t.Helper()
		xs, err := e.s.ExecutionList(e.ctx, f)
		e.must(err)
		return ids(xs, execID)
	}
	yes, no := true, false
	e.equal("all", list(store.ExecutionFilter{}), []string{x5.ID, x4.ID, x3.ID, x2.ID, x1.ID})
	e.equal("account", list(store.ExecutionFilter{AccountIDs: []string{a.ID}}), []string{x4.ID, x2.ID, x1.ID})
	e.equal("hook", list(store.ExecutionFilter{HookID: hb.ID}), []string{x5.ID, x3.ID})
	e.equal("status", list(store.ExecutionFilter{Status: hook.StatusFailed}), []string{x5.ID, x2.ID})
	e.equal("trigger", list(store.ExecutionFilter{TriggerType: hook.TriggerEvent}), []string{x5.ID, x4.ID, x1.ID})
	e.equal("exhausted", list(store.ExecutionFilter{Exhausted: &yes}), []string{x2.ID})
	e.equal("not exhausted", list(store.ExecutionFilter{Exhausted: &no, AccountIDs: []string{a.ID}}), []string{x4.ID, x1.ID})
	e.equal("since", list(store.ExecutionFilter{Since: ptr(t0.Add(2 * time.Minute))}), []string{x5.ID, x4.ID, x3.ID})
	e.equal("until", list(store.ExecutionFilter{Until: ptr(t0.Add(2 * time.Minute))}), []string{x2.ID, x1.ID})
	e.equal("since and until", list(store.ExecutionFilter{Since: ptr(t0.Add(time.Minute)), Until: ptr(t0.Add(3 * time.Minute))}),
		[]string{x3.ID, x2.ID})
	e.equal("status and account", list(store.ExecutionFilter{Status: hook.StatusSuccess, AccountIDs: []string{b.ID}}), []string{x3.ID})
	e.equal("page 1", list(store.ExecutionFilter{Page: store.Page{Limit: 2}}), []string{x5.ID, x4.ID})
	e.equal("page 2", list(store.ExecutionFilter{Page: store.Page{Limit: 2, Cursor: x4.ID}}), []string{x3.ID, x2.ID})
	e.equal("page 3", list(store.ExecutionFilter{Page: store.Page{Limit: 2, Cursor: x2.ID}}), []string{x1.ID})
}

func testExecutionNextRunAt(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	_, ok, err := e.s.ExecutionNextRunAt(e.ctx)
	e.must(err)
	e.equal("none", ok, false)
	done := e.newExecution(a.ID, h.ID, t0.Add(-time.Hour))
	done.Status = hook.StatusSuccess
	e.must(e.s.ExecutionInsert(e.ctx, done))
	e.executions(a.ID, h.ID, t0.Add(time.Hour), 1)
	e.executions(a.ID, h.ID, t0.Add(time.Minute), 1)
	next, ok, err := e.s.ExecutionNextRunAt(e.ctx)
	e.must(err)
	e.equal("next", []any{next, ok}, []any{t0.Add(time.Minute), true})
}

func testExecutionPrune(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	ev1, ev2, ev3, ev4 := e.event(a.ID, t0), e.event(a.ID, t0), e.event(a.ID, t0.Add(2*time.Hour)), e.event(a.ID, t0)
	mk := func(status, eventID string, finished *time.Time) *hook.Execution {
		x := e.newExecution(a.ID, h.ID, t0)
		x.Status, x.EventID, x.FinishedAt = status, eventID, finished
		e.must(e.s.ExecutionInsert(e.ctx, x))
		return x
	}
	old := mk(hook.StatusSuccess, ev1.ID, ptr(t0))
	recent := mk(hook.StatusFailed, "", ptr(t0.Add(2*time.Hour)))
	pending := mk(hook.StatusPending, ev2.ID, nil)
	running := mk(hook.StatusRunning, "", nil)
	skipped := mk(hook.StatusSkipped, "", nil) // never finished: created_at counts
	// Received after the prune's id bound (ids sort by when they were
	// minted), though it claims to have occurred long ago: it stays.
	late := e.event(a.ID, t0)
	_, err := e.s.FieldClaim(e.ctx, ev1.ID, "r1", "status", 1, "x")
	e.must(err)
	for _, slot := range []time.Time{t0, t0.Add(2 * time.Hour)} {
		_, err := e.s.SlotClaim(e.ctx, h.ID, slot)
		e.must(err)
	}

	n, err := e.s.ExecutionPrune(e.ctx, t0.Add(time.Hour), late.ID)
	e.must(err)
	e.equal("pruned", n, 2)
	for _, x := range []*hook.Execution{old, skipped} {
		_, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.isErr(err, store.ErrNotFound)
	}
	for _, x := range []*hook.Execution{recent, pending, running} {
		_, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.must(err)
	}
	for _, ev := range []*hook.Event{ev1, ev4} {
		_, err := e.s.EventGet(e.ctx, ev.ID)
		e.isErr(err, store.ErrNotFound)
	}
	for _, ev := range []*hook.Event{ev2, ev3, late} {
		_, err := e.s.EventGet(e.ctx, ev.ID)
		e.must(err)
	}
	_, err = e.s.FieldClaim(e.ctx, ev1.ID, "r1", "status", 1, "x")
	e.isErr(err, store.ErrNotFound) // went with its event
	ok, err := e.s.SlotClaim(e.ctx, h.ID, t0)
	e.must(err)
	e.equal("old slot forgotten", ok, true)
	ok, err = e.s.SlotClaim(e.ctx, h.ID, t0.Add(2*time.Hour))
	e.must(err)
	e.equal("recent slot kept", ok, false)

	// Inside a transaction, and in several batches outside one.
	e.must(e.s.Tx(e.ctx, func(q store.Querier) error {
		n, err := q.ExecutionPrune(e.ctx, t0.Add(3*time.Hour), e.id("ev"))
		if err == nil && n != 1 {
			e.t.Errorf("pruned in tx = %d, want 1", n)
		}
		return err
	}))
	_, err = e.s.EventGet(e.ctx, late.ID)
	e.isErr(err, store.ErrNotFound) // the bound is past it now
	xs := make([]*hook.Execution, 2500)
	for i := range xs {
		xs[i] = e.newExecution(a.ID, h.ID, t0)
		xs[i].Status = hook.StatusSuccess
	}
	e.must(e.s.ExecutionInsert(e.ctx, xs...))
	n, err = e.s.ExecutionPrune(e.ctx, t0.Add(time.Hour), e.id("ev"))
	e.must(err)
	e.equal("pruned in batches", n, 2500)
}

func testExecutionStats(e *env) {
	a, b := e.account(""), e.account("")
	h := e.hook(a.ID)
	mk := func(accountID, status string, created time.Time) {
		x := e.newExecution(accountID, h.ID, t0)
		x.Status, x.CreatedAt = status, created
		e.must(e.s.ExecutionInsert(e.ctx, x))
	}
	mk(a.ID, hook.StatusSuccess, t0.Add(10*time.Minute))
	mk(a.ID, hook.StatusFailed, t0.Add(20*time.Minute))
	mk(a.ID, hook.StatusSuccess, t0) // the first microsecond of the first bucket
	mk(a.ID, hook.StatusSuccess, t0.Add(70*time.Minute))
	mk(a.ID, hook.StatusPending, t0.Add(119*time.Minute))
	mk(a.ID, hook.StatusSuccess, t0.Add(3*time.Hour))
	mk(a.ID, hook.StatusSuccess, t0.Add(-time.Microsecond)) // before since
	mk(b.ID, hook.StatusFailed, t0.Add(10*time.Minute))

	got, err := e.s.ExecutionStats(e.ctx, []string{a.ID}, t0, time.Hour)
	e.must(err)
	e.equal("stats", got, []store.StatBucket{
		{Start: t0, ByStatus: map[string]int{hook.StatusSuccess: 2, hook.StatusFailed: 1}},
		{Start: t0.Add(time.Hour), ByStatus: map[string]int{hook.StatusSuccess: 1, hook.StatusPending: 1}},
		{Start: t0.Add(3 * time.Hour), ByStatus: map[string]int{hook.StatusSuccess: 1}},
	})
	got, err = e.s.ExecutionStats(e.ctx, nil, t0, 24*time.Hour)
	e.must(err)
	e.equal("all accounts", got, []store.StatBucket{
		{Start: t0, ByStatus: map[string]int{hook.StatusSuccess: 4, hook.StatusFailed: 2, hook.StatusPending: 1}},
	})
	got, err = e.s.ExecutionStats(e.ctx, []string{a.ID}, t0.Add(4*time.Hour), time.Hour)
	e.must(err)
	e.equal("nothing since", len(got), 0)
}

func testExecutionHookStats(e *env) {
	a, b := e.account(""), e.account("")
	h1, h2, hb := e.hook(a.ID), e.hook(a.ID), e.hook(b.ID)
	mk := func(accountID, hookID, status string, ms int64, created time.Time) {
		x := e.newExecution(accountID, hookID, t0)
		x.Status, x.DurationMS, x.CreatedAt = status, ms, created
		e.must(e.s.ExecutionInsert(e.ctx, x))
	}
	mk(a.ID, h1.ID, hook.StatusSuccess, 100, t0)
	mk(a.ID, h1.ID, hook.StatusFailed, 300, t0.Add(time.Minute))
	mk(a.ID, h1.ID, hook.StatusPartial, 50, t0.Add(time.Minute))
	mk(a.ID, h1.ID, hook.StatusRunning, 999, t0.Add(time.Minute))   // not finished: not timed
	mk(a.ID, h1.ID, hook.StatusCancelled, 777, t0.Add(time.Minute)) // never ran: not timed
	mk(a.ID, h1.ID, hook.StatusSuccess, 5000, t0.Add(-time.Second)) // before since
	mk(a.ID, h2.ID, hook.StatusSkipped, 2, t0.Add(time.Hour))
	mk(b.ID, hb.ID, hook.StatusFailed, 10, t0)

	want1 := store.HookStat{HookID: h1.ID, Runs: 5, Failures: 2, Timed: 3, TotalMS: 450, MaxMS: 300}
	want2 := store.HookStat{HookID: h2.ID, Runs: 1, Timed: 1, TotalMS: 2, MaxMS: 2}
	byID := func(stats []store.HookStat) map[string]store.HookStat {
		m := map[string]store.HookStat{}
		for _, s := range stats {
			m[s.HookID] = s
		}
		return m
	}
	got, err := e.s.ExecutionHookStats(e.ctx, []string{a.ID}, t0)
	e.must(err)
	e.equal("account a", byID(got), map[string]store.HookStat{h1.ID: want1, h2.ID: want2})
	got, err = e.s.ExecutionHookStats(e.ctx, nil, t0)
	e.must(err)
	e.equal("all accounts", byID(got)[hb.ID], store.HookStat{HookID: hb.ID, Runs: 1, Failures: 1, Timed: 1, TotalMS: 10, MaxMS: 10})
	got, err = e.s.ExecutionHookStats(e.ctx, []string{a.ID}, t0.Add(2*time.Hour))
	e.must(err)
	e.equal("nothing since", len(got), 0)
}
