package cdc

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/hook"
)

// emitter runs a session's emitter on a fake Emit that waits for its
// batch's gate (a batch is numbered by its first change's Seq) before it
// commits, and records the order of the commits.
type emitter struct {
	s       *session
	quit    chan struct{}
	started chan int
	gates   [4]chan struct{}
	fail    map[int]bool

	mu        sync.Mutex
	committed []int
}

func newEmitter(t *testing.T, overlap int) *emitter {
	e := &emitter{quit: make(chan struct{}), started: make(chan int, 8), fail: map[int]bool{}}
	for i := range e.gates {
		e.gates[i] = make(chan struct{})
	}
	emit := func(ctx context.Context, _ *hook.Source, changes []Change, turn Turn) error {
		n := changes[0].Seq
		if err := turn.BeforeBegan(); err != nil {
			return err
		}
		turn.Began()
		e.started <- n
		<-e.gates[n]
		if e.fail[n] {
			return errors.New("the store failed")
		}
		if err := turn.Prior(); err != nil {
			return err
		}
		e.mu.Lock()
		e.committed = append(e.committed, n)
		e.mu.Unlock()
		return nil
	}
	f := &follower{m: New(Config{Emit: emit, Overlap: overlap}), src: &hook.Source{ID: "src_test"}}
	e.s = &session{f: f, work: make(chan batch, 1), results: make(chan result, overlap)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.s.emit(context.Background(), e.quit)
	}()
	t.Cleanup(func() {
		close(e.s.work)
		close(e.quit)
		for _, g := range e.gates {
			select {
			case <-g:
			default:
				close(g)
			}
		}
		<-done
	})
	return e
}

func (e *emitter) hand(n int) { e.s.work <- batch{changes: []Change{{Seq: n}}} }

// wait returns the next value of ch, failing the test if none comes
// within a minute (a hang, not a timing assertion).
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// The next batch is written while the one before still commits, and the
// batches commit and are reported in order even when the later one is
// ready first.
func TestEmitOverlapsInOrder(t *testing.T) {
	e := newEmitter(t, 2)
	e.hand(0)
	e.hand(1)
	got := []int{wait(t, e.started, "start of a batch"), wait(t, e.started, "start of the second batch while the first commits")}
	slices.Sort(got)
	if !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("started %v", got)
	}
	close(e.gates[1]) // the later batch is ready first: it must wait
	close(e.gates[0])
	for want := range 2 {
		r := wait(t, e.s.results, "report")
		if r.err != nil || r.changes[0].Seq != want {
			t.Fatalf("report %d: batch %d, %v", want, r.changes[0].Seq, r.err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Equal(e.committed, []int{0, 1}) {
		t.Fatalf("committed in the order %v", e.committed)
	}
}

// A batch whose predecessor failed does not commit, and fails too.
func TestEmitFailureStopsLaterBatches(t *testing.T) {
	e := newEmitter(t, 2)
	e.fail[0] = true
	e.hand(0)
	e.hand(1)
	wait(t, e.started, "start of a batch")
	wait(t, e.started, "start of the second batch")
	close(e.gates[1])
	close(e.gates[0])
	for i := range 2 {
		if r := wait(t, e.s.results, "report"); r.err == nil || r.changes[0].Seq != i {
			t.Fatalf("report %d: batch %d, err %v", i, r.changes[0].Seq, r.err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.committed) > 0 {
		t.Fatalf("committed %v after the batch before failed", e.committed)
	}
}
