package hook

import "time"

// Execution statuses.
const (
	StatusPending   = "pending"
	StatusRunning   = "running"
	StatusSuccess   = "success"
	StatusPartial   = "partial"
	StatusFailed    = "failed"
	StatusSkipped   = "skipped"
	StatusCancelled = "cancelled"
)

// Statuses lists every execution status.
var Statuses = []string{StatusPending, StatusRunning, StatusSuccess, StatusPartial, StatusFailed, StatusSkipped, StatusCancelled}

// TriggerHook is the trigger_type of an execution started by another hook's
// trigger_hook action.
const TriggerHook = "hook"

// ExecutionTriggerTypes lists every trigger_type an execution may have: the
// four trigger types of a hook, and hook (started by trigger_hook).
var ExecutionTriggerTypes = []string{TriggerEvent, TriggerSchedule, TriggerInbound, TriggerManual, TriggerHook}

// Execution is one run of one hook for one trigger firing. Executions are also
// the rows of the durable queue: pending ones wait for RunAt.
type Execution struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	HookID    string `json:"hook_id"`
	// HookVersion is the version of the hook the execution ran (or will
	// run); VersionPinned makes the runner run exactly that version (a
	// replay of the original version) instead of the hook's current one.
	HookVersion     VersionRef     `json:"hook_version"`
	VersionPinned   bool           `json:"-"`
	EventID         string         `json:"event_id,omitempty"`
	TriggerType     string         `json:"trigger_type"`
	Status          string         `json:"status"`
	Attempts        int            `json:"attempts"`
	ActionsExecuted int            `json:"actions_executed"`
	ErrorMessage    string         `json:"error_message,omitempty"`
	DurationMS      int64          `json:"duration_ms"`
	Context         map[string]any `json:"execution_context"`
	Results         []ActionResult `json:"actions"`
	Exhausted       bool           `json:"exhausted"`
	Depth           int            `json:"depth"`
	Seq             int            `json:"-"` // position among the executions of one event
	Cursor          int            `json:"-"` // index of the next action to run
	ReplayOf        string         `json:"replay_of,omitempty"`
	ConditionResult *bool          `json:"condition_result,omitempty"`
	ConditionError  string         `json:"condition_error,omitempty"`
	ScheduledFor    *time.Time     `json:"scheduled_for,omitempty"` // schedule slot
	RunAt           time.Time      `json:"run_at"`
	CreatedAt       time.Time      `json:"created_at"`
	ExecutedAt      *time.Time     `json:"executed_at"`
	FinishedAt      *time.Time     `json:"finished_at"`
	// OrderingKey is the hook's ordering_key as rendered for this execution.
	OrderingKey string `json:"ordering_key,omitempty"`
	// WaitingFor names the execution this one waits for (SPEC §10): the one
	// before it in its event's order, else the one before it with the same
	// ordering key. Empty when it waits for nothing.
	WaitingFor string `json:"waiting_for,omitempty"`
	// Note says something the log should show that is not an error (an
	// ordering hold that ran out, say).
	Note string `json:"note,omitempty"`
	// DebounceKey is the hook's debounce key as rendered for this execution.
	DebounceKey string `json:"debounce_key,omitempty"`
	// AfterExec and AfterKey are the two waits behind WaitingFor: the
	// execution of the previous hook of the same event, and the previous
	// execution with the same hook and ordering key.
	AfterExec string `json:"-"`
	AfterKey  string `json:"-"`
	// Chained says that another execution of the same event was planned to
	// wait for this one (AfterExec naming it). Without it and without an
	// OrderingKey nothing can wait for x, and its final save looks for no
	// waiters to release.
	Chained           bool       `json:"-"`
	LockedBy          string     `json:"-"`
	LockedUntil       *time.Time `json:"-"`
	LeaseToken        string     `json:"-"`
	Debug             bool       `json:"-"`
	WaitForCompletion bool       `json:"-"`
	// DisableHook, set by the runner and never stored, asks for the hook to
	// be disabled at once by this failure (an endpoint answered 410 Gone):
	// it says why.
	DisableHook string `json:"-"`
	// ContextJSON, when set, is Context encoded already (the executions of
	// one event share it); stores write it instead of encoding Context.
	ContextJSON []byte `json:"-"`
}

// Waiting reports whether x still waits for another execution.
func (e *Execution) Waiting() bool { return e.AfterExec != "" || e.AfterKey != "" }

// Done reports whether the execution reached a final status.
func (e *Execution) Done() bool {
	switch e.Status {
	case StatusPending, StatusRunning:
		return false
	}
	return true
}

// ActionResult is the record of one action within an execution.
type ActionResult struct {
	Index      int            `json:"index"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Status     string         `json:"status"` // success, failed, retrying, skipped
	Case       *int           `json:"case"`   // index of the case taken, nil for the action's own config
	Attempts   int            `json:"attempts"`
	Output     map[string]any `json:"output,omitempty"`
	Error      string         `json:"error,omitempty"`
	Request    any            `json:"request,omitempty"`
	Response   any            `json:"response,omitempty"`
	StartedAt  *time.Time     `json:"started_at,omitempty"`
	DurationMS int64          `json:"duration_ms"`
}
