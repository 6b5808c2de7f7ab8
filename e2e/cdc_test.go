package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
)

// sourceDB is a database of its own standing for the user's PostgreSQL.
type sourceDB struct {
	t    *testing.T
	URL  string
	conn *pgx.Conn
}

func newSourceDB(t *testing.T, ddl ...string) *sourceDB {
	t.Helper()
	url := testdb.SourceDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	db := &sourceDB{t: t, URL: url, conn: conn}
	for _, q := range ddl {
		db.exec(q)
	}
	return db
}

func (db *sourceDB) exec(q string, args ...any) {
	db.t.Helper()
	if _, err := db.conn.Exec(context.Background(), q, args...); err != nil {
		db.t.Fatalf("%s: %v", q, err)
	}
}

func (db *sourceDB) count(q string, args ...any) int {
	db.t.Helper()
	var n int
	if err := db.conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		db.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// recordHook is a hook on a record event of a collection that posts the
// event's record and previous row to url.
func recordHook(event, collection, url string) map[string]any {
	return map[string]any{
		"name": event + " " + collection, "enabled": true,
		"trigger": map[string]any{"type": "event", "event": event, "collection": collection},
		"actions": []any{map[string]any{"type": "send_webhook", "name": "post", "config": map[string]any{
			"url": url, "body_template": map[string]any{"type": "{{event.type}}", "record": "{{record}}"}}}},
	}
}

// ctxOf returns an execution's event type, collection, record and previous.
func ctxOf(x map[string]any) (typ, collection string, record, previous map[string]any) {
	c := x["execution_context"].(map[string]any)
	ev := c["event"].(map[string]any)
	record, _ = c["record"].(map[string]any)
	previous, _ = c["previous"].(map[string]any)
	return ev["type"].(string), ev["collection"].(string), record, previous
}

// allExecutions lists every execution oldest first, waiting until there are n.
func (s *server) allExecutions(n int) []map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var xs []map[string]any
		cursor := ""
		for {
			b := s.must(200, "GET", "/api/v1/executions?limit=500"+cursor, nil)
			items := b["items"].([]any)
			for _, it := range items {
				xs = append(xs, it.(map[string]any))
			}
			next, _ := b["next_cursor"].(string)
			if next == "" || len(items) == 0 {
				break
			}
			cursor = "&cursor=" + next
		}
		if len(xs) >= n {
			for i, j := 0, len(xs)-1; i < j; i, j = i+1, j-1 {
				xs[i], xs[j] = xs[j], xs[i]
			}
			return xs
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d executions after 30s, want %d", len(xs), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSourceChanges follows two tables and checks that inserts, updates and
// deletes become records.* events in commit order, with their column types
// mapped and previous rows where the replica identity gives them.
func TestSourceChanges(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		db := newSourceDB(t,
			`CREATE TYPE mood AS ENUM ('happy', 'sad')`,
			`CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2), customer text, tags text[], meta jsonb,
				placed timestamptz, day date, local timestamp, big bigint, huge bigint, ratio float8, paid bool, note text,
				raw bytea, feeling mood, ids int[], exact numeric, uid uuid)`,
			`ALTER TABLE orders REPLICA IDENTITY FULL`,
			`CREATE SCHEMA sales`,
			`CREATE TABLE sales.refunds (id int PRIMARY KEY, amount int)`)
		s := start(t, open(t))
		sk := newSink(t)
		for _, ev := range []string{"records.create", "records.update", "records.delete"} {
			s.must(201, "POST", "/api/v1/hooks", recordHook(ev, "orders", sk.URL))
		}
		s.must(201, "POST", "/api/v1/hooks", recordHook("records.create", "sales.refunds", sk.URL))
		src := s.must(201, "POST", "/api/v1/sources", map[string]any{
			"name": "shop", "kind": "postgres", "url": db.URL, "tables": []any{"public.orders", "sales.refunds"}})
		if u := src["url"].(string); strings.Contains(u, "postgres@") || !strings.HasPrefix(u, "postgres://127.0.0.1:5432/src_") {
			t.Errorf("url shown as %q: want it without user or password", u)
		}
		if got := jsonOf(src["status"].(map[string]any)["replica_identity"]); got != `{"public.orders":"full","sales.refunds":"default"}` {
			t.Errorf("replica identity %s", got)
		}
		db.exec(`INSERT INTO orders VALUES (1, 600.50, 'Ada', '{vip,"new"}', '{"a": [1, 2], "b": null}',
			'2026-03-01 12:00:00.25+02', '2026-03-01', '2026-03-01 10:00:00.5', 42, 9007199254740993, 0.25, true, NULL,
			'\x0102ff', 'happy', '{1,NULL,3}', 12345678901234567890.5, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')`)
		db.exec(`UPDATE orders SET total = 700, customer = 'Ada L.' WHERE id = 1`)
		db.exec(`INSERT INTO orders (id, total) VALUES (2, 80)`)
		db.exec(`DELETE FROM orders WHERE id = 1`)
		db.exec(`BEGIN; INSERT INTO orders (id, total) VALUES (3, 9000); UPDATE orders SET total = 81 WHERE id = 2;
			INSERT INTO sales.refunds VALUES (7, 5); COMMIT`)

		xs := s.allExecutions(7)
		var seq []string
		for _, x := range xs {
			typ, col, rec, _ := ctxOf(x)
			seq = append(seq, fmt.Sprintf("%s %s %v", typ, col, rec["id"]))
		}
		want := []string{"records.create orders 1", "records.update orders 1", "records.create orders 2",
			"records.delete orders 1", "records.create orders 3", "records.update orders 2", "records.create sales.refunds 7"}
		if jsonOf(seq) != jsonOf(want) {
			t.Fatalf("events in order:\n got %v\nwant %v", seq, want)
		}
		_, _, rec, prev := ctxOf(xs[0])
		wantRec := `{"big":42,"customer":"Ada","day":"2026-03-01","exact":"12345678901234567890.5","feeling":"happy",` +
			`"huge":"9007199254740993","id":1,"ids":[1,null,3],"local":"2026-03-01T10:00:00.5","meta":{"a":[1,2],"b":null},` +
			`"note":null,"paid":true,"placed":"2026-03-01T10:00:00.25Z","ratio":0.25,"raw":"\\x0102ff","tags":["vip","new"],` +
			`"total":600.5,"uid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}`
		if got := jsonOf(rec); got != wantRec {
			t.Errorf("record with mapped types:\n got %s\nwant %s", got, wantRec)
		}
		if prev != nil {
			t.Errorf("an insert has no previous: %v", prev)
		}
		_, _, rec, prev = ctxOf(xs[1])
		if rec["total"] != 700.0 || rec["customer"] != "Ada L." || prev == nil || prev["total"] != 600.5 || prev["customer"] != "Ada" || jsonOf(prev["tags"]) != `["vip","new"]` {
			t.Errorf("update with REPLICA IDENTITY FULL: record %v previous %v", rec, prev)
		}
		_, _, rec, _ = ctxOf(xs[3])
		if rec["customer"] != "Ada L." || rec["total"] != 700.0 {
			t.Errorf("delete carries the old row: %v", rec)
		}
		_, _, rec, prev = ctxOf(xs[6])
		if jsonOf(rec) != `{"amount":5,"id":7}` || prev != nil {
			t.Errorf("refund: %v %v", rec, prev)
		}
		sk.wait(t, 7)

		// The source shows how it goes; its collections are offered to hooks.
		id := src["id"].(string)
		deadline := time.Now().Add(15 * time.Second)
		for {
			got := s.must(200, "GET", "/api/v1/sources/"+id, nil)
			st := got["status"].(map[string]any)
			if st["state"] == "following" && st["events"].(float64) == 7 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("source status: %v", st)
			}
			time.Sleep(100 * time.Millisecond)
		}
		list := s.must(200, "GET", "/api/v1/sources", nil)["items"].([]any)
		if len(list) != 1 || strings.Contains(string(jsonOf(list)), "postgres@") {
			t.Errorf("list: %v", list)
		}

		// Deleting the source drops its slot and publication.
		s.must(204, "DELETE", "/api/v1/sources/"+id, nil)
		if n := db.count(`SELECT count(*) FROM pg_replication_slots WHERE database = current_database()`); n != 0 {
			t.Errorf("%d replication slots left after DELETE", n)
		}
		if n := db.count(`SELECT count(*) FROM pg_publication`); n != 0 {
			t.Errorf("%d publications left after DELETE", n)
		}
		s.must(404, "GET", "/api/v1/sources/"+id, nil)
	})
}

func pgxConnect(url string) (*pgx.Conn, error) { return pgx.Connect(context.Background(), url) }

// TestSourceReconnect ends the walsender of a followed source (as a
// restart of the database or a broken network would) while rows are
// written: hookline reconnects, resumes at the confirmed position, and
// every row becomes exactly one event.
func TestSourceReconnect(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		const rows = 300
		db := newSourceDB(t, `CREATE TABLE items (id int PRIMARY KEY, n int)`)
		s := start(t, open(t))
		sk := newSink(t)
		s.must(201, "POST", "/api/v1/hooks", itemsHook(sk.URL))
		src := s.must(201, "POST", "/api/v1/sources", map[string]any{"name": "items", "url": db.URL, "tables": []any{"items"}})
		slot := src["slot"].(string)
		// The rows are written faster than a session may connect: break
		// the connection only once hookline follows the slot.
		for deadline := time.Now().Add(30 * time.Second); db.count(`SELECT count(*) FROM pg_replication_slots
			WHERE slot_name = $1 AND active_pid IS NOT NULL`, slot) == 0; {
			if time.Now().After(deadline) {
				t.Fatal("hookline never followed the slot")
			}
			time.Sleep(20 * time.Millisecond)
		}
		terminated := 0
		for i := 1; i <= rows; i++ {
			db.exec(`INSERT INTO items VALUES ($1, $1)`, i)
			if i%100 == 50 {
				terminated += db.count(`SELECT count(*) FROM (SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
					WHERE slot_name = $1 AND active_pid IS NOT NULL) t`, slot)
			}
		}
		if terminated == 0 {
			t.Fatal("no walsender was terminated; the test needs the connection to break")
		}
		got := waitDelivered(t, sk, rows, 60*time.Second)
		xs := s.allExecutions(rows)
		if len(xs) != rows || len(got) != rows {
			t.Fatalf("%d executions and %d delivered ids for %d rows", len(xs), len(got), rows)
		}
		// The status is written every StatusInterval (2s): the rows may all
		// be delivered before the first write after the break.
		var st map[string]any
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			st = s.must(200, "GET", "/api/v1/sources/"+src["id"].(string), nil)["status"].(map[string]any)
			if st["last_error"] != nil && st["last_error"] != "" || time.Now().After(deadline) {
				break
			}
		}
		t.Logf("%d walsenders terminated; %d rows, %d executions; last error %q", terminated, rows, len(xs), st["last_error"])
		if st["last_error"] == nil || st["last_error"] == "" {
			t.Errorf("the source does not show the broken connection within 10s: %v", st)
		}
	})
}
