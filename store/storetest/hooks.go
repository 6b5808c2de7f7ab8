package storetest

import (
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func hookID(h *hook.Hook) string { return h.ID }

func testHooks(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	got, err := e.s.HookGet(e.ctx, h.ID)
	e.must(err)
	e.equal("hook", got, h)
	e.equal("last run", got.LastRunAt, h.LastRunAt)

	// A bare hook: nil slices and times stay nil.
	bare := &hook.Hook{ID: e.id("hk"), AccountID: a.ID, Name: "bare", Trigger: hook.Trigger{Type: hook.TriggerManual},
		Actions: []hook.Action{{Type: "create_record", Config: map[string]any{}}}, CreatedAt: t0, UpdatedAt: t0}
	e.must(e.s.HookInsert(e.ctx, bare))
	got, err = e.s.HookGet(e.ctx, bare.ID)
	e.must(err)
	e.equal("bare hook", got, bare)

	e.isErr(e.s.HookInsert(e.ctx, e.newHook("acc_missing")), store.ErrNotFound)
	dup := e.newHook(a.ID)
	dup.ID = h.ID
	e.isErr(e.s.HookInsert(e.ctx, dup), store.ErrConflict)
	_, err = e.s.HookGet(e.ctx, "hk_missing")
	e.isErr(err, store.ErrNotFound)

	h.Name, h.Description, h.Enabled, h.Order, h.Roles = "Renamed", "", false, 7, nil
	h.Category, h.Debug, h.Condition, h.OnConditionError = "other", false, "", "fire"
	h.Trigger = hook.Trigger{Type: hook.TriggerSchedule, Cron: "0 9 * * MON", Timezone: "Europe/Berlin", MaxRuns: 3}
	h.Actions = append(h.Actions, hook.Action{Type: "send_email", Config: map[string]any{"to": "a@b.c"}})
	h.NextRunAt, h.LastRunAt, h.RunCount = nil, nil, 0
	h.UpdatedAt = t0.Add(time.Hour)
	e.must(e.s.HookUpdate(e.ctx, h))
	got, err = e.s.HookGet(e.ctx, h.ID)
	e.must(err)
	e.equal("updated hook", got, h)
	e.isErr(e.s.HookUpdate(e.ctx, e.newHook(a.ID)), store.ErrNotFound)

	n, err := e.s.HookCount(e.ctx, a.ID)
	e.must(err)
	e.equal("count", n, 2)
	e.must(e.s.HookDelete(e.ctx, h.ID))
	e.isErr(e.s.HookDelete(e.ctx, h.ID), store.ErrNotFound)
	n, err = e.s.HookCount(e.ctx, a.ID)
	e.must(err)
	e.equal("count after delete", n, 1)
}

func testHookList(e *env) {
	a, b := e.account(""), e.account("")
	on, off := true, false
	h1 := e.hook(a.ID, func(h *hook.Hook) { h.Name = "Large ORDERS to Slack" })
	h2 := e.hook(a.ID, func(h *hook.Hook) {
		h.Name, h.Description, h.Enabled = "Nightly", "sends the 100% report", false
		h.Trigger = hook.Trigger{Type: hook.TriggerSchedule, Cron: "@daily"}
	})
	h3 := e.hook(b.ID, func(h *hook.Hook) { h.Name, h.Description = "Inbound", "Payment ORDERs" })
	h4 := e.hook(b.ID, func(h *hook.Hook) { h.Name, h.Description = "x_y", "" })

	list := func(f store.HookFilter) []string {
		e.t.Helper()
		hs, err := e.s.HookList(e.ctx, f)
		e.must(err)
		return ids(hs, hookID)
	}
	e.equal("all", list(store.HookFilter{}), []string{h1.ID, h2.ID, h3.ID, h4.ID})
	e.equal("account a", list(store.HookFilter{AccountIDs: []string{a.ID}}), []string{h1.ID, h2.ID})
	e.equal("accounts a, b", list(store.HookFilter{AccountIDs: []string{b.ID, a.ID}}), []string{h1.ID, h2.ID, h3.ID, h4.ID})
	e.equal("schedule", list(store.HookFilter{TriggerType: hook.TriggerSchedule}), []string{h2.ID})
	e.equal("enabled", list(store.HookFilter{Enabled: &on}), []string{h1.ID, h3.ID, h4.ID})
	e.equal("disabled", list(store.HookFilter{Enabled: &off}), []string{h2.ID})
	e.equal("q in name or description, any case", list(store.HookFilter{Q: "orders"}), []string{h1.ID, h3.ID})
	e.equal("q with %", list(store.HookFilter{Q: "100%"}), []string{h2.ID})
	e.equal("q with _ is literal", list(store.HookFilter{Q: "x_"}), []string{h4.ID})
	e.equal("q and account", list(store.HookFilter{Q: "ORDERS", AccountIDs: []string{b.ID}}), []string{h3.ID})
	e.equal("page 1", list(store.HookFilter{Page: store.Page{Limit: 3}}), []string{h1.ID, h2.ID, h3.ID})
	e.equal("page 2", list(store.HookFilter{Page: store.Page{Limit: 3, Cursor: h3.ID}}), []string{h4.ID})

	hs, err := e.s.HookListEnabled(e.ctx)
	e.must(err)
	e.equal("enabled hooks", ids(hs, hookID), []string{h1.ID, h3.ID, h4.ID})
}

func testHookSchedule(e *env) {
	a := e.account("")
	sched := func(enabled bool, next *time.Time) func(*hook.Hook) {
		return func(h *hook.Hook) {
			h.Enabled, h.NextRunAt = enabled, next
			h.Trigger = hook.Trigger{Type: hook.TriggerSchedule, Every: "15m"}
		}
	}
	now := t0.Add(time.Minute)
	h1 := e.hook(a.ID, sched(true, ptr(t0)))
	e.hook(a.ID, sched(true, ptr(t0.Add(2*time.Hour))))
	e.hook(a.ID, sched(false, ptr(t0)))
	e.hook(a.ID, sched(true, nil))
	e.hook(a.ID, func(h *hook.Hook) { h.NextRunAt = ptr(t0) }) // an event hook
	h6 := e.hook(a.ID, sched(true, ptr(t0.Add(-time.Hour))))
	h7 := e.hook(a.ID, sched(true, ptr(now)))

	due, err := e.s.HookListDue(e.ctx, now, 10)
	e.must(err)
	e.equal("due", ids(due, hookID), []string{h6.ID, h1.ID, h7.ID})
	due, err = e.s.HookListDue(e.ctx, now, 1)
	e.must(err)
	e.equal("due, limit 1", ids(due, hookID), []string{h6.ID})

	e.must(e.s.HookSetSchedule(e.ctx, h6.ID, ptr(t0.Add(3*time.Hour)), ptr(t0.Add(-time.Hour)), 4))
	got, err := e.s.HookGet(e.ctx, h6.ID)
	e.must(err)
	e.equal("next", got.NextRunAt, ptr(t0.Add(3*time.Hour)))
	e.equal("last", got.LastRunAt, ptr(t0.Add(-time.Hour)))
	e.equal("runs", got.RunCount, 4)
	e.must(e.s.HookSetSchedule(e.ctx, h1.ID, nil, nil, 0))
	due, err = e.s.HookListDue(e.ctx, now, 10)
	e.must(err)
	e.equal("due after", ids(due, hookID), []string{h7.ID})
	e.isErr(e.s.HookSetSchedule(e.ctx, "hk_missing", nil, nil, 0), store.ErrNotFound)
}

func testHookRuns(e *env) {
	a := e.account("")
	h1, h2 := e.hook(a.ID), e.hook(a.ID)
	e.must(e.s.HookAddRuns(e.ctx, []store.HookRuns{{HookID: h1.ID, Runs: 3, Last: t0}, {HookID: "hk_missing", Runs: 1, Last: t0}}))
	e.must(e.s.HookAddRuns(e.ctx, []store.HookRuns{{HookID: h1.ID, Runs: 2, Last: t0.Add(-time.Hour)}})) // an older run: Last stays
	got, err := e.s.HookGet(e.ctx, h1.ID)
	e.must(err)
	e.equal("runs", got.Runs, 5)
	e.equal("last run", got.LastRun, ptr(t0))
	// A save does not overwrite the counters with what it read before.
	h1.Runs, h1.LastRun, h1.Name = 0, nil, "saved"
	e.must(e.s.HookUpdate(e.ctx, h1))
	got, err = e.s.HookGet(e.ctx, h1.ID)
	e.must(err)
	e.equal("runs after a save", got.Runs, 5)
	e.equal("last run after a save", got.LastRun, ptr(t0))
	got, err = e.s.HookGet(e.ctx, h2.ID)
	e.must(err)
	e.equal("untouched hook", []any{got.Runs, got.LastRun}, []any{0, (*time.Time)(nil)})
}
