package hookline

import (
	"context"
	"testing"

	"github.com/hookline/hookline/hook"
)

func TestHookWarnings(t *testing.T) {
	ctx := context.Background()
	e := openTestEngine(t, Config{})
	root, _, _, err := e.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	p := Principal{AccountID: root, Role: hook.RoleAdmin}
	if _, err := e.CreateCollection(ctx, p, root, "orders", nil); err != nil {
		t.Fatal(err)
	}
	h := &hook.Hook{
		Name: "x", Condition: "total > 1", OnConditionError: "fire",
		Trigger: hook.Trigger{Type: hook.TriggerEvent, Event: hook.EventRecordCreate, Collection: "ordres"},
		Actions: []hook.Action{
			{Type: "send_email", Config: map[string]any{"to": "a@example.com", "subject": "s", "text": "t"}},
			{Type: "create_record", Config: map[string]any{"collection": "invoices", "data": map[string]any{}}},
			{Type: "update_record", Config: map[string]any{"collection": "orders", "data": map[string]any{"a": 1}}},
			{Type: "delete_record", Config: map[string]any{"collection": "{{record.kind}}"}},
		},
	}
	ws, err := e.HookWarnings(ctx, p, h)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, w := range ws {
		got[w.Field] = w.Message
	}
	for _, f := range []string{"trigger.collection", "on_condition_error", "actions[0].type", "actions[1].config.collection"} {
		if got[f] == "" {
			t.Errorf("no warning for %s: %v", f, ws)
		}
	}
	if len(ws) != 4 {
		t.Errorf("warnings %v: an existing collection and a template are fine", ws)
	}
	// Nothing to say about a careful hook.
	h.Trigger.Collection, h.OnConditionError, h.Actions = "orders", "skip", h.Actions[2:]
	if ws, _ := e.HookWarnings(ctx, p, h); len(ws) != 0 {
		t.Errorf("warnings for a careful hook: %v", ws)
	}
}
