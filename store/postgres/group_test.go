package postgres

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/sqlstore"
)

// storeWith opens a store on a new test schema (not migrated) and runs
// stmts there; closed when the test ends.
func storeWith(t *testing.T, stmts ...string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, testdb.PostgresURL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, st := range stmts {
		if _, err := s.pool.Exec(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// TestGroupFailureIsEachOwn: when a unit's statement fails, that unit gets
// the error and the others of its group are sent again and commit; a unit
// is all or nothing.
func TestGroupFailureIsEachOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storeWith(t, `CREATE TABLE g (id INT PRIMARY KEY)`)
	ins := func(id int) later {
		return later{query: `INSERT INTO g (id) VALUES ($1)`, args: []any{id}, fail: func(err error) error { return err }}
	}
	units := []*unit{
		{stmts: []later{ins(1), ins(2)}},
		{stmts: []later{ins(3), ins(3)}}, // fails: 3 twice
		{stmts: []later{ins(4)}},
	}
	for _, u := range units {
		u.done = make(chan error, 1)
	}
	s.group.send(units)
	var pe *pgconn.PgError
	for i, u := range units {
		err := <-u.done
		if fails := i == 1; fails != (err != nil) || fails && !(errors.As(err, &pe) && pe.Code == "23505") {
			t.Fatalf("unit %d: %v", i, err)
		}
	}
	var ids []int
	r, err := s.pool.Query(ctx, `SELECT id FROM g ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id int
		if err := r.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if r.Err() != nil || len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 4 {
		t.Fatalf("stored %v (%v), want [1 2 4]", ids, r.Err())
	}
}

// TestGroupGathersWhileBusy: while every place is taken by a group under
// way, units queue, and the group that finishes sends them all together:
// one batch for the lot.
func TestGroupGathersWhileBusy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storeWith(t, `CREATE TABLE g (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0)`, `INSERT INTO g (id) VALUES (0)`)
	g := newGrouper(s.pool, 1)
	defer g.close()
	stmt := func(query string, args ...any) []later {
		return []later{{query: query, args: args, fail: func(err error) error { return err }}}
	}
	// A blocker holds row 0, so the first group (it updates row 0) stays
	// under way until the blocker ends.
	blocker, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.Exec(ctx, `UPDATE g SET n = n + 1 WHERE id = 0`); err != nil {
		t.Fatal(err)
	}
	var blockerPID int
	if err := blocker.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&blockerPID); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	go func() { errs <- g.commit(ctx, nil, stmt(`UPDATE g SET n = n + 1 WHERE id = 0`)) }()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for i := 0; !cond(); i++ {
			if i > 10000 {
				t.Fatalf("never: %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// Waiting for this blocker: other tests running in parallel may hold
	// up transactions of their own.
	waitFor("the first group under way", func() bool {
		var waiting bool
		err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid)))`, blockerPID).Scan(&waiting)
		return err == nil && waiting
	})
	before := s.RoundTrips()
	for i := 1; i <= 3; i++ {
		go func() { errs <- g.commit(ctx, nil, stmt(`INSERT INTO g (id) VALUES ($1)`, i)) }()
	}
	waitFor("three units queued", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.queue) == 3
	})
	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Since before: the blocker's COMMIT, and one batch for the three
	// queued units (the first group's batch had started already).
	if n := s.RoundTrips() - before; n != 2 {
		t.Fatalf("%d round trips, want 2: the queued units went in %d batches", n, n-1)
	}
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM g`).Scan(&rows); err != nil || rows != 4 {
		t.Fatalf("%d rows (%v), want 4", rows, err)
	}
}

// TestGroupTakesUnitLocks: a unit sent with a lock runs only once the
// group holds that advisory lock (a transaction adding an execution behind
// an ordering key holds it), and the group's other units wait with it.
func TestGroupTakesUnitLocks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := storeWith(t, `CREATE TABLE g (id INT PRIMARY KEY)`)
	g := newGrouper(s.pool, 1)
	defer g.close()
	blocker, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(ctx)
	var blockerPID int
	if err := blocker.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&blockerPID); err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.Exec(ctx, sqlstore.AdvisoryLockSQL, "hk_1 key-b"); err != nil {
		t.Fatal(err)
	}
	ins := func(id int) []later {
		return []later{{query: `INSERT INTO g (id) VALUES ($1)`, args: []any{id}, fail: func(err error) error { return err }}}
	}
	done := make(chan error, 1)
	go func() { done <- g.commit(ctx, []string{"hk_1 key-b"}, ins(1)) }()
	for i := 0; ; i++ {
		var waiting bool
		err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE $1::int = ANY (pg_blocking_pids(pid)))`, blockerPID).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the unit committed (%v) while another transaction held its lock", err)
		default:
		}
		if i > 10000 {
			t.Fatal("the unit never waited for the lock")
		}
		time.Sleep(time.Millisecond)
	}
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM g`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d rows (%v) while the lock was held, want 0", rows, err)
	}
	if err := blocker.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM g`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("%d rows (%v) after the lock was free, want 1", rows, err)
	}
}

// TestGroupLocksInOrder: a group takes each of its units' locks once, in
// key order, whatever order the units came in.
func TestGroupLocksInOrder(t *testing.T) {
	got := locks([]*unit{{locks: []string{"hk_2 b"}}, {}, {locks: []string{"hk_1 z", "hk_2 b"}}, {locks: []string{"hk_1 a"}}})
	want := []string{"hk_1 a", "hk_1 z", "hk_2 b"}
	if !slices.Equal(got, want) {
		t.Fatalf("locks %q, want %q", got, want)
	}
}
