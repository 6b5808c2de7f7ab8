package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/sqlite"
)

func TestOptions(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), testdb.SQLitePath(t), sqlite.Options{Synchronous: "OFF"}); err == nil {
		t.Fatal("synchronous OFF accepted")
	}
	s := open(t, sqlite.Options{Synchronous: "normal"})
	if s.Shared() {
		t.Fatal("SQLite says it may be shared")
	}
}

// TestCloseDrains: transactions queued when Close is called still run;
// later ones get ErrClosed.
func TestCloseDrains(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.MetaSet(ctx, "k", "v")
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Tx(ctx, func(store.Querier) error { return nil }); !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("Tx after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

}

// TestReopen: what a Tx committed survives Close and Open.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := testdb.SQLitePath(t)
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a := &hook.Account{ID: "acc_1", Name: "a"}
	if err := s.AccountInsert(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	if _, err := s.AccountGet(ctx, "acc_1"); err != nil {
		t.Fatal(err)
	}
}

// TestMaintenanceAmongTransactions: maintenance work (Migrate runs outside
// any transaction, on the writer) queued among many transactions runs, in
// its turn, and every transaction around it commits.
func TestMaintenanceAmongTransactions(t *testing.T) {
	ctx := context.Background()
	s := open(t, sqlite.Options{})
	const n, m = 300, 6
	var wg sync.WaitGroup
	errs := make(chan error, n+m)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.MetaSet(ctx, fmt.Sprintf("k%03d", i), "v")
		}()
		if i%(n/m) == 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Migrate(ctx)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if v, err := s.MetaGet(ctx, fmt.Sprintf("k%03d", i)); err != nil || v != "v" {
			t.Fatalf("k%03d: %q, %v", i, v, err)
		}
	}
}
