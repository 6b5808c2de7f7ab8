package admin_test

import (
	"net/http"
	"net/url"
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
