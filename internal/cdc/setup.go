package cdc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SetupError is a problem with a source the user can fix: Field names the
// input it concerns ("url", "tables[1]"), Msg says what is wrong and how to
// fix it.
type SetupError struct {
	Field string
	Msg   string
}

func (e *SetupError) Error() string { return e.Field + ": " + e.Msg }

func setupErr(field, format string, args ...any) *SetupError {
	return &SetupError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// tableRE is a table name hookline can follow: an unquoted PostgreSQL
// identifier, optionally schema-qualified.
var tableRE = regexp.MustCompile(`^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$`)

// QualifyTable returns "schema.table" for a table name ("public" when no
// schema is given), or ok=false when the name is not one hookline can follow.
func QualifyTable(name string) (string, bool) {
	name = strings.TrimSpace(name)
	if !tableRE.MatchString(name) {
		return "", false
	}
	if !strings.Contains(name, ".") {
		name = "public." + name
	}
	return name, true
}

// Collection is the collection name of a followed table: its name, or
// "schema.table" when the schema is not public.
func Collection(table string) string {
	return strings.TrimPrefix(table, "public.")
}

// SlotName is the name of the replication slot (and of the publication)
// hookline creates for a source.
func SlotName(sourceID string) string {
	return "hookline_" + strings.ReplaceAll(strings.ToLower(sourceID), "-", "_")
}

// Redact returns the URL without user, password or any parameter that may
// carry a secret: what hookline shows of a source's URL.
func Redact(raw string) string {
	cfg, err := pgconn.ParseConfig(raw)
	if err != nil {
		return "postgres://…"
	}
	u := url.URL{Scheme: "postgres", Host: fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), Path: "/" + cfg.Database}
	if strings.HasPrefix(cfg.Host, "/") {
		u.Host = ""
		u.RawQuery = "host=" + url.QueryEscape(cfg.Host)
	}
	return u.String()
}

// ParseURL checks that raw is a PostgreSQL connection URL or string.
func ParseURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return setupErr("url", "is required: postgres://user:password@host:5432/database")
	}
	if _, err := pgconn.ParseConfig(raw); err != nil {
		return setupErr("url", "is not a PostgreSQL connection URL (postgres://user:password@host:5432/database): %s", scrub(err.Error(), raw))
	}
	return nil
}

// scrub removes the user and password of raw from a message (drivers
// quote them in some errors).
func scrub(msg, raw string) string {
	cfg, err := pgconn.ParseConfig(raw)
	if err != nil {
		return msg
	}
	if cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "***")
	}
	if len(cfg.User) >= 3 {
		msg = strings.ReplaceAll(msg, `"`+cfg.User+`"`, `"***"`)
	}
	return msg
}

// connect opens a plain connection to a source database.
func connect(ctx context.Context, raw string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return nil, setupErr("url", "is not a PostgreSQL connection URL: %s", scrub(err.Error(), raw))
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 10*time.Second {
		cfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, setupErr("url", "cannot connect to the database: %s", scrub(err.Error(), raw))
	}
	return conn, nil
}

// TableInfo describes a followed table.
type TableInfo struct {
	Name            string // schema.table
	ReplicaIdentity string // default, full, index, nothing
}

// Check connects to the database at raw and makes sure hookline can follow
// tables there: wal_level is logical, the role may replicate, and every
// table exists. The errors are SetupErrors naming the problem and the fix.
func Check(ctx context.Context, raw string, tables []string) ([]TableInfo, error) {
	conn, err := connect(ctx, raw)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return check(ctx, conn, tables)
}

func check(ctx context.Context, conn *pgx.Conn, tables []string) ([]TableInfo, error) {
	var walLevel string
	if err := conn.QueryRow(ctx, `SHOW wal_level`).Scan(&walLevel); err != nil {
		return nil, fmt.Errorf("cdc: read wal_level: %w", err)
	}
	if err := CheckWalLevel(walLevel); err != nil {
		return nil, err
	}
	var role string
	var canReplicate bool
	if err := conn.QueryRow(ctx, `SELECT rolname, rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&role, &canReplicate); err != nil {
		return nil, fmt.Errorf("cdc: read role: %w", err)
	}
	if !canReplicate {
		return nil, setupErr("url", "the role %s has no REPLICATION attribute, which logical replication needs: as a superuser run ALTER ROLE %s WITH REPLICATION; or connect as a role that has it",
			ident(role), ident(role))
	}
	out := make([]TableInfo, len(tables))
	for i, t := range tables {
		schema, name, _ := strings.Cut(t, ".")
		var kind, ident string
		err := conn.QueryRow(ctx, `SELECT c.relkind::text, c.relreplident::text FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`, schema, name).Scan(&kind, &ident)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, setupErr(fmt.Sprintf("tables[%d]", i), "table %s does not exist in the database: create it first, or fix the name (schema.table)", t)
		}
		if err != nil {
			return nil, fmt.Errorf("cdc: look up table %s: %w", t, err)
		}
		if kind != "r" && kind != "p" {
			return nil, setupErr(fmt.Sprintf("tables[%d]", i), "%s is not a table (a view or another kind of relation): only tables can be followed", t)
		}
		out[i] = TableInfo{Name: t, ReplicaIdentity: identityName(ident)}
	}
	return out, nil
}

var plainIdentRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ident quotes a name for SQL shown to the user only when it needs quotes.
func ident(name string) string {
	if plainIdentRE.MatchString(name) {
		return name
	}
	return pgx.Identifier{name}.Sanitize()
}

// CheckWalLevel is the check of the wal_level setting.
func CheckWalLevel(walLevel string) error {
	if walLevel != "logical" {
		return setupErr("url", "the database runs with wal_level=%s, but change capture needs wal_level=logical: as a superuser run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL", walLevel)
	}
	return nil
}

func identityName(c string) string {
	switch c {
	case "f":
		return "full"
	case "i":
		return "index"
	case "n":
		return "nothing"
	}
	return "default"
}

// Ensure creates the publication and the logical replication slot (plugin
// pgoutput) of a source unless they exist, after the checks of Check. The
// slot starts at the current position: changes from then on are captured.
func Ensure(ctx context.Context, raw, slot string, tables []string) ([]TableInfo, error) {
	conn, err := connect(ctx, raw)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	infos, err := check(ctx, conn, tables)
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, slot).Scan(&exists); err != nil {
		return nil, fmt.Errorf("cdc: look up publication: %w", err)
	}
	if !exists {
		list := make([]string, len(tables))
		for i, t := range tables {
			schema, name, _ := strings.Cut(t, ".")
			list[i] = pgx.Identifier{schema, name}.Sanitize()
		}
		if _, err := conn.Exec(ctx, `CREATE PUBLICATION `+pgx.Identifier{slot}.Sanitize()+` FOR TABLE `+strings.Join(list, ", ")); err != nil {
			return nil, classify(err, raw, "tables", "cannot create the publication")
		}
	}
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`, slot).Scan(&exists); err != nil {
		return nil, fmt.Errorf("cdc: look up slot: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, slot); err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "42710" { // created meanwhile by another node
				return infos, nil
			}
			return nil, classify(err, raw, "url", "cannot create the replication slot")
		}
	}
	return infos, nil
}

// classify turns a PostgreSQL error of a setup step into a SetupError.
func classify(err error, raw, field, what string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Errorf("cdc: %s: %w", what, err)
	}
	msg := scrub(pe.Message, raw)
	switch pe.Code {
	case "42501": // insufficient_privilege
		return setupErr(field, "%s: %s: the role must own the tables and may create in the database (or be a superuser)", what, msg)
	case "53400": // configuration_limit_exceeded
		return setupErr("url", "%s: %s: drop unused replication slots or raise max_replication_slots (and restart PostgreSQL)", what, msg)
	case "55000": // object_not_in_prerequisite_state, e.g. wal_level
		return setupErr("url", "%s: %s", what, msg)
	}
	return setupErr(field, "%s: %s", what, msg)
}

// Drop removes the slot and the publication of a source. A walsender still
// streaming from the slot (a node that has not noticed the deletion yet) is
// terminated first. What does not exist is not an error.
func Drop(ctx context.Context, raw, slot string) error {
	conn, err := connect(ctx, raw)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	deadline := time.Now().Add(20 * time.Second)
	for {
		var pid *int32
		err := conn.QueryRow(ctx, `SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&pid)
		if errors.Is(err, pgx.ErrNoRows) {
			break
		}
		if err != nil {
			return fmt.Errorf("cdc: look up slot %s: %w", slot, err)
		}
		if pid != nil {
			if time.Now().After(deadline) {
				return setupErr("url", "the replication slot %s stays in use by process %d", slot, *pid)
			}
			_, _ = conn.Exec(ctx, `SELECT pg_terminate_backend($1)`, *pid)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		_, err = conn.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, slot)
		var pe *pgconn.PgError
		if err == nil || (errors.As(err, &pe) && pe.Code == "42704") {
			break
		}
		if errors.As(err, &pe) && pe.Code == "55006" { // became active again: terminate and retry
			continue
		}
		return classify(err, raw, "url", "cannot drop the replication slot "+slot)
	}
	if _, err := conn.Exec(ctx, `DROP PUBLICATION IF EXISTS `+pgx.Identifier{slot}.Sanitize()); err != nil {
		return classify(err, raw, "url", "cannot drop the publication "+slot)
	}
	return nil
}
