package hook

import "time"

// Roles an API key may have.
const (
	RoleAdmin       = "admin"
	RoleManager     = "manager"
	RoleUser        = "user"
	RoleAgent       = "agent"
	RoleSystem      = "system"
	RolePublishable = "publishable"
)

// Roles lists every valid role.
var Roles = []string{RoleAdmin, RoleManager, RoleUser, RoleAgent, RoleSystem, RolePublishable}

// Account is a tenant; ParentID makes it a child (a shop of an organization).
type Account struct {
	ID        string    `json:"id"`
	ParentID  string    `json:"parent_id,omitempty"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Limits are the account's own limits, set by an admin of a parent
	// account; a nil field means the install's default.
	Limits Limits `json:"limits"`

	// SigningSecret signs outbound webhooks (whsec_…). PrevSigningSecret keeps
	// signing until PrevSecretExpiresAt after a rotation.
	SigningSecret       string     `json:"-"`
	PrevSigningSecret   string     `json:"-"`
	PrevSecretExpiresAt *time.Time `json:"-"`
}

// Limits bound what one account may do (SPEC §7). A nil field takes the
// install's default (--events-per-second, --max-hooks-per-account).
type Limits struct {
	// EventsPerSecond bounds the events the account sends, per second.
	EventsPerSecond *float64 `json:"events_per_second"`
	// MaxHooks bounds the hooks the account owns.
	MaxHooks *int `json:"max_hooks"`
}

// APIKey is a bearer token bound to one account and one role. Only the hash of
// the secret is stored.
type APIKey struct {
	ID         string     `json:"id"`
	AccountID  string     `json:"account_id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"-"`
	Origins    []string   `json:"allowed_origins,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Secret is a per-account value usable in templates as {{secret.NAME}}. The
// value is stored encrypted and never returned by the API.
type Secret struct {
	AccountID string    `json:"-"`
	Name      string    `json:"name"`
	Value     []byte    `json:"-"` // ciphertext in storage
	CreatedAt time.Time `json:"created_at"`
}
