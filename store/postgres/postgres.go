// Package postgres is hookline's PostgreSQL storage driver (pgx v5). Many
// hookline nodes may share one database: executions and jobs are claimed
// with FOR UPDATE SKIP LOCKED, migrations take a session advisory lock, and
// notifications travel by LISTEN/NOTIFY.
//
// Statements run on a pgxpool, prepared once per connection. Round trips
// are the cost, so a transaction sends BEGIN with its first statement and
// its unread writes with the next statement or COMMIT (pipeTx), and the
// transactions that only write, and the final saves, of concurrent callers
// are committed together (grouper).
//
// A search_path in the URL (postgres://…?search_path=s) puts every table,
// goose's version table included, in schema s; notification channels are
// then prefixed with s so two schemas of one database do not hear each other.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options configure Open.
type Options struct {
	// MaxConns bounds the connection pool (LISTEN connections come on top,
	// one per Listen call). Default 16.
	MaxConns int
	// TxAttempts is how many times Tx runs fn when the transaction fails
	// with a serialization failure or a deadlock. Default 5.
	TxAttempts int
	// CommitGroups is how many groups of writes (see grouper) a node has
	// under way at once. Default 1: while one group commits, the next
	// gathers every write that comes meanwhile, so the database runs one
	// transaction and one WAL flush for many callers. Measured on two
	// cores (bench --db, 16 clients): 1 group 1,781–2,353 records/s with
	// the database at 211–244 µs per event; 8 groups (half the pool, as
	// before) 1,434–1,488/s at 606–635 µs, the database busy with many
	// small transactions and their flushes.
	CommitGroups int
}

// WithDefaults returns o with its zero fields set to their defaults.
func (o Options) WithDefaults() Options {
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	if o.TxAttempts <= 0 {
		o.TxAttempts = 5
	}
	if o.CommitGroups <= 0 {
		o.CommitGroups = 1
	}
	return o
}

// Store is the PostgreSQL driver. It implements store.Store.
type Store struct {
	*sqlstore.Q

	opts   Options
	cfg    *pgx.ConnConfig // of the LISTEN connections
	pool   *pgxpool.Pool
	db     *sql.DB // database/sql over pool, for goose
	schema string
	health sqlstore.Health
	notes  *notifier
	group  *grouper
	rt     roundTrips

	mu        sync.Mutex
	closed    bool
	listeners map[int]context.CancelFunc
	nextID    int
	wg        sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

func pgCode(codes ...string) func(error) bool {
	return func(err error) bool {
		var e *pgconn.PgError
		if !errors.As(err, &e) {
			return false
		}
		for _, c := range codes {
			if e.Code == c {
				return true
			}
		}
		return false
	}
}

var dialect = &sqlstore.Dialect{
	Name:                  "postgres",
	Dollar:                true,
	SkipLocked:            true,
	AdvisoryLocks:         true,
	WritableCTE:           true,
	IsUniqueViolation:     pgCode("23505"),
	IsForeignKeyViolation: pgCode("23503"),
	IsUnavailable:         unavailable,
}

// retryable: serialization failure, deadlock.
var retryable = pgCode("40001", "40P01")

// Open connects to the database at url (postgres://…; search_path honoured).
// Call Migrate before use.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	opts = opts.WithDefaults()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	// Every statement hookline sends is written for an index (the plan
	// tests check them). Without fresh statistics, though (autovacuum off,
	// or a table that grew since its last ANALYZE), PostgreSQL prices a
	// sequential scan of a table it believes small below the index, and a
	// prepared statement keeps that generic plan for the connection's
	// life: every final save then read the whole executions table. With
	// sequential scans priced out the planner takes the index whatever
	// the statistics say; a query no index serves still scans. And no JIT:
	// hookline's statements are short, and a sequential scan priced out
	// looks expensive enough to compile (the hourly prune of old
	// executions spent 450 ms compiling a scan of an empty table). The URL
	// may set either itself.
	for name, value := range map[string]string{"enable_seqscan": "off", "jit": "off"} {
		if _, set := cfg.ConnConfig.RuntimeParams[name]; !set {
			cfg.ConnConfig.RuntimeParams[name] = value
		}
	}
	s := &Store{opts: opts, cfg: cfg.ConnConfig.Copy(), listeners: map[int]context.CancelFunc{}}
	cfg.MaxConns = int32(opts.MaxConns)
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.ConnConfig.Tracer = &s.rt
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&s.schema); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if s.schema == "" {
		s.pool.Close()
		return nil, errors.New("postgres: no schema: the search_path names no existing schema")
	}
	s.db = stdlib.OpenDBFromPool(s.pool)
	// The groups under way hold a connection each; reads, transactions
	// that read and LISTEN keep the rest of the pool.
	s.group = newGrouper(s.pool, min(opts.CommitGroups, max(1, opts.MaxConns/2)))
	direct := poolDB{s.pool}
	s.Q = sqlstore.New(sqlstore.Config{
		Dialect: dialect,
		Read:    direct,
		Direct:  direct,
		Tx:      s.tx,
		Group:   s.group,
		Notify: func(ctx context.Context, topic, payload string) error {
			return s.notify(ctx, topic, payload)
		},
		Health: &s.health,
	})
	s.notes = newNotifier(s)
	return s, nil
}

// DB is the store's connection pool as a database/sql handle: its sessions
// are set up as the store's own (see Open).
func (s *Store) DB() *sql.DB { return s.db }

// Shared reports true: many nodes may share the database.
func (s *Store) Shared() bool { return true }

// Schema is the schema the store works in (the first of the search_path).
func (s *Store) Schema() string { return s.schema }

// Tx implements store.Store with a READ COMMITTED transaction. A
// serialization failure or deadlock rolls back and runs fn again (up to
// Options.TxAttempts times).
func (s *Store) Tx(ctx context.Context, fn func(q store.Querier) error) error {
	return s.tx(ctx, func(q *sqlstore.Q) error { return fn(q) })
}

func (s *Store) tx(ctx context.Context, fn func(q *sqlstore.Q) error) error {
	backoff := 2 * time.Millisecond
	keysFirst := false
	for attempt := 1; ; attempt++ {
		assumed, err := s.tryTx(ctx, fn, keysFirst)
		err = sqlstore.Unavailable(unavailable, err)
		if err != nil && assumed && ctx.Err() == nil {
			// An event was inserted assuming its idempotency key free:
			// whatever the error (the key's unique violation, met by the
			// commit or by a later statement whose caller may have
			// ignored or remapped it), run the transaction again looking
			// the key up first, as it ran before the assumption.
			keysFirst = true
			attempt--
			continue
		}
		if err == nil || !retryable(err) || attempt >= s.opts.TxAttempts {
			s.health.Note(err)
			return err
		}
		t := time.NewTimer(backoff + rand.N(backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff *= 2
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(q *sqlstore.Q) error, keysFirst bool) (keyAssumed bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	tx := &pipeTx{s: s}
	defer tx.release()
	var q *sqlstore.Q
	q = sqlstore.NewTx(dialect, tx, func(_ context.Context, topic, payload string) error {
		q.AfterTx(func(committed bool) {
			if committed {
				s.notes.add(topic, payload)
			}
		})
		return nil
	})
	if keysFirst {
		q.KeysFirst()
	}
	over, durable := false, false
	defer func() {
		if !over { // fn failed or panicked
			tx.rollback()
		}
		// A failed COMMIT may still have committed: callers treat
		// "not durable" as "unknown", never as "surely gone".
		q.EndTx(durable)
	}()
	if err := fn(q); err != nil {
		return q.KeyAssumed(), err
	}
	over = true // whatever COMMIT says, the transaction is over
	if err := tx.commit(ctx); err != nil {
		tx.rollback()
		return q.KeyAssumed(), err
	}
	durable = true
	return false, nil
}

// notify sends pg_notify at once.
func (s *Store) notify(ctx context.Context, topic, payload string) error {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel(topic), payload); err != nil {
		return fmt.Errorf("postgres: notify %s: %w", topic, err)
	}
	return nil
}

// channel is the NOTIFY channel of topic: the topic itself in schema
// public, else prefixed with the schema (channels are database-wide).
func (s *Store) channel(topic string) string {
	if s.schema == "public" {
		return topic
	}
	ch := s.schema + "." + topic
	if len(ch) > 63 {
		h := fnv.New64a()
		h.Write([]byte(s.schema))
		ch = fmt.Sprintf("%x.%s", h.Sum64(), topic)
		if len(ch) > 63 {
			ch = ch[:63]
		}
	}
	return ch
}

// Migrate implements store.Store with the embedded goose migrations, under
// a session advisory lock (one per schema) so many nodes may start at once.
func (s *Store) Migrate(ctx context.Context) error {
	h := fnv.New64a()
	h.Write([]byte("hookline.migrate." + s.schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 600))
	if err != nil {
		return err
	}
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, s.db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// Close stops the listeners and closes the pool.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, cancel := range s.listeners {
		cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.notes.close()
	s.group.close()
	err := s.db.Close()
	s.pool.Close()
	if err != nil {
		return fmt.Errorf("postgres: close: %w", err)
	}
	return nil
}
