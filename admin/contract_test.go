package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// emailHookForm is an editor form for a hook that sends an email.
func emailHookForm() url.Values {
	return url.Values{
		"name": {"Mail the customer"}, "order": {"100"}, "category": {"notification"},
		"trigger_kind": {"lifecycle"}, "trigger.collection": {"orders"}, "trigger.event": {"records.create"},
		"on_condition_error": {"fire"}, "enabled": {"false"},
		"actions[0].type": {"send_email"}, "actions[0].name": {"mail"},
		"actions[0].config.to": {"ann@example.com"}, "actions[0].config.from": {"shop@example.com"}, "actions[0].config.subject": {"Thanks"}, "actions[0].config.text": {"Hi"},
	}
}

// TestEditorWarnsWithoutEmailProvider: saving and activating a send_email
// hook while no SMTP server is configured says so after the save, on the
// editor and when it is enabled from the hooks table.
func TestEditorWarnsWithoutEmailProvider(t *testing.T) {
	t.Parallel()
	s := startServer(t) // no SMTP configured
	b := s.browser()
	b.login(s.Key)
	p := b.post("/admin/hooks/new", with(emailHookForm(), "intent", "activate"))
	if p.Status != http.StatusSeeOther {
		i := strings.Index(p.Body, "form-errors")
		t.Fatalf("save: %d\n%.1500s", p.Status, p.Body[max(i, 0):])
	}
	page := b.get(p.Location)
	for _, want := range []string{`class="flash warn"`, "HOOKLINE_SMTP_HOST", "data-hook-warnings"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the editor after the save lacks %q:\n%.3000s", want, page.Body)
		}
	}
	id := strings.TrimPrefix(p.Location, "/admin/hooks/")
	b.post("/admin/hooks/"+id+"/enabled", url.Values{"enabled": {"false"}})
	p = b.post("/admin/hooks/"+id+"/enabled", url.Values{"enabled": {"true"}})
	if list := b.get(p.Location); !strings.Contains(list.Body, `class="flash warn"`) || !strings.Contains(list.Body, "SMTP") {
		t.Errorf("enabling from the table does not warn:\n%.2000s", list.Body)
	}
	// A webhook hook has no warning.
	p = b.post("/admin/hooks/new", with(orderHookForm("http://127.0.0.1:1/x"), "intent", "activate"))
	if page := b.get(p.Location); strings.Contains(page.Body, "flash warn") || strings.Contains(page.Body, "data-hook-warnings") {
		t.Errorf("a webhook hook shows a warning")
	}
}

// TestTestPanelWarnsOfEmptyHoles: the test panel lists the holes that have
// no value in the sample data.
func TestTestPanelWarnsOfEmptyHoles(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)
	p := b.post("/admin/hooks/new", orderHookForm("http://127.0.0.1:1/x"))
	id := strings.TrimPrefix(p.Location, "/admin/hooks/")
	res := b.post("/admin/hooks/"+id+"/test", url.Values{"test_data": {`{"total": 600}`}})
	if res.Status != 200 || !strings.Contains(res.Body, "data-dry-warnings") || !strings.Contains(res.Body, "{{record.id}}") {
		i := strings.Index(res.Body, "dry-actions")
		t.Fatalf("test panel: %d\n%.1500s", res.Status, res.Body[max(i, 0):])
	}
	res = b.post("/admin/hooks/"+id+"/test", url.Values{"test_data": {`{"total": 600, "id": "rec_1"}`}})
	if strings.Contains(res.Body, "data-dry-warnings") {
		t.Errorf("a warning with every value present")
	}
}

// TestKeyCreationRedirects: creating a key redirects (post/redirect/get):
// the secret shows once on the page it leads to, and reloading that page
// neither shows it again nor creates another key.
func TestKeyCreationRedirects(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)
	p := b.post("/admin/keys", url.Values{"name": {"reporting"}, "role": {"user"}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/admin/keys") {
		t.Fatalf("POST /admin/keys: %d %q, want 303 to the keys page", p.Status, p.Location)
	}
	first := b.get(p.Location)
	if !strings.Contains(first.Body, "data-new-key>hlk_") || first.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the key is not shown after the redirect (Cache-Control %q)", first.Header.Get("Cache-Control"))
	}
	reload := b.get(p.Location)
	if strings.Contains(reload.Body, "data-new-key") {
		t.Errorf("a reload shows the secret again")
	}
	keys := s.mustAPI(200, "GET", "/api/v1/accounts/"+s.Root+"/keys", s.Key, nil)["items"].([]any)
	n := 0
	for _, k := range keys {
		if k.(map[string]any)["name"] == "reporting" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d keys named reporting, want 1", n)
	}
}

// TestDeleteConfirmationFocusesCancel: the hook delete page focuses Cancel,
// so Enter does not delete.
func TestDeleteConfirmationFocusesCancel(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	b := s.browser()
	b.login(s.Key)
	p := b.post("/admin/hooks/new", orderHookForm("http://127.0.0.1:1/x"))
	page := b.get(p.Location + "/delete")
	if page.Status != 200 {
		t.Fatalf("delete page: %d", page.Status)
	}
	cancel := regexp.MustCompile(`<a [^>]*autofocus[^>]*>Cancel</a>`)
	danger := regexp.MustCompile(`<button [^>]*autofocus[^>]*>Delete hook</button>`)
	if !cancel.MatchString(page.Body) || danger.MatchString(page.Body) {
		i := strings.Index(page.Body, "<form")
		t.Errorf("focus is not on Cancel:\n%.800s", page.Body[max(i, 0):])
	}
}
