package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

var errBoom = errors.New("boom")

func testTxRollback(e *env) {
	a := e.account("")
	var (
		acc = &hook.Account{ID: e.id("acc"), Name: "tx", CreatedAt: t0, UpdatedAt: t0}
		h   = e.newHook(acc.ID)
		ev  = &hook.Event{ID: e.id("ev"), Type: "x", AccountID: acc.ID, OccurredAt: t0, IdempotencyKey: "k"}
		x   = e.newExecution(acc.ID, h.ID, t0)
	)
	write := func(q store.Querier) error {
		for _, err := range []error{
			q.AccountInsert(e.ctx, acc),
			q.HookInsert(e.ctx, h),
			func() error { _, _, err := q.EventInsert(e.ctx, ev); return err }(),
			q.ExecutionInsert(e.ctx, x),
			q.MetaSet(e.ctx, "tx", "1"),
		} {
			if err != nil {
				return err
			}
		}
		// Reads inside see the writes.
		got, err := q.HookGet(e.ctx, h.ID)
		if err != nil {
			return err
		}
		if got.Name != h.Name {
			return fmt.Errorf("read inside tx: %q", got.Name)
		}
		return nil
	}
	absent := func() {
		e.t.Helper()
		_, err := e.s.AccountGet(e.ctx, acc.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.HookGet(e.ctx, h.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.EventGet(e.ctx, ev.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.ExecutionGet(e.ctx, x.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.MetaGet(e.ctx, "tx")
		e.isErr(err, store.ErrNotFound)
	}

	err := e.s.Tx(e.ctx, func(q store.Querier) error {
		if err := write(q); err != nil {
			return err
		}
		return errBoom
	})
	e.isErr(err, errBoom)
	absent()

	// A store error inside, returned by fn, is the Tx's error.
	err = e.s.Tx(e.ctx, func(q store.Querier) error {
		if err := write(q); err != nil {
			return err
		}
		return q.AccountInsert(e.ctx, a)
	})
	e.isErr(err, store.ErrConflict)
	absent()

	// A panic in fn rolls back and reaches the caller.
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				e.t.Fatalf("recovered %v, want the panic of fn", v)
			}
		}()
		_ = e.s.Tx(e.ctx, func(q store.Querier) error {
			if err := write(q); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	absent()

	e.must(e.s.Tx(e.ctx, write))
	_, err = e.s.ExecutionGet(e.ctx, x.ID)
	e.must(err)
	_, err = e.s.MetaGet(e.ctx, "tx")
	e.must(err)
}

type txFailure struct{ i int }

func (f txFailure) Error() string { return fmt.Sprintf("tx %d fails", f.i) }

// testTxConcurrent runs 50 transactions at once, some failing (on SQLite
// they share commit groups): each gets its own outcome.
func testTxConcurrent(e *env) {
	const n = 50
	a := e.account("")
	accs := make([]*hook.Account, n)
	for i := range accs {
		accs[i] = &hook.Account{ID: e.id("acc"), Name: fmt.Sprint(i), CreatedAt: t0, UpdatedAt: t0}
	}
	errs := make([]error, n)
	ends := make([][]bool, n) // what AfterTx told each transaction, attempt by attempt
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = e.s.Tx(e.ctx, func(q store.Querier) error {
				q.AfterTx(func(committed bool) { ends[i] = append(ends[i], committed) })
				if err := q.AccountInsert(e.ctx, accs[i]); err != nil {
					return err
				}
				if err := q.HookInsert(e.ctx, e.newHook(accs[i].ID)); err != nil {
					return err
				}
				switch i % 5 {
				case 0:
					return txFailure{i}
				case 1:
					if i%2 == 1 {
						return q.AccountInsert(e.ctx, a) // a conflict, after writes
					}
				}
				return nil
			})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		// Every attempt hears how it ended, by the time Tx returns; only
		// the last attempt of a transaction that returned nil committed.
		if len(ends[i]) == 0 {
			e.t.Fatalf("tx %d: AfterTx callback never ran", i)
		}
		for j, c := range ends[i] {
			if last := j == len(ends[i])-1; c != (last && err == nil) {
				e.t.Fatalf("tx %d (err %v): AfterTx said %v", i, err, ends[i])
			}
		}
		_, getErr := e.s.AccountGet(e.ctx, accs[i].ID)
		var f txFailure
		switch {
		case i%5 == 0:
			if !errors.As(err, &f) || f.i != i {
				e.t.Fatalf("tx %d: error %v, want its own failure", i, err)
			}
			e.isErr(getErr, store.ErrNotFound)
		case i%5 == 1 && i%2 == 1:
			e.isErr(err, store.ErrConflict)
			e.isErr(getErr, store.ErrNotFound)
		default:
			if err != nil {
				e.t.Fatalf("tx %d: %v", i, err)
			}
			e.must(getErr)
		}
	}
	n2, err := e.s.AccountCount(e.ctx)
	e.must(err)
	e.equal("accounts", n2, 1+n-n/5-n/10)
}

// testAfterTxTopLevel: outside a transaction a write has committed when it
// returns, so AfterTx runs its callback at once.
func testAfterTxTopLevel(e *env) {
	ran := 0
	e.s.AfterTx(func(committed bool) {
		if !committed {
			e.t.Fatal("AfterTx at top level said not committed")
		}
		ran++
	})
	e.equal("callbacks run", ran, 1)
	var inner bool
	err := e.s.Tx(e.ctx, func(q store.Querier) error {
		q.AfterTx(func(committed bool) { inner = committed })
		if inner {
			e.t.Fatal("AfterTx ran before the transaction was over")
		}
		return q.MetaSet(e.ctx, "after-tx", "1")
	})
	e.must(err)
	e.equal("committed", inner, true)
}

func testTxContext(e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	ran := false
	err := e.s.Tx(ctx, func(q store.Querier) error { ran = true; return nil })
	e.isErr(err, context.Canceled)
	e.equal("fn ran", ran, false)
	e.isErr(e.s.AccountInsert(ctx, &hook.Account{ID: e.id("acc"), CreatedAt: t0, UpdatedAt: t0}), context.Canceled)
	_, err = e.s.AccountGet(ctx, "acc_x")
	e.isErr(err, context.Canceled)

	// A transaction whose ctx ends while another one holds the writer
	// (SQLite) gives up at once.
	hold, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- e.s.Tx(e.ctx, func(q store.Querier) error {
			close(hold)
			<-release
			return q.MetaSet(e.ctx, "first", "1")
		})
	}()
	<-hold
	ctx, cancel = context.WithCancel(e.ctx)
	second := make(chan error, 1)
	var ranSecond sync.Mutex
	secondRan := false
	go func() {
		second <- e.s.Tx(ctx, func(q store.Querier) error {
			ranSecond.Lock()
			secondRan = true
			ranSecond.Unlock()
			return q.MetaSet(e.ctx, "second", "1")
		})
	}()
	if !e.s.Shared() {
		cancel()
		select {
		case err := <-second:
			e.isErr(err, context.Canceled)
		case <-time.After(10 * time.Second):
			e.t.Fatal("a cancelled Tx waited for the writer")
		}
	} else {
		e.must(<-second) // PostgreSQL runs it beside the first
		cancel()
	}
	close(release)
	e.must(<-first)
	_, err = e.s.MetaGet(e.ctx, "first")
	e.must(err)
	ranSecond.Lock()
	defer ranSecond.Unlock()
	_, err = e.s.MetaGet(e.ctx, "second")
	if secondRan {
		e.must(err)
	} else {
		e.isErr(err, store.ErrNotFound)
	}
	if !e.s.Shared() && secondRan {
		e.t.Fatal("the cancelled Tx ran")
	}
}

func testNotify(e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	got := make(chan string, 16)
	e.must(e.s.Listen(ctx, []string{store.TopicExecutions, store.TopicHooks}, func(topic, payload string) {
		if payload != "" { // "" after a reconnect: "you may have missed some"
			got <- topic + ":" + payload
		}
	}))
	next := func() string {
		e.t.Helper()
		select {
		case p := <-got:
			return p
		case <-time.After(10 * time.Second):
			e.t.Fatal("no notification")
			return ""
		}
	}

	err := e.s.Tx(e.ctx, func(q store.Querier) error {
		if err := q.Notify(e.ctx, store.TopicExecutions, "rolled-back"); err != nil {
			return err
		}
		return errBoom
	})
	e.isErr(err, errBoom)
	e.must(e.s.Tx(e.ctx, func(q store.Querier) error {
		if err := q.Notify(e.ctx, store.TopicExecutions, "committed"); err != nil {
			return err
		}
		if err := q.Notify(e.ctx, store.TopicHooks, "h1"); err != nil {
			return err
		}
		select {
		case p := <-got:
			return fmt.Errorf("%s delivered before commit", p)
		default:
			return nil
		}
	}))
	// Notifications arrive in commit order: had the rolled-back one been
	// sent, it would come first.
	e.equal("first", next(), store.TopicExecutions+":committed")
	e.equal("second", next(), store.TopicHooks+":h1")

	// At top level: at once. Topics not listened to are not delivered.
	e.must(e.s.Notify(e.ctx, store.TopicJobs, "not-listened"))
	e.must(e.s.Notify(e.ctx, store.TopicExecutions, "direct"))
	e.equal("direct", next(), store.TopicExecutions+":direct")
}

// testTxLateErrors: inside a transaction a driver may send a write whose
// outcome the caller does not read (a record, an event without an
// idempotency key, executions) later, with the next statement or the
// commit (PostgreSQL pipelines them). Its error then fails that statement
// or the Tx, mapped as it would have been at once; nothing is stored.
// Reads see the writes before them.
func testTxLateErrors(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	e.must(e.s.CollectionInsert(e.ctx, &store.Collection{AccountID: a.ID, Name: "orders", CreatedAt: t0}))
	old := e.newExecution(a.ID, h.ID, t0)
	e.must(e.s.ExecutionInsert(e.ctx, old))
	type batch struct {
		r  *store.Record
		ev *hook.Event
		x  *hook.Execution
	}
	fresh := func(collection string) batch {
		ev := &hook.Event{ID: e.id("ev"), Type: hook.EventRecordCreate, AccountID: a.ID, OccurredAt: t0,
			Data: map[string]any{"n": 1.0}}
		x := e.newExecution(a.ID, h.ID, t0)
		x.EventID = ev.ID
		return batch{&store.Record{ID: e.id("rec"), AccountID: a.ID, Collection: collection,
			Data: map[string]any{"n": 1.0}, CreatedAt: t0, UpdatedAt: t0}, ev, x}
	}
	write := func(q store.Querier, b batch, more ...*hook.Execution) error {
		if err := q.RecordInsert(e.ctx, b.r); err != nil {
			return err
		}
		if _, _, err := q.EventInsert(e.ctx, b.ev); err != nil {
			return err
		}
		return q.ExecutionInsert(e.ctx, append([]*hook.Execution{b.x}, more...)...)
	}
	absent := func(b batch) {
		e.t.Helper()
		_, err := e.s.RecordGet(e.ctx, a.ID, b.r.Collection, b.r.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.EventGet(e.ctx, b.ev.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.ExecutionGet(e.ctx, b.x.ID)
		e.isErr(err, store.ErrNotFound)
	}

	// A record in a collection that does not exist: ErrNotFound.
	b := fresh("no-such-collection")
	e.isErr(e.s.Tx(e.ctx, func(q store.Querier) error { return write(q, b) }), store.ErrNotFound)
	absent(b)
	// An execution id taken: ErrConflict, reported by the read after it.
	b = fresh("orders")
	dup := *old
	e.isErr(e.s.Tx(e.ctx, func(q store.Querier) error {
		if err := write(q, b, &dup); err != nil {
			return err
		}
		_, err := q.HookGet(e.ctx, h.ID)
		return err
	}), store.ErrConflict)
	absent(b)
	// Reads inside see the writes before them.
	b = fresh("orders")
	e.must(e.s.Tx(e.ctx, func(q store.Querier) error {
		if err := write(q, b); err != nil {
			return err
		}
		if _, err := q.RecordGet(e.ctx, a.ID, "orders", b.r.ID); err != nil {
			return err
		}
		if _, err := q.EventGet(e.ctx, b.ev.ID); err != nil {
			return err
		}
		_, err := q.ExecutionGet(e.ctx, b.x.ID)
		return err
	}))
	_, err := e.s.ExecutionGet(e.ctx, b.x.ID)
	e.must(err)

	// Side by side (PostgreSQL commits such transactions together), each
	// gets its own outcome: every third one fails.
	const n = 30
	bs := make([]batch, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range bs {
		bs[i] = fresh("orders")
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.s.Tx(e.ctx, func(q store.Querier) error {
				if i%3 == 0 {
					dup := *old
					return write(q, bs[i], &dup)
				}
				return write(q, bs[i])
			})
		}()
	}
	wg.Wait()
	for i, b := range bs {
		if i%3 == 0 {
			e.isErr(errs[i], store.ErrConflict)
			absent(b)
			continue
		}
		e.must(errs[i])
		_, err := e.s.RecordGet(e.ctx, a.ID, "orders", b.r.ID)
		e.must(err)
		_, err = e.s.ExecutionGet(e.ctx, b.x.ID)
		e.must(err)
	}
}
