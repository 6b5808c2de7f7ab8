package postgres_test

import (
	"context"
	"testing"

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

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, postgres.Options{}) })
}
