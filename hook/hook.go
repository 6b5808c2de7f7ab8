// Package hook holds hookline's domain types: accounts, keys, hooks with their
// triggers and actions, events and executions. It has no I/O and imports no
// storage or HTTP package; validation that needs the expression language or the
// schedule maths lives in package hookline.
package hook

import (
	"encoding/json"
	"time"
)

// Trigger types.
const (
	TriggerEvent    = "event"
	TriggerSchedule = "schedule"
	TriggerInbound  = "inbound"
	TriggerManual   = "manual"
)

// Debounce is a hook's debounce: Key is a template, Window a duration.
type Debounce struct {
	Key    string `json:"key"`
	Window string `json:"window"`
}

// Hook orderings (SPEC §10).
const (
	OrderingSequential = "sequential"
	OrderingParallel   = "parallel"
)

// Parallel reports whether the hook opted out of taking turns.
func (h *Hook) Parallel() bool { return h.Ordering == OrderingParallel }

// Categories a hook may carry.
var Categories = []string{"lead_processing", "crm_integration", "analytics", "notification", "workflow", "other"}

// Hook is one automation: a trigger, an optional condition and 1..N actions.
type Hook struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	// Key is an optional slug, unique within the account and stable across
	// instances: hooks as code match hooks by it.
	Key string `json:"key,omitempty"`
	// Version counts the saved versions of the hook (1 after creation);
	// every change that changes something adds one.
	Version          int      `json:"version"`
	Name             string   `json:"name"`
	Description      string   `json:"description"`
	Enabled          bool     `json:"enabled"`
	Order            int      `json:"order"`
	Roles            []string `json:"roles"`
	Category         string   `json:"category"`
	Debug            bool     `json:"debug"`
	Trigger          Trigger  `json:"trigger"`
	Condition        string   `json:"condition"`
	OnConditionError string   `json:"on_condition_error"`
	Actions          []Action `json:"actions"`
	// Ordering is "sequential" (the default: the hooks of one event take
	// turns, SPEC §10) or "parallel" (starts at once, nothing waits for it,
	// no part in the no-overwrite rule).
	Ordering string `json:"ordering"`
	// OrderingKey, a template, runs this hook's executions with the same
	// rendered key one at a time, in the order their events were accepted.
	OrderingKey string `json:"ordering_key"`
	// Debounce, when set, runs the hook only for the last of the events
	// with one rendered key that arrive within a window, once the window
	// has passed quietly (SPEC §12); the others are skipped.
	Debounce  *Debounce  `json:"debounce"`
	NextRunAt *time.Time `json:"next_run_at"`
	// Runs counts every run of the hook, whatever started it; LastRun is
	// when the latest one ran. Kept by the engine, never by a save.
	Runs    int        `json:"run_count"`
	LastRun *time.Time `json:"last_run_at"`
	// DisabledReason says why hookline disabled the hook (SPEC §12: every
	// run failed for the auto-disable period, or an endpoint answered 410
	// Gone), and DisabledAt when; both nil while it is enabled or when a
	// person disabled it. Hook state, not part of its definition.
	DisabledReason *string    `json:"disabled_reason"`
	DisabledAt     *time.Time `json:"disabled_at"`
	// FailingSince is when the first of its runs failed (failed or partial)
	// after its last success; nil when its last final run did not fail.
	// Kept by the engine, never by a save.
	FailingSince *time.Time `json:"failing_since"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`

	// RunCount counts the schedule slots fired (for max_runs); LastRunAt is
	// the last of them (schedule hooks only).
	RunCount  int        `json:"-"`
	LastRunAt *time.Time `json:"-"`
}

// UnmarshalJSON decodes a hook document. A document without "enabled"
// makes an active hook, as Directus flows, Hasura event triggers and
// PocketBase hooks are active when created; "enabled": false makes it
// inactive. (A Go Hook value built in code has Go's zero value, false.)
func (h *Hook) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	type plain Hook // the same fields without this method
	p := plain{Enabled: true}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*h = Hook(p)
	return nil
}

// Trigger says when a hook runs. Which fields apply depends on Type.
type Trigger struct {
	Type string `json:"type"`

	// event
	Event      string `json:"event,omitempty"`
	Collection string `json:"collection,omitempty"`

	// schedule
	Cron     string   `json:"cron,omitempty"`
	Every    string   `json:"every,omitempty"`
	OnceAt   string   `json:"once_at,omitempty"`
	Weekdays []string `json:"weekdays,omitempty"`
	Times    []string `json:"times,omitempty"`
	Timezone string   `json:"timezone,omitempty"`
	StartAt  string   `json:"start_at,omitempty"`
	EndAt    string   `json:"end_at,omitempty"`
	MaxRuns  int      `json:"max_runs,omitempty"`
	Misfire  string   `json:"misfire,omitempty"`

	// inbound
	Path    string       `json:"path,omitempty"`
	Methods []string     `json:"methods,omitempty"`
	Auth    *InboundAuth `json:"auth,omitempty"`
	Respond string       `json:"respond,omitempty"`
}

// InboundAuth verifies inbound calls.
type InboundAuth struct {
	Kind      string `json:"kind"` // hmac-sha256, github, stripe, standard-webhooks
	Header    string `json:"header,omitempty"`
	SecretRef string `json:"secret_ref"`
}

// Key is the index key under which an enabled hook is found for a firing:
// "event:<type>" for event triggers, "inbound:<path>" for inbound routes,
// "schedule" and "manual" otherwise.
func (t Trigger) Key() string {
	switch t.Type {
	case TriggerEvent:
		return "event:" + t.Event
	case TriggerInbound:
		return "inbound:" + t.Path
	default:
		return t.Type
	}
}

// Action is one step of a hook.
type Action struct {
	Type   string         `json:"type"`
	Name   string         `json:"name,omitempty"`
	Config map[string]any `json:"config"`
	Cases  []Case         `json:"cases,omitempty"`
	Retry  *RetryPolicy   `json:"retry,omitempty"`
}

// Case is a branch of an action: the first case whose When holds merges its
// Config over the action's own.
type Case struct {
	When   string         `json:"when"`
	Config map[string]any `json:"config"`
}

// RetryPolicy bounds the attempts of one action.
type RetryPolicy struct {
	MaxAttempts int    `json:"max_attempts,omitempty"`
	Backoff     string `json:"backoff,omitempty"` // exponential (default), fixed
	Initial     string `json:"initial,omitempty"` // default 2s
	Max         string `json:"max,omitempty"`     // default 10m
}

// Clone returns a deep copy of h (through JSON; hooks are small).
func (h *Hook) Clone() *Hook {
	b, _ := json.Marshal(h)
	var c Hook
	_ = json.Unmarshal(b, &c)
	c.RunCount, c.LastRunAt = h.RunCount, h.LastRunAt
	return &c
}
