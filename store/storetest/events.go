package storetest

import (
	"errors"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func testEvents(e *env) {
	a, b := e.account(""), e.account("")
	ev := &hook.Event{ID: e.id("ev"), Type: "30552", AccountID: a.ID, Collection: "orders",
		Data:       map[string]any{"total": 600.5, "items": []any{"a", 2.0}, "nested": map[string]any{"ok": true}},
		Actor:      &hook.Actor{KeyID: "key_1", Role: hook.RoleUser, UserID: "u1", Email: "u@x.io", HookID: "hk_1", ExecutionID: "ex_1"},
		OccurredAt: t0, IdempotencyKey: "order-1", Depth: 2}
	id, inserted, err := e.s.EventInsert(e.ctx, ev)
	e.must(err)
	e.equal("first insert", []any{id, inserted}, []any{ev.ID, true})
	got, err := e.s.EventGet(e.ctx, ev.ID)
	e.must(err)
	e.equal("event", got, ev)

	// The same key again: the first event's id, nothing written.
	again := *ev
	again.ID, again.Data = e.id("ev"), map[string]any{"total": 1.0}
	id, inserted, err = e.s.EventInsert(e.ctx, &again)
	e.must(err)
	e.equal("repeated key", []any{id, inserted}, []any{ev.ID, false})
	_, err = e.s.EventGet(e.ctx, again.ID)
	e.isErr(err, store.ErrNotFound)

	// Keys are per account.
	other := again
	other.ID, other.AccountID = e.id("ev"), b.ID
	id, inserted, err = e.s.EventInsert(e.ctx, &other)
	e.must(err)
	e.equal("same key, other account", []any{id, inserted}, []any{other.ID, true})

	// No key: no deduplication; no actor stays nil.
	for range 2 {
		plain := &hook.Event{ID: e.id("ev"), Type: hook.EventAuthLogin, AccountID: a.ID, OccurredAt: t0}
		id, inserted, err = e.s.EventInsert(e.ctx, plain)
		e.must(err)
		e.equal("no key", []any{id, inserted}, []any{plain.ID, true})
		got, err = e.s.EventGet(e.ctx, plain.ID)
		e.must(err)
		e.equal("plain event", got, plain)
	}
	// Data encoded already is stored as given (and read back as Data).
	pre := &hook.Event{ID: e.id("ev"), Type: "30552", AccountID: a.ID, OccurredAt: t0,
		Data: map[string]any{"n": 1.0}, DataJSON: []byte(`{"n":1}`)}
	_, _, err = e.s.EventInsert(e.ctx, pre)
	e.must(err)
	got, err = e.s.EventGet(e.ctx, pre.ID)
	e.must(err)
	e.equal("pre-encoded data", got.Data, pre.Data)
	_, _, err = e.s.EventInsert(e.ctx, &hook.Event{ID: ev.ID, Type: "x", AccountID: a.ID, OccurredAt: t0})
	e.isErr(err, store.ErrConflict)
	_, _, err = e.s.EventInsert(e.ctx, &hook.Event{ID: e.id("ev"), Type: "x", AccountID: "acc_missing", OccurredAt: t0})
	e.isErr(err, store.ErrNotFound)
	_, err = e.s.EventGet(e.ctx, "ev_missing")
	e.isErr(err, store.ErrNotFound)

	// The latest event of a type, among the newest few of the accounts.
	latest, err := e.s.EventLatest(e.ctx, []string{a.ID}, "30552")
	e.must(err)
	e.equal("latest 30552 of a", latest.ID, pre.ID)
	latest, err = e.s.EventLatest(e.ctx, []string{a.ID, b.ID}, "30552")
	e.must(err)
	e.equal("latest 30552 of a and b", latest.ID, pre.ID)
	latest, err = e.s.EventLatest(e.ctx, []string{b.ID}, "30552")
	e.must(err)
	e.equal("latest 30552 of b", latest, &other)
	_, err = e.s.EventLatest(e.ctx, []string{a.ID}, "30599")
	e.isErr(err, store.ErrNotFound)
	latest, err = e.s.EventLatest(e.ctx, []string{a.ID}, hook.EventAuthLogin)
	e.must(err)
	e.equal("latest login of a", latest.Type, hook.EventAuthLogin)
	_, err = e.s.EventLatest(e.ctx, nil, "30552")
	e.isErr(err, store.ErrNotFound)
}

// testEventIdempotencyInTx emits the same keyed event twice, each time in a
// transaction with its executions: the repeat must neither fail nor spoil
// the transaction (PostgreSQL aborts a transaction on a unique violation).
func testEventIdempotencyInTx(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	emit := func() (string, bool, *hook.Execution) {
		e.t.Helper()
		ev := &hook.Event{ID: e.id("ev"), Type: hook.EventRecordCreate, AccountID: a.ID, OccurredAt: t0,
			IdempotencyKey: "k1", Data: map[string]any{}}
		var (
			id       string
			inserted bool
		)
		x := e.newExecution(a.ID, h.ID, t0)
		e.must(e.s.Tx(e.ctx, func(q store.Querier) error {
			var err error
			id, inserted, err = q.EventInsert(e.ctx, ev)
			if err != nil {
				return err
			}
			x.EventID = id
			// Written whatever the outcome, to prove the transaction lives on.
			if err := q.ExecutionInsert(e.ctx, x); err != nil {
				return err
			}
			_, err = q.EventGet(e.ctx, id)
			return err
		}))
		return id, inserted, x
	}
	id1, ins1, x1 := emit()
	id2, ins2, x2 := emit()
	e.equal("first", ins1, true)
	e.equal("second", []any{id2, ins2}, []any{id1, false})
	for _, x := range []*hook.Execution{x1, x2} {
		got, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.must(err)
		e.equal("event of execution", got.EventID, id1)
	}
}

func testFieldClaim(e *env) {
	a := e.account("")
	ev := e.event(a.ID, t0)
	claim := func(record, field string, seq int, value any) bool {
		e.t.Helper()
		ok, err := e.s.FieldClaim(e.ctx, ev.ID, record, field, seq, value)
		e.must(err)
		return ok
	}
	e.equal("first claim", claim("r1", "status", 5, "paid"), true)
	e.equal("a later position loses", claim("r1", "status", 7, "late"), false)
	e.equal("the same position again", claim("r1", "status", 5, "paid again"), true)
	e.equal("an earlier position loses too: the first claim wins", claim("r1", "status", 3, "early"), false)
	e.equal("another field", claim("r1", "total", 9, 12.5), true)
	e.equal("another record", claim("r2", "status", 9, "x"), true)
	e.equal("a deleted field", claim("r1", "gone", 9, nil), true)

	// Inside a transaction too.
	e.must(e.s.Tx(e.ctx, func(q store.Querier) error {
		ok, err := q.FieldClaim(e.ctx, ev.ID, "r1", "status", 4, "tx")
		if err == nil && ok {
			err = errors.New("seq 4 won over seq 5's claim")
		}
		return err
	}))
	_, err := e.s.FieldClaim(e.ctx, "ev_missing", "r1", "status", 1, "x")
	e.isErr(err, store.ErrNotFound)

	got, err := e.s.FieldClaimList(e.ctx, ev.ID, "r1")
	e.must(err)
	e.equal("claims of r1", got, []store.FieldClaim{
		{Field: "gone", Seq: 9, Value: nil},
		{Field: "status", Seq: 5, Value: "paid again"},
		{Field: "total", Seq: 9, Value: 12.5},
	})
	none, err := e.s.FieldClaimList(e.ctx, ev.ID, "r3")
	e.must(err)
	e.equal("claims of a record nobody wrote", len(none), 0)
}

func testSlotClaim(e *env) {
	a := e.account("")
	h1, h2 := e.hook(a.ID), e.hook(a.ID)
	claim := func(hookID string, slot time.Time) bool {
		e.t.Helper()
		ok, err := e.s.SlotClaim(e.ctx, hookID, slot)
		e.must(err)
		return ok
	}
	e.equal("first", claim(h1.ID, t0), true)
	e.equal("again", claim(h1.ID, t0), false)
	e.equal("next slot", claim(h1.ID, t0.Add(time.Minute)), true)
	e.equal("other hook", claim(h2.ID, t0), true)
	// Deleting the hook forgets its slots.
	e.must(e.s.HookDelete(e.ctx, h2.ID))
	_, err := e.s.SlotClaim(e.ctx, h2.ID, t0)
	e.isErr(err, store.ErrNotFound)

	// Concurrent claimers of one slot: exactly one wins.
	const n = 8
	wins := make(chan bool, n)
	for range n {
		go func() {
			ok, err := e.s.SlotClaim(e.ctx, h1.ID, t0.Add(time.Hour))
			if err != nil {
				e.t.Error(err)
			}
			wins <- ok
		}()
	}
	won := 0
	for range n {
		if <-wins {
			won++
		}
	}
	e.equal("winners", won, 1)
}
