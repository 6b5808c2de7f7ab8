package hookline

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/postgres"
	"github.com/hookline/hookline/store/sqlite"
)

// TestFailedRunOneTransaction: the final save of a failed execution, the
// disabling of its hook and the system events it causes commit together or
// not at all (a crash before the commit leaves none of them), and saving it
// again (a save retried after its answer was lost) adds no second alert.
func TestFailedRunOneTransaction(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var st store.Store
			var err error
			if db == "sqlite" {
				st, err = sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
			} else {
				st, err = postgres.Open(ctx, testdb.PostgresURL(t), postgres.Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			e, err := Open(ctx, Config{Store: st, SecretKey: make([]byte, 32), AutoDisableAfter: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			root, _, _, err := e.Bootstrap(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			p := Principal{AccountID: root, Role: hook.RoleAdmin}
			mk := func(name string, tr hook.Trigger) *hook.Hook {
				h, err := e.CreateHook(ctx, p, &hook.Hook{Name: name, Enabled: true, Trigger: tr,
					Actions: []hook.Action{{Type: "send_webhook", Config: map[string]any{"url": "https://example.com/" + name}}}})
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			a := mk("a", hook.Trigger{Type: hook.TriggerManual})
			onFailed := mk("failed", hook.Trigger{Type: hook.TriggerEvent, Event: hook.EventExecutionFailed})
			onDisabled := mk("disabled", hook.Trigger{Type: hook.TriggerEvent, Event: hook.EventHookDisabled})

			// An execution of a, claimed (the engine is not started: no worker takes it).
			if _, err := e.TriggerHook(ctx, p, a.ID, nil); err != nil {
				t.Fatal(err)
			}
			xs, err := st.ExecutionClaim(ctx, "n1", e.now().Add(time.Second), e.now().Add(time.Minute), 10)
			if err != nil || len(xs) != 1 {
				t.Fatalf("claim: %v, %v", xs, err)
			}
			x := xs[0]
			done := e.now().UTC()
			x.Status, x.FinishedAt, x.DisableHook = hook.StatusFailed, &done, "action 1 (a): the endpoint answered 410 Gone"
			finish := func(after func() error) error {
				xc := *x
				return st.Tx(ctx, func(q store.Querier) error {
					c := xc // as the runner does: each attempt from x as it was
					if err := (failedRuns{e}).Finish(ctx, q, &c, func() error { _, err := q.ExecutionSave(ctx, &c, nil); return err }); err != nil {
						return err
					}
					return after()
				})
			}
			runs := func(h *hook.Hook) int {
				t.Helper()
				xs, err := st.ExecutionList(ctx, store.ExecutionFilter{HookID: h.ID})
				if err != nil {
					t.Fatal(err)
				}
				return len(xs)
			}
			state := func() (string, bool, int, int) {
				t.Helper()
				got, err := st.ExecutionGet(ctx, x.ID)
				if err != nil {
					t.Fatal(err)
				}
				h, err := st.HookGet(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				return got.Status, h.Enabled, runs(onFailed), runs(onDisabled)
			}

			crash := errors.New("the process died before the commit")
			if err := finish(func() error { return crash }); !errors.Is(err, crash) {
				t.Fatalf("finish: %v", err)
			}
			if st, enabled, f, d := state(); st != hook.StatusRunning || !enabled || f != 0 || d != 0 {
				t.Fatalf("after a crash before the commit: execution %s, hook enabled %v, %d execution.failed and %d hook.disabled runs; want running, true, 0, 0", st, enabled, f, d)
			}

			if err := finish(func() error { return nil }); err != nil {
				t.Fatal(err)
			}
			if st, enabled, f, d := state(); st != hook.StatusFailed || enabled || f != 1 || d != 1 {
				t.Fatalf("after the commit: execution %s, hook enabled %v, %d execution.failed and %d hook.disabled runs; want failed, false, 1, 1", st, enabled, f, d)
			}
			// The same final save again: no second alert.
			if err := finish(func() error { return nil }); err != nil {
				t.Fatal(err)
			}
			if _, _, f, d := state(); f != 1 || d != 1 {
				t.Fatalf("a repeated save: %d execution.failed and %d hook.disabled runs, want 1 and 1", f, d)
			}
		})
	}
}
