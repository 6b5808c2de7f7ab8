package hook

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestExecutionJSONHasEveryField: a zero execution still writes every field
// of the type (null for the empty nullable ones), whatever its tags say, and
// reads back.
func TestExecutionJSONHasEveryField(t *testing.T) {
	b, err := json.Marshal(&Execution{Results: []ActionResult{{Index: 0, Type: "send_webhook"}}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	for _, f := range Fields(reflect.TypeOf(Execution{})) {
		v, ok := m[f.Name]
		if !ok {
			t.Errorf("field %s is missing: %s", f.Name, b)
			continue
		}
		if Nullable(f.Type) && v != nil {
			t.Errorf("empty %s = %v, want null", f.Name, v)
		}
	}
	r := m["actions"].([]any)[0].(map[string]any)
	for _, f := range Fields(reflect.TypeOf(ActionResult{})) {
		if _, ok := r[f.Name]; !ok {
			t.Errorf("action result field %s is missing: %s", f.Name, b)
		}
	}
	if m["error_message"] != nil || m["event_id"] != nil || m["executed_at"] != nil || m["attempts"] != float64(0) || m["exhausted"] != false {
		t.Errorf("values: %s", b)
	}

	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := Execution{ID: "exe_1", ErrorMessage: "a <b> & c", ExecutedAt: &now, Context: map[string]any{"html": "<p>"}}
	b, _ = json.Marshal(in)
	var out Execution
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.ID != "exe_1" || out.ErrorMessage != "a <b> & c" || !out.ExecutedAt.Equal(now) || out.Context["html"] != "<p>" {
		t.Errorf("round trip: %+v from %s", out, b)
	}
}
