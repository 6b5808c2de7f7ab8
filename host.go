package hookline

import (
	"context"
	"errors"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// host is the engine as actions see it (action.Host): record, job and hook
// actions act on hookline itself, as the hook's account with the system role,
// one level deeper in the causation chain.
type host struct{ e *Engine }

var _ action.Host = (*host)(nil)

func (h *host) principal(req *action.Request) Principal {
	return Principal{AccountID: req.Hook.AccountID, Role: hook.RoleSystem, KeyID: "hook:" + req.Hook.ID}
}

func (h *host) write(req *action.Request) RecordWrite {
	return RecordWrite{
		Actor: &hook.Actor{Role: hook.RoleSystem, HookID: req.Hook.ID, ExecutionID: req.Execution.ID},
		Depth: req.Execution.Depth + 1,
	}
}

// accountOf is the account the triggering event belongs to (a shop's event
// may run its organization's hook; records are written in the shop).
func accountOf(req *action.Request) string {
	if acc, ok := req.Execution.Context["account"].(map[string]any); ok {
		if id, _ := acc["id"].(string); id != "" {
			return id
		}
	}
	return req.Hook.AccountID
}

func (h *host) CreateRecord(ctx context.Context, req *action.Request, collection string, data map[string]any) (map[string]any, error) {
	r, err := h.e.CreateRecord(ctx, h.principal(req), accountOf(req), collection, data, h.write(req))
	if err != nil {
		return nil, err
	}
	return RecordJSON(r), nil
}

func (h *host) UpdateRecord(ctx context.Context, req *action.Request, collection, id string, data map[string]any) (map[string]any, error) {
	x := req.Execution
	var may func(q store.Querier, field string, value any) (bool, error)
	if rec, ok := x.Context["record"].(map[string]any); ok && x.EventID != "" && rec["id"] == id && !req.Hook.Parallel() {
		// The first writer among the hooks of one event wins (SPEC §7,
		// §10); a parallel hook takes no part.
		may = func(q store.Querier, field string, value any) (bool, error) {
			return q.FieldClaim(ctx, x.EventID, id, field, x.Seq, value)
		}
	}
	r, err := h.e.updateRecord(ctx, h.principal(req), accountOf(req), collection, id, data, h.write(req), may)
	if err != nil {
		return nil, err
	}
	return RecordJSON(r), nil
}

func (h *host) DeleteRecord(ctx context.Context, req *action.Request, collection, id string) (map[string]any, error) {
	if err := h.e.DeleteRecord(ctx, h.principal(req), accountOf(req), collection, id, h.write(req)); err != nil {
		return nil, err
	}
	return map[string]any{"id": id, "deleted": true}, nil
}

func (h *host) EnqueueJob(ctx context.Context, req *action.Request, queue string, payload any, runAt time.Time, priority int) (map[string]any, error) {
	now := h.e.now().UTC()
	if runAt.IsZero() || runAt.Before(now) {
		runAt = now
	}
	j := &store.Job{
		ID: h.e.ids.next(prefixJob, now), AccountID: accountOf(req), Queue: queue, Payload: payload,
		State: "available", Priority: priority, MaxAttempts: 25, RunAt: runAt, ExecutionID: req.Execution.ID, CreatedAt: now,
	}
	err := h.e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.JobInsert(ctx, j); err != nil {
			return err
		}
		return q.Notify(ctx, store.TopicJobs, queue)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": j.ID, "queue": queue, "run_at": runAt.Format(time.RFC3339)}, nil
}

func (h *host) TriggerHook(ctx context.Context, req *action.Request, hookID string, data map[string]any) (map[string]any, error) {
	p := h.principal(req)
	target, err := h.e.GetHook(ctx, Principal{AccountID: p.AccountID, Role: hook.RoleAdmin}, hookID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || ErrorKind(err) == KindNotFound {
			return nil, action.Fail(errors.New("hook "+hookID+" not found in this account tree"), nil)
		}
		return nil, err
	}
	actor := &hook.Actor{Role: hook.RoleSystem, HookID: req.Hook.ID, ExecutionID: req.Execution.ID}
	x, err := h.e.fire(ctx, target, "hook", data, actor, req.Execution.Depth+1, "")
	if err != nil {
		return nil, err
	}
	out := map[string]any{"execution_id": x.ID, "hook_id": target.ID}
	if x.Status == hook.StatusCancelled {
		return nil, action.Fail(errors.New(x.ErrorMessage), &action.Result{Output: out})
	}
	return out, nil
}
