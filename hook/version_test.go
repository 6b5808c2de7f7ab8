package hook

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestDefinitionIgnoresState(t *testing.T) {
	a := &Hook{ID: "hk_1", AccountID: "acc_1", Version: 3, Name: "n", Trigger: Trigger{Type: TriggerManual},
		Actions: []Action{{Type: "create_record", Config: map[string]any{"collection": "x"}}}, RunCount: 4, CreatedAt: time.Unix(1, 0)}
	b := a.Clone()
	b.ID, b.Version, b.RunCount, b.UpdatedAt = "hk_2", 9, 0, time.Unix(5, 0)
	now := time.Now()
	b.NextRunAt = &now
	if !SameDefinition(a, b) {
		t.Fatalf("state fields made a difference: %+v", Diff(Definition(a), Definition(b)))
	}
	b.Key = "k"
	if SameDefinition(a, b) {
		t.Fatal("a new key made no difference")
	}
}

func TestDiff(t *testing.T) {
	old := map[string]any{"name": "a", "roles": []any{"admin"}, "trigger": map[string]any{"type": "event", "event": "x"},
		"actions": []any{map[string]any{"type": "t", "config": map[string]any{"url": "u1", "n": 1.0}}}}
	new := map[string]any{"name": "a", "roles": []any{"admin", "user"}, "trigger": map[string]any{"type": "event"},
		"condition": "x > 1",
		"actions":   []any{map[string]any{"type": "t", "config": map[string]any{"url": "u2", "n": 1.0}}, map[string]any{"type": "u"}}}
	got := Diff(old, new)
	want := []Change{
		{Field: "actions[0].config.url", Old: "u1", New: "u2"},
		{Field: "actions[1]", Old: nil, New: map[string]any{"type": "u"}},
		{Field: "condition", Old: nil, New: "x > 1"},
		{Field: "roles", Old: []any{"admin"}, New: []any{"admin", "user"}},
		{Field: "trigger.event", Old: "x", New: nil},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		t.Fatalf("diff:\n%s", g)
	}
	if d := Diff(old, old); len(d) != 0 {
		t.Fatalf("no change gave %v", d)
	}
}

func TestVersionRefJSON(t *testing.T) {
	b, _ := json.Marshal(struct{ V, W VersionRef }{0, 3})
	if string(b) != `{"V":null,"W":3}` {
		t.Fatal(string(b))
	}
	var v struct{ V, W VersionRef }
	if err := json.Unmarshal([]byte(`{"V":null,"W":3}`), &v); err != nil || v.V != 0 || v.W != 3 {
		t.Fatal(v, err)
	}
}
