package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/postgres"
	"github.com/hookline/hookline/store/storetest"
)

// TestNodesMigrateTogether: several nodes starting at once on one schema
// all migrate (one does the work under the advisory lock).
func TestNodesMigrateTogether(t *testing.T) {
	t.Parallel()
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	const nodes = 4
	stores := make([]*postgres.Store, nodes)
	for i := range stores {
		s, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make([]error, nodes)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !stores[0].Shared() || !strings.HasPrefix(stores[0].Schema(), "t_") {
		t.Fatalf("shared %v, schema %q", stores[0].Shared(), stores[0].Schema())
	}
	// A notification of one node reaches another.
	got := make(chan string, 4)
	if err := stores[1].Listen(ctx, []string{store.TopicHooks}, func(_, p string) {
		if p != "" {
			got <- p
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].Notify(ctx, store.TopicHooks, "changed"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "changed" {
			t.Fatalf("payload %q", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification across nodes")
	}
}

// TestListenReconnects: when the LISTEN connection dies, the listener
// reconnects, says it may have missed notifications, and hears new ones.
func TestListenReconnects(t *testing.T) {
	t.Parallel()
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan string, 16)
	if err := s.Listen(ctx, []string{store.TopicExecutions}, func(_, p string) { got <- p }); err != nil {
		t.Fatal(err)
	}
	// Kill the backend that LISTENs on this schema's channel.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var killed int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN %' AND query LIKE '%' || $1 || '.hookline_executions%'`, s.Schema()).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("killed %d listeners: %v", killed, err)
	}
	select {
	case p := <-got:
		if p != "" {
			t.Fatalf("first delivery after the kill: %q, want the missed-notifications signal", p)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("listener did not reconnect")
	}
	if err := s.Notify(ctx, store.TopicExecutions, "after"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "after" {
			t.Fatalf("payload %q", p)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after reconnect")
	}
}

// TestOrderingKeyAcrossNodes: two nodes on one database append to one
// ordering key and run it; its executions run one at a time and none is
// left waiting (each node's commit group takes the key's lock first).
func TestOrderingKeyAcrossNodes(t *testing.T) {
	t.Parallel()
	url := testdb.PostgresURL(t)
	ctx := context.Background()
	var stores []store.Store
	for range 2 {
		s, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	storetest.OrderingKeyAcrossNodes(t, stores...)
}
