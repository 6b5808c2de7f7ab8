package admin

import (
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/action"
)

func scopePaths(vars []pickVar) map[string]pickVar {
	m := map[string]pickVar{}
	for _, v := range vars {
		m[v.Path] = v
	}
	return m
}

func TestBuildScopeRecordEvent(t *testing.T) {
	in := scopeInput{
		Kind: "lifecycle", Event: "records.update", Collection: "orders",
		Schema: map[string]any{"type": "object", "properties": map[string]any{
			"total":    map[string]any{"type": "integer"},
			"note":     map[string]any{"type": []any{"null", "string"}},
			"customer": map[string]any{"type": "object", "properties": map[string]any{"email": map[string]any{"type": "string"}}},
		}},
		// Seen fields do not count when there is a schema.
		Seen:    []map[string]any{{"legacy": 1.0}},
		Sample:  map[string]any{"id": "rec_1", "total": 600.0, "customer": map[string]any{"email": "a@b.c"}},
		Steps:   []stepInfo{{Name: "make_invoice", Outputs: []action.Output{{Name: "id", Help: "the new record's id"}}}, {Name: "notify"}},
		Secrets: []string{"API_TOKEN"},
	}
	vars := buildScope(in)
	m := scopePaths(vars)
	for _, p := range []string{"total", "record.total", "record.note", "record.customer.email", "previous.total", "record.id",
		"auth.user_id", "event.type", "now", "collection", "steps.make_invoice.id", "steps.notify", "secret.API_TOKEN"} {
		if _, ok := m[p]; !ok {
			t.Errorf("%s not in scope", p)
		}
	}
	for _, p := range []string{"record.legacy", "legacy", "trigger.slot", "request.method", "data.total"} {
		if _, ok := m[p]; ok {
			t.Errorf("%s in scope of a record update", p)
		}
	}
	if v := m["record.total"]; v.Kind != "number" || string(v.Sample) != "600" {
		t.Errorf("record.total: kind %q sample %s", v.Kind, v.Sample)
	}
	if v := m["record.note"]; v.Kind != "string" || v.Sample != nil {
		t.Errorf("record.note (not in the sample): kind %q sample %s", v.Kind, v.Sample)
	}
	if v := m["record.customer.email"]; string(v.Sample) != `"a@b.c"` {
		t.Errorf("nested sample: %s", v.Sample)
	}
	if v := m["steps.make_invoice.id"]; v.Step != 0 || v.Help != "the new record's id" {
		t.Errorf("step output: %+v", v)
	}
	if v := m["steps.notify"]; v.Step != 1 {
		t.Errorf("second step: %+v", v)
	}
	if v := m["secret.API_TOKEN"]; v.Sample != nil || v.Step != -1 {
		t.Errorf("a secret shows no value: %+v", v)
	}
	if v := m["total"]; v.Step != -1 {
		t.Errorf("data is in scope everywhere: %+v", v)
	}
	// Record fields come before the rest, in name order.
	i := slices.IndexFunc(vars, func(v pickVar) bool { return strings.HasPrefix(v.Path, "record.") })
	if i != 1 || vars[0].Path != "record" || vars[i].Path != "record.customer" {
		t.Errorf("order: %v", vars[:3])
	}
}

func TestBuildScopeWithoutSchema(t *testing.T) {
	// Fields from the latest records; previous only for updates.
	m := scopePaths(buildScope(scopeInput{Kind: "lifecycle", Event: "records.create", Collection: "notes",
		Seen: []map[string]any{{"title": "a"}, {"pinned": true}}}))
	for _, p := range []string{"record.title", "record.pinned", "title"} {
		if _, ok := m[p]; !ok {
			t.Errorf("%s not in scope", p)
		}
	}
	if m["record.pinned"].Kind != "boolean" {
		t.Errorf("kind of a seen field: %+v", m["record.pinned"])
	}
	if _, ok := m["previous.title"]; ok {
		t.Error("previous offered for a create")
	}
}

func TestBuildScopeOtherTriggers(t *testing.T) {
	ev := scopePaths(buildScope(scopeInput{Kind: "hookable", Event: "30552", Sample: map[string]any{"sku": "A1", "qty": 2.0}}))
	if string(ev["data.sku"].Sample) != `"A1"` || string(ev["qty"].Sample) != "2" {
		t.Errorf("hookable event fields: %+v %+v", ev["data.sku"], ev["qty"])
	}
	if _, ok := ev["record"]; ok {
		t.Error("record offered for a hookable event")
	}
	sch := scopePaths(buildScope(scopeInput{Kind: "schedule"}))
	if _, ok := sch["trigger.slot"]; !ok {
		t.Error("trigger.slot not in a schedule's scope")
	}
	in := scopePaths(buildScope(scopeInput{Kind: "inbound", Sample: map[string]any{"amount": 42.0}}))
	for _, p := range []string{"request.headers", "request.method", "amount", "request.body.amount"} {
		if _, ok := in[p]; !ok {
			t.Errorf("%s not in an inbound route's scope", p)
		}
	}
}
