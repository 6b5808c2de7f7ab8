package e2e

import (
	"testing"
)

// The OpenAPI document describes each action type's config from the type's
// own description: its fields, their defaults and allowed values, what is
// required; Action is oneOf the types, told apart by "type". And the API's
// validation messages come from the same description.
func TestOpenAPIActionSchemas(t *testing.T) {
	s := start(t, mustSQLite(t))
	doc := s.do("GET", "/openapi.json", "", nil).Body
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	action := schemas["Action"].(map[string]any)
	if n := len(action["oneOf"].([]any)); n != 9 {
		t.Fatalf("Action is oneOf %d types, want 9", n)
	}
	mapping := action["discriminator"].(map[string]any)["mapping"].(map[string]any)
	if mapping["send_email"] != "#/components/schemas/Action_send_email" {
		t.Fatalf("discriminator mapping: %v", mapping)
	}
	config := func(typ string) map[string]any {
		return schemas["Action_"+typ].(map[string]any)["properties"].(map[string]any)["config"].(map[string]any)
	}
	wh := config("send_webhook")["properties"].(map[string]any)
	if wh["timeout"].(map[string]any)["default"] != "10s" {
		t.Errorf("webhook timeout schema: %v", wh["timeout"])
	}
	if def := wh["method"].(map[string]any)["default"]; def != "POST" {
		t.Errorf("webhook method default: %v", def)
	}
	req := config("send_email")["required"].([]any)
	if len(req) != 2 || req[0] != "to" || req[1] != "subject" {
		t.Errorf("send_email requires %v", req)
	}
	// A case's config overrides some fields: nothing is required there.
	cases := schemas["Action_send_email"].(map[string]any)["properties"].(map[string]any)["cases"].(map[string]any)
	caseConfig := cases["items"].(map[string]any)["properties"].(map[string]any)["config"].(map[string]any)
	if _, has := caseConfig["required"]; has {
		t.Errorf("a case's config requires nothing: %v", caseConfig)
	}

	// The API names the field and says what the description says.
	r := s.do("POST", "/api/v1/hooks", s.Admin, map[string]any{
		"name": "x", "trigger": map[string]any{"type": "manual"},
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": "https://x.example", "method": "TRACE"}}},
	})
	e, _ := r.Body["error"].(map[string]any)
	if r.Status != 422 || e["field"] != "actions[0].config.method" || e["message"] != "must be one of GET, POST, PUT, PATCH, DELETE" {
		t.Fatalf("bad method: %d %v", r.Status, r.Body)
	}
}
