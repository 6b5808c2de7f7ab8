package sqlite

import (
	"context"
	"database/sql"
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
	path := testdb.SQLitePath(t)
	db, err := sql.Open("sqlite", dsn(path, "foreign_keys(1)"))
	if err != nil {
		t.Fatal(err)
	}
	fsys, _ := fs.Sub(migrations, "migrations")
	storetest.SeedBeforeVersions(t, db, goose.DialectSQLite3, fsys)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.CheckBackfill(t, s)
}
