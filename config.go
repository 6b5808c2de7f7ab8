package hookline

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/rule"
	"github.com/hookline/hookline/store"
)

// Config configures an Engine. Zero values take the documented defaults
// (WithDefaults); Open validates the result.
type Config struct {
	// Store is the storage driver (store/sqlite or store/postgres). Required.
	Store store.Store
	// Logger receives the engine's logs. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// NodeID names this node in leases. Default: a random id.
	NodeID string

	// Workers is how many executions run at once on this node. Default 64
	// (32 before: an execution holds its worker through its final save, so
	// hooks run in turn were bound by the workers, not the database:
	// bench --tree did 1,192-1,287 events/s with 32 and 1,245-1,654 with
	// 64; one hook per event: unchanged on SQLite, 3-16% lower on
	// PostgreSQL in four pairs, cause not found).
	Workers int
	// ClaimBatch is the most executions claimed in one query. Default 64.
	ClaimBatch int
	// PollInterval is the fallback poll when no wake-up arrives. Default 1s.
	PollInterval time.Duration
	// Lease is how long a claimed execution belongs to this node before
	// another may rescue it; a heartbeat extends the leases of running work
	// every third of it. A node that dies loses its work to the others
	// within Lease + RescueInterval. Nodes' clocks must agree to well within
	// it. Default 5s.
	Lease time.Duration
	// RescueInterval is how often expired leases are rescued. Default 1s.
	RescueInterval time.Duration
	// OrderHold bounds how long an execution waiting for a retry holds the
	// executions behind it (the later hooks of its event, the later runs of
	// its ordering key; SPEC §10). Past it they go ahead, and their log says
	// so. Default 1h (the default retry schedule keeps order through its
	// first four attempts, about 35 minutes); negative: hold until it ends.
	OrderHold time.Duration
	// MaxPerDestination bounds the webhook deliveries in flight to one host
	// on this node (SPEC §12); past it a delivery is deferred, holding no
	// worker, so one slow endpoint cannot take every worker. Default 16;
	// negative: no bound.
	MaxPerDestination int
	// AutoDisableAfter disables a hook whose runs have all failed (failed
	// or partial, no success between) for this long, and one whose webhook
	// answered 410 Gone at once (SPEC §12). Default 120h; negative: never.
	AutoDisableAfter time.Duration
	// ScheduleInterval is how often due schedule slots are looked for.
	// Default 200ms.
	ScheduleInterval time.Duration

	// MaxHooksPerAccount bounds hooks per account unless the account has
	// its own limit. Default 50.
	MaxHooksPerAccount int
	// MaxActionsPerHook bounds actions per hook. Default 20.
	MaxActionsPerHook int
	// MaxDepth bounds chains of hooks causing hooks. Default 5.
	MaxDepth int
	// MaxEventBytes bounds an event's encoded data. Default 256 KiB.
	MaxEventBytes int
	// EventsPerSecond bounds events per second per account (a token bucket
	// with one second of burst, on each node), unless the account has its
	// own limit. Default 0: no limit (negative: no limit either).
	EventsPerSecond float64
	// Retention is how long finished executions are kept. Default 720h (30 days).
	Retention time.Duration
	// WaitMax bounds ?wait= and synchronous inbound responses. Default 60s.
	WaitMax time.Duration

	// AllowNet lists networks outbound HTTP may reach although they are
	// private, loopback or link-local. Default: none.
	AllowNet []netip.Prefix
	// HTTPClient overrides the SSRF-guarded outbound client (tests, embedders).
	HTTPClient *http.Client

	// SourceLease is how long a node holds a change-capture source without
	// renewing it: another node takes a dead node's sources over within
	// SourceLease + 5s. Default 15s.
	SourceLease time.Duration
	// SourceLagWarnBytes: a source whose replication slot holds more WAL
	// than this is "lagging", with a warning in its status and the log.
	// Default 1 GiB.
	SourceLagWarnBytes int64

	// SecretKey (32 bytes) encrypts stored secrets. Required.
	SecretKey []byte

	// SMTP and SMS configure the send_email and send_sms actions.
	SMTP SMTPConfig
	SMS  SMSConfig

	// Actions overrides the built-in action executors. Default: all built-ins.
	Actions *action.Registry
	// Expr bounds expressions. Default: rule.Limits defaults.
	Expr rule.Limits
}

// SMTPConfig configures outgoing email.
type SMTPConfig struct {
	Host     string
	Port     int // default 587 (465 with TLS "tls")
	Username string
	Password string
	From     string
	// TLS is auto (the default: STARTTLS whenever the server offers it;
	// credentials are never sent unencrypted except to a loopback host),
	// starttls (required), tls (implicit) or none.
	TLS string
}

// SMSConfig configures a Twilio-compatible SMS provider.
type SMSConfig struct {
	URL        string // base URL, default https://api.twilio.com
	AccountSID string
	AuthToken  string
	From       string
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Workers == 0 {
		c.Workers = 64
	}
	if c.ClaimBatch == 0 {
		c.ClaimBatch = 64
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.Lease == 0 {
		c.Lease = 5 * time.Second
	}
	if c.RescueInterval == 0 {
		c.RescueInterval = time.Second
	}
	if c.MaxPerDestination == 0 {
		c.MaxPerDestination = 16
	}
	if c.AutoDisableAfter == 0 {
		c.AutoDisableAfter = 120 * time.Hour
	}
	if c.OrderHold == 0 {
		c.OrderHold = time.Hour
	}
	if c.MaxHooksPerAccount == 0 {
		c.MaxHooksPerAccount = 50
	}
	if c.MaxActionsPerHook == 0 {
		c.MaxActionsPerHook = 20
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = 5
	}
	if c.MaxEventBytes == 0 {
		c.MaxEventBytes = 256 << 10
	}
	if c.Retention == 0 {
		c.Retention = 720 * time.Hour
	}
	if c.WaitMax == 0 {
		c.WaitMax = 60 * time.Second
	}
	if c.SMTP.TLS == "" {
		c.SMTP.TLS = "auto"
	}
	if c.SMTP.Port == 0 {
		c.SMTP.Port = 587
		if c.SMTP.TLS == "tls" {
			c.SMTP.Port = 465
		}
	}
	if c.SMS.URL == "" {
		c.SMS.URL = "https://api.twilio.com"
	}
	c.Expr = c.Expr.WithDefaults()
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("a store is required"))
	}
	if len(c.SecretKey) != 32 {
		errs = append(errs, fmt.Errorf("the secret key must be 32 bytes, got %d", len(c.SecretKey)))
	}
	if c.Workers < 1 || c.ClaimBatch < 1 {
		errs = append(errs, errors.New("workers and claim batch must be positive"))
	}
	if c.Lease < time.Second {
		errs = append(errs, errors.New("lease must be at least 1s"))
	}
	if c.MaxHooksPerAccount < 1 || c.MaxActionsPerHook < 1 || c.MaxDepth < 1 || c.MaxEventBytes < 1 {
		errs = append(errs, errors.New("limits must be positive"))
	}
	switch c.SMTP.TLS {
	case "auto", "none", "starttls", "tls":
	default:
		errs = append(errs, fmt.Errorf("SMTP TLS must be auto, none, starttls or tls, got %q", c.SMTP.TLS))
	}
	return errors.Join(errs...)
}
