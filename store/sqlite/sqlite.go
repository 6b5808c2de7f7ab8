// Package sqlite is hookline's embedded storage driver (modernc.org/sqlite,
// pure Go). The database runs in WAL mode with one writer connection driven
// by one goroutine that group-commits: concurrent transactions share one
// BEGIN IMMEDIATE … COMMIT (and so one fsync), each in its own savepoint so a
// failing one does not fail its neighbours. Reads use a pool of read-only
// connections. Notifications are delivered in-process after commit.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure Open.
type Options struct {
	// Synchronous is PRAGMA synchronous of the writer: "FULL" (the default:
	// a Tx that returned is on disk; one fsync per commit group) or
	// "NORMAL" (no fsync at commit: a power loss may lose the last commits,
	// never corrupt the database).
	Synchronous string
	// ReadConns is the size of the read-only connection pool. Default 4.
	ReadConns int
	// BusyTimeoutMS is PRAGMA busy_timeout of every connection. Default 10000.
	BusyTimeoutMS int
	// MaxGroup bounds the transactions committed together. Default 256.
	MaxGroup int
	// GroupWait is how long the writer may wait for more transactions
	// when several callers are busy, so that they share a commit (like
	// PostgreSQL's commit_delay). Default 300µs; negative: never wait.
	GroupWait time.Duration
}

// WithDefaults returns o with its zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.Synchronous == "" {
		o.Synchronous = "FULL"
	}
	o.Synchronous = strings.ToUpper(o.Synchronous)
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.BusyTimeoutMS <= 0 {
		o.BusyTimeoutMS = 10000
	}
	if o.MaxGroup <= 0 {
		o.MaxGroup = 256
	}
	if o.GroupWait == 0 {
		o.GroupWait = 300 * time.Microsecond
	}
	return o
}

func (o Options) validate() error {
	switch o.Synchronous {
	case "FULL", "NORMAL":
		return nil
	}
	return fmt.Errorf("sqlite: synchronous %q: want FULL or NORMAL", o.Synchronous)
}

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("sqlite: store closed")

// Store is the SQLite driver. It implements store.Store.
type Store struct {
	*sqlstore.Q

	opts   Options
	path   string
	wdb    *sql.DB // one connection, used only by the writer goroutine
	wconn  *sql.Conn
	wcache *sqlstore.StmtCache
	rdb    *sql.DB
	rcache *sqlstore.StmtCache

	reqs      chan *request
	carry     *request     // writer goroutine only: a maintenance request taken early
	mu        sync.RWMutex // held (read) while sending on reqs; Close takes it to close reqs
	closed    bool
	closing   chan struct{}
	writerOut chan struct{}

	bus    bus
	health sqlstore.Health
}

var _ store.Store = (*Store)(nil)

var dialect = &sqlstore.Dialect{
	Name:                  "sqlite",
	IsUniqueViolation:     isCode(sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY),
	IsForeignKeyViolation: isCode(sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY),
	IsUnavailable:         unavailable,
}

// unavailable says err means the database takes no writes now: the disk is
// full, the file or its directory is read-only, I/O failed, it cannot be
// opened, or it stayed locked past busy_timeout (another process holds it).
func unavailable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_PERM:
		return true
	}
	return false
}

func isCode(codes ...int) func(error) bool {
	return func(err error) bool {
		var e *sqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		for _, c := range codes {
			if e.Code() == c {
				return true
			}
		}
		return false
	}
}

// dsn builds a modernc DSN for path with the given pragmas.
func dsn(path string, pragmas ...string) string {
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	v := url.Values{}
	for _, p := range pragmas {
		v.Add("_pragma", p)
	}
	return "file:" + path + "?" + v.Encode()
}

// Open opens (creating if needed) the database at path. Call Migrate before
// use.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	busy := fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeoutMS)
	s := &Store{
		opts:      opts,
		path:      path,
		reqs:      make(chan *request, opts.MaxGroup),
		closing:   make(chan struct{}),
		writerOut: make(chan struct{}),
	}
	var err error
	// A small page cache (4 MiB) for the writer: at the end of every write
	// transaction SQLite walks the cache's whole hash table, which with
	// 32 MiB took 4% of all CPU in `hookline bench`; the writer mostly
	// touches the right edges of its b-trees. Checkpoints at SQLite's
	// default of 1000 pages: a longer WAL made both commits and reads slower.
	s.wdb, err = sql.Open("sqlite", dsn(path, busy, "journal_mode(WAL)", "synchronous("+opts.Synchronous+")",
		"foreign_keys(1)", "cache_size(-4000)", "temp_store(MEMORY)", "wal_autocheckpoint(1000)"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)
	if s.wconn, err = s.wdb.Conn(ctx); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.wcache = sqlstore.NewStmtCache(s.wconn, 512)

	s.rdb, err = sql.Open("sqlite", dsn(path, busy, "query_only(1)", "foreign_keys(1)", "cache_size(-16000)"))
	if err != nil {
		s.wconn.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.rdb.SetMaxOpenConns(opts.ReadConns)
	s.rdb.SetMaxIdleConns(opts.ReadConns)
	s.rcache = sqlstore.NewStmtCache(s.rdb, 512)

	s.Q = sqlstore.New(sqlstore.Config{
		Dialect: dialect,
		Read:    s.rcache,
		Tx:      s.tx,
		Notify: func(_ context.Context, topic, payload string) error {
			s.bus.publish(topic, payload)
			return nil
		},
		Health: &s.health,
	})
	go s.writer()
	return s, nil
}

// Shared reports false: one process owns a SQLite database.
func (s *Store) Shared() bool { return false }

// Tx implements store.Store. fn runs on the writer goroutine inside the
// group's transaction, in its own savepoint: it must use q only (calling the
// Store's own write methods or Tx from fn deadlocks). fn is not run when ctx
// ends before its turn; it is never run twice.
func (s *Store) Tx(ctx context.Context, fn func(q store.Querier) error) error {
	return s.tx(ctx, func(q *sqlstore.Q) error { return fn(q) })
}

// Listen implements store.Store: fn gets the notifications of topics
// committed from now on, until ctx ends or the store closes.
func (s *Store) Listen(ctx context.Context, topics []string, fn func(topic, payload string)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id := s.bus.subscribe(topics, fn)
	go func() {
		select {
		case <-ctx.Done():
		case <-s.closing:
		}
		s.bus.unsubscribe(id)
	}()
	return nil
}

// Migrate implements store.Store with the embedded goose migrations. It runs
// on the writer goroutine, between two groups.
func (s *Store) Migrate(ctx context.Context) error {
	return s.do(ctx, func() error {
		db, err := sql.Open("sqlite", dsn(s.path, fmt.Sprintf("busy_timeout(%d)", s.opts.BusyTimeoutMS),
			"foreign_keys(1)", "synchronous(FULL)"))
		if err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		fsys, err := fs.Sub(migrations, "migrations")
		if err != nil {
			return err
		}
		p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true))
		if err != nil {
			return err
		}
		if _, err := p.Up(ctx); err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		return nil
	})
}

// Close stops the writer once the queued transactions are done and closes
// the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	close(s.reqs)
	s.mu.Unlock()
	<-s.writerOut
	s.wcache.Close()
	s.rcache.Close()
	err := errors.Join(s.wconn.Close(), s.wdb.Close(), s.rdb.Close())
	if err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}
