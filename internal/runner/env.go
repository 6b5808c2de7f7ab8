package runner

import (
	"maps"
	"strconv"
	"time"

	"github.com/hookline/hookline/hook"
)

// Env builds the expression environment of an execution (SPEC §3): every field
// of the event's data at top level, then the namespaces record, previous,
// event, data, request, auth, account, now, steps and secret.
func Env(ctx map[string]any, steps map[string]any, secrets map[string]string, now time.Time) map[string]any {
	env := make(map[string]any, 16)
	data, _ := ctx["data"].(map[string]any)
	maps.Copy(env, data)
	if req, ok := ctx["request"].(map[string]any); ok {
		if body, ok := req["body"].(map[string]any); ok {
			for k, v := range body {
				if _, taken := env[k]; !taken {
					env[k] = v
				}
			}
		}
	}
	for _, ns := range []string{"record", "previous", "event", "request", "auth", "account", "collection", "trigger"} {
		if v, ok := ctx[ns]; ok {
			env[ns] = v
		} else {
			env[ns] = nil
		}
	}
	if data == nil {
		data = map[string]any{}
	}
	env["data"] = data
	env["now"] = now.UTC().Format(time.RFC3339)
	if steps == nil {
		steps = map[string]any{}
	}
	env["steps"] = steps
	sec := make(map[string]any, len(secrets))
	for k, v := range secrets {
		sec[k] = v
	}
	env["secret"] = sec
	return env
}

// Steps collects the outputs of the actions that succeeded, by name and by
// index, for steps.<name> in later actions.
func Steps(results []hook.ActionResult) map[string]any {
	steps := make(map[string]any, len(results)*2)
	for _, r := range results {
		if r.Status != "success" {
			continue
		}
		out := map[string]any{}
		maps.Copy(out, r.Output)
		if r.Name != "" {
			steps[r.Name] = out
		}
		steps[strconv.Itoa(r.Index)] = out
	}
	return steps
}

// ActionName is an action's name in steps and logs: its own, or type_index.
func ActionName(a hook.Action, i int) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Type + "_" + strconv.Itoa(i)
}
