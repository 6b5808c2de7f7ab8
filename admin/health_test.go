package admin_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline"
)

// TestDisabledReason: a hook hookline disabled shows why in the hooks list
// and on its page; enabling it with the toggle clears that; the editor
// offers the system events.
func TestDisabledReason(t *testing.T) {
	t.Parallel()
	s := startServerWith(t, func(c *hookline.Config) { c.AutoDisableAfter = 1 })
	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) }))
	t.Cleanup(gone.Close)
	id := s.mustAPI(201, "POST", "/api/v1/hooks", s.Key, map[string]any{
		"name": "Old partner", "enabled": true, "trigger": map[string]any{"type": "manual"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": gone.URL}}},
	})["id"].(string)
	s.mustAPI(200, "POST", "/api/v1/hooks/"+id+"/trigger?wait=10s", s.Key, map[string]any{})

	b := s.browser()
	b.login(s.Key)
	list := b.get("/admin/hooks")
	if !strings.Contains(list.Body, `data-disabled-reason>by hookline: action 1 (send_webhook_0): the endpoint answered 410 Gone`) {
		i := strings.Index(list.Body, `data-label="Enabled"`)
		t.Errorf("the hooks list does not say why the hook is disabled\n%.600s", list.Body[max(i, 0):])
	}
	hp := b.get("/admin/hooks/" + id)
	if !strings.Contains(hp.Body, "disabled this hook") || !strings.Contains(hp.Body, ":</strong> action 1 (send_webhook_0): the endpoint answered 410 Gone. Enabling") {
		t.Errorf("the hook page does not say why the hook is disabled\n%.4000s", hp.Body)
	}
	b.post("/admin/hooks/"+id+"/enabled", url.Values{"enabled": {"true"}, "back": {"/admin/hooks/" + id}})
	if h := s.mustAPI(200, "GET", "/api/v1/hooks/"+id, s.Key, nil); h["enabled"] != true || h["disabled_reason"] != nil {
		t.Fatalf("after the toggle: enabled %v, disabled_reason %v", h["enabled"], h["disabled_reason"])
	}
	if p := b.get("/admin/hooks/" + id); strings.Contains(p.Body, "data-disabled-reason") {
		t.Error("the hook page still shows a reason after enabling")
	}
	if p := b.get("/admin/hooks/new?trigger=hookable"); !strings.Contains(p.Body, `<option value="execution.failed"`) || !strings.Contains(p.Body, `<option value="hook.disabled"`) {
		t.Errorf("the editor does not offer the system events\n%.3000s", p.Body)
	}
}
