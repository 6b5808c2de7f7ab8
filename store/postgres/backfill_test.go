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
	storetest.SeedBeforeVersions(t, s.db, goose.DialectPostgres, fsys)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.CheckBackfill(t, s)
}
