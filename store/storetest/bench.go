package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// BenchEmitClaimSave measures the queue end to end on s (a fresh, migrated
// store): 16 producers each commit Tx{EventInsert + ExecutionInsert +
// Notify}; one claimer, woken by the notification (polling every 10 ms as a
// fallback), claims batches of 64 and hands them to 32 workers that save
// each execution as done. b.N executions go through; the figure reported
// is executions per second from the first emit to the last save.
func BenchEmitClaimSave(b *testing.B, s store.Store) {
	const (
		producers = 16
		savers    = 32
		batch     = 64
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	now := time.Now().UTC()
	acc := &hook.Account{ID: "acc_bench_" + run, Name: "bench", CreatedAt: now, UpdatedAt: now}
	if err := s.AccountInsert(ctx, acc); err != nil {
		b.Fatal(err)
	}
	h := &hook.Hook{ID: "hk_bench_" + run, AccountID: acc.ID, Name: "bench", Enabled: true,
		Trigger:   hook.Trigger{Type: hook.TriggerEvent, Event: "30552"},
		Actions:   []hook.Action{{Type: "send_webhook", Config: map[string]any{"url": "https://example.com/hook"}}},
		CreatedAt: now, UpdatedAt: now}
	if err := s.HookInsert(ctx, h); err != nil {
		b.Fatal(err)
	}

	wake := make(chan struct{}, 1)
	if err := s.Listen(ctx, []string{store.TopicExecutions}, func(string, string) {
		select {
		case wake <- struct{}{}:
		default:
		}
	}); err != nil {
		b.Fatal(err)
	}

	n := int64(b.N)
	var (
		next, saved atomic.Int64
		failed      atomic.Value
		wg          sync.WaitGroup
		work        = make(chan *hook.Execution, batch*2)
		allSaved    = make(chan struct{})
	)
	fail := func(err error) {
		if failed.CompareAndSwap(nil, err) {
			cancel()
		}
	}
	b.ResetTimer()
	start := time.Now()

	for range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > n || ctx.Err() != nil {
					return
				}
				t := time.Now().UTC()
				ev := &hook.Event{ID: fmt.Sprintf("ev_%s_%09d", run, i), Type: "30552", AccountID: acc.ID,
					Data:       map[string]any{"cart": "c-123", "total": 42.5, "items": []any{"sku-1", "sku-2"}},
					Actor:      &hook.Actor{KeyID: "key_1", Role: hook.RolePublishable},
					OccurredAt: t, IdempotencyKey: fmt.Sprintf("k-%s-%d", run, i)}
				x := &hook.Execution{ID: fmt.Sprintf("ex_%s_%09d", run, i), AccountID: acc.ID, HookID: h.ID,
					TriggerType: hook.TriggerEvent, Status: hook.StatusPending, RunAt: t, CreatedAt: t,
					Context: map[string]any{"event": map[string]any{"id": ev.ID, "type": ev.Type, "data": ev.Data},
						"account": map[string]any{"id": acc.ID}}}
				err := s.Tx(ctx, func(q store.Querier) error {
					id, _, err := q.EventInsert(ctx, ev)
					if err != nil {
						return err
					}
					x.EventID = id
					if err := q.ExecutionInsert(ctx, x); err != nil {
						return err
					}
					return q.Notify(ctx, store.TopicExecutions, "")
				})
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}

	for range savers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range work {
				t := time.Now().UTC()
				x.Status, x.FinishedAt, x.ActionsExecuted, x.Cursor = hook.StatusSuccess, &t, 1, 1
				x.Results = []hook.ActionResult{{Index: 0, Type: "send_webhook", Status: "success", Attempts: 1,
					Output: map[string]any{"status": 200.0}, StartedAt: x.ExecutedAt, DurationMS: 3}}
				if _, err := s.ExecutionSave(ctx, x, nil); err != nil {
					fail(err)
					continue
				}
				if saved.Add(1) == n {
					close(allSaved)
				}
			}
		}()
	}

	var claimed int64
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
claim:
	for claimed < n {
		t := time.Now().UTC()
		xs, err := s.ExecutionClaim(ctx, "bench", t, t.Add(time.Minute), batch)
		if err != nil {
			fail(err)
			break
		}
		for _, x := range xs {
			work <- x
		}
		claimed += int64(len(xs))
		if len(xs) < batch {
			select {
			case <-wake:
			case <-poll.C:
			case <-ctx.Done():
				break claim
			}
		}
	}
	if ctx.Err() == nil {
		select {
		case <-allSaved:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "execs/s")
}
