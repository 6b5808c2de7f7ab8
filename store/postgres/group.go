package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/store/sqlstore"
)

// grouper commits the writes of concurrent callers together: the
// transactions that only write (accepting an event: the event, its
// executions, a record) and the final saves of executions. While one group
// is under way the next ones gather; a group goes as one pipelined batch
// (BEGIN, every caller's statements, COMMIT): one round trip and one WAL
// flush for all of them, where each would otherwise wait for its own. When
// unit's statement fails, that unit fails and the others are sent again,
// so that one caller's failure (a conflict, say) is not its neighbours'.
type grouper struct {
	pool *pgxpool.Pool
	reqs chan *unit
	wg   sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

// A unit is one caller's statements, committed together or not at all.
type unit struct {
	stmts []later
	done  chan error
}

// groupers is how many groups may be under way at once; groupMax bounds
// the units of one.
const (
	groupers = 2
	groupMax = 64
)

func newGrouper(pool *pgxpool.Pool) *grouper {
	g := &grouper{pool: pool, reqs: make(chan *unit, 1024)}
	for range groupers {
		g.wg.Add(1)
		go g.run()
	}
	return g
}

// close lets the groups under way finish and stops.
func (g *grouper) close() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.reqs)
	}
	g.mu.Unlock()
	g.wg.Wait()
}

// commit sends stmts in a group and waits for the outcome. Once sent, a
// unit is not interrupted: ctx only bounds the wait for a place in the
// queue.
func (g *grouper) commit(ctx context.Context, stmts []later) error {
	u := &unit{stmts: stmts, done: make(chan error, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return errClosed
	}
	select {
	case g.reqs <- u:
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	g.mu.RUnlock()
	return <-u.done
}

// Group implements sqlstore.Grouper.
func (g *grouper) Group(ctx context.Context, query string, args []any, read func(sqlstore.Rows) error) error {
	return g.commit(ctx, []later{{query: query, args: args, read: read, fail: func(err error) error { return err }}})
}

func (g *grouper) run() {
	defer g.wg.Done()
	for u := range g.reqs {
		units := []*unit{u}
	more:
		for len(units) < groupMax {
			select {
			case u, ok := <-g.reqs:
				if !ok {
					break more
				}
				units = append(units, u)
			default:
				break more
			}
		}
		g.send(units)
	}
}

// send commits units as one transaction. When a unit's statement fails
// (the server rejected it, so nothing of the group is stored), that unit
// gets the error and the others are sent again, as a group; a deadlock or
// serialization failure is tried again, with the unit. Any other failure
// (the connection broke, COMMIT failed: the outcome may be unknown) is every
// unit's.
func (g *grouper) send(units []*unit) {
	for attempt := 1; len(units) > 0; attempt++ {
		failed, err := g.try(units)
		if err == nil || failed < 0 {
			for _, u := range units {
				u.done <- err
			}
			return
		}
		if retryable(err) && attempt < 5 {
			continue
		}
		units[failed].done <- err
		units = append(units[:failed:failed], units[failed+1:]...)
	}
}

// try sends units in one batch: BEGIN, their statements, COMMIT (a unit of
// one statement alone needs neither). failed is the index of the unit
// whose statement failed, -1 when the failure is not one unit's.
func (g *grouper) try(units []*unit) (failed int, err error) {
	failed = -1
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := g.pool.Acquire(ctx)
	if err != nil {
		return -1, err
	}
	defer conn.Release() // closed if left inside a transaction
	wrap := len(units) > 1 || len(units[0].stmts) > 1
	var b pgx.Batch
	if wrap {
		b.Queue("BEGIN")
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
