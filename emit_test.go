package hookline

import (
	"context"
	"testing"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/plain"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/sqlite"
)

// A preclaimed execution never passes through the database before it runs,
// so its context must already be what a claim would read back: an event
// from Go code with ints, []string and typed maps is made plain by
// prepareEvent, and eventContext adds only plain values.
func TestPreparedEventContextIsPlain(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, err := Open(ctx, Config{Store: st, SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	root, _, _, err := e.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ev := &hook.Event{
		Type: hook.EventRecordUpdate, AccountID: root, Collection: "orders", Depth: 2,
		Data:     map[string]any{"total": 600, "tags": []string{"vip"}, "meta": map[string]int{"n": 1}},
		Previous: map[string]any{"total": int64(500)},
		Actor:    &hook.Actor{KeyID: "key_1", Role: hook.RoleAdmin, Email: "a@b.c"},
	}
	if err := e.prepareEvent(ctx, ev); err != nil {
		t.Fatal(err)
	}
	acc, err := e.accts.Get(ctx, st, root)
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
