// Package wait is the wait action (SPEC §12): it pauses its execution
// durably until a duration has passed or a time has come. The execution is
// parked in the database (pending, due at the wake time), holding no worker;
// restarts neither lose nor shorten the wait, and the actions after it run
// once it is over, with steps.<name> as before.
package wait

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hookline/hookline/action"
)

// Type is the action type name.
const Type = "wait"

// MaxWait bounds a wait given as a duration, and how far ahead an until may lie.
const MaxWait = 366 * 24 * time.Hour

// Options configure the executor.
type Options struct {
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Executor runs wait actions.
type Executor struct {
	o    Options
	desc action.Description
}

var _ action.Executor = (*Executor)(nil)

// New returns an executor.
func New(o Options) *Executor {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Executor{o: o, desc: action.Description{
		Type:    Type,
		Label:   "Wait",
		Summary: "Pauses the hook durably (no worker is held; restarts neither lose nor shorten it), then runs the actions after it.",
		Fields: []action.Field{
			{Name: "duration", Label: "Duration", Type: action.String, Templated: true, Example: "10m",
				Help: "How long to wait: 30s, 10m, 2h, up to 8784h (366 days). Give this or Until."},
			{Name: "until", Label: "Until", Type: action.String, Templated: true, Example: "{{record.due_at}}",
				Help: "An RFC 3339 time to wait for; a time already past does not wait. Give this or Duration."},
		},
		Outputs: []action.Output{{Name: "until", Help: "when the wait ended (RFC 3339)"}},
	}}
}

// Type implements action.Executor.
func (e *Executor) Type() string { return Type }

// Describe implements action.Describer.
func (e *Executor) Describe() action.Description { return e.desc }

// Validate implements action.Executor.
func (e *Executor) Validate(config map[string]any) error {
	_, _, err := e.parse(config, false)
	return err
}

// parse returns the duration or the time to wait for (one of them), or,
// before rendering, neither when a template decides.
func (e *Executor) parse(m map[string]any, rendered bool) (time.Duration, time.Time, error) {
	if err := e.desc.Check(m, rendered); err != nil {
		return 0, time.Time{}, err
	}
	ds, _ := m["duration"].(string)
	us, _ := m["until"].(string)
	ds, us = strings.TrimSpace(ds), strings.TrimSpace(us)
	switch {
	case ds != "" && us != "":
		return 0, time.Time{}, action.Fieldf("duration", "give either duration or until, not both")
	case ds == "" && us == "" && rendered:
		return 0, time.Time{}, action.Fieldf("until", "rendered empty: nothing to wait for")
	case ds == "" && us == "":
		return 0, time.Time{}, action.Fieldf("duration", "is required (or until)")
	}
	if ds != "" {
		if !rendered && action.HasHole(ds) {
			return 0, time.Time{}, nil
		}
		d, err := time.ParseDuration(ds)
		if err != nil || d < 0 {
			return 0, time.Time{}, action.Fieldf("duration", "must be a duration such as 30s, 10m or 2h")
		}
		if d > MaxWait {
			return 0, time.Time{}, action.Fieldf("duration", "must be at most %s", MaxWait)
		}
		return d, time.Time{}, nil
	}
	if !rendered && action.HasHole(us) {
		return 0, time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, us)
	if err != nil {
		return 0, time.Time{}, action.Fieldf("until", "must be an RFC 3339 time such as 2026-12-24T18:00:00Z (got %q)", us)
	}
	return 0, t, nil
}

// Execute implements action.Executor. The first attempt fixes the wake time
// and parks the execution; when it wakes, the same action sees the wake
// time in its earlier result and succeeds.
func (e *Executor) Execute(ctx context.Context, req *action.Request) (*action.Result, error) {
	now := e.o.Now()
	until, ok := earlier(req)
	if !ok {
		d, t, err := e.parse(req.Config, true)
		if err != nil {
			return nil, action.Fail(fmt.Errorf("wait: invalid config: %w", err), nil)
		}
		if t.IsZero() {
			t = now.Add(d)
		} else if t.After(now.Add(MaxWait)) {
			return nil, action.Fail(fmt.Errorf("wait: until %s is more than %s ahead", t.Format(time.RFC3339), MaxWait), nil)
		}
		until = t.Truncate(time.Microsecond) // as stored
	}
	out := map[string]any{"until": until.UTC().Format(time.RFC3339Nano)}
	if until.After(now) {
		return nil, action.Wait(until, &action.Result{Output: out, Request: req.Config})
	}
	return &action.Result{Output: out, Request: req.Config}, nil
}

// earlier is the wake time a previous run of this action fixed.
func earlier(req *action.Request) (time.Time, bool) {
	x := req.Execution
	if x == nil || req.Index >= len(x.Results) {
		return time.Time{}, false
	}
	r := x.Results[req.Index]
	if r.Status != "waiting" {
		return time.Time{}, false
	}
	s, _ := r.Output["until"].(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
