// Package queue is hookline's durable execution queue. Executions are rows in
// the engine's own tables (inserted in the same transaction as their event).
// An execution due now that finds a worker idle is preclaimed: inserted
// already leased to this node and handed to the worker when its transaction
// commits. Everything else is claimed: due rows in batches under a lease,
// handed to a fixed pool of workers. The queue keeps the leases of running
// work alive, rescues rows whose node died, and wakes on in-process and
// cross-node notifications with a polling fallback.
package queue

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// Handler runs one claimed execution and saves its outcome. It must return
// only when the execution is saved (final, or pending again for a retry).
// When the final save releases executions that waited for x (SPEC §10), it
// may take one over with the lease handoff makes (nil when the queue is
// stopping) and return it: the worker runs it next.
type Handler func(ctx context.Context, x *hook.Execution, handoff func() *store.Lease) *hook.Execution

// Config configures a Queue. All fields are required.
type Config struct {
	Store    store.Store
	Node     string
	Workers  int
	Batch    int
	Lease    time.Duration
	Poll     time.Duration
	Rescue   time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
	Handler  Handler
	OnClaim  func(n int) // optional metrics hook
	OnRescue func(n int) // optional metrics hook
	// Skip, when set, lists the accounts whose executions a claim should
	// not take now (they hold their share of the workers), and room, how
	// many executions a claim may take without another account passing
	// its share (0: no bound). While only skipped accounts' executions are
	// due, the claimer waits for Wake: call it when such an account gives
	// a worker back.
	Skip func() (skip []string, room int)
	// OrderHold bounds how long an execution pending for a retry holds the
	// executions waiting for it (SPEC §10); 0: until it is final.
	OrderHold time.Duration
}

// Queue claims and runs executions. Start it once; Stop drains it.
type Queue struct {
	cfg  Config
	wake chan struct{}
	work chan *hook.Execution
	// free holds a token per execution this node may take on now. There
	// are two per worker: an execution may wait for a worker (its lease
	// kept alive by the heartbeat), so a claim in flight, which holds
	// tokens until the database answers, never leaves Preclaim without.
	free chan struct{}

	mu       sync.Mutex
	inflight map[string]struct{}
	running  bool // Start is done and Stop has not begun: Preclaim may reserve
	held     int  // workers reserved by Preclaim, not yet dispatched or released
	settled  *sync.Cond

	stop     context.CancelFunc // stops claiming, rescue and heartbeats
	runCtx   context.Context    // canceled only when the drain times out
	runAbort context.CancelFunc
	claimWG  sync.WaitGroup
	workWG   sync.WaitGroup
}

// New builds a Queue.
func New(cfg Config) *Queue {
	q := &Queue{
		cfg:      cfg,
		wake:     make(chan struct{}, 1),
		work:     make(chan *hook.Execution, 2*cfg.Workers),
		free:     make(chan struct{}, 2*cfg.Workers),
		inflight: make(map[string]struct{}),
	}
	q.settled = sync.NewCond(&q.mu)
	return q
}

// Preclaim is the fast path for an execution due now, used while its row
// is being inserted: if a worker is idle it is reserved, and x is leased to
// this node (status running, lease, token, attempt 1) so the row goes in
// already claimed and no claim transaction is needed. Once the inserting
// transaction is over the caller must call Dispatch (committed) or Release
// (rolled back) exactly once. It reports false, changing nothing, when no
// worker is idle or the queue is not running; x is then inserted pending
// and claimed as usual.
func (q *Queue) Preclaim(x *hook.Execution, token string) bool {
	q.mu.Lock()
	if !q.running {
		q.mu.Unlock()
		return false
	}
	select {
	case <-q.free:
	default:
		q.mu.Unlock()
		return false
	}
	q.held++
	q.mu.Unlock()
	now := q.cfg.Now()
	until := now.Add(q.cfg.Lease)
	x.Status = hook.StatusRunning
	x.LockedBy, x.LockedUntil, x.LeaseToken = q.cfg.Node, &until, token
	x.Attempts++
	if x.ExecutedAt == nil {
		x.ExecutedAt = &now
	}
	return true
}

// Dispatch hands a preclaimed execution, now committed, to its reserved worker.
func (q *Queue) Dispatch(x *hook.Execution) {
	if q.cfg.OnClaim != nil {
		q.cfg.OnClaim(1)
	}
	q.mu.Lock()
	q.inflight[x.ID] = struct{}{}
	q.mu.Unlock()
	q.work <- x // never blocks: the reserved worker's slot is free
	q.mu.Lock()
	q.unhold()
	q.mu.Unlock()
}

// Release gives back the worker of a preclaimed execution whose transaction
// did not commit.
func (q *Queue) Release() {
	q.free <- struct{}{}
	q.mu.Lock()
	q.unhold()
	q.mu.Unlock()
}

func (q *Queue) unhold() {
	q.held--
	if q.held == 0 && !q.running {
		q.settled.Broadcast()
	}
}

// Wake makes the claimer look for due work now. It never blocks.
func (q *Queue) Wake() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Start launches the claimer, the workers, the heartbeat and the rescuer.
func (q *Queue) Start(ctx context.Context) error {
	ctx, q.stop = context.WithCancel(ctx)
	q.runCtx, q.runAbort = context.WithCancel(context.WithoutCancel(ctx))
	for i := 0; i < q.cfg.Workers; i++ {
		q.free <- struct{}{}
		q.free <- struct{}{}
		q.workWG.Add(1)
		go q.worker()
	}
	if err := q.cfg.Store.Listen(ctx, []string{store.TopicExecutions}, func(string, string) { q.Wake() }); err != nil {
		q.stop()
		return err
	}
	// On a shared database the node says it is alive before it claims
	// anything: its liveness, renewed by the heartbeat, is what tells the
	// other nodes to leave its work alone (see rescueLoop).
	if q.cfg.Store.Shared() {
		q.beat(ctx)
	}
	q.mu.Lock()
	q.running = true
	q.mu.Unlock()
	q.claimWG.Add(3)
	go q.claimLoop(ctx)
	go q.heartbeatLoop(ctx)
	go q.rescueLoop(ctx)
	return nil
}

// Stop stops claiming and waits for running executions to finish until ctx
// ends; then it cancels them (their leases lapse and another node or the next
// start rescues them).
func (q *Queue) Stop(ctx context.Context) error {
	if q.stop == nil {
		return nil
	}
	q.stop()
	q.claimWG.Wait()
	q.mu.Lock()
	q.running = false
	for q.held > 0 { // a preclaim's transaction is still deciding
		q.settled.Wait()
	}
	q.mu.Unlock()
	close(q.work)
	done := make(chan struct{})
	go func() { q.workWG.Wait(); close(done) }()
	select {
	case <-done:
		q.runAbort()
		return nil
	case <-ctx.Done():
		q.runAbort()
		<-done
		return ctx.Err()
	}
}

func (q *Queue) worker() {
	defer q.workWG.Done()
	for x := range q.work {
		for x != nil {
			next := q.cfg.Handler(q.runCtx, x, q.handoff)
			q.mu.Lock()
			delete(q.inflight, x.ID)
			if next != nil {
				q.inflight[next.ID] = struct{}{}
			}
			q.mu.Unlock()
			if next != nil && q.cfg.OnClaim != nil {
				q.cfg.OnClaim(1)
			}
			x = next
		}
		q.free <- struct{}{}
	}
}

// handoff is the lease under which a worker takes over an execution its
// last one released; none once the queue is stopping.
func (q *Queue) handoff() *store.Lease {
	q.mu.Lock()
	running := q.running
	q.mu.Unlock()
	if !running {
		return nil
	}
	now := q.cfg.Now()
	return &store.Lease{Node: q.cfg.Node, Now: now, Until: now.Add(q.cfg.Lease)}
}

func (q *Queue) claimLoop(ctx context.Context) {
	defer q.claimWG.Done()
	timer := time.NewTimer(0) // look at once on start
	defer timer.Stop()
	busy := false // the last claim got all it asked for: more is likely due
	for {
		if !busy {
			// Sleep until woken, the next run_at, or the poll interval.
			// Workers are taken only once there is something to claim, so
			// idle ones stay free for Preclaim meanwhile.
			polled := false
			select {
			case <-q.wake:
			case <-timer.C:
				polled = true
			case <-ctx.Done():
				return
			}
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
			if polled {
				// A poll with nothing due takes no worker: an idle
				// node keeps them free for Preclaim.
				next, ok, err := q.cfg.Store.ExecutionNextRunAt(ctx)
				if err == nil && (!ok || next.After(q.cfg.Now())) {
					wait := q.cfg.Poll
					if ok {
						wait = max(min(wait, next.Sub(q.cfg.Now())), time.Millisecond)
					}
					timer.Reset(wait)
					continue
				}
			}
		}
		// Take every idle worker's token: that many executions may be claimed.
		n := 0
		select {
		case <-q.free:
			n = 1
		case <-ctx.Done():
			return
		}
	more:
		for n < min(q.cfg.Batch, q.cfg.Workers) {
			select {
			case <-q.free:
				n++
			default:
				break more
			}
		}
		if busy && n < q.cfg.Workers/4 {
			// Under load workers free up one at a time; gathering a few
			// more for a moment turns many one-row claims into one.
			gather := time.NewTimer(time.Millisecond)
		wait:
			for n < q.cfg.Workers/4 {
				select {
				case <-q.free:
					n++
				case <-gather.C:
					break wait
				case <-ctx.Done():
					break wait
				}
			}
			gather.Stop()
		}
		var skip []string
		if q.cfg.Skip != nil {
			var room int
			skip, room = q.cfg.Skip()
			// No more than fit in the accounts' shares: one claimed past
			// its account's share would be put back as it starts (a save,
			// then a claim again).
			for ; room > 0 && n > room; n-- {
				q.free <- struct{}{}
			}
		}
		got := q.claim(ctx, n, skip)
		for i := got; i < n; i++ {
			q.free <- struct{}{}
		}
		busy = got == n && got > 0
		if busy {
			continue // there may be more: claim again as workers free up
		}
		wait := q.cfg.Poll
		if next, ok, err := q.cfg.Store.ExecutionNextRunAt(ctx); err == nil && ok {
			d := next.Sub(q.cfg.Now())
			switch {
			case d <= 0 && got == 0 && len(skip) > 0:
				// What is due belongs to accounts holding their share:
				// looking again every millisecond would find the same.
				// The account that gives a worker back wakes the claimer
				// (Config.Skip); new work does too.
			case d < wait:
				wait = max(d, time.Millisecond)
			}
		}
		if got > 0 {
			wait = 0 // claimed something: look again right away
		}
		timer.Reset(wait)
	}
}

// claim claims up to n executions, none of the accounts in skip, and hands
// them to the workers. It reports how many it got.
func (q *Queue) claim(ctx context.Context, n int, skip []string) int {
	now := q.cfg.Now()
	xs, err := q.cfg.Store.ExecutionClaim(ctx, q.cfg.Node, now, now.Add(q.cfg.Lease), n, skip...)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			q.cfg.Logger.Error("claim executions", "err", err)
			select { // back off a little on database errors
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
		}
		return 0
	}
	if len(xs) > 0 && q.cfg.OnClaim != nil {
		q.cfg.OnClaim(len(xs))
	}
	q.mu.Lock()
	for _, x := range xs {
		q.inflight[x.ID] = struct{}{}
	}
	q.mu.Unlock()
	for _, x := range xs {
		q.work <- x
	}
	return len(xs)
}

// beat renews this node's liveness for a lease from now.
func (q *Queue) beat(ctx context.Context) {
	now := q.cfg.Now()
	if err := q.cfg.Store.NodeAlive(ctx, q.cfg.Node, now, now.Add(q.cfg.Lease)); err != nil && ctx.Err() == nil {
		q.cfg.Logger.Error("node heartbeat", "err", err)
	}
}

// heartbeatLoop renews the node's liveness (on a shared database) and
// extends the leases of running executions every third of a lease.
func (q *Queue) heartbeatLoop(ctx context.Context) {
	defer q.claimWG.Done()
	t := time.NewTicker(q.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if q.cfg.Store.Shared() {
			q.beat(ctx)
		}
		q.mu.Lock()
		ids := make([]string, 0, len(q.inflight))
		for id := range q.inflight {
			ids = append(ids, id)
		}
		q.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		if err := q.cfg.Store.ExecutionExtend(ctx, q.cfg.Node, ids, q.cfg.Now().Add(q.cfg.Lease)); err != nil && ctx.Err() == nil {
			q.cfg.Logger.Error("extend leases", "err", err)
		}
	}
}

// staleEvery is how often waits no save will end are looked for.
const staleEvery = 10 * time.Second

// rescueLoop returns executions whose node stopped heart-beating to pending
// (not this node's own: while it runs, a lease of its that ended means its
// heartbeat is late, not that it is gone), and now and then frees stale
// waits.
//
// On a shared database a node that stopped renewing its liveness for a
// lease is taken over whole (ExecutionRescueDead), which reads only the
// nodes table while every node is alive. Reading the executions' expired
// leases instead (ExecutionRescue) cost PostgreSQL a heap visit for every
// execution final-saved since the last pass (the lease index keeps their
// dead entries until a vacuum): 5-50 ms a second at 1,000 events/s, long
// enough to hold up the commit groups. That full pass runs once, when the
// node starts, for the leases of nodes that never recorded their liveness
// (an earlier version's, during a rolling upgrade). An expired lease of a
// node that is alive is left to it: its heartbeat was late, or it gave the
// execution up and its restart releases it (ExecutionReleaseNode).
func (q *Queue) rescueLoop(ctx context.Context) {
	defer q.claimWG.Done()
	t := time.NewTicker(q.cfg.Rescue)
	defer t.Stop()
	var staleAt time.Time
	shared, swept := q.cfg.Store.Shared(), false
	for {
		var n int
		var err error
		if shared && swept {
			var nodes []string
			if nodes, n, err = q.cfg.Store.ExecutionRescueDead(ctx, q.cfg.Now(), q.cfg.Node); len(nodes) > 0 {
				q.cfg.Logger.Warn("took over nodes whose heartbeat stopped", "nodes", nodes, "executions", n)
			}
		} else {
			if n, err = q.cfg.Store.ExecutionRescue(ctx, q.cfg.Now(), q.cfg.Node); n > 0 {
				q.cfg.Logger.Warn("rescued executions whose lease ended", "count", n)
			}
			swept = err == nil
		}
		if err != nil && ctx.Err() == nil {
			q.cfg.Logger.Error("rescue executions", "err", err)
		}
		if n > 0 {
			if q.cfg.OnRescue != nil {
				q.cfg.OnRescue(n)
			}
			q.Wake()
		}
		if now := time.Now(); now.Sub(staleAt) >= staleEvery {
			staleAt = now
			q.releaseStale(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// releaseStale frees executions whose wait no save will end: on one that is
// final or gone, or on one retrying longer than the ordering hold.
func (q *Queue) releaseStale(ctx context.Context) {
	heldSince := time.Time{} // no hold limit: only the final and the gone
	hold := "∞"
	if q.cfg.OrderHold > 0 {
		heldSince, hold = q.cfg.Now().Add(-q.cfg.OrderHold), q.cfg.OrderHold.String()
	}
	n, err := q.cfg.Store.ExecutionReleaseStale(ctx, heldSince, hold)
	if err != nil && ctx.Err() == nil {
		q.cfg.Logger.Error("release stale ordering waits", "err", err)
	}
	if n > 0 {
		q.cfg.Logger.Warn("released executions from ordering waits that no save would end", "count", n)
		q.Wake()
	}
}
