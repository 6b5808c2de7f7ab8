// Package sqlstore is the database/sql implementation of store.Querier that
// the SQLite and PostgreSQL drivers share. What differs between the two
// databases is described by a Dialect; how transactions run (group commit on
// SQLite, real transactions on PostgreSQL) and how notifications travel are
// supplied by the driver.
//
// Conventions: timestamps are BIGINT unix microseconds (UTC), JSON fields are
// TEXT, ids are set by the caller. Queries are written with ? placeholders and
// rebound for PostgreSQL.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hookline/hookline/store"
)

// Dialect says how one database differs from the other.
type Dialect struct {
	// Name names the database in errors ("sqlite", "postgres").
	Name string
	// Dollar rewrites ? placeholders to $1, $2, … (PostgreSQL).
	Dollar bool
	// SkipLocked makes claim queries lock the rows they pick with
	// FOR UPDATE SKIP LOCKED, so concurrent claimers skip each other's rows.
	SkipLocked bool
	// AdvisoryLocks serializes writers of one ordering key with
	// pg_advisory_xact_lock (PostgreSQL); SQLite's single writer needs none.
	AdvisoryLocks bool
	// WritableCTE: UPDATEs may run inside WITH (PostgreSQL), so a final
	// save and the release of what waits for it go in one statement.
	WritableCTE bool
	// IsUniqueViolation and IsForeignKeyViolation classify driver errors.
	IsUniqueViolation     func(error) bool
	IsForeignKeyViolation func(error) bool
	// IsUnavailable says a driver error means the database is unreachable
	// or takes no writes (down, disk full, read-only): such errors wrap
	// store.ErrUnavailable.
	IsUnavailable func(error) bool
}

// rebind rewrites ? placeholders for the dialect. Queries of this package
// never put ? inside string literals.
func (d *Dialect) rebind(query string) string {
	if !d.Dollar || strings.IndexByte(query, '?') < 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if c := query[i]; c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// DB is what statements run on. SQLite's writer and readers adapt
// database/sql (StmtCache); PostgreSQL runs pgx natively.
type DB interface {
	// Exec runs a statement and returns the rows it affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows are the rows of a query (*sql.Rows is one).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// Row is the one row of a query; Scan reports sql.ErrNoRows (or an error
// wrapping it) when there is none.
type Row interface {
	Scan(dest ...any) error
}

// Deferrer is a transaction's DB that can hold a write back and send it
// with the next statement or the commit (PostgreSQL pipelines them: one
// round trip). fail maps the error of the write once it is known; the
// transaction then fails with it.
type Deferrer interface {
	Defer(query string, args []any, fail func(error) error)
	// DeferLocked defers a statement that must run while the transaction
	// holds the advisory lock of key (AdvisoryLockSQL); read, when set,
	// reads its rows once they come (again if the writes are sent again).
	DeferLocked(lock, query string, args []any, read func(Rows) error, fail func(error) error)
}

// Grouper sends a write together with those of concurrent callers, in one
// transaction and one round trip (PostgreSQL's final saves). read, when
// set, reads the statement's rows; it is called again if the group failed
// and the write is sent again on its own. lock, when set, is an advisory
// lock's key (AdvisoryLockSQL's argument) the transaction holds before the
// statement runs: a group takes all its units' locks first, in key order,
// so that two groups never hold what the other waits for.
type Grouper interface {
	Group(ctx context.Context, lock, query string, args []any, read func(Rows) error) error
}

// AdvisoryLockSQL takes the transaction-scoped advisory lock of a key
// (PostgreSQL; see Dialect.AdvisoryLocks).
const AdvisoryLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`

// SQLDB is what database/sql runs statements on: *sql.DB, *sql.Tx, *sql.Conn.
type SQLDB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func sqlExec(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// sqlQuery keeps a nil *sql.Rows from becoming a non-nil Rows.
func sqlQuery(r *sql.Rows, err error) (Rows, error) {
	if err != nil {
		return nil, err
	}
	return r, nil
}

// TxFunc runs fn in one transaction of the driver.
type TxFunc func(ctx context.Context, fn func(q *Q) error) error

// NotifyFunc publishes a notification.
type NotifyFunc func(ctx context.Context, topic, payload string) error

// Config builds the top-level Querier of a driver.
type Config struct {
	Dialect *Dialect
	// Read is the pool reads run on outside a transaction.
	Read DB
	// Tx runs writes made outside a transaction, so every write method is
	// atomic (on SQLite: through the group-commit writer).
	Tx TxFunc
	// Direct, when set, runs writes that are one statement straight on this
	// pool (autocommit) instead of through Tx. PostgreSQL sets it; SQLite
	// must not (it has one writer connection).
	Direct DB
	// Notify publishes at top level (outside a transaction).
	Notify NotifyFunc
	// Group, when set, sends final saves (one statement each, outside a
	// transaction) together with concurrent ones. PostgreSQL sets it.
	Group Grouper
	// Health, when set, learns the outcome of every Direct write (the
	// driver's Tx reports its own) and answers WriteHealth.
	Health *Health
}

// Q implements store.Querier, either at top level (reads on the read pool,
// writes through the driver's transaction runner) or inside a transaction
// (everything on the transaction).
type Q struct {
	d      *Dialect
	db     DB
	inTx   bool
	tx     TxFunc
	direct DB
	group  Grouper
	notify NotifyFunc
	health *Health
	after  []func(committed bool) // inside a transaction: AfterTx callbacks
	// keysFirst: an event with an idempotency key is inserted only after
	// its key was found free (see EventInsert); keyAssumed: one was
	// inserted assuming its key free.
	keysFirst, keyAssumed bool
}

// KeysFirst makes the transaction's EventInsert look an idempotency key up
// before inserting the event, rather than insert it with the transaction's
// other writes assuming the key free (see KeyAssumed).
func (q *Q) KeysFirst() { q.keysFirst = true }

// KeyAssumed reports whether the transaction inserted an event assuming its
// idempotency key free: if it failed, whatever the error it surfaced as
// (a later statement of the transaction may have met the violation), it
// is to be run again after KeysFirst.
func (q *Q) KeyAssumed() bool { return q.keyAssumed }

var _ store.Querier = (*Q)(nil)

// New returns the top-level Querier of a driver.
func New(cfg Config) *Q {
	return &Q{d: cfg.Dialect, db: cfg.Read, tx: cfg.Tx, direct: cfg.Direct, group: cfg.Group, notify: cfg.Notify, health: cfg.Health}
}

// WriteHealth implements store.Store for the drivers that embed Q.
func (q *Q) WriteHealth() error { return q.health.Err() }

// NewTx returns the Querier of one transaction: every statement runs on tx
// and Notify calls notify (which must defer delivery until commit).
func NewTx(d *Dialect, tx DB, notify NotifyFunc) *Q {
	return &Q{d: d, db: tx, inTx: true, notify: notify}
}

// AfterTx implements store.Querier.
func (q *Q) AfterTx(fn func(committed bool)) {
	if !q.inTx {
		fn(true)
		return
	}
	q.after = append(q.after, fn)
}

// EndTx runs the AfterTx callbacks of a transaction Querier once: drivers
// call it when the transaction is over.
func (q *Q) EndTx(committed bool) {
	after := q.after
	q.after = nil
	for _, fn := range after {
		fn(committed)
	}
}

// Notify publishes payload on topic: after the commit inside a transaction,
// at once at top level.
func (q *Q) Notify(ctx context.Context, topic, payload string) error {
	if q.notify == nil {
		return errors.New("sqlstore: notifications not supported here")
	}
	return q.notify(ctx, topic, payload)
}

// write runs fn atomically: directly inside a transaction, else through the
// driver's transaction runner.
func (q *Q) write(ctx context.Context, fn func(q *Q) error) error {
	if q.inTx {
		return fn(q)
	}
	return q.tx(ctx, fn)
}

// write1 is write for functions that run a single statement: on a driver with
// a Direct pool they skip the explicit transaction.
func (q *Q) write1(ctx context.Context, fn func(q *Q) error) error {
	if q.inTx {
		return fn(q)
	}
	if q.direct != nil {
		err := fn(&Q{d: q.d, db: q.direct, inTx: true, notify: q.notify})
		q.health.Note(err)
		return err
	}
	return q.tx(ctx, fn)
}

// exec runs a statement and returns the rows it affected.
func (q *Q) exec(ctx context.Context, query string, args ...any) (int64, error) {
	return q.db.Exec(ctx, q.d.rebind(query), args...)
}

func (q *Q) query(ctx context.Context, query string, args ...any) (Rows, error) {
	return q.db.Query(ctx, q.d.rebind(query), args...)
}

func (q *Q) queryRow(ctx context.Context, query string, args ...any) Row {
	return q.db.QueryRow(ctx, q.d.rebind(query), args...)
}

// execN runs a statement and returns the rows it affected.
func (q *Q) execN(ctx context.Context, query string, args ...any) (int64, error) {
	return q.exec(ctx, query, args...)
}

// execLater runs a write whose outcome the caller does not need before the
// transaction ends: a Deferrer sends it with the next statement or the
// commit, and the transaction fails with its error (mapped as by fail).
// Elsewhere it runs at once.
func (q *Q) execLater(ctx context.Context, what, query string, args ...any) error {
	if d, ok := q.db.(Deferrer); ok && q.inTx {
		d.Defer(q.d.rebind(query), args, func(err error) error { return q.fail(what, err) })
		return nil
	}
	_, err := q.exec(ctx, query, args...)
	return q.fail(what, err)
}

// Flush implements store.Querier.
func (q *Q) Flush(ctx context.Context) error {
	if _, ok := q.db.(Deferrer); !ok || !q.inTx {
		return nil
	}
	_, err := q.exec(ctx, "SELECT 1")
	return err
}

// execOne runs a statement that must affect a row: none is ErrNotFound.
func (q *Q) execOne(ctx context.Context, what, query string, args ...any) error {
	n, err := q.execN(ctx, query, args...)
	if err != nil {
		return q.fail(what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}

// fail maps a driver error to the store's errors, naming what failed.
func (q *Q) fail(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	case q.d.IsUniqueViolation != nil && q.d.IsUniqueViolation(err):
		return fmt.Errorf("%s: %w: %w", what, store.ErrConflict, err)
	case q.d.IsForeignKeyViolation != nil && q.d.IsForeignKeyViolation(err):
		return fmt.Errorf("%s: referenced row missing: %w: %w", what, store.ErrNotFound, err)
	}
	return fmt.Errorf("%s: %w", what, Unavailable(q.d.IsUnavailable, err))
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

func limitOf(p store.Page) int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// where builds a WHERE clause.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in adds "col IN (…)" unless vals is empty.
func (w *where) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	w.conds = append(w.conds, col+" IN ("+placeholders(len(vals))+")")
	for _, v := range vals {
		w.args = append(w.args, v)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// likeEscape escapes s for a LIKE pattern with ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// collect runs a query and scans each row with scan.
func collect[T any](ctx context.Context, q *Q, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, q.fail(what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, q.fail(what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail(what, err)
	}
	return out, nil
}

type rowScanner interface {
	Scan(dest ...any) error
}

// cols joins column names, each prefixed (for a table alias) when prefix is set.
func cols(prefix string, names []string) string {
	if prefix == "" {
		return strings.Join(names, ", ")
	}
	return prefix + strings.Join(names, ", "+prefix)
}
