package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/hookline/hookline/store/sqlstore"
)

// Request states: the caller abandons a queued request (its ctx ended) or
// the writer starts it, whichever comes first.
const (
	queued int32 = iota
	started
	abandoned
)

type note struct{ topic, payload string }

// request is one Tx (fn) or one maintenance job (raw) for the writer.
type request struct {
	ctx   context.Context
	fn    func(q *sqlstore.Q) error
	raw   func() error
	state atomic.Int32
	done  chan error
	notes []note
	err   error
}

// panicked carries a panic of fn back to the caller's goroutine.
type panicked struct{ v any }

func (p panicked) Error() string { return fmt.Sprint("sqlite: panic in Tx: ", p.v) }

// send queues r and waits for its answer.
func (s *Store) send(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.ctx = ctx
	r.done = make(chan error, 1)
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	select {
	case s.reqs <- r:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	var err error
	select {
	case err = <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(queued, abandoned) {
			return ctx.Err()
		}
		err = <-r.done // started: its outcome is the answer
	}
	if p, ok := err.(panicked); ok {
		panic(p.v)
	}
	return err
}

func (s *Store) tx(ctx context.Context, fn func(q *sqlstore.Q) error) error {
	return s.send(ctx, &request{fn: fn})
}

// do runs raw on the writer goroutine outside any transaction.
func (s *Store) do(ctx context.Context, raw func() error) error {
	return s.send(ctx, &request{raw: raw})
}

// writer is the one goroutine that writes. It takes the first waiting
// request and every other one already queued, and commits them together.
func (s *Store) writer() {
	defer close(s.writerOut)
	group := make([]*request, 0, s.opts.MaxGroup)
	for {
		// Let the callers answered last time queue their next request
		// before the group is taken: bigger groups, fewer commits. A yield,
		// not a wait: with nobody runnable it returns at once.
		runtime.Gosched()
		r, ok := <-s.reqs
		if !ok {
			return
		}
		group = append(group[:0], r)
	fill:
		for len(group) < s.opts.MaxGroup {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break fill
				}
				group = append(group, r)
			default:
				break fill
			}
		}
		// Maintenance requests run alone, in queue order.
		start := 0
		for i, r := range group {
			if r.raw == nil {
				continue
			}
			s.commitGroup(group[start:i])
			if r.state.CompareAndSwap(queued, started) {
				r.done <- r.raw()
			}
			start = i + 1
		}
		s.commitGroup(group[start:])
	}
}

// wdb is the writer connection as seen by the transactions: statements
// check the caller's ctx before they start but are never interrupted once
// running (an interrupt would roll back the whole group).
type wdb struct {
	c *sqlstore.StmtCache
	// pool answers a query whose ctx has ended: database/sql checks the
	// ctx before taking a connection, so it only reports ctx.Err().
	pool *sql.DB
}

func (w wdb) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return w.c.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (w wdb) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return w.c.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (w wdb) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if ctx.Err() != nil {
		return w.pool.QueryRowContext(ctx, query, args...) // Scan reports ctx.Err()
	}
	return w.c.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// commitGroup runs the requests of one group in one transaction.
func (s *Store) commitGroup(group []*request) {
	live := group[:0:0]
	for _, r := range group {
		if !r.state.CompareAndSwap(queued, started) {
			continue // the caller gave up; nobody waits
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ctx := context.Background()
	exec := func(q string) error {
		_, err := s.wcache.ExecContext(ctx, q)
		return err
	}
	failAll := func(err error) {
		_ = exec("ROLLBACK")
		for _, r := range live {
			r.done <- err
		}
	}
	if err := exec("BEGIN IMMEDIATE"); err != nil {
		failAll(fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	db := wdb{c: s.wcache, pool: s.rdb}
	alone := len(live) == 1
	for _, r := range live {
		if !alone {
			if err := exec("SAVEPOINT g"); err != nil {
				failAll(fmt.Errorf("sqlite: savepoint: %w", err))
				return
			}
		}
		r.err = s.run(r, db)
		switch {
		case alone && r.err != nil:
			_ = exec("ROLLBACK")
			r.done <- r.err
			return
		case alone:
		case r.err != nil:
			if err := errors.Join(exec("ROLLBACK TO g"), exec("RELEASE g")); err != nil {
				// The transaction is gone (SQLite rolled it back): nothing
				// of the group was kept.
				failAll(fmt.Errorf("sqlite: transaction aborted: %w (after: %w)", err, r.err))
				return
			}
		default:
			if err := exec("RELEASE g"); err != nil {
				failAll(fmt.Errorf("sqlite: release savepoint: %w", err))
				return
			}
		}
	}
	if err := exec("COMMIT"); err != nil {
		failAll(fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	for _, r := range live {
		if r.err == nil {
			for _, n := range r.notes {
				s.bus.publish(n.topic, n.payload)
			}
		}
		r.done <- r.err
	}
}

// run calls r.fn, turning a panic into an error carried to the caller.
func (s *Store) run(r *request, db wdb) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	q := sqlstore.NewTx(dialect, db, func(ctx context.Context, topic, payload string) error {
		r.notes = append(r.notes, note{topic, payload})
		return nil
	})
	return r.fn(q)
}
