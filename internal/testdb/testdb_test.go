package testdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/testdb"
)

func TestSQLitePath(t *testing.T) {
	a, b := testdb.SQLitePath(t), testdb.SQLitePath(t)
	if a == b {
		t.Fatal("two tests would share a database")
	}
	if _, err := os.Stat(filepath.Dir(a)); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresURL(t *testing.T) {
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if len(schema) < 3 || schema[:2] != "t_" {
		t.Fatalf("current_schema() = %q, want the fresh t_… schema", schema)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE probe (id int)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'probe'`, schema).Scan(&n); err != nil || n != 1 {
		t.Fatalf("probe table in %s: %d, %v", schema, n, err)
	}
}
