package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/store/sqlstore"
)

// poolDB runs statements on the pool, each in its own transaction.
type poolDB struct{ p *pgxpool.Pool }

func (d poolDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := d.p.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (d poolDB) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	r, err := d.p.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rows{r, nil}, nil
}

func (d poolDB) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return d.p.QueryRow(ctx, query, args...)
}

// rows adapts pgx.Rows (of a batch, when br is set: closing them closes it).
type rows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r rows) Close() error {
	r.Rows.Close()
	err := r.Rows.Err()
	if r.br != nil {
		if cerr := r.br.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// pipeTx is one transaction that spends as few round trips as it can.
// BEGIN is not sent on its own but with the first statement, and the
// writes whose outcome nobody reads before the commit (sqlstore's
// execLater: inserting an event, its executions, a record) wait and go
// with the next statement or with COMMIT, in one pipelined batch. A
// transaction that only writes (accepting an event: BEGIN, the event, its
// executions, COMMIT) takes no connection of its own: its writes are
// committed by the grouper, with those of concurrent transactions. A
// deferred write that fails fails the statement it went with, or the
// commit.
type pipeTx struct {
	s     *Store
	conn  *pgxpool.Conn // once a statement was sent
	begun bool          // BEGIN was sent
	later []later
	locks []string // advisory locks to take right after BEGIN (see DeferLocked)
}

// later is a statement sent later: its error is mapped by fail, and read,
// when set, reads its rows.
type later struct {
	query string
	args  []any
	read  func(sqlstore.Rows) error
	fail  func(error) error
}

var _ sqlstore.Deferrer = (*pipeTx)(nil)

// Defer implements sqlstore.Deferrer.
func (t *pipeTx) Defer(query string, args []any, fail func(error) error) {
	t.later = append(t.later, later{query: query, args: args, fail: fail})
}

// DeferLocked implements sqlstore.Deferrer. Before BEGIN was sent, the
// lock is taken with BEGIN, with the transaction's other locks, in key
// order (by the commit group, when the transaction only writes); after,
// it goes with the statement.
func (t *pipeTx) DeferLocked(lock, query string, args []any, read func(sqlstore.Rows) error, fail func(error) error) {
	if t.begun {
		t.later = append(t.later, later{query: sqlstore.AdvisoryLockSQL, args: []any{lock}, fail: fail})
	} else {
		t.locks = append(t.locks, lock)
	}
	t.later = append(t.later, later{query: query, args: args, read: read, fail: fail})
}

// send sends what waits (BEGIN, the deferred writes) and query in one
// batch, reads the results of what waited and returns the batch positioned
// at query's result.
func (t *pipeTx) send(ctx context.Context, query string, args []any) (pgx.BatchResults, error) {
	if t.conn == nil {
		conn, err := t.s.pool.Acquire(ctx)
		if err != nil {
			return nil, fmt.Errorf("postgres: begin: %w", err)
		}
		t.conn = conn
	}
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(t.later)+len(t.locks)+2)}
	begin := !t.begun
	var keys []string
	if begin {
		b.Queue("BEGIN")
		t.begun = true
		keys = lockOrder(t.locks)
		t.locks = nil
		for _, k := range keys {
			b.Queue(sqlstore.AdvisoryLockSQL, k)
		}
	}
	pending := t.later
	t.later = nil
	for _, l := range pending {
		b.Queue(l.query, l.args...)
	}
	b.Queue(query, args...)
	br := t.conn.SendBatch(ctx, b)
	if begin {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, fmt.Errorf("postgres: begin: %w", err)
		}
		for range keys {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return nil, fmt.Errorf("postgres: advisory lock: %w", err)
			}
		}
	}
	for _, l := range pending {
		if err := l.run(br); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

// direct says nothing waits: a statement can go on its own.
func (t *pipeTx) direct() bool { return t.begun && len(t.later) == 0 }

func (t *pipeTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if t.direct() {
		tag, err := t.conn.Exec(ctx, query, args...)
		return tag.RowsAffected(), err
	}
	br, err := t.send(ctx, query, args)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag.RowsAffected(), err
}

func (t *pipeTx) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if t.direct() {
		r, err := t.conn.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return rows{r, nil}, nil
	}
	br, err := t.send(ctx, query, args)
	if err != nil {
		return nil, err
	}
	r, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return rows{r, br}, nil
}

func (t *pipeTx) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if t.direct() {
		return t.conn.QueryRow(ctx, query, args...)
	}
	br, err := t.send(ctx, query, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{br.QueryRow(), br}
}

// batchRow is the row of a batch's last query: scanning it closes the batch.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// errCommitRollback: COMMIT answered ROLLBACK (a statement had failed).
var errCommitRollback = errors.New("postgres: commit: the transaction was rolled back")

// commit sends what waits with COMMIT. A transaction that sent nothing
// has nothing to commit but its deferred writes: the grouper does.
func (t *pipeTx) commit(ctx context.Context) error {
	if !t.begun {
		if len(t.later) == 0 {
			return nil
		}
		later, locks := t.later, t.locks
		t.later, t.locks = nil, nil
		return t.s.group.commit(ctx, locks, later)
	}
	br, err := t.send(ctx, "COMMIT", nil)
	if err != nil {
		return err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	if tag.String() == "ROLLBACK" {
		return errCommitRollback
	}
	return nil
}

// rollback ends the transaction if it is open. A connection it cannot
// end is closed when released.
func (t *pipeTx) rollback() {
	t.later, t.locks = nil, nil
	if t.conn == nil {
		return
	}
	c := t.conn.Conn()
	if c.IsClosed() || c.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = c.Exec(ctx, "ROLLBACK")
}

// release ends the transaction (if open) and gives its connection back.
func (t *pipeTx) release() {
	t.rollback()
	if t.conn != nil {
		t.conn.Release()
		t.conn = nil
	}
}
