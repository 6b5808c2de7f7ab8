// Package storetest is the conformance suite every store.Store driver
// passes: the driver's own test calls Run with a function that opens a fresh,
// migrated store (and closes it when the test ends).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// Run runs the suite. Each test opens its own store and runs in parallel.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(e *env)
	}{
		{"Meta", testMeta},
		{"Accounts", testAccounts},
		{"AccountList", testAccountList},
		{"AccountDeleteCascades", testAccountDeleteCascades},
		{"Keys", testKeys},
		{"Hooks", testHooks},
		{"HookList", testHookList},
		{"HookSchedule", testHookSchedule},
		{"HookKeys", testHookKeys},
		{"HookVersions", testHookVersions},
		{"HookRuns", testHookRuns},
		{"HookHealth", testHookHealth},
		{"HookHealthFastPaths", testHookHealthPaths},
		{"HookDisable", testHookDisable},
		{"Events", testEvents},
		{"EventIdempotencyInTx", testEventIdempotencyInTx},
		{"FieldClaim", testFieldClaim},
		{"SlotClaim", testSlotClaim},
		{"Executions", testExecutions},
		{"ExecutionList", testExecutionList},
		{"ExecutionClaim", testExecutionClaim},
		{"ExecutionClaimConcurrent", testExecutionClaimConcurrent},
		{"ExecutionClaimTakesTurns", testExecutionClaimTakesTurns},
		{"ExecutionSave", testExecutionSave},
		{"ExecutionExtendRescue", testExecutionExtendRescue},
		{"OrderingChain", testOrderingChain},
		{"OrderingKey", testOrderingKey},
		{"OrderingKeyConcurrent", testOrderingKeyConcurrent},
		{"OrderingReleaseStale", testOrderingReleaseStale},
		{"ExecutionReleaseNode", testExecutionReleaseNode},
		{"ExecutionRescueDead", testExecutionRescueDead},
		{"NodeList", testNodeList},
		{"Supersede", testSupersede},
		{"ExecutionNextRunAt", testExecutionNextRunAt},
		{"ExecutionPrune", testExecutionPrune},
		{"ExecutionStats", testExecutionStats},
		{"ExecutionHookStats", testExecutionHookStats},
		{"Secrets", testSecrets},
		{"EventTypes", testEventTypes},
		{"CollectionsRecords", testCollectionsRecords},
		{"Sources", testSources},
		{"EventInsertMany", testEventInsertMany},
		{"Jobs", testJobs},
		{"JobClaim", testJobClaim},
		{"TxRollback", testTxRollback},
		{"TxConcurrentPartialFailure", testTxConcurrent},
		{"TxLateErrors", testTxLateErrors},
		{"AfterTxTopLevel", testAfterTxTopLevel},
		{"TxContext", testTxContext},
		{"Notify", testNotify},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			tc.fn(&env{t: t, s: open(t), ctx: ctx})
		})
	}
}

// t0 is the suite's reference time: microsecond precision, UTC.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

// OrderingKeyAcrossNodes runs the concurrent ordering-key test with its
// inserters and workers spread over stores, nodes sharing one database.
func OrderingKeyAcrossNodes(t *testing.T, stores ...store.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	testOrderingKeyConcurrent(&env{t: t, s: stores[0], nodes: stores, ctx: ctx})
}

// env is one test's store and helpers.
type env struct {
	t     *testing.T
	s     store.Store
	nodes []store.Store // the stores of several nodes (s among them), where a test uses them
	ctx   context.Context
	seq   atomic.Int64
}

// node is the store of the i-th of the test's nodes (s when it has one).
func (e *env) node(i int) store.Store {
	if len(e.nodes) == 0 {
		return e.s
	}
	return e.nodes[i%len(e.nodes)]
}

// id returns a fresh id; later ids sort after earlier ones, as ULIDs do.
func (e *env) id(prefix string) string {
	return fmt.Sprintf("%s_%010d", prefix, e.seq.Add(1))
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// isErr fails unless errors.Is(err, want).
func (e *env) isErr(err, want error) {
	e.t.Helper()
	if !errors.Is(err, want) {
		e.t.Fatalf("error = %v, want %v", err, want)
	}
}

func (e *env) equal(what string, got, want any) {
	e.t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		e.t.Fatalf("%s:\n got: %s (%#v)\nwant: %s (%#v)", what, g, got, w, want)
	}
}

func ptr[T any](v T) *T { return &v }

// save saves x without taking over an execution it releases.
func (e *env) save(x *hook.Execution) error {
	_, err := e.s.ExecutionSave(e.ctx, x, nil)
	return err
}

// account inserts an account with every field set.
func (e *env) account(parentID string) *hook.Account {
	e.t.Helper()
	a := &hook.Account{
		ID: e.id("acc"), ParentID: parentID, Name: "Shop", CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
		SigningSecret: "whsec_new", PrevSigningSecret: "whsec_old", PrevSecretExpiresAt: ptr(t0.Add(24 * time.Hour)),
	}
	e.must(e.s.AccountInsert(e.ctx, a))
	return a
}

// newHook returns a hook of account with every field set (not inserted).
func (e *env) newHook(accountID string) *hook.Hook {
	return &hook.Hook{
		ID: e.id("hk"), AccountID: accountID, Name: "Notify on large orders", Description: "Big ones",
		Version: 4, Enabled: true, Order: 100, Roles: []string{"admin", "user"}, Category: "notification", Debug: true,
		Trigger:          hook.Trigger{Type: hook.TriggerEvent, Event: hook.EventRecordCreate, Collection: "orders"},
		Condition:        "total >= 500",
		OnConditionError: "skip",
		Actions: []hook.Action{{
			Type: "send_webhook", Name: "slack",
			Config: map[string]any{"url": "https://hooks.example.com/x", "headers": map[string]any{"X-Source": "hookline"}},
			Cases:  []hook.Case{{When: "total > 5000", Config: map[string]any{"n": 2.5}}},
			Retry:  &hook.RetryPolicy{MaxAttempts: 5, Backoff: "exponential", Initial: "2s", Max: "10m"},
		}},
		NextRunAt: ptr(t0.Add(time.Hour)), RunCount: 3, CreatedAt: t0, UpdatedAt: t0.Add(time.Minute),
		LastRunAt: ptr(t0.Add(-time.Hour)), Ordering: hook.OrderingParallel, OrderingKey: "{{record.id}}",
		Debounce:       &hook.Debounce{Key: "{{record.id}}", Window: "30s"},
		DisabledReason: ptr("every run failed for 120h0m0s"), DisabledAt: ptr(t0.Add(-time.Minute)),
	}
}

// hook inserts a hook of account, changed by mut.
func (e *env) hook(accountID string, mut ...func(*hook.Hook)) *hook.Hook {
	e.t.Helper()
	h := e.newHook(accountID)
	for _, m := range mut {
		m(h)
	}
	e.must(e.s.HookInsert(e.ctx, h))
	return h
}

// event inserts an event of account.
func (e *env) event(accountID string, occurred time.Time) *hook.Event {
	e.t.Helper()
	ev := &hook.Event{ID: e.id("ev"), Type: hook.EventRecordCreate, AccountID: accountID,
		Data: map[string]any{"total": 600.0}, OccurredAt: occurred}
	_, _, err := e.s.EventInsert(e.ctx, ev)
	e.must(err)
	return ev
}

// newExecution returns a pending execution due at runAt (not inserted).
func (e *env) newExecution(accountID, hookID string, runAt time.Time) *hook.Execution {
	return &hook.Execution{
		ID: e.id("ex"), AccountID: accountID, HookID: hookID, TriggerType: hook.TriggerEvent,
		Status: hook.StatusPending, Context: map[string]any{"event": map[string]any{"type": "records.create"}},
		RunAt: runAt, CreatedAt: t0,
	}
}

// executions inserts n pending executions due at runAt.
func (e *env) executions(accountID, hookID string, runAt time.Time, n int) []*hook.Execution {
	e.t.Helper()
	xs := make([]*hook.Execution, n)
	for i := range xs {
		xs[i] = e.newExecution(accountID, hookID, runAt)
	}
	e.must(e.s.ExecutionInsert(e.ctx, xs...))
	return xs
}

// ids lists the ids of xs.
func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func execID(x *hook.Execution) string { return x.ID }
