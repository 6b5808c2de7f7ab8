package storetest

import (
	"fmt"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// testEventInsertMany: many events in one call, across the chunk size,
// with idempotency keys seen before and repeated within the call.
func testEventInsertMany(e *env) {
	a, b := e.account(""), e.account("")
	ev := func(acc, key string) *hook.Event {
		return &hook.Event{ID: e.id("ev"), Type: hook.EventRecordCreate, AccountID: acc, Collection: "sales.orders",
			Data: map[string]any{"n": 1.0}, Actor: &hook.Actor{Role: "system"}, OccurredAt: t0, IdempotencyKey: key}
	}
	old := ev(a.ID, "k-old")
	_, _, err := e.s.EventInsert(e.ctx, old)
	e.must(err)
	var evs []*hook.Event
	for i := range 250 {
		evs = append(evs, ev(a.ID, fmt.Sprintf("k-%d", i)))
	}
	evs = append(evs, ev(a.ID, ""), ev(a.ID, "k-old"), ev(a.ID, "k-7"), ev(b.ID, "k-7"), ev(a.ID, ""))
	ids, inserted, err := e.s.EventInsertMany(e.ctx, evs)
	e.must(err)
	for i, x := range evs[:251] {
		e.equal(fmt.Sprintf("event %d", i), []any{ids[i], inserted[i]}, []any{x.ID, true})
	}
	e.equal("key seen before", []any{ids[251], inserted[251]}, []any{old.ID, false})
	e.equal("key repeated in the call", []any{ids[252], inserted[252]}, []any{evs[7].ID, false})
	e.equal("same key, other account", []any{ids[253], inserted[253]}, []any{evs[253].ID, true})
	e.equal("no key", []any{ids[254], inserted[254]}, []any{evs[254].ID, true})
	got, err := e.s.EventGet(e.ctx, evs[200].ID)
	e.must(err)
	e.equal("stored event", got, evs[200])
	_, err = e.s.EventGet(e.ctx, evs[252].ID)
	e.isErr(err, store.ErrNotFound)

	// All or none: an id taken already fails the call and stores nothing.
	again := []*hook.Event{ev(a.ID, "new-1"), evs[0]}
	again[1].IdempotencyKey = "new-2"
	_, _, err = e.s.EventInsertMany(e.ctx, again)
	if err == nil {
		e.t.Fatal("inserting an event id twice succeeded")
	}
	_, err = e.s.EventGet(e.ctx, again[0].ID)
	e.isErr(err, store.ErrNotFound)
	ids, inserted, err = e.s.EventInsertMany(e.ctx, nil)
	e.must(err)
	e.equal("nothing", len(ids)+len(inserted), 0)
}
