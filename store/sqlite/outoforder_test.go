package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"

	"github.com/hookline/hookline/internal/testdb"
)

// TestMigrateOutOfOrder: a database that got a newer migration before an
// older one landed (branches merge in any order) takes the older one on
// the next start instead of refusing to start.
func TestMigrateOutOfOrder(t *testing.T) {
	ctx := context.Background()
	dbPath := testdb.SQLitePath(t)
	all, _ := fs.Sub(migrations, "migrations")
	names, err := fs.Glob(all, "*.sql")
	if err != nil || len(names) < 3 {
		t.Fatalf("migrations %v: %v", names, err)
	}
	skipped := names[len(names)-2] // all but the one before the newest
	partial := fstest.MapFS{}
	for _, n := range names {
		if n == skipped {
			continue
		}
		b, _ := fs.ReadFile(all, n)
		partial[n] = &fstest.MapFile{Data: b}
	}
	db, err := sql.Open("sqlite", dsn(dbPath, "foreign_keys(1)"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, partial, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, dbPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate after %s was left out: %v", path.Base(skipped), err)
	}
	db, err = sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM goose_db_version WHERE is_applied AND version_id > 0`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(names) {
		t.Fatalf("%d migrations applied, want all %d", n, len(names))
	}
}
