package admin

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// The hook page draws the hook as a flow, left to right: trigger →
// condition → each action with its cases as branches. The last run's path
// is coloured: green where it went and succeeded, red where it failed.

// Step states (CSS classes st-…).
const (
	flowNone  = ""      // not reached, or no run yet
	flowOK    = "ok"    // ran and succeeded (or the condition held)
	flowFail  = "fail"  // failed
	flowRetry = "retry" // waiting for another attempt
	flowRun   = "run"   // running or waiting to run
	flowStop  = "stop"  // the condition did not hold: the run stopped here
)

type flowBranch struct {
	Label, When string
	Taken       bool
	State       string
}

type flowStep struct {
	Kind       string // trigger, condition, action
	Num        int
	KindLabel  string
	Title      string
	Detail     string
	State      string
	StateLabel string
	Branches   []flowBranch
}

type flowView struct {
	Steps []flowStep
	Last  *hook.Execution
	// LastVersion and Version are the hook versions of the last run and of
	// the hook now, when both are known and differ.
	LastVersion, Version string
}

// lastExecution is the hook's newest execution, or nil.
func (h *Handler) lastExecution(ctx context.Context, s *session, hookID string) *hook.Execution {
	xs, err := h.e.ListExecutions(ctx, s.p, store.ExecutionFilter{HookID: hookID, Page: store.Page{Limit: 1}})
	if err != nil || len(xs) == 0 {
		return nil
	}
	return xs[0]
}

// flow draws hk, with the path of execution x (nil: no run yet).
func (h *Handler) flow(hk *hook.Hook, hv *hookline.HookView, x *hook.Execution, labels map[string]string) *flowView {
	v := &flowView{Last: x}
	var sched *string
	if hv != nil {
		sched = hv.ScheduleDescription
	}
	trig := flowStep{Kind: "trigger", KindLabel: "Trigger", Title: triggerWords(&hk.Trigger, sched, labels)}
	if x != nil {
		trig.State, trig.StateLabel = flowOK, "fired "+x.TriggerType
	}
	v.Steps = append(v.Steps, trig)

	reached := x != nil
	if hk.Condition != "" {
		c := flowStep{Kind: "condition", KindLabel: "Condition", Title: truncate(80, hk.Condition)}
		if x != nil {
			switch {
			case x.ConditionResult != nil && !*x.ConditionResult:
				c.State, c.StateLabel, reached = flowStop, "did not hold: skipped", false
			case x.ConditionError != "":
				c.State, c.StateLabel = flowRetry, "failed to evaluate"
			case x.ConditionResult != nil:
				c.State, c.StateLabel = flowOK, "held"
			case !x.Done():
				c.State, c.StateLabel, reached = flowRun, "waiting", false
			default:
				reached = false
			}
		}
		v.Steps = append(v.Steps, c)
	}

	results := map[int]hook.ActionResult{}
	if x != nil {
		for _, r := range x.Results {
			results[r.Index] = r
		}
	}
	for i, a := range hk.Actions {
		t := h.cat.get(a.Type)
		st := flowStep{Kind: "action", Num: i + 1, KindLabel: fmt.Sprintf("Action %d", i+1), Title: t.Label, Detail: actionDetail(t, a)}
		if a.Name != "" {
			st.Title = a.Name + " · " + t.Label
		}
		r, ran := results[i]
		if reached && ran {
			st.State, st.StateLabel = resultState(r.Status)
		} else if reached && x != nil && !x.Done() {
			st.State, st.StateLabel = flowRun, "waiting"
		}
		if len(a.Cases) > 0 {
			for j, c := range a.Cases {
				b := flowBranch{Label: fmt.Sprintf("Case %d", j+1), When: truncate(60, c.When)}
				if reached && ran && r.Case != nil && *r.Case == j {
					b.Taken, b.State = true, st.State
				}
				st.Branches = append(st.Branches, b)
			}
			e := flowBranch{Label: "Else"}
			if reached && ran && r.Case == nil {
				e.Taken, e.State = true, st.State
			}
			st.Branches = append(st.Branches, e)
		}
		if st.State == flowFail || st.State == flowRetry || st.State == flowRun {
			reached = false
		}
		v.Steps = append(v.Steps, st)
	}
	if x != nil {
		last, now := extraString(x, "hook_version"), extraString(hk, "version")
		if last != "" && now != "" && last != now {
			v.LastVersion, v.Version = last, now
		}
	}
	return v
}

func resultState(status string) (string, string) {
	switch status {
	case "success":
		return flowOK, "succeeded"
	case "failed":
		return flowFail, "failed"
	case "retrying":
		return flowRetry, "will retry"
	case "skipped":
		return flowNone, "skipped"
	}
	return flowRun, status
}

// actionDetail is an action's most telling setting: its first required
// field (the webhook's URL, the email's recipients, the collection …).
func actionDetail(t *typeView, a hook.Action) string {
	for _, f := range t.Inputs {
		if !f.Required {
			continue
		}
		if s, ok := valueText(f, a.Config[f.Name]); ok {
			return truncate(60, s)
		}
	}
	return ""
}

// extraString reads a JSON field of v that the Go type may not have yet
// (fields other work adds, such as an execution's hook_version): "" when
// absent or null.
func extraString(v any, field string) string {
	m := extraFields(v)
	switch x := m[field].(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return fmt.Sprintf("%g", x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// extraFields is v as a JSON object.
func extraFields(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}
