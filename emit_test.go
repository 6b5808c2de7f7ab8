package hookline

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/plain"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/sqlite"
)

// sqliteEngine is an engine, not started, on a new SQLite database, with
// its root account.
func sqliteEngine(t *testing.T) (*Engine, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e, err := Open(ctx, Config{Store: st, SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	root, _, _, err := e.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	return e, root
}

// A preclaimed execution never passes through the database before it runs,
// so its context must already be what a claim would read back: an event
// from Go code with ints, []string and typed maps is made plain by
// prepareEvent, and eventContext adds only plain values.
func TestPreparedEventContextIsPlain(t *testing.T) {
	ctx := context.Background()
	e, root := sqliteEngine(t)
	ev := &hook.Event{
		Type: hook.EventRecordUpdate, AccountID: root, Collection: "orders", Depth: 2,
		Data:     map[string]any{"total": 600, "tags": []string{"vip"}, "meta": map[string]int{"n": 1}},
		Previous: map[string]any{"total": int64(500)},
		Actor:    &hook.Actor{KeyID: "key_1", Role: hook.RoleAdmin, Email: "a@b.c"},
	}
	if err := e.prepareEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	acc, err := e.accts.Get(ctx, e.st, root)
	if err != nil {
		t.Fatal(err)
	}
	c := dispatch.EventContext(ev, acc)
	if !plain.Is(c) {
		t.Fatalf("context is not plain JSON values: %#v", c)
	}
	if c["data"].(map[string]any)["total"] != 600.0 || c["previous"].(map[string]any)["total"] != 500.0 {
		t.Fatalf("numbers not as JSON reads them: %#v", c)
	}
}

// testTurn orders two emits as change capture does (cdc.Turn): the second
// begins after the first began and commits after it committed.
type testTurn struct {
	before      *testTurn
	began, done chan struct{}
	once        sync.Once
}

func newTestTurn(before *testTurn) *testTurn {
	return &testTurn{before: before, began: make(chan struct{}), done: make(chan struct{})}
}

func (t *testTurn) BeforeBegan() error {
	if t.before != nil {
		select {
		case <-t.before.began:
		case <-t.before.done:
		}
	}
	return nil
}

func (t *testTurn) Began() { t.once.Do(func() { close(t.began) }) }

func (t *testTurn) Prior() error {
	if t.before != nil {
		<-t.before.done
	}
	return nil
}

// The ids of change-capture events follow the source's commit order (the
// turns), whichever batch was handed over first: the execution log, sorted
// by id, lists changes in the order they were committed.
func TestEmitAfterMintsIDsInTurn(t *testing.T) {
	ctx := context.Background()
	e, root := sqliteEngine(t)
	first := newTestTurn(nil)
	second := newTestTurn(first)
	event := func(id int) *hook.Event {
		return &hook.Event{Type: hook.EventRecordCreate, AccountID: root, Collection: "public.orders", Data: map[string]any{"id": id}}
	}
	// The second batch is handed over first and may plan at once; the
	// first comes a moment later.
	secondDone := make(chan []*EmitResult, 1)
	go func() {
		out, err := e.emitAfter(ctx, []*hook.Event{event(2)}, false, second)
		if err != nil {
			t.Error(err)
		}
		second.Began()
		close(second.done)
		secondDone <- out
	}()
	time.Sleep(50 * time.Millisecond)
	a, err := e.emitAfter(ctx, []*hook.Event{event(1)}, false, first)
	first.Began()
	close(first.done)
	if err != nil {
		t.Fatal(err)
	}
	b := <-secondDone
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("results %v %v", a, b)
	}
	if a[0].EventID >= b[0].EventID {
		t.Fatalf("the first commit's event %s sorts after the second's %s", a[0].EventID, b[0].EventID)
	}
}
