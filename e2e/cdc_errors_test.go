package e2e

import (
	"crypto/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/cdc"
)

// TestSourceErrors: a source hookline cannot follow is a 422 naming the
// field, the problem and the fix, and nothing is created, in hookline or in
// the database.
func TestSourceErrors(t *testing.T) {
	db := newSourceDB(t, `CREATE TABLE orders (id int PRIMARY KEY)`, `CREATE VIEW v AS SELECT 1 AS x`)
	s := start(t, mustSQLite(t))
	role := "norepl_" + strings.ToLower(rand.Text()[:10])
	db.exec(`CREATE ROLE ` + role + ` LOGIN`)
	t.Cleanup(func() { db.exec(`DROP ROLE IF EXISTS ` + role) })
	u, _ := url.Parse(db.URL)
	u.User = url.UserPassword(role, "s3cret-pw")
	noRepl := u.String()
	u.Host = "127.0.0.1:1"
	closed := u.String()

	body := func(url string, tables ...any) map[string]any {
		return map[string]any{"name": "shop", "kind": "postgres", "url": url, "tables": tables}
	}
	cases := []struct {
		name  string
		body  any
		field string
		want  []string
	}{
		{"missing table", body(db.URL, "public.orders", "public.nope"), "tables[1]", []string{"public.nope does not exist", "create it"}},
		{"a view", body(db.URL, "v"), "tables[0]", []string{"not a table"}},
		{"role without REPLICATION", body(noRepl, "orders"), "url", []string{"no REPLICATION attribute", "ALTER ROLE " + role + " WITH REPLICATION"}},
		{"unreachable", body(closed, "orders"), "url", []string{"cannot connect"}},
		{"not a URL", body("mysql://x", "orders"), "url", []string{"not a PostgreSQL connection URL"}},
		{"no tables", body(db.URL), "tables", []string{"name 1 to 100 tables"}},
		{"bad table name", body(db.URL, "Orders; DROP"), "tables[0]", []string{"not a table name"}},
		{"twice", body(db.URL, "orders", "public.orders"), "tables[1]", []string{"named twice"}},
		{"kind", map[string]any{"name": "x", "kind": "mysql", "url": db.URL, "tables": []any{"orders"}}, "kind", []string{"postgres"}},
		{"name", map[string]any{"kind": "postgres", "url": db.URL, "tables": []any{"orders"}}, "name", []string{"required"}},
	}
	for _, c := range cases {
		r := s.do("POST", "/api/v1/sources", s.Admin, c.body)
		e, _ := r.Body["error"].(map[string]any)
		if r.Status != 422 || e == nil || e["field"] != c.field {
			t.Errorf("%s: %d %s, want 422 on %s", c.name, r.Status, r.Raw, c.field)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(e["message"].(string), w) {
				t.Errorf("%s: message %q lacks %q", c.name, e["message"], w)
			}
		}
		if strings.Contains(string(r.Raw), "s3cret-pw") {
			t.Errorf("%s: the answer shows the password: %s", c.name, r.Raw)
		}
	}
	if n := len(s.must(200, "GET", "/api/v1/sources", nil)["items"].([]any)); n != 0 {
		t.Errorf("%d sources stored after refusals", n)
	}
	if n := db.count(`SELECT count(*) FROM pg_replication_slots WHERE database = current_database()`) + db.count(`SELECT count(*) FROM pg_publication`); n != 0 {
		t.Errorf("%d slots or publications created by refused sources", n)
	}
	// A database without wal_level=logical (this server has it, so the
	// check is called with the value such a server reports).
	if err := cdc.CheckWalLevel("replica"); err == nil || !strings.Contains(err.Error(), "ALTER SYSTEM SET wal_level = logical") || !strings.Contains(err.Error(), "restart") {
		t.Errorf("wal_level=replica: %v", err)
	}

	// Only admins manage sources; other tenants see none of them.
	src := s.must(201, "POST", "/api/v1/sources", body(db.URL, "orders"))
	t.Cleanup(func() { s.do("DELETE", "/api/v1/sources/"+src["id"].(string), s.Admin, nil) })
	s.must(409, "POST", "/api/v1/sources", body(db.URL, "orders"))
	mgr := s.must(201, "POST", "/api/v1/accounts/"+s.Root+"/keys", map[string]any{"name": "m", "role": "manager"})["key"].(string)
	if r := s.do("GET", "/api/v1/sources", mgr, nil); r.Status != 403 {
		t.Errorf("manager lists sources: %d", r.Status)
	}
	if r := s.do("POST", "/api/v1/sources", mgr, body(db.URL, "orders")); r.Status != 403 {
		t.Errorf("manager creates a source: %d", r.Status)
	}
	other := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "other"})["id"].(string)
	otherAdmin := s.must(201, "POST", "/api/v1/accounts/"+other+"/keys", map[string]any{"name": "a", "role": "admin"})["key"].(string)
	if r := s.do("GET", "/api/v1/sources/"+src["id"].(string), otherAdmin, nil); r.Status != 404 {
		t.Errorf("another tenant gets the source: %d", r.Status)
	}
	if r := s.do("DELETE", "/api/v1/sources/"+src["id"].(string), otherAdmin, nil); r.Status != 404 {
		t.Errorf("another tenant deletes the source: %d", r.Status)
	}
	if r := s.do("GET", "/api/v1/sources", otherAdmin, nil); len(r.Body["items"].([]any)) != 0 {
		t.Errorf("another tenant lists: %s", r.Raw)
	}
	// The OpenAPI schema documents every field of a listed source.
	props := s.do("GET", "/openapi.json", "", nil).Body["components"].(map[string]any)["schemas"].(map[string]any)["Source"].(map[string]any)["properties"].(map[string]any)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := s.must(200, "GET", "/api/v1/sources/"+src["id"].(string), nil)
		st := got["status"].(map[string]any)
		if st["state"] == "following" && st["updated_at"] != nil {
			for f := range got {
				if _, ok := props[f]; !ok {
					t.Errorf("a source has %q, which the Source schema does not document", f)
				}
			}
			stProps := props["status"].(map[string]any)["properties"].(map[string]any)
			for f := range st {
				if _, ok := stProps[f]; !ok {
					t.Errorf("a source's status has %q, which the Source schema does not document", f)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("source not following: %v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSourceAccountDelete: deleting an account drops the replication slots
// and publications of its sources (and of its child accounts' sources).
func TestSourceAccountDelete(t *testing.T) {
	db := newSourceDB(t, `CREATE TABLE orders (id int PRIMARY KEY)`)
	s := start(t, mustSQLite(t))
	shop := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "shop"})["id"].(string)
	s.must(201, "POST", "/api/v1/sources", map[string]any{"name": "shop", "url": db.URL, "tables": []any{"orders"}, "account_id": shop})
	if n := db.count(`SELECT count(*) FROM pg_replication_slots WHERE database = current_database()`); n != 1 {
		t.Fatalf("%d slots after creating the source", n)
	}
	s.must(204, "DELETE", "/api/v1/accounts/"+shop, nil)
	if n := db.count(`SELECT count(*) FROM pg_replication_slots WHERE database = current_database()`) + db.count(`SELECT count(*) FROM pg_publication`); n != 0 {
		t.Errorf("%d slots or publications left after deleting the account", n)
	}
	if n := len(s.must(200, "GET", "/api/v1/sources", nil)["items"].([]any)); n != 0 {
		t.Errorf("%d sources left", n)
	}
}
