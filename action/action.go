// Package action defines the Executor interface every action type implements
// and an explicit Registry of them (no init-time registration).
package action

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
)

// Request is one attempt of one action.
type Request struct {
	Hook      *hook.Hook
	Execution *hook.Execution // read-only
	Account   *hook.Account
	Index     int
	Action    hook.Action
	// Config is the action's config after cases and templates, secrets resolved.
	Config map[string]any
	// IdempotencyKey is stable across the retries of this action in this
	// execution; senders pass it on (webhook-id) so receivers can dedupe.
	IdempotencyKey string
	Attempt        int // 1-based
	// Debug asks for whole request and response bodies in the result.
	Debug bool
	// Host gives actions that act on hookline itself (records, jobs, hooks) a
	// way back into the engine.
	Host Host
}

// Host is what the engine offers to actions that act on hookline itself.
type Host interface {
	CreateRecord(ctx context.Context, req *Request, collection string, data map[string]any) (map[string]any, error)
	UpdateRecord(ctx context.Context, req *Request, collection, id string, data map[string]any) (map[string]any, error)
	DeleteRecord(ctx context.Context, req *Request, collection, id string) (map[string]any, error)
	EnqueueJob(ctx context.Context, req *Request, queue string, payload any, runAt time.Time, priority int) (map[string]any, error)
	TriggerHook(ctx context.Context, req *Request, hookID string, data map[string]any) (map[string]any, error)
}

// Result is what a successful attempt recorded.
type Result struct {
	// Output is visible to later actions as steps.<name>.
	Output map[string]any
	// Request and Response summarise the exchange for the execution log.
	Request  any
	Response any
}

// Error is a failed attempt. Retryable errors are tried again with backoff
// (RetryAfter, when set, is the earliest next attempt the peer asked for);
// others fail the action at once.
type Error struct {
	Err        error
	Retryable  bool
	RetryAfter time.Duration
	// Result carries what was exchanged before the failure, for the log.
	Result *Result
	// Gone: the destination said it is gone for good (HTTP 410). The
	// failure is final, and hookline disables the hook at once (SPEC §12).
	Gone bool
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Retry wraps err as a retryable failure.
func Retry(err error, after time.Duration, res *Result) *Error {
	return &Error{Err: err, Retryable: true, RetryAfter: after, Result: res}
}

// Fail wraps err as a final failure.
func Fail(err error, res *Result) *Error { return &Error{Err: err, Result: res} }

// GoneFail wraps err as a final failure of a destination that is gone for
// good: the hook is disabled at once.
func GoneFail(err error, res *Result) *Error { return &Error{Err: err, Result: res, Gone: true} }

// IsRetryable reports whether err asks for another attempt.
func IsRetryable(err error) bool {
	var ae *Error
	return errors.As(err, &ae) && ae.Retryable
}

// FieldError is an invalid config field; Field is relative to the config
// ("url", "headers.X-Token").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Fieldf builds a FieldError.
func Fieldf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Executor runs one action type.
type Executor interface {
	// Type is the action type name, e.g. "send_webhook".
	Type() string
	// Validate checks a config as saved (before templates are rendered: string
	// values may still hold {{ }} holes). It returns a *FieldError.
	Validate(config map[string]any) error
	// Execute performs one attempt.
	Execute(ctx context.Context, req *Request) (*Result, error)
}

// Registry maps action types to executors.
type Registry struct {
	m     map[string]Executor
	order []string // registration order: how editors offer the types
}

// NewRegistry registers execs; a later one of the same type replaces an earlier.
func NewRegistry(execs ...Executor) *Registry {
	r := &Registry{m: make(map[string]Executor, len(execs))}
	for _, e := range execs {
		if _, dup := r.m[e.Type()]; !dup {
			r.order = append(r.order, e.Type())
		}
		r.m[e.Type()] = e
	}
	return r
}

// Describe returns the description of typ. An executor that does not
// describe itself gets one with its type as label and no fields (nil
// Fields: its config is free-form JSON).
func (r *Registry) Describe(typ string) (Description, bool) {
	e, ok := r.m[typ]
	if !ok {
		return Description{}, false
	}
	if d, ok := e.(Describer); ok {
		return d.Describe(), true
	}
	return Description{Type: typ, Label: typ}, true
}

// Descriptions describes every registered type, in registration order.
func (r *Registry) Descriptions() []Description {
	out := make([]Description, 0, len(r.order))
	for _, t := range r.order {
		d, _ := r.Describe(t)
		out = append(out, d)
	}
	return out
}

// Ready reports why executors of typ cannot run yet (an unconfigured
// provider), or nil.
func (r *Registry) Ready(typ string) error {
	if rd, ok := r.m[typ].(Readier); ok {
		return rd.Ready()
	}
	return nil
}

// Get returns the executor of typ.
func (r *Registry) Get(typ string) (Executor, bool) {
	e, ok := r.m[typ]
	return e, ok
}

// Types lists the registered types, sorted.
func (r *Registry) Types() []string {
	out := make([]string, 0, len(r.m))
	for t := range r.m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// CheckFields refuses a config field that is not in known (a typo such as
// bodyTemplate would otherwise be silently ignored); it names the first
// unknown one in sorted order.
func CheckFields(config map[string]any, known []string) error {
	var unknown []string
	for k := range config {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return Fieldf(unknown[0], "unknown field (known: %s)", strings.Join(known, ", "))
}

// HostFailed turns an error from a Host call into the attempt's error: an
// *Error the engine already classified keeps its class and gains res (the
// request summary) for the log; any other error is a final failure wrapped
// with what (e.g. "enqueue_job: queue reports").
func HostFailed(err error, res *Result, what string) error {
	var ae *Error
	if errors.As(err, &ae) {
		if ae.Result == nil {
			ae.Result = res
		} else if ae.Result.Request == nil {
			ae.Result.Request = res.Request
		}
		return err
	}
	return Fail(fmt.Errorf("%s: %w", what, err), res)
}

// Later is an outcome that is not an attempt: the action did not run now
// and runs again at Until without holding a worker meanwhile. A wait action
// parks its execution (Wait); an executor that may not start now (its
// destination has all its connections busy) defers it (Defer).
type Later struct {
	Until time.Time
	// Waiting marks a wait: the log shows the action as waiting until
	// Until. Otherwise the execution was deferred for Reason.
	Waiting bool
	Reason  string
	Result  *Result
}

func (l *Later) Error() string {
	if l.Waiting {
		return "waiting until " + l.Until.UTC().Format(time.RFC3339)
	}
	return "deferred until " + l.Until.UTC().Format(time.RFC3339Nano) + ": " + l.Reason
}

// Wait parks the execution until t; the action runs again then.
func Wait(t time.Time, res *Result) *Later { return &Later{Until: t, Waiting: true, Result: res} }

// Defer puts the execution back, not counted as an attempt, to run again at t.
func Defer(t time.Time, reason string) *Later { return &Later{Until: t, Reason: reason} }

// AsLater returns the Later in err's chain, if any.
func AsLater(err error) (*Later, bool) {
	var l *Later
	ok := errors.As(err, &l)
	return l, ok
}
