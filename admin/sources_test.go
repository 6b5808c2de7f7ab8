package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/testdb"
)

// TestBrowserSources: the Sources page shows a followed database's state,
// lag, events and tables (with whether updates carry previous), at desktop
// and phone width, and the hook editor's collection picker offers the
// followed tables.
func TestBrowserSources(t *testing.T) {
	t.Parallel()
	srcURL := testdb.SourceDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{`CREATE TABLE orders (id int PRIMARY KEY, total int)`, `ALTER TABLE orders REPLICA IDENTITY FULL`,
		`CREATE SCHEMA sales`, `CREATE TABLE sales.refunds (id int PRIMARY KEY)`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t)
	src := s.mustAPI(201, "POST", "/api/v1/sources", s.Key, map[string]any{"name": "shop db", "url": srcURL, "tables": []any{"orders", "sales.refunds"}})
	t.Cleanup(func() { s.api("DELETE", "/api/v1/sources/"+src["id"].(string), s.Key, nil) })
	if _, err := conn.Exec(ctx, `INSERT INTO orders VALUES (1, 600), (2, 80)`); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := s.mustAPI(200, "GET", "/api/v1/sources/"+src["id"].(string), s.Key, nil)["status"].(map[string]any)
		if st["state"] == "following" && st["events"] == 2.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("source status %v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}

	b := chrome(t)
	signIn(t, b, s)
	do(t, b, chromedp.Navigate(s.URL+"/admin/sources"), chromedp.WaitVisible(css(`tr[data-state="following"]`)))
	row := text(t, b, `tr[data-source]`)
	for _, want := range []string{"shop db", "Following", "orders", "sales.refunds", "previous", "no previous", "2 in all", "postgres://127.0.0.1:5432/src_"} {
		if !strings.Contains(row, want) {
			t.Errorf("sources row lacks %q:\n%s", want, row)
		}
	}
	if strings.Contains(row, "postgres@") {
		t.Errorf("the page shows the database user: %s", row)
	}
	shot(t, b, "sources")
	do(t, b, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.URL+"/admin/hooks/new"), chromedp.WaitReady(css(`#collections-list`)))
	opts, err := chromedp.Run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#collections-list option")].map(o => o.value)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(opts, ",") != "orders,sales.refunds" {
		t.Errorf("the editor's collection picker offers %v, want the followed tables", opts)
	}
}
