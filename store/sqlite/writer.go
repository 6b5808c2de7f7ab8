package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

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
	q     *sqlstore.Q // the request's transaction Querier, once fn has run
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
	if r.q != nil { // fn ran: its AfterTx callbacks learn the outcome here, off the writer
		r.q.EndTx(err == nil)
	}
	if p, ok := err.(panicked); ok {
		panic(p.v)
	}
	return err
}

func (s *Store) tx(ctx context.Context, fn func(q *sqlstore.Q) error) error {
	err := sqlstore.Unavailable(unavailable, s.send(ctx, &request{fn: fn}))
	s.health.Note(err)
	return err
}

// do runs raw on the writer goroutine outside any transaction.
func (s *Store) do(ctx context.Context, raw func() error) error {
	return s.send(ctx, &request{raw: raw})
}

// writer is the one goroutine that writes. It takes the first waiting
// request and every other one already queued, and commits them together.
//
// Under load it also waits a moment for more (PostgreSQL's commit_delay):
// right after a commit, the callers it answered are only beginning their
// next requests, and a group taken at once would hold few of them. When
// the last group held several requests, the writer waits up to GroupWait
// until as many are queued again; with one caller at a time it never
// waits.
//
// And requests that arrive while a group's statements run join that group
// before its COMMIT, rather than wait a whole commit for the next one.
func (s *Store) writer() {
	defer close(s.writerOut)
	group := make([]*request, 0, s.opts.MaxGroup)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	last := 0 // size of the last group
	for {
		// Let the callers answered last time queue their next request
		// before the group is taken: bigger groups, fewer commits. A yield,
		// not a wait: with nobody runnable it returns at once.
		var r *request
		if s.carry != nil { // a maintenance request met while a group was open
			r, s.carry = s.carry, nil
		} else {
			runtime.Gosched()
			var ok bool
			if r, ok = <-s.reqs; !ok {
				return
			}
		}
		group = append(group[:0], r)
		closed := s.fill(&group, s.opts.MaxGroup)
		if want := min(last, s.opts.MaxGroup); !closed && s.opts.GroupWait > 0 && want > 1 && len(group) < want {
			wait.Reset(s.opts.GroupWait)
		gather:
			for len(group) < want {
				select {
				case r, ok := <-s.reqs:
					if !ok {
						break gather
					}
					group = append(group, r)
				case <-wait.C:
					break gather
				}
			}
			if !wait.Stop() {
				select {
				case <-wait.C:
				default:
				}
			}
		}
		last = len(group)
		// Maintenance requests run alone, in queue order.
		start := 0
		for i, r := range group {
			if r.raw == nil {
				continue
			}
			s.commitGroup(group[start:i], false)
			if r.state.CompareAndSwap(queued, started) {
				r.done <- r.raw()
			}
			start = i + 1
		}
		s.commitGroup(group[start:], true)
	}
}

// lateJoiner takes a transaction request queued meanwhile, or nil. A
// maintenance request it meets is kept for the writer's next round.
func (s *Store) lateJoiner() *request {
	if s.carry != nil {
		return nil
	}
	select {
	case r, ok := <-s.reqs:
		if !ok {
			return nil
		}
		if r.raw != nil {
			s.carry = r
			return nil
		}
		return r
	default:
		return nil
	}
}

// fill moves requests already queued into group, up to max. It reports
// whether the queue is closed.
func (s *Store) fill(group *[]*request, max int) (closed bool) {
	for len(*group) < max {
		select {
		case r, ok := <-s.reqs:
			if !ok {
				return true
			}
			*group = append(*group, r)
		default:
			return false
		}
	}
	return false
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

func (w wdb) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return w.c.Exec(context.WithoutCancel(ctx), query, args...)
}

func (w wdb) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return w.c.Query(context.WithoutCancel(ctx), query, args...)
}

func (w wdb) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if ctx.Err() != nil {
		return w.pool.QueryRowContext(ctx, query, args...) // Scan reports ctx.Err()
	}
	return w.c.QueryRow(context.WithoutCancel(ctx), query, args...)
}

// commitGroup runs the requests of one group in one transaction. It runs
// them side by side first; only if one fails are they run again, each in
// its own savepoint, so the failing one does not take its neighbours down.
// (Failures are rare, and a savepoint per request costs two statements.)
// With late set, requests queued while the group runs join it.
func (s *Store) commitGroup(group []*request, late bool) {
	live := group[:0:0]
	for _, r := range group {
		if r.start() {
			live = append(live, r)
		}
	}
	if len(live) == 0 && !late {
		return
	}
	if len(live) == 0 { // all gave up; someone may be waiting behind them
		r := s.lateJoiner()
		for r != nil && !r.start() {
			r = s.lateJoiner()
		}
		if r == nil {
			return
		}
		live = append(live, r)
	}
	if ok, all := s.commitTogether(live, late); !ok {
		s.commitIsolated(all)
	}
}

// start moves a queued request to started; false when its caller gave up
// (it is answered here if its ctx ended).
func (r *request) start() bool {
	if !r.state.CompareAndSwap(queued, started) {
		return false // the caller gave up; nobody waits
	}
	if err := r.ctx.Err(); err != nil {
		r.done <- err
		return false
	}
	return true
}

func (s *Store) exec(q string) error {
	_, err := s.wcache.Exec(context.Background(), q)
	return err
}

// failAll rolls back and answers every request with err.
func (s *Store) failAll(live []*request, err error) {
	_ = s.exec("ROLLBACK")
	for _, r := range live {
		r.done <- err
	}
}

// commitTogether runs live in one transaction without savepoints, and
// with late set also the requests that queue up meanwhile. It reports
// false, having rolled back and answered nobody, when one of several
// requests failed; all is every request it took.
func (s *Store) commitTogether(live []*request, late bool) (ok bool, all []*request) {
	if err := s.exec("BEGIN IMMEDIATE"); err != nil {
		s.failAll(live, fmt.Errorf("sqlite: begin: %w", err))
		return true, live
	}
	db := wdb{c: s.wcache, pool: s.rdb}
	for i := 0; i < len(live); i++ {
		r := live[i]
		if r.err = s.run(r, db); r.err != nil {
			_ = s.exec("ROLLBACK")
			if len(live) == 1 {
				r.done <- r.err
				return true, live
			}
			for _, r := range live[:i+1] { // what they did is undone: forget it
				r.abandonAttempt()
			}
			return false, live
		}
		if i == len(live)-1 && late && len(live) < s.opts.MaxGroup {
			for next := s.lateJoiner(); next != nil; next = s.lateJoiner() {
				if next.start() {
					live = append(live, next)
					break
				}
			}
		}
	}
	s.commit(live)
	return true, live
}

// commitIsolated runs each request of live in its own savepoint.
func (s *Store) commitIsolated(live []*request) {
	if err := s.exec("BEGIN IMMEDIATE"); err != nil {
		s.failAll(live, fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	db := wdb{c: s.wcache, pool: s.rdb}
	for _, r := range live {
		if err := s.exec("SAVEPOINT g"); err != nil {
			s.failAll(live, fmt.Errorf("sqlite: savepoint: %w", err))
			return
		}
		if r.err = s.run(r, db); r.err != nil {
			if err := errors.Join(s.exec("ROLLBACK TO g"), s.exec("RELEASE g")); err != nil {
				// The transaction is gone (SQLite rolled it back): nothing
				// of the group was kept.
				s.failAll(live, fmt.Errorf("sqlite: transaction aborted: %w (after: %w)", err, r.err))
				return
			}
			continue
		}
		if err := s.exec("RELEASE g"); err != nil {
			s.failAll(live, fmt.Errorf("sqlite: release savepoint: %w", err))
			return
		}
	}
	s.commit(live)
}

// commit commits the open transaction and answers live.
func (s *Store) commit(live []*request) {
	if err := s.exec("COMMIT"); err != nil {
		s.failAll(live, fmt.Errorf("sqlite: commit: %w", err))
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

// abandonAttempt forgets a run of r.fn that was rolled back before r is run
// again: its AfterTx callbacks learn it did not commit.
func (r *request) abandonAttempt() {
	if r.q != nil {
		r.q.EndTx(false)
		r.q = nil
	}
	r.notes, r.err = nil, nil
}

// run calls r.fn, turning a panic into an error carried to the caller.
func (s *Store) run(r *request, db wdb) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicked{v}
		}
	}()
	r.q = sqlstore.NewTx(dialect, db, func(ctx context.Context, topic, payload string) error {
		r.notes = append(r.notes, note{topic, payload})
		return nil
	})
	return r.fn(r.q)
}
