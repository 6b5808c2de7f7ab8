package queue_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/queue"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/sqlite"
)

type fixture struct {
	t       *testing.T
	ctx     context.Context
	st      *sqlite.Store
	acc     string
	n       int
	mu      sync.Mutex
	ran     map[string]int // execution id -> times the handler got it
	order   []string       // execution ids in the order handlers got them
	poll    time.Duration  // the claimer's poll interval (default 50ms)
	release chan struct{}  // when set, handlers wait for it
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	acc := &hook.Account{ID: "acc_q", Name: "q", CreatedAt: now, UpdatedAt: now}
	if err := st.AccountInsert(ctx, acc); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, st: st, acc: acc.ID, ran: map[string]int{}}
}

func (f *fixture) queue(node string, workers int, lease time.Duration) *queue.Queue {
	poll := f.poll
	if poll == 0 {
		poll = 50 * time.Millisecond
	}
	return queue.New(queue.Config{
		Store: f.st, Node: node, Workers: workers, Batch: 8, Lease: lease,
		Poll: poll, Rescue: 50 * time.Millisecond, Now: time.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handler: func(ctx context.Context, x *hook.Execution, handoff func() *store.Lease) *hook.Execution {
			if f.release != nil {
				<-f.release
			}
			f.mu.Lock()
			f.ran[x.ID]++
			f.order = append(f.order, x.ID)
			f.mu.Unlock()
			x.Status = hook.StatusSuccess
			now := time.Now()
			x.FinishedAt = &now
			next, err := f.st.ExecutionSave(context.WithoutCancel(ctx), x, handoff())
			if err != nil && !errors.Is(err, store.ErrLeaseLost) {
				f.t.Errorf("save %s: %v", x.ID, err)
			}
			return next
		},
	})
}

func (f *fixture) newExecution() *hook.Execution {
	f.n++
	now := time.Now()
	return &hook.Execution{
		ID: fmt.Sprintf("exe_%04d", f.n), AccountID: f.acc, HookID: "hk_q", TriggerType: hook.TriggerEvent,
		Status: hook.StatusPending, Context: map[string]any{}, Results: []hook.ActionResult{},
		RunAt: now, CreatedAt: now,
	}
}

// insert inserts x in a transaction that preclaims it on q, the way Emit
// does, and fails the transaction when fail is set. It reports whether x
// was preclaimed.
func (f *fixture) insert(q *queue.Queue, x *hook.Execution, fail bool) (preclaimed bool) {
	err := f.st.Tx(f.ctx, func(tx store.Querier) error {
		preclaimed = q.Preclaim(x, "tok_"+x.ID)
		if err := tx.ExecutionInsert(f.ctx, x); err != nil {
			return err
		}
		if preclaimed {
			tx.AfterTx(func(committed bool) {
				if committed {
					q.Dispatch(x)
				} else {
					q.Release()
				}
			})
		}
		if fail {
			return errors.New("rolled back on purpose")
		}
		return nil
	})
	if (err != nil) != fail {
		f.t.Fatalf("insert %s: %v", x.ID, err)
	}
	return preclaimed
}

func (f *fixture) status(id string) string {
	x, err := f.st.ExecutionGet(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return x.Status
}

func (f *fixture) waitStatus(id, want string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.status(id) != want {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: status %s, want %s", id, f.status(id), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPreclaimOnlyWhileRunning(t *testing.T) {
	f := newFixture(t)
	q := f.queue("n1", 2, time.Minute)
	x := f.newExecution()
	if q.Preclaim(x, "tok") {
		t.Fatal("Preclaim before Start reserved a worker")
	}
	if x.Status != hook.StatusPending || x.LeaseToken != "" || x.Attempts != 0 {
		t.Fatalf("a refused Preclaim changed the execution: %+v", x)
	}
	if err := q.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Stop(f.ctx); err != nil {
		t.Fatal(err)
	}
	if q.Preclaim(f.newExecution(), "tok") {
		t.Fatal("Preclaim after Stop reserved a worker")
	}
}

// A preclaimed execution is inserted already running under this node's
// lease, is never claimed again, and runs once its transaction commits.
func TestPreclaimedRunsOnceAfterCommit(t *testing.T) {
	f := newFixture(t)
	q := f.queue("n1", 4, time.Minute)
	if err := q.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(f.ctx)
	var xs []*hook.Execution
	for range 20 {
		x := f.newExecution()
		if !f.insert(q, x, false) {
			// All workers reserved or busy: it went in pending and the
			// claimer takes it, as any other.
			if err := f.st.Notify(f.ctx, store.TopicExecutions, ""); err != nil {
				t.Fatal(err)
			}
		}
		xs = append(xs, x)
	}
	for _, x := range xs {
		f.waitStatus(x.ID, hook.StatusSuccess)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, x := range xs {
		if f.ran[x.ID] != 1 {
			t.Errorf("%s ran %d times, want once", x.ID, f.ran[x.ID])
		}
	}
}

// A rolled-back preclaim gives its worker back, and nothing runs.
func TestPreclaimRolledBackReleasesWorker(t *testing.T) {
	f := newFixture(t)
	f.release = make(chan struct{})
	// The claimer holds slots while it claims: here it looks only when
	// told to, so that the slots are the preclaims' to take.
	f.poll = time.Hour
	q := f.queue("n1", 1, time.Minute) // two slots: one worker, one waiting
	if err := q.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 { // each rollback must hand its slot back, or the next would find none
		if !f.insert(q, f.newExecution(), true) {
			t.Fatal("no slot free after a rolled-back preclaim")
		}
	}
	a, b := f.newExecution(), f.newExecution()
	if !f.insert(q, a, false) || !f.insert(q, b, false) {
		t.Fatal("two slots per worker expected")
	}
	c := f.newExecution()
	if f.insert(q, c, false) {
		t.Fatal("a third preclaim with one worker busy and one execution waiting")
	}
	if got := f.status(c.ID); got != hook.StatusPending {
		t.Fatalf("not preclaimed: status %s, want pending", got)
	}
	close(f.release)
	if err := f.st.Notify(f.ctx, store.TopicExecutions, ""); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*hook.Execution{a, b, c} { // c through the claimer
		f.waitStatus(x.ID, hook.StatusSuccess)
	}
	if err := q.Stop(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ran) != 3 {
		t.Fatalf("ran %v, want only the three committed executions", f.ran)
	}
}

// Stop waits for a preclaim whose transaction is still open, then runs it.
func TestStopWaitsForOpenPreclaim(t *testing.T) {
	f := newFixture(t)
	q := f.queue("n1", 2, time.Minute)
	if err := q.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	x := f.newExecution()
	if !q.Preclaim(x, "tok") {
		t.Fatal("no worker")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- q.Stop(f.ctx) }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a preclaim was undecided", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := f.st.ExecutionInsert(f.ctx, x); err != nil {
		t.Fatal(err)
	}
	q.Dispatch(x)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if got := f.status(x.ID); got != hook.StatusSuccess {
		t.Fatalf("status %s after Stop drained, want success", got)
	}
}

// A node that dies between commit and Dispatch leaves the row running
// under its lease; once the lease ends another node rescues and runs it.
func TestPreclaimedRescuedAfterCrash(t *testing.T) {
	f := newFixture(t)
	dead := f.queue("dead", 2, 300*time.Millisecond)
	if err := dead.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	x := f.newExecution()
	if !dead.Preclaim(x, "tok") {
		t.Fatal("no worker")
	}
	if err := f.st.ExecutionInsert(f.ctx, x); err != nil {
		t.Fatal(err)
	}
	if got := f.status(x.ID); got != hook.StatusRunning {
		t.Fatalf("preclaimed row inserted as %s, want running", got)
	}
	// "dead" dies before Dispatch: all it knew is gone.
	dead.Release()
	if err := dead.Stop(f.ctx); err != nil {
		t.Fatal(err)
	}
	alive := f.queue("alive", 2, time.Minute)
	if err := alive.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	defer alive.Stop(f.ctx)
	f.waitStatus(x.ID, hook.StatusSuccess)
	got, err := f.st.ExecutionGet(f.ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempts != 2 {
		t.Fatalf("attempts %d, want 2 (the lost preclaim, then the rescue)", got.Attempts)
	}
}

// The executions of one event's chain run one after another on many
// workers: each waits for the one before it (the worker that finishes one
// takes the next over from its save).
func TestChainRunsInOrderByHandOver(t *testing.T) {
	f := newFixture(t)
	q := f.queue("n1", 8, time.Minute)
	if err := q.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(f.ctx)
	const chains, length = 10, 5
	var all [][]*hook.Execution
	for range chains {
		var chain []*hook.Execution
		for i := range length {
			x := f.newExecution()
			if i > 0 { // as the planner chains an event's executions
				x.AfterExec, chain[i-1].Chained = chain[i-1].ID, true
			}
			chain = append(chain, x)
		}
		if err := f.st.ExecutionInsert(f.ctx, chain...); err != nil {
			t.Fatal(err)
		}
		all = append(all, chain)
	}
	if err := f.st.Notify(f.ctx, store.TopicExecutions, ""); err != nil {
		t.Fatal(err)
	}
	for _, chain := range all {
		f.waitStatus(chain[length-1].ID, hook.StatusSuccess)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	pos := map[string]int{}
	for i, id := range f.order {
		pos[id] = i
	}
	for _, chain := range all {
		for i, x := range chain {
			if f.ran[x.ID] != 1 {
				t.Errorf("%s ran %d times, want once", x.ID, f.ran[x.ID])
			}
			if i > 0 && pos[x.ID] < pos[chain[i-1].ID] {
				t.Errorf("%s (position %d) ran before %s", x.ID, i, chain[i-1].ID)
			}
		}
	}
}

// claimCounter is the store, counting the claims made on it.
type claimCounter struct {
	store.Store
	claims atomic.Int64
}

func (c *claimCounter) ExecutionClaim(ctx context.Context, node string, now, until time.Time, limit int, skip ...string) ([]*hook.Execution, error) {
	c.claims.Add(1)
	return c.Store.ExecutionClaim(ctx, node, now, until, limit, skip...)
}

// While the only due executions belong to an account that holds its share
// of the workers (Skip), the claimer waits for Wake instead of claiming
// again every millisecond; woken once the account may run more, it claims
// them at once, well before its poll.
func TestClaimerWaitsForWakeWhileDueWorkIsSkipped(t *testing.T) {
	f := newFixture(t)
	counted := &claimCounter{Store: f.st}
	var capped atomic.Bool
	capped.Store(true)
	ran := make(chan string, 1)
	q := queue.New(queue.Config{
		Store: counted, Node: "n1", Workers: 4, Batch: 8, Lease: time.Minute,
		Poll: time.Hour, Rescue: time.Hour, Now: time.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Skip: func() ([]string, int) {
			if capped.Load() {
				return []string{f.acc}, 0
			}
			return nil, 0
		},
		Handler: func(ctx context.Context, x *hook.Execution, handoff func() *store.Lease) *hook.Execution {
			x.Status = hook.StatusSuccess
			now := time.Now()
			x.FinishedAt = &now
			if _, err := f.st.ExecutionSave(context.WithoutCancel(ctx), x, nil); err != nil {
				t.Errorf("save %s: %v", x.ID, err)
			}
			ran <- x.ID
			return nil
		},
	})
	if err := q.Start(f.ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Stop(f.ctx)
	x := f.newExecution()
	if err := f.st.ExecutionInsert(f.ctx, x); err != nil {
		t.Fatal(err)
	}
	q.Wake()
	time.Sleep(300 * time.Millisecond)
	if n := counted.claims.Load(); n > 3 {
		t.Fatalf("%d claims in 300ms while only a capped account's execution was due, want a few", n)
	}
	select {
	case id := <-ran:
		t.Fatalf("%s ran while its account was capped", id)
	default:
	}
	capped.Store(false)
	q.Wake()
	select {
	case id := <-ran:
		if id != x.ID {
			t.Fatalf("ran %s, want %s", id, x.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the execution did not run within 5s of the wake (the poll is an hour)")
	}
}
