package hookline

import (
	"context"
	"sync"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// runTally counts the runs of hooks that finished on this node until they
// are added to the hooks' run_count (flushRuns): one write per hook and
// second rather than one per execution, so a busy hook's row is not a point
// of contention on the execution path.
type runTally struct {
	mu sync.Mutex
	m  map[string]store.HookRuns
}

func newRunTally() *runTally { return &runTally{m: map[string]store.HookRuns{}} }

// add counts one run of hookID that ran at at.
func (t *runTally) add(hookID string, at time.Time) {
	t.mu.Lock()
	r := t.m[hookID]
	r.HookID, r.Runs = hookID, r.Runs+1
	if at.After(r.Last) {
		r.Last = at
	}
	t.m[hookID] = r
	t.mu.Unlock()
}

// take empties the tally.
func (t *runTally) take() []store.HookRuns {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]store.HookRuns, 0, len(t.m))
	for _, r := range t.m {
		out = append(out, r)
	}
	clear(t.m)
	return out
}

// putBack returns runs that could not be written, to be tried again.
func (t *runTally) putBack(runs []store.HookRuns) {
	for _, r := range runs {
		t.mu.Lock()
		cur := t.m[r.HookID]
		cur.HookID, cur.Runs = r.HookID, cur.Runs+r.Runs
		if r.Last.After(cur.Last) {
			cur.Last = r.Last
		}
		t.m[r.HookID] = cur
		t.mu.Unlock()
	}
}

// countRun counts a run of a hook: an execution that reached a final
// status through the runner (whatever started it).
func (e *Engine) countRun(x *hook.Execution) {
	at := e.now()
	if x.ExecutedAt != nil {
		at = *x.ExecutedAt
	}
	e.runs.add(x.HookID, at)
}

// RunCountInterval is how often the runs counted on a node are added to
// their hooks' run_count and last_run_at.
const RunCountInterval = time.Second

// flushRuns writes the counted runs; on failure they are kept for the next try.
func (e *Engine) flushRuns(ctx context.Context) {
	runs := e.runs.take()
	if len(runs) == 0 {
		return
	}
	err := e.st.Tx(ctx, func(q store.Querier) error { return q.HookAddRuns(ctx, runs) })
	if err != nil {
		e.runs.putBack(runs)
		if ctx.Err() == nil {
			e.log.Warn("count hook runs", "err", err)
		}
	}
}

// runCountLoop flushes the run counts every RunCountInterval until ctx
// ends, and once more then.
func (e *Engine) runCountLoop(ctx context.Context) {
	defer e.bg.Done()
	t := time.NewTicker(RunCountInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			e.flushRuns(context.WithoutCancel(ctx))
			return
		case <-t.C:
			e.flushRuns(ctx)
		}
	}
}
