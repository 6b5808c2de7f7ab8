// Package chain is the trigger_hook action: another hook run, one level
// deeper in the causation chain, through the engine (action.Host).
package chain

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hookline/hookline/action"
)

// Type is the action type name.
const Type = "trigger_hook"

// HookIDRE is a plausible hook id.
var HookIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// Options configure the executor. There are none yet: the engine behind
// action.Host does the work.
type Options struct{}

// Executor runs trigger_hook actions.
type Executor struct {
	o    Options
	desc action.Description
}

var _ action.Executor = (*Executor)(nil)

// New returns an executor.
func New(o Options) *Executor { return &Executor{o: o, desc: describe()} }

// Type implements action.Executor.
func (e *Executor) Type() string { return Type }

// Targets returns the hook ids config triggers that are known before
// rendering (literal, without {{ }} holes), for cycle detection at save
// time. A hook_id with holes is unknown until the action runs; at run time
// the depth limit stops loops.
func Targets(config map[string]any) []string {
	s, ok := config["hook_id"].(string)
	if !ok || strings.Contains(s, "{{") {
		return nil
	}
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return []string{s}
}

type config struct {
	hookID string
	data   map[string]any
}

// Validate implements action.Executor: it checks a config as saved, skipping
// what {{ }} holes may still change.
func (e *Executor) Validate(config map[string]any) error {
	_, err := parseConfig(&e.desc, config, false)
	return err
}

func parseConfig(d *action.Description, m map[string]any, rendered bool) (*config, error) {
	if err := d.Check(m, rendered); err != nil {
		return nil, err
	}
	c := &config{data: map[string]any{}}

	switch v := m["hook_id"].(type) {
	case string:
		if !rendered && strings.Contains(v, "{{") {
			break
		}
		v = strings.TrimSpace(v)
		if !HookIDRE.MatchString(v) {
			return nil, action.Fieldf("hook_id", "is not a valid hook id")
		}
		c.hookID = v
	default:
		return nil, action.Fieldf("hook_id", "must be a string")
	}

	switch v := m["data"].(type) {
	case nil:
	case map[string]any:
		c.data = v
	case string:
		// A whole {{ }} hole may render an object.
		if !rendered && strings.HasPrefix(v, "{{") && strings.HasSuffix(v, "}}") {
			break
		}
		return nil, action.Fieldf("data", "must be an object")
	default:
		return nil, action.Fieldf("data", "must be an object")
	}
	return c, nil
}

// Execute implements action.Executor: one attempt.
func (e *Executor) Execute(ctx context.Context, req *action.Request) (*action.Result, error) {
	if req.Host == nil {
		return nil, action.Fail(errors.New("trigger_hook: no host to trigger hooks through"), nil)
	}
	cfg, err := parseConfig(&e.desc, req.Config, true)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("trigger_hook: invalid config: %w", err), nil)
	}
	res := &action.Result{Request: map[string]any{"hook_id": cfg.hookID, "data": cfg.data}}
	out, err := req.Host.TriggerHook(ctx, req, cfg.hookID, cfg.data)
	if err != nil {
		return nil, action.HostFailed(err, res, "trigger_hook: hook "+cfg.hookID)
	}
	res.Output = out
	return res, nil
}
