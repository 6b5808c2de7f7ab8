package storetest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// get reads an execution back.
func (e *env) get(id string) *hook.Execution {
	e.t.Helper()
	x, err := e.s.ExecutionGet(e.ctx, id)
	e.must(err)
	return x
}

// claim claims up to n executions due at now for node.
func (e *env) claim(node string, now time.Time, n int) []*hook.Execution {
	e.t.Helper()
	xs, err := e.s.ExecutionClaim(e.ctx, node, now, now.Add(time.Minute), n)
	e.must(err)
	return xs
}

func (e *env) finish(x *hook.Execution, now time.Time, lease *store.Lease) *hook.Execution {
	e.t.Helper()
	x.Status, x.FinishedAt = hook.StatusSuccess, ptr(now)
	next, err := e.s.ExecutionSave(e.ctx, x, lease)
	e.must(err)
	return next
}

// chain makes after wait for before as the planner of an event does: the
// one before knows that it is waited for (hook.Execution.Chained).
func chain(before, after *hook.Execution) {
	after.AfterExec, before.Chained = before.ID, true
}

// testOrderingChain: the executions of one event wait for the one before
// them; a final save releases the next and hands it over.
func testOrderingChain(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	now := t0.Add(time.Hour)
	x1, x2, x3 := e.newExecution(a.ID, h.ID, t0), e.newExecution(a.ID, h.ID, t0), e.newExecution(a.ID, h.ID, t0)
	chain(x1, x2)
	chain(x2, x3)
	e.must(e.s.ExecutionInsert(e.ctx, x1, x2, x3))
	e.equal("waiting_for as read", []string{e.get(x1.ID).WaitingFor, e.get(x2.ID).WaitingFor, e.get(x3.ID).WaitingFor},
		[]string{"", x1.ID, x2.ID})

	e.equal("only the head is claimable", ids(e.claim("n1", now, 10), execID), []string{x1.ID})
	e.equal("nothing more", len(e.claim("n1", now, 10)), 0)
	if _, ok, err := e.s.ExecutionNextRunAt(e.ctx); err != nil || ok {
		e.t.Fatalf("next run with only waiting executions pending: ok=%v err=%v", ok, err)
	}

	x1 = e.get(x1.ID)
	lease := &store.Lease{Node: "n2", Now: now, Until: now.Add(time.Minute)}
	next := e.finish(x1, now, lease)
	if next == nil || next.ID != x2.ID {
		e.t.Fatalf("final save handed over %v, want %s", next, x2.ID)
	}
	if next.Status != hook.StatusRunning || next.LockedBy != "n2" || next.LeaseToken == "" || next.Attempts != 1 ||
		next.WaitingFor != "" || next.ExecutedAt == nil || !next.ExecutedAt.Equal(now) {
		e.t.Fatalf("handed over execution: %+v", next)
	}
	e.equal("handed over as stored", e.get(x2.ID), next)
	e.equal("x3 still waits", e.get(x3.ID).WaitingFor, x2.ID)

	// A retry holds the chain.
	x2 = next
	x2.Status, x2.RunAt = hook.StatusPending, now.Add(time.Minute)
	got, err := e.s.ExecutionSave(e.ctx, x2, lease)
	e.must(err)
	e.equal("a retry hands nothing over", got, (*hook.Execution)(nil))
	later := now.Add(2 * time.Minute)
	e.equal("the retry is claimed, not its successor", ids(e.claim("n1", later, 10), execID), []string{x2.ID})

	// Final without a lease: the successor becomes claimable.
	x2 = e.get(x2.ID)
	e.equal("no lease, no hand-over", e.finish(x2, later, nil), (*hook.Execution)(nil))
	e.equal("x3 released", e.get(x3.ID).WaitingFor, "")
	e.equal("x3 claimable", ids(e.claim("n1", later, 10), execID), []string{x3.ID})

	// A successor not yet due is released but not handed over.
	y1, y2 := e.newExecution(a.ID, h.ID, t0), e.newExecution(a.ID, h.ID, later.Add(time.Hour))
	chain(y1, y2)
	e.must(e.s.ExecutionInsert(e.ctx, y1, y2))
	y1 = e.claim("n1", later, 10)[0]
	e.equal("not due: not handed over", e.finish(y1, later, &store.Lease{Node: "n1", Now: later, Until: later.Add(time.Minute)}), (*hook.Execution)(nil))
	e.equal("released", e.get(y2.ID).WaitingFor, "")
	e.equal("claimable when due", ids(e.claim("n1", later.Add(time.Hour), 10), execID), []string{y2.ID})
}

// testOrderingKey: an execution inserted with an ordering key goes in
// behind the key's unfinished tail and waits for it, unleased; with no
// tail it goes in as it came (leased); one behind an event predecessor and
// a key predecessor waits for both.
func testOrderingKey(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	now := t0.Add(time.Hour)
	// insert puts x in with key, leased to node n0 as a dispatcher's
	// preclaim would, and says where it went.
	insert := func(x *hook.Execution, key string) string {
		e.t.Helper()
		x.OrderingKey = key
		planned := *x
		until := now.Add(time.Minute)
		x.Status, x.LockedBy, x.LockedUntil, x.LeaseToken, x.Attempts, x.ExecutedAt = hook.StatusRunning, "n0", &until, "tok-"+x.ID, 1, &now
		calls, tail := 0, "?"
		e.must(e.s.Tx(e.ctx, func(q store.Querier) error {
			return q.ExecutionInsertKeyed(e.ctx, x, &planned, func(t string) { calls, tail = calls+1, t })
		}))
		if calls == 0 {
			e.t.Fatalf("%s: placed was never called", x.ID)
		}
		return tail
	}
	if err := e.s.ExecutionInsertKeyed(e.ctx, e.newExecution(a.ID, h.ID, t0), e.newExecution(a.ID, h.ID, t0), func(string) {}); err == nil {
		e.t.Fatal("ExecutionInsertKeyed outside a transaction did not fail")
	}
	a1 := e.newExecution(a.ID, h.ID, t0)
	e.equal("no tail yet", insert(a1, "k1"), "")
	got := e.get(a1.ID)
	e.equal("without a tail it goes in leased", []any{got.Status, got.LockedBy, got.LeaseToken, got.WaitingFor}, []any{hook.StatusRunning, "n0", "tok-" + a1.ID, ""})
	a2, b1 := e.newExecution(a.ID, h.ID, t0), e.newExecution(a.ID, h.ID, t0)
	e.equal("behind the tail", insert(a2, "k1"), a1.ID)
	e.equal("other key", insert(b1, "k2"), "")
	got = e.get(a2.ID)
	e.equal("behind a tail it goes in waiting, unleased", []any{got.Status, got.LockedBy, got.LeaseToken, got.Attempts, got.ExecutedAt == nil},
		[]any{hook.StatusPending, "", "", 0, true})
	e.equal("ordering key as read", got.OrderingKey, "k1")
	e.equal("waiting_for as read", got.WaitingFor, a1.ID)
	a3 := e.newExecution(a.ID, h.ID, t0)
	e.equal("the tail moves", insert(a3, "k1"), a2.ID)

	lease := &store.Lease{Node: "n1", Now: now, Until: now.Add(time.Minute)}
	e.equal("the key's others wait", len(e.claim("n1", now, 10)), 0)
	next := e.finish(e.get(a1.ID), now, lease)
	if next == nil || next.ID != a2.ID {
		e.t.Fatalf("hand-over after a1: %v", next)
	}
	next = e.finish(next, now, lease)
	if next == nil || next.ID != a3.ID {
		e.t.Fatalf("hand-over after a2: %v", next)
	}
	e.finish(next, now, nil)
	e.finish(e.get(b1.ID), now, nil)
	e.equal("no tail when all are final", insert(e.newExecution(a.ID, h.ID, t0), "k1"), "")

	// Two waits: p (the event's previous hook) and q (the key's previous run).
	p, q := e.newExecution(a.ID, h.ID, t0), e.newExecution(a.ID, h.ID, t0)
	q.OrderingKey = "k3"
	c := e.newExecution(a.ID, h.ID, t0)
	c.OrderingKey, c.AfterKey = "k3", q.ID
	chain(p, c)
	e.must(e.s.ExecutionInsert(e.ctx, p, q, c))
	e.equal("c shows its event's wait first", e.get(c.ID).WaitingFor, p.ID)
	e.equal("p and q run", ids(e.claim("n1", now, 10), execID), []string{p.ID, q.ID})
	e.equal("p done: c still waits for q", e.finish(e.get(p.ID), now, lease), (*hook.Execution)(nil))
	e.equal("now waiting for q", e.get(c.ID).WaitingFor, q.ID)
	next = e.finish(e.get(q.ID), now, lease)
	if next == nil || next.ID != c.ID {
		e.t.Fatalf("hand-over after q: %v", next)
	}
}

// testOrderingKeyConcurrent: inserters append to one key while workers run
// it, over the test's nodes when it has several; no two executions of the
// key ever run at once and none is left waiting (on PostgreSQL, across
// nodes, this needs the key lock between an insert that finds the tail and
// the save that releases it).
func testOrderingKeyConcurrent(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	now := t0.Add(time.Hour)
	const inserters, workers = 4, 3
	per := 40
	if len(e.nodes) > 1 { // races between nodes are rarer: more tries
		per = 150
	}
	var (
		mu       sync.Mutex
		running  int
		finished = map[string]bool{}
		wg       sync.WaitGroup
		inserted sync.WaitGroup
		stop     = make(chan struct{})
	)
	run := func(s store.Store, x *hook.Execution, node string) {
		lease := &store.Lease{Node: node, Now: now, Until: now.Add(time.Minute)}
		for x != nil {
			mu.Lock()
			running++
			if running > 1 {
				e.t.Errorf("%s runs while another execution of its key runs", x.ID)
			}
			running--
			finished[x.ID] = true
			mu.Unlock()
			x.Status, x.FinishedAt = hook.StatusSuccess, ptr(now)
			next, err := s.ExecutionSave(e.ctx, x, lease)
			if err != nil {
				e.t.Error(err)
				return
			}
			x = next
		}
	}
	for i := range inserters {
		inserted.Add(1)
		go func() {
			defer inserted.Done()
			for j := range per {
				x := e.newExecution(a.ID, h.ID, t0)
				x.ID = fmt.Sprintf("ex_%d_%03d_%d", time.Now().UnixNano(), j, i)
				x.OrderingKey = "k"
				// Every other one comes leased to the inserter's node, as
				// a dispatcher's preclaim: with no tail it runs there.
				node := fmt.Sprintf("ins%d", i)
				leased := j%2 == 0
				var c *hook.Execution
				var behind bool
				err := e.node(i).Tx(e.ctx, func(q store.Querier) error {
					planned := *x
					c = &planned
					if leased {
						l := *x
						until := now.Add(time.Minute)
						l.Status, l.LockedBy, l.LockedUntil, l.LeaseToken, l.Attempts = hook.StatusRunning, node, &until, "tok-"+x.ID, 1
						c = &l
					}
					return q.ExecutionInsertKeyed(e.ctx, c, &planned, func(tail string) { behind = tail != "" })
				})
				if err != nil {
					e.t.Error(err)
					return
				}
				if leased && !behind {
					run(e.node(i), c, node)
				}
			}
		}()
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := fmt.Sprintf("n%d", w)
			for {
				xs, err := e.node(w).ExecutionClaim(e.ctx, node, now, now.Add(time.Minute), 4)
				if err != nil {
					e.t.Error(err)
					return
				}
				if len(xs) > 1 {
					e.t.Errorf("claimed %d executions of one key at once", len(xs))
				}
				for _, x := range xs {
					run(e.node(w), x, node)
				}
				if len(xs) == 0 {
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
				}
			}
		}()
	}
	inserted.Wait()
	// Every inserted execution must get run: wait until all are final.
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n := len(finished)
		mu.Unlock()
		if n == inserters*per || time.Now().After(deadline) || e.t.Failed() {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if e.t.Failed() {
		return
	}
	left, err := e.s.ExecutionList(e.ctx, store.ExecutionFilter{Status: hook.StatusPending, Page: store.Page{Limit: 500}})
	e.must(err)
	if len(left) > 0 {
		e.t.Fatalf("%d executions left waiting, e.g. %s waiting for %s", len(left), left[0].ID, left[0].WaitingFor)
	}
	e.equal("finished", len(finished), inserters*per)
}

// testOrderingReleaseStale: waits no save will clear are released, and a
// retrying execution holds the ones behind it only for the hold.
func testOrderingReleaseStale(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	now := t0.Add(time.Hour)
	done := e.newExecution(a.ID, h.ID, t0)
	done.Status = hook.StatusSuccess
	behindDone := e.newExecution(a.ID, h.ID, t0)
	chain(done, behindDone)
	behindGone := e.newExecution(a.ID, h.ID, t0)
	behindGone.AfterKey = "ex_gone"
	retrying := e.newExecution(a.ID, h.ID, now.Add(time.Hour))
	retrying.ExecutedAt, retrying.Attempts = ptr(t0), 1
	behindRetrying := e.newExecution(a.ID, h.ID, t0)
	chain(retrying, behindRetrying)
	notStarted := e.newExecution(a.ID, h.ID, now.Add(time.Hour))
	chain(retrying, notStarted)
	behindNotStarted := e.newExecution(a.ID, h.ID, t0)
	behindNotStarted.AfterKey = notStarted.ID
	e.must(e.s.ExecutionInsert(e.ctx, done, behindDone, behindGone, retrying, behindRetrying, notStarted, behindNotStarted))

	n, err := e.s.ExecutionReleaseStale(e.ctx, t0.Add(-time.Second), "1h0m0s")
	e.must(err)
	e.equal("released: behind a final one and behind a missing one", n, 2)
	e.equal("claimable", ids(e.claim("n1", now, 10), execID), []string{behindDone.ID, behindGone.ID})

	n, err = e.s.ExecutionReleaseStale(e.ctx, t0.Add(time.Second), "1h0m0s")
	e.must(err)
	e.equal("released: the two behind the retrying one", n, 2)
	got := e.get(behindRetrying.ID)
	if got.WaitingFor != "" || !strings.Contains(got.Note, retrying.ID) || !strings.Contains(got.Note, "1h0m0s") {
		e.t.Fatalf("released execution: waiting_for %q, note %q", got.WaitingFor, got.Note)
	}
	e.equal("behind one that never ran: still waiting", e.get(behindNotStarted.ID).WaitingFor, notStarted.ID)
	e.equal("claimable after the hold", ids(e.claim("n1", now, 10), execID), []string{behindRetrying.ID})
}

// testSupersede: a newer debounced execution ends the older ones of its key
// that never started, and releases what waited for them.
func testSupersede(e *env) {
	a := e.account("")
	h, other := e.hook(a.ID), e.hook(a.ID)
	now := t0.Add(time.Hour)
	old := e.newExecution(a.ID, h.ID, now.Add(30*time.Second))
	old.DebounceKey = "k"
	started := e.newExecution(a.ID, h.ID, t0)
	started.DebounceKey, started.Attempts = "k", 1
	otherKey := e.newExecution(a.ID, h.ID, now.Add(30*time.Second))
	otherKey.DebounceKey = "k2"
	otherHook := e.newExecution(a.ID, other.ID, now.Add(30*time.Second))
	otherHook.DebounceKey = "k"
	behind := e.newExecution(a.ID, other.ID, t0)
	chain(old, behind)
	// A debounced execution that itself waits for the hook before it.
	first := e.newExecution(a.ID, other.ID, t0)
	waiting := e.newExecution(a.ID, h.ID, now.Add(30*time.Second))
	waiting.DebounceKey = "k"
	chain(first, waiting)
	third := e.newExecution(a.ID, other.ID, t0)
	chain(waiting, third)
	e.must(e.s.ExecutionInsert(e.ctx, old, started, otherKey, otherHook, behind, first, waiting, third))
	e.equal("as read", e.get(old.ID).DebounceKey, "k")
	if _, err := e.s.ExecutionSupersede(e.ctx, h.ID, "k", "ex_new", "n", now); err == nil {
		e.t.Fatal("ExecutionSupersede outside a transaction did not fail")
	}
	var n int
	e.must(e.s.Tx(e.ctx, func(q store.Querier) error {
		var err error
		n, err = q.ExecutionSupersede(e.ctx, h.ID, "k", "ex_new", "debounced: ex_new runs instead", now)
		return err
	}))
	e.equal("superseded", n, 2)
	e.equal("the one behind a superseded one waits for what it waited for", e.get(third.ID).WaitingFor, first.ID)
	got := e.get(old.ID)
	if got.Status != hook.StatusSkipped || got.Note != "debounced: ex_new runs instead" || got.FinishedAt == nil || !got.FinishedAt.Equal(now) {
		e.t.Fatalf("superseded execution: %+v", got)
	}
	for _, x := range []*hook.Execution{started, otherKey, otherHook} {
		e.equal("left alone: "+x.ID, e.get(x.ID).Status, hook.StatusPending)
	}
	e.equal("released behind it", e.get(behind.ID).WaitingFor, "")
}
