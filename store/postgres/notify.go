package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifier sends the notifications of committed transactions. A NOTIFY
// inside a transaction makes its COMMIT take a database-wide lock (the
// notification queue's), so every notifying commit waits for the others:
// under load that serializes the hot transactions. Instead, a transaction
// only records what it wants to say; once it committed, one goroutine sends
// everything recorded meanwhile in a single statement, identical
// notifications once. The wake-ups are coalesced (while one statement is
// under way, the next ones gather) and still arrive after the commit, in
// order; a crash between the commit and the send loses a wake-up, which the
// listeners' polling fallback covers.
type notifier struct {
	s    *Store
	mu   sync.Mutex
	list []note
	seen map[note]bool
	kick chan struct{}
	done chan struct{}
	// sent counts the statements sent (for tests and metrics).
	sent atomic.Uint64
}

type note struct{ topic, payload string }

func newNotifier(s *Store) *notifier {
	n := &notifier{s: s, seen: map[note]bool{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go n.run()
	return n
}

// add records a notification of a committed transaction.
func (n *notifier) add(topic, payload string) {
	k := note{topic, payload}
	n.mu.Lock()
	if !n.seen[k] {
		n.seen[k] = true
		n.list = append(n.list, k)
	}
	n.mu.Unlock()
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// close sends what is left and stops the goroutine.
func (n *notifier) close() {
	close(n.kick)
	<-n.done
}

func (n *notifier) run() {
	defer close(n.done)
	for range n.kick {
		n.mu.Lock()
		list := n.list
		n.list, n.seen = nil, map[note]bool{}
		n.mu.Unlock()
		if len(list) > 0 {
			n.send(list)
		}
	}
}

// send issues one SELECT pg_notify(…), pg_notify(…) … for list.
func (n *notifier) send(list []note) {
	var b strings.Builder
	args := make([]any, 0, 2*len(list))
	b.WriteString("SELECT ")
	for i, x := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "pg_notify($%d, $%d)", 2*i+1, 2*i+2)
		args = append(args, n.s.channel(x.topic), x.payload)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Failing (the database is down), the notifications are dropped: the
	// listeners reconnect and look for work then.
	if _, err := n.s.pool.Exec(ctx, b.String(), args...); err == nil {
		n.sent.Add(1)
	}
}

// roundTrips counts the statements, prepares and batches sent to the
// database: each is one round trip (the extended protocol pipelines a
// statement's messages).
type roundTrips struct{ n atomic.Uint64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}

func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *roundTrips) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	r.n.Add(1)
	return ctx
}

func (r *roundTrips) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}

func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// RoundTrips is how many round trips this store made to the database so
// far (statements, prepares and batches; LISTEN connections not counted).
func (s *Store) RoundTrips() uint64 { return s.rt.n.Load() }
