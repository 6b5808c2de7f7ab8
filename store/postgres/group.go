package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/store/sqlstore"
)

// grouper commits the writes of concurrent callers together: the
// transactions that only write (accepting an event: the event, its
// executions, a record) and the final saves of executions. A caller sends
// its unit itself when fewer than max groups are under way (no hand-over,
// no wait); otherwise it queues, and the first group to finish sends all
// that queued meanwhile as the next group, up to groupMax units. A group
// goes as one pipelined batch (BEGIN, every unit's statements, COMMIT): one
// round trip and one WAL flush for all of them, where each would otherwise
// wait for its own. When a unit's statement fails, that unit fails and the
// others are sent again, so that one caller's failure (a conflict, say) is
// not its neighbours'.
type grouper struct {
	pool *pgxpool.Pool
	max  int // groups under way at most

	mu      sync.Mutex
	queue   []*unit
	running int // groups under way (each holds wg)
	closed  bool
	wg      sync.WaitGroup
}

// A unit is one caller's statements, committed together or not at all,
// and the advisory locks (sqlstore.AdvisoryLockSQL's keys) they run under.
type unit struct {
	stmts []later
	locks []string
	done  chan error
}

// groupMax bounds the units of one group.
const groupMax = 64

func newGrouper(pool *pgxpool.Pool, max int) *grouper {
	return &grouper{pool: pool, max: max}
}

// close refuses new units and waits for those queued to be sent.
func (g *grouper) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}

// commit sends stmts, under locks, in a group and waits for the outcome.
// Once queued, a unit is not interrupted: ctx is only checked before.
func (g *grouper) commit(ctx context.Context, locks []string, stmts []later) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	u := &unit{stmts: stmts, locks: locks, done: make(chan error, 1)}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return errClosed
	}
	g.queue = append(g.queue, u)
	var units []*unit
	if g.running < g.max {
		g.running++
		g.wg.Add(1)
		units = g.take()
	}
	g.mu.Unlock()
	if units != nil {
		g.send(units)
		g.next()
	}
	return <-u.done
}

// take removes the next group's units from the queue (g.mu held).
func (g *grouper) take() []*unit {
	n := min(len(g.queue), groupMax)
	units := slices.Clone(g.queue[:n])
	g.queue = slices.Delete(g.queue, 0, n)
	return units
}

// next follows a group: what queued meanwhile is sent (by a goroutine, so
// that the caller who sent the group has its answer now), or the group's
// place is given up.
func (g *grouper) next() {
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.running--
		g.mu.Unlock()
		g.wg.Done()
		return
	}
	units := g.take()
	g.mu.Unlock()
	go func() {
		g.send(units)
		g.next()
	}()
}

// Group implements sqlstore.Grouper.
func (g *grouper) Group(ctx context.Context, lock, query string, args []any, read func(sqlstore.Rows) error) error {
	var locks []string
	if lock != "" {
		locks = []string{lock}
	}
	return g.commit(ctx, locks, []later{{query: query, args: args, read: read, fail: func(err error) error { return err }}})
}

// locks are the advisory locks units run under (see lockOrder).
func locks(units []*unit) []string {
	var ks []string
	for _, u := range units {
		ks = append(ks, u.locks...)
	}
	return lockOrder(ks)
}

// lockOrder is the order a transaction takes advisory locks in: each once,
// sorted (ks is sorted in place). Transactions that take theirs in one
// order never wait for each other's.
func lockOrder(ks []string) []string {
	slices.Sort(ks)
	return slices.Compact(ks)
}

// send commits units as one transaction. A deadlock or serialization
// failure (the server aborted the group: nothing of it is stored) is tried
// again, a few times. When a unit's statement fails otherwise, that unit
// gets the error and the others are sent again, as a group. Any other
// failure (the connection broke, COMMIT failed: the outcome may be
// unknown) is every unit's.
func (g *grouper) send(units []*unit) {
	for attempt := 1; len(units) > 0; attempt++ {
		failed, err := g.try(units)
		if err != nil && retryable(err) && attempt < 5 {
			continue
		}
		if err == nil || failed < 0 {
			for _, u := range units {
				u.done <- err
			}
			return
		}
		units[failed].done <- err
		units = append(units[:failed:failed], units[failed+1:]...)
	}
}

// try sends units in one batch: BEGIN, their locks, their statements,
// COMMIT (a unit of one statement and no lock alone needs neither). failed
// is the index of the unit whose statement failed, -1 when the failure is
// not one unit's.
func (g *grouper) try(units []*unit) (failed int, err error) {
	failed = -1
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := g.pool.Acquire(ctx)
	if err != nil {
		return -1, err
	}
	defer conn.Release() // closed if left inside a transaction
	keys := locks(units)
	wrap := len(units) > 1 || len(units[0].stmts) > 1 || len(keys) > 0
	var b pgx.Batch
	if wrap {
		b.Queue("BEGIN")
	}
	for _, k := range keys {
		b.Queue(sqlstore.AdvisoryLockSQL, k)
	}
	for _, u := range units {
		for _, st := range u.stmts {
			b.Queue(st.query, st.args...)
		}
	}
	if wrap {
		b.Queue("COMMIT")
	}
	br := conn.SendBatch(ctx, &b)
	err = func() error {
		if wrap {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("postgres: begin: %w", err)
			}
		}
		for range keys {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("postgres: advisory lock: %w", err)
			}
		}
		for i, u := range units {
			for _, st := range u.stmts {
				if err := st.run(br); err != nil {
					var pe *pgconn.PgError
					if errors.As(err, &pe) {
						failed = i
					}
					return err
				}
			}
		}
		if wrap {
			tag, err := br.Exec()
			if err != nil {
				return fmt.Errorf("postgres: commit: %w", err)
			}
			if tag.String() == "ROLLBACK" {
				return errCommitRollback
			}
		}
		return nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil && wrap && !conn.Conn().IsClosed() && conn.Conn().PgConn().TxStatus() != 'I' {
		_, _ = conn.Exec(ctx, "ROLLBACK")
	}
	return failed, err
}

// run reads the result of st from br: its rows when it has a reader.
func (st later) run(br pgx.BatchResults) error {
	if st.read == nil {
		_, err := br.Exec()
		if err != nil {
			return st.fail(err)
		}
		return nil
	}
	r, err := br.Query()
	if err != nil {
		return st.fail(err)
	}
	err = st.read(rows{r, nil})
	r.Close()
	if err == nil {
		err = r.Err()
	}
	if err != nil {
		return st.fail(err)
	}
	return nil
}

var _ sqlstore.Grouper = (*grouper)(nil)

// errClosed: the store is closed.
var errClosed = errors.New("postgres: store closed")
