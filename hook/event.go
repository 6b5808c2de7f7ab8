package hook

import "time"

// Built-in event types.
const (
	EventRecordCreate = "records.create"
	EventRecordUpdate = "records.update"
	EventRecordDelete = "records.delete"
	EventAuthLogin    = "auth.login"
	EventAuthRegister = "auth.register"
	// System events (SPEC §12), emitted by hookline itself into the account
	// that owns the hook concerned.
	EventExecutionFailed = "execution.failed" // data: the execution, as the API shows it
	EventHookDisabled    = "hook.disabled"    // data: hook_id, name, reason, disabled_at
)

// BuiltinEvents lists the event types that need no registration.
var BuiltinEvents = []string{EventRecordCreate, EventRecordUpdate, EventRecordDelete, EventAuthLogin, EventAuthRegister,
	EventExecutionFailed, EventHookDisabled}

// BuiltinEventLabels says in a few words what each built-in event means.
var BuiltinEventLabels = map[string]string{
	EventRecordCreate:    "a record was created",
	EventRecordUpdate:    "a record was updated",
	EventRecordDelete:    "a record was deleted",
	EventAuthLogin:       "someone signed in",
	EventAuthRegister:    "someone registered",
	EventExecutionFailed: "a run of a hook failed for good (system event; data: the execution)",
	EventHookDisabled:    "hookline disabled a hook (system event; data: hook_id, name, reason)",
}

// SystemEvents lists the event types only hookline emits: hooks listen to
// them like to any event, but they cannot be sent through the API.
var SystemEvents = []string{EventExecutionFailed, EventHookDisabled}

// IsSystemEvent reports whether t is a system event type.
func IsSystemEvent(t string) bool { return t == EventExecutionFailed || t == EventHookDisabled }

// IsBuiltinEvent reports whether t is a built-in event type.
func IsBuiltinEvent(t string) bool {
	for _, b := range BuiltinEvents {
		if b == t {
			return true
		}
	}
	return false
}

// Event is something that happened.
type Event struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	AccountID  string         `json:"account_id"`
	Collection string         `json:"collection,omitempty"`
	Data       map[string]any `json:"data"`
	// Previous is the record before an update (records.update only).
	Previous       map[string]any `json:"previous,omitempty"`
	Actor          *Actor         `json:"actor,omitempty"`
	OccurredAt     time.Time      `json:"occurred_at"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
	// Depth counts the hook runs that caused this event (0 for outside events).
	Depth int `json:"depth"`
	// DataJSON, when set, is Data encoded already (the engine encodes it once
	// to check its size); stores write it instead of encoding Data again.
	DataJSON []byte `json:"-"`
}

// Actor is who caused an event: an API key, or a user of the host application.
type Actor struct {
	KeyID  string `json:"key_id,omitempty"`
	Role   string `json:"role,omitempty"`
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
	// HookID and ExecutionID are set when a hook's action caused the event.
	HookID      string `json:"hook_id,omitempty"`
	ExecutionID string `json:"execution_id,omitempty"`
}
