package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/netguard"
)

// options are the serve flags; every flag has a HOOKLINE_* environment twin
// (--smtp-host ↔ HOOKLINE_SMTP_HOST). A flag given on the command line wins.
type options struct {
	Addr               string
	DB                 string
	DataDir            string
	AdminKey           string
	SecretKey          string
	AllowNet           string
	NodeID             string
	Workers            int
	MaxHooksPerAccount int
	MaxActionsPerHook  int
	MaxDepth           int
	OrderHold          time.Duration
	MaxPerDestination  int
	AutoDisableAfter   time.Duration
	MaxEventBytes      int
	EventsPerSecond    float64
	Retention          time.Duration
	SQLiteSynchronous  string
	LogLevel           string
	SMTPHost           string
	SMTPPort           int
	SMTPUsername       string
	SMTPPassword       string
	SMTPFrom           string
	SMTPTLS            string
	SMSURL             string
	SMSAccountSID      string
	SMSAuthToken       string
	SMSFrom            string
}

func (o *options) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Addr, "addr", ":8080", "listen address")
	fs.StringVar(&o.DB, "db", "./hookline.db", "SQLite file path, or a postgres:// URL")
	fs.StringVar(&o.DataDir, "data-dir", "", "where the generated secret key is kept (default: the SQLite file's directory, or . for PostgreSQL)")
	fs.StringVar(&o.AdminKey, "admin-key", "", "admin API key of the root account: used instead of a random one on first start, and added on any later start if missing (how to get an admin key for an existing database)")
	fs.StringVar(&o.SecretKey, "secret-key", "", "32-byte key (64 hex characters or base64) that encrypts stored secrets; generated and kept in the data directory when absent")
	fs.StringVar(&o.AllowNet, "allow-net", "", "comma-separated CIDRs outbound HTTP may reach although private, e.g. 127.0.0.0/8")
	fs.StringVar(&o.NodeID, "node-id", "", "name of this node in leases (default: random)")
	fs.IntVar(&o.Workers, "workers", 64, "executions run at once on this node")
	fs.IntVar(&o.MaxHooksPerAccount, "max-hooks-per-account", 50, "hooks per account, unless the account has its own limit")
	fs.IntVar(&o.MaxActionsPerHook, "max-actions-per-hook", 20, "actions per hook")
	fs.IntVar(&o.MaxDepth, "max-depth", 5, "longest chain of hooks causing hooks")
	fs.IntVar(&o.MaxPerDestination, "max-per-destination", 16, "webhook deliveries in flight to one host on this node; more wait without holding a worker (negative: no bound)")
	fs.DurationVar(&o.AutoDisableAfter, "auto-disable-after", 120*time.Hour, "disable a hook whose runs have all failed for this long, and one whose webhook answered 410 Gone at once (0: never)")
	fs.DurationVar(&o.OrderHold, "order-hold", time.Hour, "longest an execution waiting for a retry holds the hooks after it in its event's order and its ordering key's later runs (negative: until it ends)")
	fs.IntVar(&o.MaxEventBytes, "max-event-bytes", 256<<10, "largest event data in bytes")
	fs.Float64Var(&o.EventsPerSecond, "events-per-second", 0, "events per second per account on each node, unless the account has its own limit (0: no limit)")
	fs.DurationVar(&o.Retention, "retention", 720*time.Hour, "how long finished executions are kept")
	fs.StringVar(&o.SQLiteSynchronous, "sqlite-synchronous", "FULL", "SQLite synchronous mode: FULL (durable on power loss) or NORMAL")
	fs.StringVar(&o.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.SMTPHost, "smtp-host", "", "SMTP server for send_email")
	fs.IntVar(&o.SMTPPort, "smtp-port", 0, "SMTP port (default 587, or 465 with --smtp-tls tls)")
	fs.StringVar(&o.SMTPUsername, "smtp-username", "", "SMTP user")
	fs.StringVar(&o.SMTPPassword, "smtp-password", "", "SMTP password")
	fs.StringVar(&o.SMTPFrom, "smtp-from", "", "default From address")
	fs.StringVar(&o.SMTPTLS, "smtp-tls", "auto", "auto (STARTTLS whenever offered; credentials in clear only to a loopback host), starttls (required), tls (implicit) or none")
	fs.StringVar(&o.SMSURL, "sms-url", "https://api.twilio.com", "Twilio-compatible SMS API base URL")
	fs.StringVar(&o.SMSAccountSID, "sms-account-sid", "", "SMS account SID")
	fs.StringVar(&o.SMSAuthToken, "sms-auth-token", "", "SMS auth token")
	fs.StringVar(&o.SMSFrom, "sms-from", "", "SMS sender number")
}

// envName is a flag's environment twin.
func envName(flagName string) string {
	return "HOOKLINE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse reads flags, then fills every flag not given on the command line from
// its HOOKLINE_* variable.
func parseOptions(fs *flag.FlagSet, args []string, getenv func(string) string) (*options, error) {
	o := &options{}
	o.flags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", envName(f.Name), err))
			}
		}
	})
	return o, errors.Join(errs...)
}

func (o *options) isPostgres() bool {
	return strings.HasPrefix(o.DB, "postgres://") || strings.HasPrefix(o.DB, "postgresql://")
}

func (o *options) dataDir() string {
	if o.DataDir != "" {
		return o.DataDir
	}
	if o.isPostgres() {
		return "."
	}
	return filepath.Dir(strings.TrimPrefix(o.DB, "sqlite://"))
}

// secretKey decodes --secret-key, or reads (creating on first start) the key
// file in the data directory.
func (o *options) secretKey() ([]byte, error) {
	if o.SecretKey != "" {
		return decodeKey(o.SecretKey)
	}
	path := filepath.Join(o.dataDir(), "hookline.secret-key")
	if b, err := os.ReadFile(path); err == nil {
		return decodeKey(strings.TrimSpace(string(b)))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := randRead(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.dataDir(), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("store generated secret key: %w", err)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, nil
	}
	return nil, errors.New("HOOKLINE_SECRET_KEY must be 32 bytes as 64 hex characters or base64")
}

func (o *options) engineConfig() (hookline.Config, error) {
	allow, err := netguard.ParseAllow(o.AllowNet)
	if err != nil {
		return hookline.Config{}, fmt.Errorf("--allow-net: %w", err)
	}
	key, err := o.secretKey()
	if err != nil {
		return hookline.Config{}, err
	}
	autoDisable := o.AutoDisableAfter
	if autoDisable <= 0 {
		autoDisable = -1 // never (the engine's zero value is its default)
	}
	return hookline.Config{
		NodeID: o.NodeID, Workers: o.Workers, AutoDisableAfter: autoDisable,
		MaxHooksPerAccount: o.MaxHooksPerAccount, MaxActionsPerHook: o.MaxActionsPerHook,
		MaxDepth: o.MaxDepth, OrderHold: o.OrderHold, MaxPerDestination: o.MaxPerDestination, MaxEventBytes: o.MaxEventBytes, EventsPerSecond: o.EventsPerSecond,
		Retention: o.Retention, AllowNet: allow, SecretKey: key,
		SMTP: hookline.SMTPConfig{Host: o.SMTPHost, Port: o.SMTPPort, Username: o.SMTPUsername, Password: o.SMTPPassword, From: o.SMTPFrom, TLS: o.SMTPTLS},
		SMS:  hookline.SMSConfig{URL: o.SMSURL, AccountSID: o.SMSAccountSID, AuthToken: o.SMSAuthToken, From: o.SMSFrom},
	}, nil
}
