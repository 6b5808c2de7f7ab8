package postgres

import (
	"context"
	"io/fs"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/storetest"
)

// TestVersionBackfill: hooks stored before migration 00003 become version 1
// with a stored version 1 equal to the hook.
func TestVersionBackfill(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, testdb.PostgresURL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fsys, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectPostgres, s.db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, storetest.BackfillBefore); err != nil {
		t.Fatal(err)
	}
	for _, q := range storetest.BackfillSeed {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.CheckBackfill(t, s)
}
