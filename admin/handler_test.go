package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// orderHookForm is the editor's form for "on create in orders → send
// webhook" with one case.
func orderHookForm(target string) url.Values {
	return url.Values{
		"name":                            {"Notify on large orders"},
		"order":                           {"100"},
		"category":                        {"notification"},
		"trigger_kind":                    {"lifecycle"},
		"trigger.collection":              {"orders"},
		"trigger.event":                   {"records.create"},
		"condition":                       {"total >= 500"},
		"on_condition_error":              {"fire"},
		"enabled":                         {"false"},
		"actions[0].type":                 {"send_webhook"},
		"actions[0].name":                 {"notify"},
		"actions[0].config.url":           {target},
		"actions[0].config.method":        {"POST"},
		"actions[0].config.headers":       {`{"X-Source": "hookline"}`},
		"actions[0].config.body_template": {`{"text": "order {{record.id}} for {{record.total}}"}`},
		"actions[0].cases[0].when":        {"total > 5000"},
		"actions[0].cases[0].config.body_template": {`{"text": "VIP {{record.id}}"}`},
	}
}

var hookPathRE = regexp.MustCompile(`^/admin/hooks/(hk_[a-z0-9]+)$`)

func TestPagesNeedASession(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	for _, path := range []string{
		"/admin/", "/admin/hooks", "/admin/hooks/new", "/admin/hooks/hk_x", "/admin/hooks/hk_x/test",
		"/admin/hooks/hk_x/delete", "/admin/executions", "/admin/executions/exe_x", "/admin/events",
		"/admin/collections", "/admin/collections/orders", "/admin/keys", "/admin/secrets", "/admin/accounts", "/admin/jobs",
	} {
		p := b.get(path)
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/login") {
			t.Errorf("GET %s without a session: %d → %q, want 303 to /admin/login", path, p.Status, p.Location)
		}
	}
	p := b.get("/admin/hooks?q=x")
	if want := "/admin/login?next=" + url.QueryEscape("/admin/hooks?q=x"); p.Location != want {
		t.Errorf("redirect keeps the page: got %q, want %q", p.Location, want)
	}
	for _, path := range []string{"/admin/hooks/new", "/admin/hooks/live", "/admin/logout", "/admin/secrets"} {
		if p := b.post(path, url.Values{"csrf": {"x"}}); p.Status != http.StatusSeeOther {
			t.Errorf("POST %s without a session: %d, want 303", path, p.Status)
		}
	}
	req, _ := http.NewRequest("POST", s.URL+"/admin/hooks/live", nil)
	req.Header.Set("X-Requested-With", "hookline-admin")
	if p := b.do(req); p.Status != http.StatusUnauthorized {
		t.Errorf("background POST without a session: %d, want 401", p.Status)
	}
	if p := b.get("/admin/static/admin.css"); p.Status != 200 || !strings.Contains(p.Header.Get("Content-Type"), "text/css") {
		t.Errorf("static files are public: %d %q", p.Status, p.Header.Get("Content-Type"))
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	t.Run("user role refused", func(t *testing.T) {
		b := s.browser()
		p := b.login(s.keyFor("user"))
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "cannot use the admin UI") {
			t.Fatalf("user key: %d, want 403 with a reason", p.Status)
		}
		if p := b.get("/admin/"); p.Status != http.StatusSeeOther {
			t.Fatalf("a refused login left a session: %d", p.Status)
		}
	})
	t.Run("bad key", func(t *testing.T) {
		b := s.browser()
		if p := b.login("hlk_nope"); p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, "not valid") {
			t.Fatalf("bad key: %d", p.Status)
		}
	})
	t.Run("without csrf", func(t *testing.T) {
		b := s.browser()
		b.get("/admin/login")
		if p := b.post("/admin/login", url.Values{"key": {s.Key}, "csrf": {""}}); p.Status != http.StatusForbidden {
			t.Fatalf("login without the form token: %d, want 403", p.Status)
		}
		if p := b.post("/admin/login", url.Values{"key": {s.Key}, "csrf": {"forged"}}); p.Status != http.StatusForbidden {
			t.Fatalf("login with a forged token: %d, want 403", p.Status)
		}
	})
	t.Run("admin", func(t *testing.T) {
		b := s.browser()
		p := b.get("/admin/login")
		res := b.post("/admin/login", url.Values{"csrf": {csrfOf(t, p.Body)}, "key": {s.Key}, "next": {"/admin/hooks?q=a"}})
		if res.Status != http.StatusSeeOther || res.Location != "/admin/hooks?q=a" {
			t.Fatalf("admin login: %d → %q", res.Status, res.Location)
		}
		var cookie string
		for _, c := range res.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "hookline_admin=") {
				cookie = c
			}
		}
		for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/admin/"} {
			if !strings.Contains(cookie, want) {
				t.Errorf("session cookie %q lacks %s", cookie, want)
			}
		}
		if strings.Contains(cookie, "Secure") {
			t.Errorf("plain-HTTP session cookie is Secure: %q", cookie)
		}
		home := b.get("/admin/")
		if home.Status != 200 {
			t.Fatalf("dashboard: %d", home.Status)
		}
		if csp := home.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP: %q", csp)
		}
		b.CSRF = csrfOf(t, home.Body)
		if p := b.post("/admin/logout", nil); p.Status != http.StatusSeeOther {
			t.Fatalf("logout: %d", p.Status)
		}
		if p := b.get("/admin/"); p.Status != http.StatusSeeOther {
			t.Fatalf("after logout: %d, want a redirect to sign in", p.Status)
		}
	})
	t.Run("no open redirect", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "https://evil.example/admin/", "/admin/../x", "/elsewhere"} {
			b := s.browser()
			p := b.get("/admin/login")
			res := b.post("/admin/login", url.Values{"csrf": {csrfOf(t, p.Body)}, "key": {s.Key}, "next": {next}})
			if res.Location != "/admin/" {
				t.Errorf("next=%q redirected to %q", next, res.Location)
			}
		}
	})
	t.Run("manager", func(t *testing.T) {
		b := s.browser()
		if p := b.login(s.keyFor("manager")); p.Status != http.StatusSeeOther {
			t.Fatalf("manager login: %d", p.Status)
		}
		if p := b.get("/admin/hooks"); p.Status != 200 {
			t.Fatalf("manager hooks: %d", p.Status)
		}
		for _, path := range []string{"/admin/keys", "/admin/accounts"} {
			if p := b.get(path); p.Status != http.StatusForbidden {
				t.Errorf("manager GET %s: %d, want 403", path, p.Status)
			}
		}
	})
	t.Run("revoked key ends the session", func(t *testing.T) {
		key := s.keyFor("admin")
		b := s.browser()
		b.login(key)
		out := s.mustAPI(200, "GET", "/api/v1/accounts/"+s.Root+"/keys", s.Key, nil)
		items, _ := out["items"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			if strings.HasPrefix(key, m["prefix"].(string)) && m["name"] == "admin key" {
				s.mustAPI(204, "DELETE", "/api/v1/keys/"+m["id"].(string), s.Key, nil)
			}
		}
		if p := b.get("/admin/"); p.Status != http.StatusSeeOther {
			t.Fatalf("session of a revoked key: %d, want a redirect", p.Status)
		}
	})
}

func TestLoginEmitsAuthLogin(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rcv := newReceiver(t)
	s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "login audit", "enabled": true, "trigger": map[string]any{"type": "event", "event": "auth.login"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": rcv.URL,
			"body_template": map[string]any{"key": "{{data.key_id}}", "source": "{{data.source}}", "role": "{{auth.role}}"}}}},
	})
	b := s.browser()
	b.login(s.Key)
	got := rcv.next(t, 15*time.Second)
	if got["source"] != "admin" || got["role"] != "admin" || !strings.HasPrefix(got["key"].(string), "key_") {
		t.Fatalf("auth.login event data: %v", got)
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)
	form := orderHookForm("http://127.0.0.1:1/x")
	for _, tok := range []string{"", "wrong"} {
		form.Set("csrf", tok)
		if p := b.post("/admin/hooks/new", form); p.Status != http.StatusForbidden {
			t.Fatalf("save with csrf %q: %d, want 403", tok, p.Status)
		}
	}
	for _, path := range []string{"/admin/secrets", "/admin/collections", "/admin/events", "/admin/keys", "/admin/accounts", "/admin/logout", "/admin/hooks/live"} {
		if p := b.post(path, url.Values{"csrf": {""}, "name": {"x"}}); p.Status != http.StatusForbidden {
			t.Errorf("POST %s without a token: %d, want 403", path, p.Status)
		}
	}
	out := s.mustAPI(200, "GET", "/api/v1/hooks", s.Key, nil)
	if items := out["items"].([]any); len(items) != 0 {
		t.Fatalf("a refused POST created %d hooks", len(items))
	}
	// Background requests may send the token as a header.
	req, _ := http.NewRequest("POST", s.URL+"/admin/hooks/live", strings.NewReader(orderHookForm("http://127.0.0.1:1/x").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Requested-With", "hookline-admin")
	req.Header.Set("X-CSRF-Token", b.CSRF)
	if p := b.do(req); p.Status != 200 {
		t.Fatalf("live check with the header token: %d %s", p.Status, p.Body)
	}
}

// TestEveryPage opens every page with data on it.
func TestEveryPage(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rcv := newReceiver(t)
	b := s.browser()
	b.login(s.Key)

	if p := b.post("/admin/collections", url.Values{"name": {"orders"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("create collection: %d %s", p.Status, p.Body)
	}
	p := b.post("/admin/hooks/new", with(orderHookForm(rcv.URL), "intent", "activate"))
	m := hookPathRE.FindStringSubmatch(p.Location)
	if p.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("save hook: %d → %q\n%.3000s", p.Status, p.Location, p.Body)
	}
	id := m[1]
	if p := b.post("/admin/collections/orders/records", url.Values{"data": {`{"total": 700}`}}); p.Status != http.StatusSeeOther {
		t.Fatalf("create record: %d %s", p.Status, p.Body)
	}
	if got := rcv.next(t, 15*time.Second); got["text"] == nil {
		t.Fatalf("webhook body: %v", got)
	}
	xs := s.mustAPI(200, "GET", "/api/v1/executions?hook_id="+id, s.Key, nil)["items"].([]any)
	if len(xs) != 1 {
		t.Fatalf("executions: %v", xs)
	}
	exe := xs[0].(map[string]any)["id"].(string)
	if p := b.post("/admin/events", url.Values{"id": {"30552"}, "label": {"Add to cart"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("register event: %d %s", p.Status, p.Body)
	}
	if p := b.post("/admin/secrets", url.Values{"name": {"API_TOKEN"}, "value": {"s3cret-value"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("store secret: %d %s", p.Status, p.Body)
	}
	if p := b.post("/admin/accounts", url.Values{"name": {"Berlin shop"}, "parent_id": {s.Root}}); p.Status != http.StatusSeeOther {
		t.Fatalf("create account: %d %s", p.Status, p.Body)
	}

	for _, c := range []struct{ path, want string }{
		{"/admin/", "Executions, last 24 hours"},
		{"/admin/hooks", "Notify on large orders"},
		{"/admin/hooks?q=large&trigger_type=event&enabled=true", "Record created in orders"},
		{"/admin/hooks/new", "Add New Hook"},
		{"/admin/hooks/new?trigger=schedule", "Schedule card"},
		{"/admin/hooks/" + id, "total &gt; 5000"},
		{"/admin/hooks/" + id + "/test", "Run test"},
		{"/admin/hooks/" + id + "/delete", "Delete “Notify on large orders”?"},
		{"/admin/executions", exe},
		{"/admin/executions?status=success&trigger_type=event&period=24h&hook_id=" + id, exe},
		{"/admin/executions?from=2000-01-01T00:00&until=2100-01-01T00:00", exe},
		{"/admin/executions/" + exe, "Request"},
		{"/admin/events", "Add to cart"},
		{"/admin/collections", "orders"},
		{"/admin/collections/orders", "<span>700</span>"},
		{"/admin/keys", "admin"},
		{"/admin/secrets", "API_TOKEN"},
		{"/admin/accounts", "Berlin shop"},
	} {
		p := b.get(c.path)
		if p.Status != 200 {
			t.Errorf("GET %s: %d\n%.1500s", c.path, p.Status, p.Body)
			continue
		}
		if !strings.Contains(p.Body, c.want) {
			t.Errorf("GET %s: page lacks %q", c.path, c.want)
		}
		if strings.Contains(p.Body, "s3cret-value") {
			t.Errorf("GET %s shows a secret's value", c.path)
		}
	}
	for _, path := range []string{"/admin/hooks/hk_missing", "/admin/executions/exe_missing", "/admin/collections/nope", "/admin/nowhere"} {
		if p := b.get(path); p.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, p.Status)
		}
	}
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestEditor(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)

	bad := with(orderHookForm("http://127.0.0.1:1/x"), "condition", "total >=")
	p := b.post("/admin/hooks/new", bad)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "condition") {
		t.Fatalf("bad condition: %d\n%.2000s", p.Status, p.Body)
	}
	if !strings.Contains(p.Body, `value="Notify on large orders"`) || !strings.Contains(p.Body, "total &gt;=") {
		t.Fatalf("a failed save must keep what was typed")
	}
	badJSON := with(orderHookForm("http://127.0.0.1:1/x"), "actions[0].config.headers", "{nope")
	if p := b.post("/admin/hooks/new", badJSON); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "actions[0].config.headers") {
		t.Fatalf("bad JSON: %d", p.Status)
	}

	live := func(form url.Values) (errs map[string]string, schedule string) {
		t.Helper()
		p := b.post("/admin/hooks/live", form)
		if p.Status != 200 {
			t.Fatalf("live: %d %s", p.Status, p.Body)
		}
		var ans struct {
			Errors   []struct{ Field, Message string }
			Schedule string
		}
		if err := json.Unmarshal([]byte(p.Body), &ans); err != nil {
			t.Fatal(err)
		}
		errs = map[string]string{}
		for _, e := range ans.Errors {
			errs[e.Field] = e.Message
		}
		return errs, ans.Schedule
	}
	errs, _ := live(with(bad, "actions[0].cases[0].when", "total >>> 1", "name", ""))
	for _, f := range []string{"condition", "actions[0].cases[0].when", "name"} {
		if errs[f] == "" {
			t.Errorf("live check: no error for %s (got %v)", f, errs)
		}
	}
	if errs, _ := live(orderHookForm("http://127.0.0.1:1/x")); len(errs) != 0 {
		t.Errorf("live check of a good hook: %v", errs)
	}
	card := url.Values{
		"name": {"report"}, "trigger_kind": {"schedule"}, "schedule_kind": {"card"},
		"trigger.weekdays": {"mon", "thu"}, "trigger.times": {"06:00", "18:30", ""}, "trigger.timezone": {"America/New_York"},
		"actions[0].type": {"send_webhook"}, "actions[0].config.url": {"http://127.0.0.1:1/r"},
	}
	errs, sched := live(card)
	if len(errs) != 0 || strings.Count(sched, "<li>") != 5 || !strings.Contains(sched, "Mondays and Thursdays at 06:00 and 18:30, America/New_York") {
		t.Fatalf("schedule preview: %v\n%s", errs, sched)
	}
	if _, sched := live(with(card, "trigger.max_runs", "2")); strings.Count(sched, "<li>") != 2 {
		t.Fatalf("max_runs 2 should preview two runs:\n%s", sched)
	}
	if errs, _ := live(with(card, "trigger.timezone", "Mars/Olympus")); errs["trigger.timezone"] == "" {
		t.Fatalf("bad zone: %v", errs)
	}

	// Dry run of the unsaved hook: the case is taken for a big order.
	dry := with(orderHookForm("http://127.0.0.1:1/x"), "test_data", `{"id": "rec_1", "total": 6000}`)
	p = b.post("/admin/hooks/dryrun", dry)
	if p.Status != 200 || !strings.Contains(p.Body, `data-verdict="true"`) || !strings.Contains(p.Body, "Case 1: when total &gt; 5000") ||
		!strings.Contains(p.Body, "VIP rec_1") || !strings.Contains(p.Body, "POST http://127.0.0.1:1/x") {
		t.Fatalf("dry run: %d\n%s", p.Status, p.Body)
	}
	p = b.post("/admin/hooks/dryrun", with(dry, "test_data", `{"total": 10}`))
	if !strings.Contains(p.Body, `data-verdict="false"`) || !strings.Contains(p.Body, "Else") {
		t.Fatalf("dry run, small order:\n%s", p.Body)
	}

	// Save (inactive), then Save and Activate, duplicate, disable, delete.
	p = b.post("/admin/hooks/new", orderHookForm("http://127.0.0.1:1/x"))
	m := hookPathRE.FindStringSubmatch(p.Location)
	if m == nil {
		t.Fatalf("save: %d %q", p.Status, p.Location)
	}
	id := m[1]
	hk := s.mustAPI(200, "GET", "/api/v1/hooks/"+id, s.Key, nil)
	if hk["enabled"] != false || hk["condition"] != "total >= 500" {
		t.Fatalf("saved hook: %v", hk)
	}
	acts := hk["actions"].([]any)
	a0 := acts[0].(map[string]any)
	if a0["cases"].([]any)[0].(map[string]any)["when"] != "total > 5000" || a0["config"].(map[string]any)["headers"].(map[string]any)["X-Source"] != "hookline" {
		t.Fatalf("saved action: %v", a0)
	}
	edit := b.get("/admin/hooks/" + id)
	p = b.post("/admin/hooks/"+id, with(formFromEditor(t, edit.Body), "intent", "activate"))
	if p.Status != http.StatusSeeOther {
		i := strings.Index(p.Body, "form-errors")
		t.Fatalf("activate: %d\n%.1500s\nform: %v", p.Status, p.Body[i:], formFromEditor(t, edit.Body))
	}
	hk2 := s.mustAPI(200, "GET", "/api/v1/hooks/"+id, s.Key, nil)
	if hk2["enabled"] != true {
		t.Fatalf("not enabled after Save and Activate: %v", hk2)
	}
	for _, k := range []string{"condition", "trigger", "category", "order"} {
		if a, b := jsonOf(hk[k]), jsonOf(hk2[k]); a != b {
			t.Errorf("editing changed %s: %s → %s", k, a, b)
		}
	}
	if a, b := jsonOf(hk["actions"]), jsonOf(hk2["actions"]); a != b {
		t.Errorf("editing changed the actions:\n%s\n%s", a, b)
	}
	if p := b.post("/admin/hooks/"+id+"/duplicate", nil); p.Status != http.StatusSeeOther || !hookPathRE.MatchString(p.Location) {
		t.Fatalf("duplicate: %d %q", p.Status, p.Location)
	}
	if p := b.post("/admin/hooks/"+id+"/enabled", url.Values{"enabled": {"false"}, "back": {"/admin/hooks?q=x"}}); p.Location != "/admin/hooks?q=x" {
		t.Fatalf("disable: %d %q", p.Status, p.Location)
	}
	if s.mustAPI(200, "GET", "/api/v1/hooks/"+id, s.Key, nil)["enabled"] != false {
		t.Fatal("still enabled after Disable")
	}
	if p := b.post("/admin/hooks/"+id+"/delete", nil); p.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.Status)
	}
	s.mustAPI(404, "GET", "/api/v1/hooks/"+id, s.Key, nil)
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestScope: a shop's admin sees only its own subtree.
func TestScope(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	shop := s.mustAPI(201, "POST", "/api/v1/accounts", s.Key, map[string]any{"name": "Berlin shop"})
	shopID := shop["id"].(string)
	shopKey := s.mustAPI(201, "POST", "/api/v1/accounts/"+shopID+"/keys", s.Key, map[string]any{"name": "shop admin", "role": "admin"})["key"].(string)
	rootHook := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "root secret hook", "trigger": map[string]any{"type": "manual"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": "http://127.0.0.1:1/x"}}},
	})["id"].(string)
	b := s.browser()
	if p := b.login(shopKey); p.Status != http.StatusSeeOther {
		t.Fatalf("shop login: %d", p.Status)
	}
	if p := b.get("/admin/hooks"); strings.Contains(p.Body, "root secret hook") {
		t.Fatal("the shop sees its parent's hook")
	}
	if p := b.get("/admin/hooks/" + rootHook); p.Status != http.StatusNotFound {
		t.Fatalf("the shop opens its parent's hook: %d", p.Status)
	}
	if p := b.get("/admin/accounts"); strings.Contains(p.Body, ">root<") || !strings.Contains(p.Body, "Berlin shop") {
		t.Fatal("the account tree shows more than the shop's subtree")
	}
	if p := b.get("/admin/secrets?account=" + s.Root); !strings.Contains(p.Body, "Secrets of Berlin shop") {
		t.Fatal("?account= outside the subtree must fall back to the session's account")
	}
	form := with(orderHookForm("http://127.0.0.1:1/x"), "account_id", s.Root)
	if p := b.post("/admin/hooks/new", form); p.Status == http.StatusSeeOther {
		t.Fatal("the shop created a hook on its parent")
	}
}

func TestExecutionReplay(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	rcv := newReceiver(t)
	id := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "manual", "enabled": true, "trigger": map[string]any{"type": "manual"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": rcv.URL, "body_template": map[string]any{"n": "{{data.n}}"}}}},
	})["id"].(string)
	b := s.browser()
	b.login(s.Key)
	p := b.post("/admin/hooks/"+id+"/trigger", url.Values{"test_data": {`{"n": 7}`}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/executions/exe_") {
		t.Fatalf("trigger: %d %q", p.Status, p.Location)
	}
	if got := rcv.next(t, 15*time.Second); got["n"] != float64(7) {
		t.Fatalf("webhook: %v", got)
	}
	exe := strings.TrimPrefix(p.Location, "/admin/executions/")
	p = b.post("/admin/executions/"+exe+"/replay", url.Values{"from": {"start"}})
	if p.Status != http.StatusSeeOther || p.Location == "/admin/executions/"+exe {
		t.Fatalf("replay: %d %q", p.Status, p.Location)
	}
	rcv.next(t, 15*time.Second)
	page := b.get(p.Location)
	if page.Status != 200 || !strings.Contains(page.Body, "Replay of") {
		t.Fatalf("replayed execution page: %d", page.Status)
	}
}

func TestKeyShownOnce(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)
	created := b.post("/admin/keys", url.Values{"name": {"checkout"}, "role": {"user"}})
	if created.Status != http.StatusSeeOther {
		t.Fatalf("create key: %d, want a redirect (a reload must not create a second key)", created.Status)
	}
	p := b.get(created.Location)
	m := regexp.MustCompile(`data-new-key>(hlk_[A-Za-z0-9]+)<`).FindStringSubmatch(p.Body)
	if p.Status != 200 || m == nil {
		t.Fatalf("create key: %d, no key shown", p.Status)
	}
	if st, _ := s.api("GET", "/api/v1/hooks", m[1], nil); st != 200 {
		t.Fatalf("the shown key does not work: %d", st)
	}
	if again := b.get("/admin/keys"); strings.Contains(again.Body, m[1]) || !strings.Contains(again.Body, "checkout") {
		t.Fatal("the key list must show the key's name but never its secret again")
	}
	if p := b.post("/admin/keys", url.Values{"name": {""}, "role": {"user"}}); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("key without a name: %d", p.Status)
	}
}

// TestJobsPage: the jobs an enqueue_job action made are listed with their
// state; a dead one shows its last error; the filters narrow the list; a
// manager sees them too.
func TestJobsPage(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	hk := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "Nightly report", "enabled": true, "trigger": map[string]any{"type": "manual"},
		"actions": []any{map[string]any{"type": "enqueue_job", "config": map[string]any{"queue": "reports", "payload": map[string]any{"day": "monday"}}}},
	})
	trigger := func() {
		s.mustAPI(200, "POST", "/api/v1/hooks/"+hk["id"].(string)+"/trigger?wait=10s", s.Key, map[string]any{})
	}
	trigger()
	// Work the job to death: every attempt fails.
	claimed := s.mustAPI(200, "POST", "/api/v1/jobs/claim", s.Key, map[string]any{"queue": "reports"})["job"].(map[string]any)
	dead := claimed["id"].(string)
	for {
		j := s.mustAPI(200, "POST", "/api/v1/jobs/"+dead+"/fail", s.Key, map[string]any{"error": "printer on fire", "retry_in": "0s"})
		if j["state"] == "dead" {
			break
		}
		again := s.mustAPI(200, "POST", "/api/v1/jobs/claim", s.Key, map[string]any{"queue": "reports"})["job"].(map[string]any)
		if again["id"] != dead {
			t.Fatalf("claimed %v, want the failing job %s again", again["id"], dead)
		}
	}
	trigger() // and one more, waiting for a worker

	b := s.browser()
	b.login(s.Key)
	all := b.get("/admin/jobs")
	if all.Status != 200 || strings.Count(all.Body, "data-job=") != 2 || !strings.Contains(all.Body, `data-state="dead"`) ||
		!strings.Contains(all.Body, "printer on fire") || !strings.Contains(all.Body, `data-state="available"`) {
		t.Fatalf("GET /admin/jobs: %d, want both jobs, one dead with its error\n%.3000s", all.Status, all.Body)
	}
	if !strings.Contains(all.Body, `href="/admin/jobs"`) {
		t.Error("an admin's navigation lacks Jobs")
	}
	if p := b.get("/admin/jobs?state=dead&queue=reports"); strings.Count(p.Body, "data-job=") != 1 || !strings.Contains(p.Body, dead) ||
		!strings.Contains(p.Body, `<option value="dead" selected>`) || !strings.Contains(p.Body, `href="/admin/jobs">Clear</a>`) {
		t.Errorf("state=dead: want only %s, the state kept selected and a Clear link\n%.2000s", dead, p.Body)
	}
	if strings.Contains(all.Body, `href="/admin/jobs">Clear</a>`) {
		t.Error("the unfiltered jobs page offers Clear")
	}
	if p := b.get("/admin/jobs?queue=emails"); strings.Contains(p.Body, "data-job=") || !strings.Contains(p.Body, "No jobs match these filters") {
		t.Errorf("queue=emails: want an empty, filtered list\n%.2000s", p.Body)
	}

	m := s.browser()
	m.login(s.keyFor("manager"))
	if p := m.get("/admin/jobs"); p.Status != 200 || strings.Count(p.Body, "data-job=") != 2 {
		t.Errorf("GET /admin/jobs as manager: %d\n%.2000s", p.Status, p.Body)
	}
}

// TestDashboardRankings: the week's hooks are ranked by duration, and the
// failing one, with its failures and rate, under "Most failing hooks".
func TestDashboardRankings(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	defer gone.Close()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer ok.Close()
	mk := func(name, url string) string {
		return s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
			"name": name, "enabled": true, "trigger": map[string]any{"type": "manual"},
			"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": url}}},
		})["id"].(string)
	}
	bad, good := mk("Ping the old CRM", gone.URL), mk("Ping the new CRM", ok.URL)
	run := func(id, want string) {
		x := s.mustAPI(200, "POST", "/api/v1/hooks/"+id+"/trigger?wait=10s", s.Key, map[string]any{})
		if x["status"] != want {
			t.Fatalf("hook %s ran %v, want %s", id, x["status"], want)
		}
	}
	run(bad, "failed")
	run(bad, "failed")
	run(good, "success")

	b := s.browser()
	b.login(s.Key)
	p := b.get("/admin/")
	slow, failing, _ := strings.Cut(p.Body, `id="failing"`)
	failing, _, _ = strings.Cut(failing, `id="recent"`)
	if !strings.Contains(slow, "Ping the old CRM") || !strings.Contains(slow, "Ping the new CRM") {
		t.Errorf("slowest hooks lack a hook that ran:\n%.3000s", slow)
	}
	if !strings.Contains(failing, "Ping the old CRM") || strings.Contains(failing, "Ping the new CRM") ||
		!strings.Contains(failing, "100%") || !strings.Contains(failing, "hook_id="+bad) {
		t.Errorf("most failing hooks: want only the old CRM, 2 of 2 failed:\n%.3000s", failing)
	}
}
