package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/postgres"
	"github.com/hookline/hookline/store/storetest"
)

func open(t testing.TB, opts postgres.Options) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, testdb.PostgresURL(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// withAccount opens a store on a new schema with the account acc_1 and
// returns it with the time it used.
func withAccount(t *testing.T) (*postgres.Store, *hook.Account, time.Time) {
	t.Helper()
	s := open(t, postgres.Options{})
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := &hook.Account{ID: "acc_1", Name: "a", CreatedAt: now, UpdatedAt: now}
	if err := s.AccountInsert(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	return s, a, now
}

// pending is execution id of hook hk_1 for an event of a, pending and due now.
func pending(id string, a *hook.Account, eventID string, now time.Time) *hook.Execution {
	return &hook.Execution{ID: id, AccountID: a.ID, HookID: "hk_1", EventID: eventID,
		TriggerType: hook.TriggerEvent, Status: hook.StatusPending, RunAt: now, CreatedAt: now}
}

// event stores the event ev_1 of a.
func event(t *testing.T, s *postgres.Store, a *hook.Account, now time.Time) *hook.Event {
	t.Helper()
	ev := &hook.Event{ID: "ev_1", Type: "order.paid", AccountID: a.ID, OccurredAt: now}
	if _, _, err := s.EventInsert(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, postgres.Options{}) })
}

// TestAcceptOneRoundTrip: a transaction that only writes (a record, its
// event, the event's executions) goes to the database as one pipelined
// batch: BEGIN, the three INSERTs and COMMIT in one round trip.
func TestAcceptOneRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a, now := withAccount(t)
	if err := s.CollectionInsert(ctx, &store.Collection{AccountID: a.ID, Name: "orders", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	accept := func(i int) error {
		id := fmt.Sprintf("%03d", i)
		ev := &hook.Event{ID: "ev_" + id, Type: hook.EventRecordCreate, AccountID: a.ID, OccurredAt: now}
		return s.Tx(ctx, func(q store.Querier) error {
			if err := q.RecordInsert(ctx, &store.Record{ID: "rec_" + id, AccountID: a.ID, Collection: "orders",
				Data: map[string]any{}, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			if _, _, err := q.EventInsert(ctx, ev); err != nil {
				return err
			}
			return q.ExecutionInsert(ctx, pending("ex_"+id, a, ev.ID, now))
		})
	}
	for i := range 10 {
		before := s.RoundTrips()
		if err := accept(i); err != nil {
			t.Fatal(err)
		}
		if n := s.RoundTrips() - before; n != 1 {
			t.Fatalf("accepting %d: %d round trips, want 1", i, n)
		}
	}
	if _, err := s.ExecutionGet(ctx, "ex_009"); err != nil {
		t.Fatal(err)
	}
}

// TestExtendSkipsRowsBeingSaved: the heartbeat extends the leases it can
// and does not wait for a row another transaction holds (a final save in a
// commit group): waiting, while holding the rows it already extended,
// deadlocked with a group saving the same executions in the other order.
func TestExtendSkipsRowsBeingSaved(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a, now := withAccount(t)
	ev := event(t, s, a, now)
	for _, id := range []string{"ex_1", "ex_2"} {
		if err := s.ExecutionInsert(ctx, pending(id, a, ev.ID, now)); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := s.ExecutionClaim(ctx, "node-1", now, now.Add(time.Minute), 2)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d: %v", len(claimed), err)
	}

	// Another transaction holds ex_1 (as a grouped final save does until it commits).
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE executions SET note = 'saving' WHERE id = 'ex_1'`); err != nil {
		t.Fatal(err)
	}

	later := now.Add(10 * time.Minute)
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.ExecutionExtend(tctx, "node-1", []string{"ex_1", "ex_2"}, later); err != nil {
		t.Fatalf("extend while ex_1 is held: %v", err)
	}
	got, err := s.ExecutionGet(ctx, "ex_2")
	if err != nil {
		t.Fatal(err)
	}
	if got.LockedUntil == nil || !got.LockedUntil.Equal(later) {
		t.Fatalf("ex_2's lease: %v, want %v", got.LockedUntil, later)
	}
	got, err = s.ExecutionGet(ctx, "ex_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.LockedUntil == nil || !got.LockedUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("ex_1's lease: %v, want it untouched (%v) while another transaction holds the row", got.LockedUntil, now.Add(time.Minute))
	}
}

// TestKeyedAcceptOneRoundTrip: an event with an idempotency key is accepted
// in one round trip too (the key is assumed free and the event goes with
// the other writes); a repeat of the key answers the first event, stores
// nothing of its own transaction, and takes a few more.
func TestKeyedAcceptOneRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a, now := withAccount(t)
	accept := func(i int, key string) (string, bool) {
		t.Helper()
		id := fmt.Sprintf("%03d", i)
		ev := &hook.Event{ID: "ev_" + id, Type: "order.paid", AccountID: a.ID, OccurredAt: now, IdempotencyKey: key}
		var got string
		var inserted bool
		err := s.Tx(ctx, func(q store.Querier) error {
			var err error
			if got, inserted, err = q.EventInsert(ctx, ev); err != nil || !inserted {
				return err
			}
			return q.ExecutionInsert(ctx, pending("ex_"+id, a, got, now))
		})
		if err != nil {
			t.Fatalf("accepting %d: %v", i, err)
		}
		return got, inserted
	}
	for i := range 5 {
		before := s.RoundTrips()
		if id, inserted := accept(i, fmt.Sprintf("key-%d", i)); id != fmt.Sprintf("ev_%03d", i) || !inserted {
			t.Fatalf("accepting %d: %s, inserted %v", i, id, inserted)
		}
		if n := s.RoundTrips() - before; n != 1 {
			t.Fatalf("accepting %d: %d round trips, want 1", i, n)
		}
	}
	if id, inserted := accept(7, "key-3"); id != "ev_003" || inserted {
		t.Fatalf("repeating key-3: %s, inserted %v; want ev_003, not inserted", id, inserted)
	}
	// The repeat met by a later statement whose error its caller ignores:
	// the transaction is run again all the same.
	var got string
	var inserted bool
	err := s.Tx(ctx, func(q store.Querier) error {
		var err error
		if got, inserted, err = q.EventInsert(ctx, &hook.Event{ID: "ev_008", Type: "order.paid", AccountID: a.ID,
			OccurredAt: now, IdempotencyKey: "key-1"}); err != nil || !inserted {
			return err
		}
		_, _ = q.EventGet(ctx, "ev_000")
		return nil
	})
	if err != nil || got != "ev_001" || inserted {
		t.Fatalf("repeating key-1 behind an ignored error: %s, inserted %v, %v; want ev_001, not inserted", got, inserted, err)
	}
	for _, gone := range []func() error{
		func() error { _, err := s.EventGet(ctx, "ev_008"); return err },
		func() error { _, err := s.EventGet(ctx, "ev_007"); return err },
		func() error { _, err := s.ExecutionGet(ctx, "ex_007"); return err },
	} {
		if err := gone(); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the repeat stored something: %v", err)
		}
	}
}

// TestOrderingKeyRoundTrips: accepting an execution with an ordering key
// and its final save each go in one commit group, the key's advisory lock
// taken first in the group: one round trip each (they took two and three
// when the tail was read, and the save made, in transactions of their
// own), the save's answer bringing the execution it hands over whole.
func TestOrderingKeyRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a, now := withAccount(t)
	ev := event(t, s, a, now)
	accept := func(id string) string {
		t.Helper()
		before := s.RoundTrips()
		tail := "?"
		err := s.Tx(ctx, func(q store.Querier) error {
			x := pending(id, a, ev.ID, now)
			x.OrderingKey = "k1"
			return q.ExecutionInsertKeyed(ctx, x, x, func(t string) { tail = t })
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := s.RoundTrips() - before; n != 1 {
			t.Fatalf("accepting %s: %d round trips, want 1", id, n)
		}
		return tail
	}
	if tail := accept("ex_1"); tail != "" {
		t.Fatalf("first of the key waits for %q", tail)
	}
	if tail := accept("ex_2"); tail != "ex_1" {
		t.Fatalf("second of the key waits for %q, want ex_1", tail)
	}
	claimed, err := s.ExecutionClaim(ctx, "n1", now, now.Add(time.Minute), 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != "ex_1" {
		t.Fatalf("claimed %v (%v), want ex_1 alone", claimed, err)
	}
	x := claimed[0]
	x.Status, x.FinishedAt = hook.StatusSuccess, &now
	before := s.RoundTrips()
	next, err := s.ExecutionSave(ctx, x, &store.Lease{Node: "n1", Now: now, Until: now.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.RoundTrips() - before; n != 1 {
		t.Fatalf("final save of ex_1: %d round trips, want 1", n)
	}
	if next == nil || next.ID != "ex_2" || next.Status != hook.StatusRunning {
		t.Fatalf("handed over %+v, want ex_2 running", next)
	}
	// The execution handed over came whole with the save's answer.
	stored, err := s.ExecutionGet(ctx, "ex_2")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(next, stored) {
		t.Fatalf("handed over\n%+v\nstored\n%+v", next, stored)
	}
}

// TestRescuePassWhileAllAlive: with every node alive, a rescue pass reads
// the nodes table and not the executions at all, however many finished
// executions left their entries in the lease index (the pass that read
// expired leases visited each of those once, 5-50 ms a second at 1,000
// events/s).
func TestRescuePassWhileAllAlive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a, now := withAccount(t)
	ev := event(t, s, a, now)
	for i := range 200 {
		if err := s.ExecutionInsert(ctx, pending(fmt.Sprintf("ex_%04d", i), a, ev.ID, now)); err != nil {
			t.Fatal(err)
		}
	}
	for _, node := range []string{"n1", "n2"} {
		if err := s.NodeAlive(ctx, node, now, now.Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		xs, err := s.ExecutionClaim(ctx, node, now, now.Add(time.Second), 100)
		if err != nil || len(xs) != 100 {
			t.Fatalf("claim: %d, %v", len(xs), err)
		}
		for _, x := range xs { // final: their lease entries are dead now
			x.Status = hook.StatusSuccess
			if _, err := s.ExecutionSave(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Another session holds the executions table exclusively: a pass that
	// read it (its lease index or its rows) would wait for that lock.
	lock, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Rollback() }) // before the store closes
	if _, err := lock.ExecContext(ctx, `LOCK TABLE executions IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	pass, cancel := context.WithTimeout(ctx, 3*time.Second)
	nodes, n, err := s.ExecutionRescueDead(pass, now.Add(4*time.Second), "n1")
	cancel()
	if err != nil || len(nodes) != 0 || n != 0 {
		t.Fatalf("all alive: took over %v (%d executions), %v (a pass that waited for the executions table fails here)", nodes, n, err)
	}
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	nodes, _, err = s.ExecutionRescueDead(ctx, now.Add(6*time.Second), "n1")
	if err != nil || len(nodes) != 1 || nodes[0] != "n2" {
		t.Fatalf("n2 gone: took over %v, %v", nodes, err)
	}
}
