package hook

import "time"

// Source kinds.
const SourceKindPostgres = "postgres"

// Source states (SourceStatus.State).
const (
	SourceStarting  = "starting"  // created; no node follows it yet
	SourceFollowing = "following" // a node streams its changes
	SourceLagging   = "lagging"   // following, but behind by more than the warning threshold
	SourceError     = "error"     // the last attempt failed (LastError says why); retried
)

// Source is a database hookline follows by change capture: each committed
// insert, update and delete on its tables becomes a records.* event of the
// source's account.
type Source struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	// URL is the connection URL sealed with the engine's secret key; it is
	// never shown. Display is the URL without user, password or secret
	// parameters.
	URL     []byte `json:"-"`
	Display string `json:"url"`
	// Tables are schema-qualified ("public.orders").
	Tables []string `json:"tables"`
	// Slot and Publication are what hookline created in the database.
	Slot        string `json:"slot"`
	Publication string `json:"publication"`
	// Status is written by the node that follows the source.
	Status SourceStatus `json:"status"`
	// LeaseNode holds the source until LeaseUntil: one node follows it at a time.
	LeaseNode  string     `json:"-"`
	LeaseUntil *time.Time `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// SourceStatus is how following a source goes.
type SourceStatus struct {
	State     string `json:"state"`
	Node      string `json:"node,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// LastErrorAt is when LastError happened.
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	// Warning says the source is behind enough to put the database's disk at risk.
	Warning string `json:"warning,omitempty"`
	// ConfirmedLSN is the position confirmed to the slot: every change before
	// it is committed in hookline's store.
	ConfirmedLSN string `json:"confirmed_lsn,omitempty"`
	// LagBytes is the WAL the slot holds in the source database (its current
	// position minus the confirmed one); LagSeconds how old the newest
	// change hookline committed was when it did, while behind (0 when caught up).
	LagBytes   int64   `json:"lag_bytes"`
	LagSeconds float64 `json:"lag_seconds"`
	// Events counts the events emitted; EventsPerSecond is the recent rate.
	Events          int64   `json:"events"`
	EventsPerSecond float64 `json:"events_per_second"`
	// ReplicaIdentity per table: "default", "full", "index" or "nothing".
	// Only "full" gives updates and deletes the whole old row (previous).
	ReplicaIdentity map[string]string `json:"replica_identity,omitempty"`
	UpdatedAt       *time.Time        `json:"updated_at,omitempty"`
}
