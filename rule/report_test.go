package rule

import (
	"reflect"
	"testing"
)

// TestRenderReportListsEmptyHoles: holes that render no value are listed
// with their path and expression; holes with a value are not.
func TestRenderReportListsEmptyHoles(t *testing.T) {
	tpl, err := CompileTemplate(map[string]any{
		"text":  "order #{{record.id}} for {{ record.total }}",
		"whole": "{{record.missing}}",
		"list":  []any{"{{ data.nope }}", "fine"},
		"plain": "no holes",
	}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]any{"record": map[string]any{"total": 5.0}, "data": map[string]any{}}
	v, empties, err := tpl.RenderReport(env)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(map[string]any)["text"]; got != "order # for 5" {
		t.Errorf("text = %q", got)
	}
	want := map[EmptyHole]bool{{Path: "text", Expr: "record.id"}: true, {Path: "whole", Expr: "record.missing"}: true, {Path: "list[0]", Expr: "data.nope"}: true}
	got := map[EmptyHole]bool{}
	for _, e := range empties {
		got[e] = true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("empty holes = %v, want %v", empties, want)
	}
	env["record"].(map[string]any)["id"] = "rec_1"
	env["record"].(map[string]any)["missing"] = 0.0
	env["data"].(map[string]any)["nope"] = ""
	if _, empties, _ := tpl.RenderReport(env); len(empties) != 0 {
		t.Errorf("with every value present: %v", empties)
	}
	// Render itself is unchanged.
	if _, err := tpl.Render(env); err != nil {
		t.Fatal(err)
	}
}
