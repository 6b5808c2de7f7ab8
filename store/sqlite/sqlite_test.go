package sqlite_test

import (
	"context"
	"testing"

	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/sqlite"
	"github.com/hookline/hookline/store/storetest"
)

func open(t testing.TB, opts sqlite.Options) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, testdb.SQLitePath(t), opts)
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

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, sqlite.Options{}) })
}
