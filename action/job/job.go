// Package job is the enqueue_job action: a job put on one of hookline's
// queues, for workers to pull through /jobs/claim.
package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hookline/hookline/action"
)

// Type is the action type name.
const Type = "enqueue_job"

// Limits.
const (
	MinPriority = -100
	MaxPriority = 100
	MaxDelay    = 366 * 24 * time.Hour // of a run_at given as a duration
	MaxPayload  = 256 << 10            // bytes of JSON
)

// QueueRE is a valid queue name.
var QueueRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Options configure the executor.
type Options struct {
	// Now is the clock run_at durations count from (nil: time.Now).
	Now func() time.Time
}

// Executor runs enqueue_job actions.
type Executor struct {
	o    Options
	desc action.Description
}

var _ action.Executor = (*Executor)(nil)

// New returns an executor; zero options get defaults.
func New(o Options) *Executor {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Executor{o: o, desc: describe()}
}

// Type implements action.Executor.
func (e *Executor) Type() string { return Type }

type config struct {
	queue    string
	payload  any
	runAt    time.Time     // absolute; zero: now (or delay)
	delay    time.Duration // from now
	priority int
}

// Validate implements action.Executor: it checks a config as saved, skipping
// what {{ }} holes may still change.
func (e *Executor) Validate(config map[string]any) error {
	_, err := parseConfig(&e.desc, config, false)
	return err
}

func parseConfig(d *action.Description, m map[string]any, rendered bool) (*config, error) {
	hole := func(s string) bool { return !rendered && strings.Contains(s, "{{") }
	if err := d.Check(m, rendered); err != nil {
		return nil, err
	}
	c := &config{payload: map[string]any{}}

	switch v := m["queue"].(type) {
	case string:
		if hole(v) {
			break
		}
		if !QueueRE.MatchString(v) {
			return nil, action.Fieldf("queue", "must be 1 to 64 letters, digits, _, . and -")
		}
		c.queue = v
	default:
		return nil, action.Fieldf("queue", "must be a string")
	}

	if v, ok := m["payload"]; ok && v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, action.Fieldf("payload", "cannot be encoded as JSON")
		}
		if len(b) > MaxPayload {
			return nil, action.Fieldf("payload", "must be at most %d bytes of JSON", MaxPayload)
		}
		c.payload = v
	}

	switch v := m["run_at"].(type) {
	case nil:
	case string:
		v = strings.TrimSpace(v)
		if hole(v) || v == "" {
			break
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			c.runAt = t
			break
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, action.Fieldf("run_at", "must be an RFC 3339 time (2026-05-01T09:00:00Z) or a duration from now (10m, 2h)")
		}
		if d < 0 || d > MaxDelay {
			return nil, action.Fieldf("run_at", "a duration must be between 0s and %s", MaxDelay)
		}
		c.delay = d
	default:
		return nil, action.Fieldf("run_at", "must be a string: an RFC 3339 time or a duration like \"10m\"")
	}

	if v, ok := m["priority"]; ok && v != nil {
		if s, isText := v.(string); !isText || !hole(s) {
			p, _ := action.AsInt(v)
			if p < MinPriority || p > MaxPriority {
				return nil, action.Fieldf("priority", "must be between %d and %d", MinPriority, MaxPriority)
			}
			c.priority = int(p)
		}
	}
	return c, nil
}

// Execute implements action.Executor: one attempt.
func (e *Executor) Execute(ctx context.Context, req *action.Request) (*action.Result, error) {
	if req.Host == nil {
		return nil, action.Fail(errors.New("enqueue_job: no host to enqueue through"), nil)
	}
	cfg, err := parseConfig(&e.desc, req.Config, true)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("enqueue_job: invalid config: %w", err), nil)
	}
	runAt := cfg.runAt
	if cfg.delay > 0 {
		runAt = e.o.Now().Add(cfg.delay)
	}
	summary := map[string]any{"queue": cfg.queue, "payload": cfg.payload, "priority": cfg.priority}
	if !runAt.IsZero() {
		summary["run_at"] = runAt.UTC().Format(time.RFC3339Nano)
	}
	res := &action.Result{Request: summary}
	out, err := req.Host.EnqueueJob(ctx, req, cfg.queue, cfg.payload, runAt, cfg.priority)
	if err != nil {
		return nil, action.HostFailed(err, res, "enqueue_job: queue "+cfg.queue)
	}
	res.Output = out
	return res, nil
}
