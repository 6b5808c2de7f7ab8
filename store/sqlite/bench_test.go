package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/sqlite"
	"github.com/hookline/hookline/store/storetest"
)

// go test ./store/sqlite -run '^$' -bench EmitClaimSave -benchtime 20000x
func BenchmarkEmitClaimSave(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			storetest.BenchEmitClaimSave(b, open(b, sqlite.Options{Synchronous: sync}))
		})
	}
}

// go test ./store/sqlite -run '^$' -bench ClaimBacklog -benchtime 2000x
//
// Claims from a backlog of due executions, each for 1 to 8 of them, as
// the idle workers of a busy node come and go. The number asked for must
// not make SQLite prepare the claim again, as it did while the LIMITs were
// plain bound values, and the candidates come from covering indexes:
// 882–902 µs a claim before, 364–377 µs since (each claim commits on its
// own here).
func BenchmarkClaimBacklog(b *testing.B) {
	ctx := context.Background()
	s := open(b, sqlite.Options{})
	now := time.Now().UTC()
	acc := &hook.Account{ID: "acc_bench", Name: "bench", CreatedAt: now, UpdatedAt: now}
	if err := s.AccountInsert(ctx, acc); err != nil {
		b.Fatal(err)
	}
	backlog := 8 * b.N
	for start := 0; start < backlog; start += 500 {
		var xs []*hook.Execution
		for i := start; i < min(start+500, backlog); i++ {
			xs = append(xs, &hook.Execution{ID: fmt.Sprintf("exe_%08d", i), AccountID: acc.ID, HookID: "hk_bench",
				TriggerType: hook.TriggerEvent, Status: hook.StatusPending, Context: map[string]any{},
				RunAt: now.Add(-time.Minute), CreatedAt: now})
		}
		if err := s.Tx(ctx, func(q store.Querier) error { return q.ExecutionInsert(ctx, xs...) }); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		xs, err := s.ExecutionClaim(ctx, "n1", now, now.Add(time.Minute), 1+i%8)
		if err != nil || len(xs) != 1+i%8 {
			b.Fatalf("claimed %d (%v), want %d", len(xs), err, 1+i%8)
		}
	}
}
