// Package testdb gives tests a database of their own: a fresh SQLite file,
// or a fresh schema of the PostgreSQL database named by
// HOOKLINE_TEST_POSTGRES_URL (tests isolate by schema and run in parallel).
package testdb

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Environment variables.
const (
	// EnvPostgresURL names the PostgreSQL database tests may use; unset,
	// PostgreSQL tests are skipped.
	EnvPostgresURL = "HOOKLINE_TEST_POSTGRES_URL"
	// EnvMarker names a file that gets one line per PostgreSQL schema a test
	// used, so CI can prove the PostgreSQL tests ran.
	EnvMarker = "HOOKLINE_TEST_PG_MARKER"
)

// SQLitePath returns the path of a fresh database file in t.TempDir().
func SQLitePath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "hookline.db")
}

// PostgresURL creates a schema with a random name, drops it (CASCADE) when
// the test ends, and returns the URL with search_path set to it. Without
// HOOKLINE_TEST_POSTGRES_URL the test is skipped; with it set, an
// unreachable database fails the test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set " + EnvPostgresURL)
	}
	schema := "t_" + strings.ToLower(rand.Text()[:16])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testdb: connect to %s: %v", EnvPostgresURL, err)
	}
	_, err = conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	_ = conn.Close(ctx)
	if err != nil {
		t.Fatalf("testdb: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("testdb: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("testdb: drop schema %s: %v", schema, err)
		}
	})
	if marker := os.Getenv(EnvMarker); marker != "" {
		f, err := os.OpenFile(marker, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatalf("testdb: marker: %v", err)
		}
		_, err = fmt.Fprintf(f, "%s %s %s\n", time.Now().UTC().Format(time.RFC3339), t.Name(), schema)
		if err := errors.Join(err, f.Close()); err != nil {
			t.Fatalf("testdb: marker: %v", err)
		}
	}
	return withSearchPath(t, base, schema)
}

// withSearchPath sets search_path in a URL or a key=value connection string.
func withSearchPath(t testing.TB, base, schema string) string {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("testdb: %s: %v", EnvPostgresURL, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}

// SourceDatabase creates a database with a random name on the server of
// HOOKLINE_TEST_POSTGRES_URL, for change-capture tests (replication slots
// and publications belong to one database, so tests that create them must
// not share one), and returns its URL. When the test ends, the replication
// slots in it are dropped (their walsenders terminated first) and then the
// database. Without HOOKLINE_TEST_POSTGRES_URL the test is skipped.
func SourceDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		t.Skip("change-capture tests skipped: set " + EnvPostgresURL)
	}
	name := "src_" + strings.ToLower(rand.Text()[:16])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("testdb: connect to %s: %v", EnvPostgresURL, err)
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	_ = conn.Close(ctx)
	if err != nil {
		t.Fatalf("testdb: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		for range 500 {
			var slot string
			var pid *int32
			err := conn.QueryRow(ctx, `SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1 LIMIT 1`, name).Scan(&slot, &pid)
			if errors.Is(err, pgx.ErrNoRows) {
				break
			}
			if err != nil {
				t.Errorf("testdb: slots of %s: %v", name, err)
				return
			}
			if pid != nil {
				_, _ = conn.Exec(ctx, `SELECT pg_terminate_backend($1)`, *pid)
				time.Sleep(20 * time.Millisecond)
				continue
			}
			_, _ = conn.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, slot)
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testdb: drop database %s: %v", name, err)
		}
	})
	return withDatabase(t, base, name)
}

// withDatabase replaces the database of a URL or key=value string.
func withDatabase(t testing.TB, base, name string) string {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("testdb: %s: %v", EnvPostgresURL, err)
		}
		u.Path = "/" + name
		q := u.Query()
		q.Del("search_path")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " dbname=" + name
}
