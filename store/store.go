// Package store defines hookline's storage interface. Drivers live in
// store/sqlite and store/postgres; store/storetest is the conformance suite
// both must pass. The engine reaches storage only through these interfaces.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/hookline/hookline/hook"
)

// Errors drivers return (wrapped with %w where context helps).
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")   // unique constraint
	ErrLeaseLost = errors.New("lease lost") // another node owns the execution now
	// ErrUnavailable: the database cannot be reached or takes no writes now
	// (PostgreSQL down or shutting down, a full disk, a read-only file). The
	// drivers classify their errors into it; trying again later may work.
	ErrUnavailable = errors.New("storage unavailable")
)

// Topics for Notify/Listen.
const (
	TopicExecutions  = "hookline_executions"  // new executions are ready
	TopicHooks       = "hookline_hooks"       // hooks changed: drop caches
	TopicAccounts    = "hookline_accounts"    // accounts or keys changed
	TopicEventTypes  = "hookline_event_types" // hookable events registered or removed
	TopicCollections = "hookline_collections" // a collection was deleted or its schema changed
	TopicJobs        = "hookline_jobs"        // jobs are ready
	TopicSources     = "hookline_sources"     // a change-capture source was created or is being deleted
)

// Store is a storage driver.
type Store interface {
	Querier
	// Tx runs fn in one transaction. fn may be called again by the driver
	// when the transaction failed transiently (PostgreSQL: serialization
	// failure or deadlock, in fn or at commit); it must not have side
	// effects outside q. Notifications made in fn are delivered after
	// commit. fn must use q only: on SQLite, calling the Store's own write
	// methods or Tx from fn deadlocks. On PostgreSQL an error from q (a
	// conflict, say) aborts the transaction: return it. Inside fn the
	// writes whose outcome the caller does not read (RecordInsert,
	// EventInsert without an idempotency key, ExecutionInsert) may return
	// nil and report their error later, from the next call on q or from Tx
	// itself (PostgreSQL sends them with the next statement or the COMMIT,
	// in one round trip); the error is the same (ErrNotFound, ErrConflict…).
	Tx(ctx context.Context, fn func(q Querier) error) error
	// Listen delivers notifications of the given topics (from this and, on
	// shared databases, other nodes) to fn until ctx is done. fn must not block.
	// Listen returns once subscribed. A payload of "" may also mean
	// "notifications may have been missed" (after a reconnect): look for work.
	Listen(ctx context.Context, topics []string, fn func(topic, payload string)) error
	// Migrate brings the schema up to date.
	Migrate(ctx context.Context) error
	// Shared reports whether several nodes may share the database (PostgreSQL).
	Shared() bool
	// WriteHealth is nil while writes reach the database. After a write
	// failed with ErrUnavailable it is that error, until a write succeeds
	// (successes within 2 s of a failure are not believed: a write that
	// changes nothing may succeed on a full disk).
	WriteHealth() error
	Close() error
}

// Querier is every read and write; inside Tx it runs in the transaction.
type Querier interface {
	// Notify publishes payload on topic after the surrounding commit.
	Notify(ctx context.Context, topic, payload string) error
	// AfterTx runs fn once the surrounding transaction is over, on the
	// goroutine that ran it: committed says whether its writes are durable
	// (false after a rollback, or when the driver will retry the
	// transaction from the start). Outside a transaction every write has
	// already committed when it returns, so fn(true) runs at once.
	AfterTx(fn func(committed bool))
	// Flush sends the writes a transaction holds back for its next
	// statement or its commit (PostgreSQL pipelines them), so that the
	// database works on them now, and returns their error; a transaction
	// that sent nothing yet begins (and holds its connection). Elsewhere
	// it does nothing.
	Flush(ctx context.Context) error

	// Meta is a small key/value table (secret key check, versions).
	MetaGet(ctx context.Context, key string) (string, error) // ErrNotFound
	MetaSet(ctx context.Context, key, value string) error

	AccountInsert(ctx context.Context, a *hook.Account) error
	AccountGet(ctx context.Context, id string) (*hook.Account, error)
	AccountList(ctx context.Context, f AccountFilter) ([]*hook.Account, error)
	AccountUpdate(ctx context.Context, a *hook.Account) error
	AccountDelete(ctx context.Context, id string) error // cascades to everything the account owns
	AccountCount(ctx context.Context) (int, error)

	KeyInsert(ctx context.Context, k *hook.APIKey) error
	KeyGet(ctx context.Context, id string) (*hook.APIKey, error)
	KeyGetByHash(ctx context.Context, hash string) (*hook.APIKey, error)
	KeyList(ctx context.Context, accountID string) ([]*hook.APIKey, error)
	KeyDelete(ctx context.Context, id string) error
	KeyTouch(ctx context.Context, id string, at time.Time) error

	HookInsert(ctx context.Context, h *hook.Hook) error
	HookGet(ctx context.Context, id string) (*hook.Hook, error)
	HookList(ctx context.Context, f HookFilter) ([]*hook.Hook, error)
	HookUpdate(ctx context.Context, h *hook.Hook) error
	HookDelete(ctx context.Context, id string) error
	HookCount(ctx context.Context, accountID string) (int, error)
	// HookListEnabled lists every enabled hook (for the in-memory trigger index).
	HookListEnabled(ctx context.Context) ([]*hook.Hook, error)
	// HookListDue lists enabled schedule hooks with next_run_at <= now.
	HookListDue(ctx context.Context, now time.Time, limit int) ([]*hook.Hook, error)
	// HookSetSchedule sets next_run_at, last_run_at and run_count.
	HookSetSchedule(ctx context.Context, id string, next, last *time.Time, runCount int) error
	// HookAddRuns adds to hooks' run counters (Hook.Runs) and moves their
	// Hook.LastRun forward to Last (never back); hooks deleted meanwhile are
	// skipped.
	HookAddRuns(ctx context.Context, runs []HookRuns) error
	// HookDisable disables an enabled hook on hookline's own account (SPEC
	// §12): enabled false, next_run_at cleared, disabled_reason and
	// disabled_at set, version and updated_at moved on (the caller stores
	// that version). It reports false, changing nothing, when the hook is
	// disabled already or gone.
	HookDisable(ctx context.Context, id, reason string, at time.Time) (bool, error)
	// HookHealthReset clears a hook's failing_since (Hook.FailingSince): its
	// failure clock starts again at its next failure.
	HookHealthReset(ctx context.Context, id string) error

	// HookVersionInsert stores a version of a hook (ErrConflict when the
	// hook has that version already, ErrNotFound when the hook is missing).
	// Versions go with their hook when it is deleted.
	HookVersionInsert(ctx context.Context, v *hook.Version) error
	HookVersionGet(ctx context.Context, hookID string, version int) (*hook.Version, error)
	// HookVersionList lists a hook's versions, newest first; the cursor is
	// the last version number seen.
	HookVersionList(ctx context.Context, hookID string, p Page) ([]*hook.Version, error)

	// EventInsert stores e. When e.IdempotencyKey is set and an event of the
	// same account has it already, nothing is written and the existing id is
	// returned with inserted=false.
	EventInsert(ctx context.Context, e *hook.Event) (id string, inserted bool, err error)
	// EventInsertMany is EventInsert for many events in few statements:
	// ids[i] and inserted[i] say what became of evs[i]. All or none (an
	// error other than a repeated idempotency key fails the whole call).
	EventInsertMany(ctx context.Context, evs []*hook.Event) (ids []string, inserted []bool, err error)
	EventGet(ctx context.Context, id string) (*hook.Event, error)
	// EventLatest is the newest event of type typ of the accounts
	// (ErrNotFound when none has one); one index seek per account.
	EventLatest(ctx context.Context, accountIDs []string, typ string) (*hook.Event, error)

	ExecutionInsert(ctx context.Context, xs ...*hook.Execution) error
	ExecutionGet(ctx context.Context, id string) (*hook.Execution, error)
	ExecutionList(ctx context.Context, f ExecutionFilter) ([]*hook.Execution, error)
	// ExecutionClaim leases up to limit pending executions with run_at <= now
	// to node until leaseUntil, oldest run_at first, and returns them with
	// status running, Attempts incremented and a fresh LeaseToken.
	// Executions of the accounts in skip are not taken (they hold their
	// share of the node's workers already).
	ExecutionClaim(ctx context.Context, node string, now, leaseUntil time.Time, limit int, skip ...string) ([]*hook.Execution, error)
	// ExecutionSave writes the mutable fields of x (status, results, cursor,
	// run_at, attempts, counters, times, error, note) if x.LeaseToken still
	// holds the lease; otherwise ErrLeaseLost. A final or pending status
	// releases the lease. A final status also releases, in the same
	// transaction, the executions waiting for x (SPEC §10: AfterExec or
	// AfterKey naming x is cleared); when lease is set, the first of them
	// (by id) that then waits for nothing and is due at lease.Now is leased
	// to lease.Node like a claim and returned, for the caller to run next.
	// Others that became due are announced on TopicExecutions. A final
	// status also keeps the hook's health in the same transaction (SPEC
	// §12): success clears its failing_since, failed or partial sets it to
	// x.FinishedAt unless it is set; skipped and cancelled leave it.
	ExecutionSave(ctx context.Context, x *hook.Execution, lease *Lease) (next *hook.Execution, err error)
	// ExecutionInsertKeyed inserts an execution with an ordering key
	// behind the key's tail: the last execution of its hook and key that is
	// not final (the one no other waits for by AfterKey), found by the
	// database once it holds the key (SPEC §10: FIFO per key across nodes).
	// x goes in as it is (leased to this node, say) when the key has no
	// tail; otherwise as planned (the same execution before it was leased:
	// status pending, no lease) with AfterKey the tail. placed learns which
	// (the tail, or ""), before the transaction commits; it may be called
	// again if the transaction's writes are sent again. It must run inside
	// a transaction, and holds the key until that transaction ends so that
	// no save can release the tail unseen meanwhile.
	ExecutionInsertKeyed(ctx context.Context, x, planned *hook.Execution, placed func(afterKey string)) error
	// ExecutionSupersede ends the debounced executions of hookID with
	// debounce key key that are pending and never started, but except: they
	// become skipped with note, and the executions waiting for them wait for
	// what they waited for instead (released when that was nothing). It must run inside a transaction and locks the key until it
	// ends (PostgreSQL), so that of two events of one key only the later
	// survives. It reports how many it skipped.
	ExecutionSupersede(ctx context.Context, hookID, key, except, note string, now time.Time) (int, error)
	// ExecutionReleaseStale clears waits that no save will clear: on an
	// execution that is final or gone, and on one that is pending for a
	// retry and first ran before heldSince (the ordering hold ran out; the
	// released execution's note says so, naming hold). It reports how many.
	ExecutionReleaseStale(ctx context.Context, heldSince time.Time, hold string) (int, error)
	// ExecutionExtend pushes the lease of the executions the node holds.
	ExecutionExtend(ctx context.Context, node string, ids []string, until time.Time) error
	// ExecutionRescue returns running executions whose lease ended before now
	// to pending (run_at = the end of the lease, so due at once) and reports
	// how many. Those leased to node except stay: a node does not rescue
	// its own running work, whose heartbeat is only late ("" excepts none).
	ExecutionRescue(ctx context.Context, now time.Time, except string) (int, error)
	// NodeAlive records that node is alive now and will be until until
	// unless it says so again (its liveness, renewed by its heartbeat).
	NodeAlive(ctx context.Context, node string, now, until time.Time) error
	// NodeList lists the nodes that keep their liveness here and those
	// that hold running executions, with how many each holds, by id.
	NodeList(ctx context.Context) ([]NodeInfo, error)
	// ExecutionRescueDead takes over the nodes (except that one) whose
	// liveness ended before now: each is forgotten and every execution
	// leased to it returned to pending, due at now, whatever its lease says
	// (a node that stopped renewing its liveness stopped extending its
	// leases too, or is cut off from the database). It reports the nodes
	// taken over and how many executions. Of nodes that never recorded
	// their liveness it knows nothing: ExecutionRescue covers those.
	ExecutionRescueDead(ctx context.Context, now time.Time, except string) ([]string, int, error)
	// ExecutionReleaseNode returns every running execution leased to node
	// to pending, due at now, and reports how many: a node that starts
	// again under the same id takes back at once what its previous process
	// left, instead of waiting for those leases to end.
	ExecutionReleaseNode(ctx context.Context, node string, now time.Time) (int, error)
	// ExecutionNextRunAt is the earliest run_at of a pending execution.
	ExecutionNextRunAt(ctx context.Context) (time.Time, bool, error)
	// ExecutionPrune deletes finished executions finished before t, then
	// the events left without executions that occurred before t and whose
	// id sorts below eventIDBelow. Event ids sort by when they were minted
	// (prefix + ULID), so the engine passes the smallest id it would mint
	// at t: the bound lets the prune read the old events only, through the
	// primary key, instead of the whole table every hour.
	ExecutionPrune(ctx context.Context, before time.Time, eventIDBelow string) (int, error)
	// ExecutionStats counts executions by status in buckets of size step from
	// since (by created_at); buckets without executions are left out, the
	// others come in time order.
	ExecutionStats(ctx context.Context, accountIDs []string, since time.Time, step time.Duration) ([]StatBucket, error)
	// ExecutionHookStats sums the executions created since then, per hook,
	// of the given accounts (nil: all).
	ExecutionHookStats(ctx context.Context, accountIDs []string, since time.Time) ([]HookStat, error)

	// FieldClaim implements first-writer-wins for update_record (SPEC §7,
	// §10): it records that the hook at position seq of event eventID set
	// field of record recordID to value. The first claim wins: it returns
	// true when there was no claim yet or the claim is seq's own (its value
	// is then updated), false otherwise. eventID must name a stored event
	// (else ErrNotFound); claims go with it.
	FieldClaim(ctx context.Context, eventID, recordID, field string, seq int, value any) (bool, error)
	// FieldClaimList lists the claims on a record within an event, by field.
	FieldClaimList(ctx context.Context, eventID, recordID string) ([]FieldClaim, error)

	// SlotClaim records that hook fired its schedule slot. It returns false if
	// the slot was fired already (by this or another node).
	SlotClaim(ctx context.Context, hookID string, slot time.Time) (bool, error)

	SecretPut(ctx context.Context, s *hook.Secret) error // insert or replace
	SecretGet(ctx context.Context, accountID, name string) (*hook.Secret, error)
	SecretList(ctx context.Context, accountID string) ([]*hook.Secret, error) // Value filled
	SecretDelete(ctx context.Context, accountID, name string) error

	EventTypeInsert(ctx context.Context, t *EventType) error
	EventTypeList(ctx context.Context, accountIDs []string) ([]*EventType, error)
	EventTypeDelete(ctx context.Context, accountID, id string) error

	CollectionInsert(ctx context.Context, c *Collection) error
	CollectionGet(ctx context.Context, accountID, name string) (*Collection, error)
	CollectionList(ctx context.Context, accountID string) ([]*Collection, error)
	CollectionDelete(ctx context.Context, accountID, name string) error // and its records
	// CollectionSetSchema replaces a collection's schema (nil: none);
	// ErrNotFound when there is no such collection.
	CollectionSetSchema(ctx context.Context, accountID, name string, schema map[string]any) error

	RecordInsert(ctx context.Context, r *Record) error
	RecordGet(ctx context.Context, accountID, collection, id string) (*Record, error)
	RecordList(ctx context.Context, f RecordFilter) ([]*Record, error)
	RecordCount(ctx context.Context, accountID, collection string) (int, error)
	RecordUpdate(ctx context.Context, r *Record) error
	RecordDelete(ctx context.Context, accountID, collection, id string) error

	// SourceInsert stores a change-capture source (ErrConflict: its name is
	// taken in the account).
	SourceInsert(ctx context.Context, s *hook.Source) error
	SourceGet(ctx context.Context, id string) (*hook.Source, error)
	// SourceList lists the sources of the given accounts (nil: all) by id.
	SourceList(ctx context.Context, accountIDs []string) ([]*hook.Source, error)
	SourceDelete(ctx context.Context, id string) error
	// SourceSetStatus writes the status of a source if node holds its lease
	// (else ErrLeaseLost; ErrNotFound when the source is gone).
	SourceSetStatus(ctx context.Context, id, node string, st hook.SourceStatus) error
	// SourceLease gives node the source until until, when it is free, its
	// lease ended before now, or node holds it already (a renewal); force
	// takes it whatever holds it. It reports whether node holds it now.
	SourceLease(ctx context.Context, id, node string, now, until time.Time, force bool) (bool, error)
	// SourceRelease ends node's lease of the source (nothing when node does
	// not hold it).
	SourceRelease(ctx context.Context, id, node string) error

	JobInsert(ctx context.Context, j *Job) error
	JobGet(ctx context.Context, id string) (*Job, error)
	// JobClaim leases the next available job of queue (state available or a
	// running one whose lease ended), or returns nil, nil.
	JobClaim(ctx context.Context, accountIDs []string, queue string, now, leaseUntil time.Time) (*Job, error)
	JobUpdate(ctx context.Context, j *Job) error
	JobList(ctx context.Context, f JobFilter) ([]*Job, error)
	JobDelete(ctx context.Context, id string) error
}

// Lease is who takes over an execution handed over by ExecutionSave, and
// until when.
type Lease struct {
	Node       string
	Now, Until time.Time
}

// FieldClaim is one field of a record set first by the hook at position
// Seq of an event.
type FieldClaim struct {
	Field string
	Seq   int
	Value any
}

// Page is cursor pagination: Cursor is the last id of the previous page.
type Page struct {
	Limit  int
	Cursor string
}

// AccountFilter selects accounts.
type AccountFilter struct {
	IDs []string // empty: all
	Page
}

// HookFilter selects hooks. Lists are ordered by id.
type HookFilter struct {
	AccountIDs  []string // empty: all
	Key         string   // the hook with this key (with one account in AccountIDs)
	TriggerType string
	Enabled     *bool
	Q           string // substring of name or description, case-insensitive
	Page
}

// HookRuns is what HookAddRuns adds to one hook: Runs more runs, the
// latest of which ran at Last.
type HookRuns struct {
	HookID string
	Runs   int
	Last   time.Time
}

// ExecutionFilter selects executions, newest first (id descending; Cursor
// is the last id seen).
type ExecutionFilter struct {
	AccountIDs  []string
	HookID      string
	EventID     string
	Status      string
	TriggerType string
	Exhausted   *bool
	Since       *time.Time
	Until       *time.Time
	Page
}

// StatBucket counts executions of one time bucket.
type StatBucket struct {
	Start    time.Time      `json:"start"`
	ByStatus map[string]int `json:"by_status"`
}

// HookStat sums one hook's executions: Failures are failed or partial;
// Timed are the finished ones (not cancelled), whose durations TotalMS and
// MaxMS sum up.
type HookStat struct {
	HookID         string
	Runs, Failures int
	Timed          int
	TotalMS, MaxMS int64
}

// EventType is a registered hookable event.
type EventType struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	// Builtin marks a built-in event type in a list that asked for them
	// (GET /event-types?builtin=true): no account, never registered.
	Builtin bool `json:"builtin,omitempty"`
}

// Collection is a built-in collection of records.
type Collection struct {
	AccountID string         `json:"account_id"`
	Name      string         `json:"name"`
	Schema    map[string]any `json:"schema,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
}

// Record is a flat JSON document in a collection.
type Record struct {
	ID         string
	AccountID  string
	Collection string
	Data       map[string]any
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// RecordFilter selects records of one collection, ordered by id (ids sort
// by creation time).
type RecordFilter struct {
	AccountID  string
	Collection string
	// Newest lists newest first: by id descending, the cursor being the
	// last id of the page before.
	Newest bool
	Page
}

// Job is a unit of work an enqueue_job action put on a named queue.
type Job struct {
	ID          string     `json:"id"`
	AccountID   string     `json:"account_id"`
	Queue       string     `json:"queue"`
	Payload     any        `json:"payload"`
	State       string     `json:"state"` // available, running, completed, dead
	Priority    int        `json:"priority"`
	Attempt     int        `json:"attempt"`
	MaxAttempts int        `json:"max_attempts"`
	RunAt       time.Time  `json:"run_at"`
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	ExecutionID string     `json:"execution_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
}

// JobFilter selects jobs, newest first.
type JobFilter struct {
	AccountIDs []string
	Queue      string
	State      string
	Page
}

// NodeInfo is a node as the store knows it.
type NodeInfo struct {
	ID string
	// SeenAt and AliveUntil are its last heartbeat and when its liveness
	// ends; nil for a node that keeps none here (one node on SQLite, a node
	// of an older version) but holds running executions.
	SeenAt, AliveUntil *time.Time
	// Running counts the executions leased to it.
	Running int
}
