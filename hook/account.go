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

	// SigningSecret signs outbound webhooks (whsec_…). PrevSigningSecret keeps
	// signing until PrevSecretExpiresAt after a rotation.
	SigningSecret       string     `json:"-"`
	PrevSigningSecret   string     `json:"-"`
	PrevSecretExpiresAt *time.Time `json:"-"`
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
