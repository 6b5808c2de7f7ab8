package hookdoc

import (
	"strings"
	"testing"

	"github.com/hookline/hookline/hook"
)

func TestSplit(t *testing.T) {
	src := "# only a comment\n---\nhooks:\n  - key: a\n    on: yes\n---\n# trailing\n"
	docs, err := Split("a.yaml", []byte(src))
	if err != nil || len(docs) != 1 || string(docs[0]) != `{"hooks":[{"key":"a","on":"yes"}]}` {
		t.Fatalf("docs %s, err %v", docs, err)
	}
	docs, err = Split("a.json", []byte(`{"event_types": [{"id": "30552", "label": "x"}]}`))
	if err != nil || len(docs) != 1 {
		t.Fatalf("json: %s %v", docs, err)
	}
	for src, want := range map[string]string{
		"hooks: [a, b\nkey: c\n": "b.yaml",
		"- a\n- b\n":             "b.yaml:1: document 1 is not a mapping",
	} {
		if _, err := Split("b.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}

func TestLine(t *testing.T) {
	src := []byte("hooks:\n  - key: a\n---\nhooks:\n  - key: b\n    trigger:\n      type: event\n      event: x\n    actions:\n      - type: t\n        config: {url: u}\n")
	for field, want := range map[string]int{
		"hooks[0].trigger.event":     8,
		"hooks[0].actions[0].config": 11,
		"hooks[0].condition":         5, // absent: the hook
		"hooks[3].key":               4, // no such hook: the list
		"":                           4,
	} {
		if got, ok := Line(src, 1, field); !ok || got != want {
			t.Errorf("%q: line %d (%v), want %d", field, got, ok, want)
		}
	}
	if _, ok := Line(src, 2, "hooks"); ok {
		t.Error("found a third document")
	}
}

func TestYAML(t *testing.T) {
	h := &hook.Hook{ID: "hk_1", AccountID: "acc_1", Version: 3, Key: "k", Name: "N", Enabled: false, Roles: []string{},
		Category: "other", OnConditionError: "fire", Trigger: hook.Trigger{Type: "manual"},
		Actions: []hook.Action{{Type: "create_record", Config: map[string]any{"z": 1.0, "a": "multi\nline"}}}}
	b, err := YAML(&Doc{EventTypes: []EventType{{ID: "30552", Label: "P"}}, Hooks: []*hook.Hook{h}}, "http://x/schemas/hooks.json")
	if err != nil {
		t.Fatal(err)
	}
	want := `# yaml-language-server: $schema=http://x/schemas/hooks.json
event_types:
  - id: "30552"
    label: P
hooks:
  - key: k
    name: "N"
    enabled: false
    category: other
    trigger:
      type: manual
    on_condition_error: fire
    actions:
      - type: create_record
        config:
          a: |-
            multi
            line
          z: 1
`
	if string(b) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b, want)
	}
	docs, err := Split("x.yaml", b)
	if err != nil || !strings.Contains(string(docs[0]), `"enabled":false`) {
		t.Fatalf("read back: %s %v", docs, err)
	}
}
