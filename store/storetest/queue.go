package storetest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func testExecutionClaim(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	now := t0.Add(time.Hour)
	lease := now.Add(time.Minute)

	// Inserted in an order unlike the claim order: (run_at, id).
	late := e.executions(a.ID, h.ID, t0.Add(30*time.Minute), 2)
	early := e.executions(a.ID, h.ID, t0, 3)
	e.executions(a.ID, h.ID, now.Add(time.Second), 2) // not due
	done := e.newExecution(a.ID, h.ID, t0)
	done.Status = hook.StatusSuccess
	started := e.newExecution(a.ID, h.ID, t0.Add(-time.Hour))
	started.ExecutedAt = ptr(t0.Add(-time.Hour)) // a retry keeps its first executed_at
	started.Attempts = 2
	e.must(e.s.ExecutionInsert(e.ctx, done, started))

	xs, err := e.s.ExecutionClaim(e.ctx, "node-1", now, lease, 4)
	e.must(err)
	e.equal("first batch", ids(xs, execID), []string{started.ID, early[0].ID, early[1].ID, early[2].ID})
	token := xs[0].LeaseToken
	for _, x := range xs {
		if x.Status != hook.StatusRunning || x.LockedBy != "node-1" || x.LeaseToken == "" || x.LeaseToken != token ||
			x.LockedUntil == nil || !x.LockedUntil.Equal(lease) {
			e.t.Fatalf("claimed execution %+v: want running, locked by node-1 until %v with a lease token", x, lease)
		}
		got, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.must(err)
		e.equal("claimed row", got, x)
	}
	e.equal("attempts", xs[0].Attempts, 3)
	e.equal("kept executed_at", xs[0].ExecutedAt, started.ExecutedAt)
	e.equal("attempts", xs[1].Attempts, 1)
	e.equal("executed_at", xs[1].ExecutedAt, &now)
	e.equal("context comes back", xs[1].Context, early[0].Context)

	xs, err = e.s.ExecutionClaim(e.ctx, "node-2", now, lease, 4)
	e.must(err)
	e.equal("second batch", ids(xs, execID), []string{late[0].ID, late[1].ID})
	if xs[0].LeaseToken == token {
		e.t.Fatal("second claim reused the lease token")
	}
	xs, err = e.s.ExecutionClaim(e.ctx, "node-2", now, lease, 4)
	e.must(err)
	e.equal("nothing due", len(xs), 0)
	xs, err = e.s.ExecutionClaim(e.ctx, "node-2", now.Add(time.Second), lease, 0)
	e.must(err)
	e.equal("limit 0", len(xs), 0)
	xs, err = e.s.ExecutionClaim(e.ctx, "node-2", now.Add(time.Second), lease, 10)
	e.must(err)
	e.equal("due later", len(xs), 2)
}

// testExecutionClaimConcurrent runs 500 executions through 4 concurrent
// claimers: each is claimed exactly once.
func testExecutionClaimConcurrent(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	const total, workers = 500, 4
	e.executions(a.ID, h.ID, t0, total)
	now := t0.Add(time.Hour)

	var (
		mu      sync.Mutex
		claimed = map[string]string{}
		wg      sync.WaitGroup
	)
	for w := range workers {
		node := fmt.Sprintf("node-%d", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				batch, err := e.s.ExecutionClaim(e.ctx, node, now, now.Add(time.Minute), 16)
				if err != nil {
					e.t.Error(err)
					return
				}
				if len(batch) == 0 {
					return
				}
				for _, x := range batch {
					mu.Lock()
					if prev, dup := claimed[x.ID]; dup {
						e.t.Errorf("%s claimed by %s and %s", x.ID, prev, node)
					}
					claimed[x.ID] = node
					mu.Unlock()
					x.Status, x.FinishedAt = hook.StatusSuccess, ptr(now)
					if err := e.save(x); err != nil {
						e.t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if e.t.Failed() {
		return
	}
	e.equal("claimed", len(claimed), total)
	done, err := e.s.ExecutionList(e.ctx, store.ExecutionFilter{Status: hook.StatusSuccess, Page: store.Page{Limit: 500}})
	e.must(err)
	e.equal("done", len(done), total)
	for _, x := range done {
		if x.Attempts != 1 {
			e.t.Fatalf("%s: attempts %d, want 1", x.ID, x.Attempts)
		}
	}
}

func testExecutionSave(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	e.executions(a.ID, h.ID, t0, 1)
	now := t0.Add(time.Hour)
	xs, err := e.s.ExecutionClaim(e.ctx, "node-1", now, now.Add(time.Minute), 1)
	e.must(err)
	x := xs[0]

	// A progress save keeps the lease.
	x.Cursor, x.ActionsExecuted, x.HookVersion = 1, 1, 2 // the version it ran
	x.Results = []hook.ActionResult{{Index: 0, Name: "a", Type: "send_webhook", Status: "success", Attempts: 1}}
	e.must(e.save(x))
	got, err := e.s.ExecutionGet(e.ctx, x.ID)
	e.must(err)
	e.equal("progress", got, x)

	stale := *x
	stale.LeaseToken = "not-the-token"
	e.isErr(e.save(&stale), store.ErrLeaseLost)
	stale.LeaseToken = ""
	e.isErr(e.save(&stale), store.ErrLeaseLost)

	// A retry: back to pending, lease released.
	x.Status, x.RunAt, x.ErrorMessage = hook.StatusPending, now.Add(time.Minute), "503"
	x.Results[0].Status = "retrying"
	e.must(e.save(x))
	got, err = e.s.ExecutionGet(e.ctx, x.ID)
	e.must(err)
	e.equal("released on pending", []any{got.LockedBy, got.LockedUntil, x.LockedBy, x.LockedUntil},
		[]any{"", (*time.Time)(nil), "", (*time.Time)(nil)})
	e.equal("retry", got, x)

	// Claimed again: the old token is worthless.
	xs, err = e.s.ExecutionClaim(e.ctx, "node-2", now.Add(time.Minute), now.Add(2*time.Minute), 1)
	e.must(err)
	e.equal("reclaimed", ids(xs, execID), []string{x.ID})
	e.isErr(e.save(x), store.ErrLeaseLost)
	x = xs[0]
	e.equal("attempts", x.Attempts, 2)

	// The final save writes every mutable field and releases the lease.
	x.Status, x.ActionsExecuted, x.DurationMS, x.ErrorMessage = hook.StatusSuccess, 2, 42, ""
	x.FinishedAt, x.Exhausted, x.ConditionResult, x.ConditionError = ptr(now.Add(90*time.Second)), true, ptr(true), "none"
	x.Cursor = 2
	x.Results = append(x.Results, hook.ActionResult{Index: 1, Name: "b", Type: "create_record", Status: "success",
		Output: map[string]any{"id": "r1"}, StartedAt: ptr(now), DurationMS: 3})
	e.must(e.save(x))
	got, err = e.s.ExecutionGet(e.ctx, x.ID)
	e.must(err)
	e.equal("final", got, x)
	if got.LockedBy != "" || got.LockedUntil != nil {
		e.t.Fatalf("final save kept the lease: %q until %v", got.LockedBy, got.LockedUntil)
	}
	e.isErr(e.save(&hook.Execution{ID: "ex_missing", LeaseToken: "t"}), store.ErrLeaseLost)
}

func testExecutionExtendRescue(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	e.executions(a.ID, h.ID, t0, 4)
	now := t0.Add(time.Hour)
	mine, err := e.s.ExecutionClaim(e.ctx, "node-1", now, now.Add(time.Minute), 2)
	e.must(err)
	theirs, err := e.s.ExecutionClaim(e.ctx, "node-2", now, now.Add(time.Minute), 2)
	e.must(err)

	// node-1 extends its own leases (and cannot extend node-2's).
	e.must(e.s.ExecutionExtend(e.ctx, "node-1", append(ids(mine, execID), theirs[0].ID), now.Add(10*time.Minute)))
	e.must(e.s.ExecutionExtend(e.ctx, "node-1", nil, now))
	for _, x := range mine {
		got, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.must(err)
		e.equal("extended", got.LockedUntil, ptr(now.Add(10*time.Minute)))
	}
	got, err := e.s.ExecutionGet(e.ctx, theirs[0].ID)
	e.must(err)
	e.equal("not extended", got.LockedUntil, ptr(now.Add(time.Minute)))

	// node-2 dies: its leases end and are rescued; node-1's are not.
	n, err := e.s.ExecutionRescue(e.ctx, now.Add(time.Minute), "") // not before the lease ends
	e.must(err)
	e.equal("nothing expired yet", n, 0)
	later := now.Add(2 * time.Minute)
	n, err = e.s.ExecutionRescue(e.ctx, later, "node-2") // a node does not rescue its own
	e.must(err)
	e.equal("own leases kept", n, 0)
	n, err = e.s.ExecutionRescue(e.ctx, later, "node-1")
	e.must(err)
	e.equal("rescued", n, 2)
	for _, x := range theirs {
		got, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.must(err)
		if got.Status != hook.StatusPending || !got.RunAt.Equal(now.Add(time.Minute)) || got.LockedBy != "" || got.LockedUntil != nil {
			e.t.Fatalf("rescued execution: %+v", got)
		}
		e.isErr(e.save(x), store.ErrLeaseLost)
	}
	for _, x := range mine {
		e.must(e.save(x))
	}
	xs, err := e.s.ExecutionClaim(e.ctx, "node-1", later, later.Add(time.Minute), 10)
	e.must(err)
	e.equal("rescued are claimable", ids(xs, execID), ids(theirs, execID))
	e.equal("attempts count the lost run", xs[0].Attempts, 2)

	// Taking back everything at start (a far-future now) leaves the rows due
	// at once, not in that future.
	n, err = e.s.ExecutionRescue(e.ctx, later.Add(100*365*24*time.Hour), "")
	e.must(err)
	e.equal("taken back", n, 4)
	next, ok, err := e.s.ExecutionNextRunAt(e.ctx)
	e.must(err)
	if !ok || next.After(later.Add(10*time.Minute)) {
		e.t.Fatalf("next run after taking everything back: %v %v", next, ok)
	}
	xs, err = e.s.ExecutionClaim(e.ctx, "node-3", now.Add(10*time.Minute), now.Add(20*time.Minute), 10)
	e.must(err)
	e.equal("all claimable again", len(xs), 4)
}

// released checks that xs, as their holder claimed them, are pending again,
// due at at, leased to nobody, and that their holder can no longer save them.
func (e *env) released(what string, xs []*hook.Execution, at time.Time) {
	e.t.Helper()
	for _, x := range xs {
		got, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.must(err)
		if got.Status != hook.StatusPending || !got.RunAt.Equal(at) || got.LockedBy != "" || got.LockedUntil != nil {
			e.t.Fatalf("%s: %+v", what, got)
		}
		_, err = e.s.ExecutionSave(e.ctx, x, nil)
		e.isErr(err, store.ErrLeaseLost)
	}
}

// A node that starts again under the same id takes back what it held.
func testExecutionReleaseNode(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	e.executions(a.ID, h.ID, t0, 3)
	now := t0.Add(time.Hour)
	mine, err := e.s.ExecutionClaim(e.ctx, "node-1", now, now.Add(time.Hour), 2)
	e.must(err)
	theirs, err := e.s.ExecutionClaim(e.ctx, "node-2", now, now.Add(time.Hour), 1)
	e.must(err)
	restart := now.Add(time.Second) // long before the leases end
	n, err := e.s.ExecutionReleaseNode(e.ctx, "node-1", restart)
	e.must(err)
	e.equal("released", n, 2)
	e.released("released execution", mine, restart) // the old process cannot save any more
	got, err := e.s.ExecutionGet(e.ctx, theirs[0].ID)
	e.must(err)
	e.equal("another node's lease stays", got.LockedBy, "node-2")
	xs, err := e.s.ExecutionClaim(e.ctx, "node-1", restart, restart.Add(time.Minute), 10)
	e.must(err)
	e.equal("released are claimable at once", ids(xs, execID), ids(mine, execID))
	n, err = e.s.ExecutionReleaseNode(e.ctx, "node-3", restart)
	e.must(err)
	e.equal("a node without leases", n, 0)
}

// A node whose liveness ran out is taken over whole, once: its executions
// go back to pending although their leases have not ended; a live node's
// stay, even with a lease that ended (its heartbeat is late), and so do
// those of a node that never said it was alive.
func testExecutionRescueDead(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	e.executions(a.ID, h.ID, t0, 5)
	now := t0.Add(time.Hour)
	claim := func(node string, n int, until time.Time) []*hook.Execution {
		xs, err := e.s.ExecutionClaim(e.ctx, node, now, until, n)
		e.must(err)
		e.equal("claimed by "+node, len(xs), n)
		return xs
	}
	gone := claim("rd-gone", 2, now.Add(time.Hour)) // leases far from their end
	live := claim("rd-live", 1, now.Add(time.Second))
	silent := claim("rd-silent", 1, now.Add(time.Second))
	e.must(e.s.NodeAlive(e.ctx, "rd-gone", now, now.Add(5*time.Second)))
	e.must(e.s.NodeAlive(e.ctx, "rd-live", now, now.Add(5*time.Second)))
	e.must(e.s.NodeAlive(e.ctx, "rd-self", now, now.Add(5*time.Second)))

	nodes, n, err := e.s.ExecutionRescueDead(e.ctx, now.Add(4*time.Second), "rd-self")
	e.must(err)
	e.equal("nobody dead yet", len(nodes)+n, 0)

	later := now.Add(6 * time.Second) // rd-live renewed, rd-gone did not
	e.must(e.s.NodeAlive(e.ctx, "rd-live", later.Add(-time.Second), later.Add(4*time.Second)))
	nodes, n, err = e.s.ExecutionRescueDead(e.ctx, later, "rd-self")
	e.must(err)
	e.equal("taken over", nodes, []string{"rd-gone"})
	e.equal("executions rescued", n, 2)
	e.released("execution of the dead node", gone, later) // were it alive after all, it cannot save
	for _, x := range append(live, silent...) {
		got, err := e.s.ExecutionGet(e.ctx, x.ID)
		e.must(err)
		e.equal("lease of a live or silent node stays", got.LockedBy, x.LockedBy)
	}
	nodes, n, err = e.s.ExecutionRescueDead(e.ctx, later.Add(time.Second), "rd-self")
	e.must(err)
	e.equal("taken over once", len(nodes)+n, 0)
	// rd-self's own liveness ran out too, but a node does not take itself over.
	nodes, _, err = e.s.ExecutionRescueDead(e.ctx, later.Add(time.Minute), "rd-self")
	e.must(err)
	e.equal("the others, not itself", nodes, []string{"rd-live"})
	// A node that comes back says so again and is alive.
	e.must(e.s.NodeAlive(e.ctx, "rd-gone", later.Add(time.Minute), later.Add(2*time.Minute)))
	nodes, _, err = e.s.ExecutionRescueDead(e.ctx, later.Add(time.Minute+time.Second), "rd-self")
	e.must(err)
	e.equal("back alive", len(nodes), 0)
}

// testExecutionClaimTakesTurns: a claim takes the accounts in turn, so one
// account's older backlog does not shut another's executions out.
func testExecutionClaimTakesTurns(e *env) {
	a, b := e.account(""), e.account("")
	ha, hb := e.hook(a.ID), e.hook(b.ID)
	backlog := e.executions(a.ID, ha.ID, t0, 20)
	newer := e.executions(b.ID, hb.ID, t0.Add(time.Minute), 2)
	now := t0.Add(time.Hour)
	xs, err := e.s.ExecutionClaim(e.ctx, "n1", now, now.Add(time.Minute), 4)
	e.must(err)
	got := ids(xs, execID)
	// b's oldest is taken although 20 of a's are older.
	want := []string{backlog[0].ID, backlog[1].ID, backlog[2].ID, newer[0].ID}
	e.equal("each account's oldest, then the oldest of the rest", got, want)
	xs, err = e.s.ExecutionClaim(e.ctx, "n1", now, now.Add(time.Minute), 2)
	e.must(err)
	e.equal("the next claim: a's next and b's next", ids(xs, execID), []string{backlog[3].ID, newer[1].ID})
	c := e.account("")
	hc := e.hook(c.ID)
	cs := e.executions(c.ID, hc.ID, t0.Add(2*time.Minute), 2)
	xs, err = e.s.ExecutionClaim(e.ctx, "n1", now, now.Add(time.Minute), 5, a.ID, b.ID)
	e.must(err)
	e.equal("a and b skipped", ids(xs, execID), ids(cs, execID))
	if _, err := e.s.ExecutionClaim(e.ctx, "n1", now, now.Add(time.Minute), 5, "x' OR '1'='1"); err == nil {
		e.t.Fatal("a skip that is not an account id was taken")
	}
}

// testNodeList: the nodes that keep their liveness, and those that only
// hold running executions, each with how many it runs.
func testNodeList(e *env) {
	a := e.account("")
	h := e.hook(a.ID)
	e.executions(a.ID, h.ID, t0, 4)
	now := t0.Add(time.Hour)
	for node, n := range map[string]int{"nl-b": 2, "nl-old": 1} {
		xs, err := e.s.ExecutionClaim(e.ctx, node, now, now.Add(time.Minute), n)
		e.must(err)
		e.equal("claimed by "+node, len(xs), n)
	}
	e.must(e.s.NodeAlive(e.ctx, "nl-b", now, now.Add(5*time.Second)))
	e.must(e.s.NodeAlive(e.ctx, "nl-a", now.Add(-time.Minute), now.Add(-time.Minute+5*time.Second)))
	got, err := e.s.NodeList(e.ctx)
	e.must(err)
	var mine []store.NodeInfo
	for _, n := range got {
		if strings.HasPrefix(n.ID, "nl-") {
			mine = append(mine, n)
		}
	}
	e.equal("nodes", mine, []store.NodeInfo{
		{ID: "nl-a", SeenAt: ptr(now.Add(-time.Minute)), AliveUntil: ptr(now.Add(-time.Minute + 5*time.Second))},
		{ID: "nl-b", SeenAt: ptr(now), AliveUntil: ptr(now.Add(5 * time.Second)), Running: 2},
		{ID: "nl-old", Running: 1}, // keeps no liveness here
	})
}
