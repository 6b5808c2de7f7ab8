package hookline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
)

// Warning is something about a valid hook that will likely not work as its
// author expects. Field uses the same paths as validation errors.
type Warning struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// HookWarnings lists what is worth a second look before saving hk (which
// need not be saved, nor valid): an action that needs a provider this server
// has not configured, a collection its account does not have, and a
// condition that lets the actions run when it fails to evaluate.
func (e *Engine) HookWarnings(ctx context.Context, p Principal, h *hook.Hook) ([]Warning, error) {
	owner := h.AccountID
	if owner == "" {
		owner = p.AccountID
	}
	cols, err := e.ListCollections(ctx, p, owner)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	missing := func(name string) bool {
		name = strings.TrimSpace(name)
		return name != "" && !action.HasHole(name) && !slices.Contains(names, name)
	}
	var out []Warning
	t := h.Trigger
	if t.Type == hook.TriggerEvent && strings.HasPrefix(t.Event, "records.") && missing(t.Collection) {
		out = append(out, Warning{"trigger.collection", fmt.Sprintf("there is no collection %q in this account yet, so this hook will not run until one is created", t.Collection)})
	}
	if strings.TrimSpace(h.Condition) != "" && h.OnConditionError != "skip" {
		out = append(out, Warning{"on_condition_error", "if the condition fails to evaluate (a missing field, a wrong type), the actions run anyway; choose “Skip the hook” when they must not"})
	}
	for i, a := range h.Actions {
		if err := e.ActionReady(a.Type); err != nil {
			out = append(out, Warning{fmt.Sprintf("actions[%d].type", i), err.Error()})
		}
		d, ok := e.ActionDescription(a.Type)
		if !ok {
			continue
		}
		for _, f := range d.Fields {
			if f.Type != action.Collection {
				continue
			}
			if s, _ := a.Config[f.Name].(string); missing(s) {
				out = append(out, Warning{fmt.Sprintf("actions[%d].config.%s", i, f.Name), fmt.Sprintf("there is no collection %q in this account yet: writing to it will fail", s)})
			}
		}
	}
	return out, nil
}
