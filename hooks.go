package hookline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/runner"
	"github.com/hookline/hookline/schedule"
	"github.com/hookline/hookline/store"
)

// HookView is a hook as the API shows it: with its next schedule slots, a
// human description of its schedule, and warnings about what will keep it
// from working.
type HookView struct {
	*hook.Hook
	NextRuns            []time.Time `json:"next_runs"`
	ScheduleDescription *string     `json:"schedule_description"`
	ScheduleFinished    bool        `json:"schedule_finished,omitempty"`
	// Warnings say what will make the hook's runs fail although it is
	// valid: an action whose provider (SMTP, SMS) is not configured.
	Warnings []string `json:"warnings"`
}

// View decorates h for the API.
func (e *Engine) View(h *hook.Hook) *HookView {
	v := &HookView{Hook: h, NextRuns: []time.Time{}, Warnings: e.hookWarnings(h)}
	if h.Trigger.Type != hook.TriggerSchedule {
		return v
	}
	spec, err := schedule.Parse(scheduleInput(&h.Trigger))
	if err != nil {
		return v
	}
	d := spec.Describe()
	v.ScheduleDescription = &d
	if max := h.Trigger.MaxRuns; max > 0 && h.RunCount >= max {
		v.ScheduleFinished = true
		return v
	}
	if h.Enabled {
		from := e.now()
		if h.NextRunAt != nil {
			from = h.NextRunAt.Add(-time.Nanosecond)
		}
		n := 5
		if max := h.Trigger.MaxRuns; max > 0 && max-h.RunCount < n {
			n = max - h.RunCount
		}
		for _, t := range spec.NextN(from, n) {
			v.NextRuns = append(v.NextRuns, t.UTC())
		}
	}
	return v
}

// hookWarnings lists the actions of h whose executor cannot deliver (an
// SMTP server or SMS provider the operator has not configured): their runs
// would fail although the hook saves and shows as active.
func (e *Engine) hookWarnings(h *hook.Hook) []string {
	out := []string{}
	for i, a := range h.Actions {
		if err := e.actions.Ready(a.Type); err != nil {
			out = append(out, fmt.Sprintf("action %d (%s): %s; its runs will fail until the operator configures it", i+1, runner.ActionName(a, i), err))
		}
	}
	return out
}

// nextRun computes next_run_at: the first slot after now for an enabled
// schedule hook that has runs left; nil otherwise.
func (e *Engine) nextRun(h *hook.Hook, after time.Time) *time.Time {
	if !h.Enabled || h.Trigger.Type != hook.TriggerSchedule {
		return nil
	}
	if h.Trigger.MaxRuns > 0 && h.RunCount >= h.Trigger.MaxRuns {
		return nil
	}
	spec, err := schedule.Parse(scheduleInput(&h.Trigger))
	if err != nil {
		return nil
	}
	t, ok := spec.Next(after)
	if !ok {
		return nil
	}
	t = t.UTC()
	return &t
}

// CreateHook validates and stores a new hook owned by in.AccountID (default:
// the caller's account).
func (e *Engine) CreateHook(ctx context.Context, p Principal, in *hook.Hook) (*hook.Hook, error) {
	if in.AccountID == "" {
		in.AccountID = p.AccountID
	}
	if err := e.authorize(ctx, p, in.AccountID, RoleManage); err != nil {
		if ErrorKind(err) == KindNotFound {
			return nil, invalid("account_id", "no such account")
		}
		return nil, err
	}
	h := in.Clone()
	if err := e.prepareNew(ctx, h, nil); err != nil {
		return nil, err
	}
	err := e.hookWrite(ctx, func(q store.Querier) error {
		n, err := q.HookCount(ctx, h.AccountID)
		if err != nil {
			return err
		}
		acc, err := q.AccountGet(ctx, h.AccountID)
		if err != nil {
			return err
		}
		if max := e.maxHooks(acc); n >= max {
			if acc.Limits.MaxHooks != nil {
				return limitReached("this account may have at most %d hooks (its limits.max_hooks)", max)
			}
			return limitReached("an account may have at most %d hooks (HOOKLINE_MAX_HOOKS_PER_ACCOUNT)", max)
		}
		return e.insertHook(ctx, q, p, h, "")
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// prepareNew readies a new hook for inserting: id, times, defaults,
// validation, version 1 and its first schedule slot. known names hookable
// events registered in the same transaction (by an apply).
func (e *Engine) prepareNew(ctx context.Context, h *hook.Hook, known map[string]bool) error {
	now := e.now().UTC()
	h.ID = e.ids.next(prefixHook, now)
	h.CreatedAt, h.UpdatedAt = now, now
	h.RunCount, h.LastRunAt, h.Runs, h.LastRun = 0, nil, 0, nil
	h.DisabledReason, h.DisabledAt, h.FailingSince = nil, nil, nil
	normalizeHook(h)
	if err := e.validateHookWith(ctx, h, known); err != nil {
		return err
	}
	if err := e.checkInboundUnique(ctx, h); err != nil {
		return err
	}
	h.NextRunAt = e.nextRun(h, now)
	h.Version = 1
	return nil
}

func (e *Engine) hookWrite(ctx context.Context, fn func(q store.Querier) error) error {
	return e.cachedWrite(ctx, store.TopicHooks, fn, e.hooks.Invalidate)
}

// checkInboundUnique refuses a second enabled hook on the same inbound path
// and method of one account.
func (e *Engine) checkInboundUnique(ctx context.Context, h *hook.Hook) error {
	if h.Trigger.Type != hook.TriggerInbound || !h.Enabled {
		return nil
	}
	others, err := e.hooks.Match(ctx, e.st, []string{h.AccountID}, h.Trigger.Key())
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID == h.ID {
			continue
		}
		for _, m := range o.Trigger.Methods {
			for _, mm := range h.Trigger.Methods {
				if m == mm {
					return &Error{Kind: KindConflict, Field: "trigger.path", Msg: "hook " + o.ID + " already serves " + m + " /" + h.Trigger.Path}
				}
			}
		}
	}
	return nil
}

// GetHook returns a hook of p's subtree.
func (e *Engine) GetHook(ctx context.Context, p Principal, id string) (*hook.Hook, error) {
	h, err := e.st.HookGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("hook")
	}
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, h.AccountID, PermRead); err != nil {
		if ErrorKind(err) == KindNotFound {
			return nil, notFound("hook")
		}
		return nil, err
	}
	return h, nil
}

// HookQuery filters ListHooks.
type HookQuery struct {
	AccountID   string
	TriggerType string
	Enabled     *bool
	Q           string
	Key         string
	Page        store.Page
}

// ListHooks lists the hooks of p's subtree.
func (e *Engine) ListHooks(ctx context.Context, p Principal, hq HookQuery) ([]*hook.Hook, error) {
	f := store.HookFilter{TriggerType: hq.TriggerType, Enabled: hq.Enabled, Q: hq.Q, Key: hq.Key, Page: hq.Page}
	if hq.AccountID != "" {
		if err := e.authorize(ctx, p, hq.AccountID, PermRead); err != nil {
			return nil, err
		}
		f.AccountIDs = []string{hq.AccountID}
	} else {
		if !Can(p.Role, PermRead) {
			return nil, forbidden("the %s role may not do this", p.Role)
		}
		ids, err := e.Scope(ctx, p)
		if err != nil {
			return nil, err
		}
		f.AccountIDs = ids
	}
	return e.st.HookList(ctx, f)
}

// ReplaceHook replaces every writable field of a hook (PUT).
func (e *Engine) ReplaceHook(ctx context.Context, p Principal, id string, in *hook.Hook) (*hook.Hook, error) {
	old, err := e.GetHook(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, old.AccountID, RoleManage); err != nil {
		return nil, err
	}
	h := in.Clone()
	h.ID, h.CreatedAt, h.RunCount, h.LastRunAt = old.ID, old.CreatedAt, old.RunCount, old.LastRunAt
	h.Runs, h.LastRun = old.Runs, old.LastRun
	if h.AccountID == "" {
		h.AccountID = old.AccountID
	}
	if h.AccountID != old.AccountID {
		return nil, invalid("account_id", "cannot be changed")
	}
	return e.saveHook(ctx, p, "", old, h)
}

// PatchHook applies a JSON merge patch (RFC 7386) to a hook (PATCH).
func (e *Engine) PatchHook(ctx context.Context, p Principal, id string, patch map[string]any) (*hook.Hook, error) {
	old, err := e.GetHook(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, old.AccountID, RoleManage); err != nil {
		return nil, err
	}
	for _, ro := range []string{"id", "version", "created_at", "updated_at", "run_count", "last_run_at", "next_run_at", "next_runs", "schedule_description", "schedule_finished", "warnings",
		"disabled_reason", "disabled_at", "failing_since"} {
		delete(patch, ro)
	}
	if v, ok := patch["account_id"]; ok && v != old.AccountID {
		return nil, invalid("account_id", "cannot be changed")
	}
	b, _ := json.Marshal(old)
	var doc map[string]any
	_ = json.Unmarshal(b, &doc)
	merged := mergePatch(doc, patch)
	b, _ = json.Marshal(merged)
	var h hook.Hook
	if err := json.Unmarshal(b, &h); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, JSONTypeError(te)
		}
		return nil, &Error{Kind: KindMalformed, Msg: "patch does not make a valid hook"}
	}
	h.ID, h.CreatedAt, h.RunCount, h.LastRunAt, h.AccountID = old.ID, old.CreatedAt, old.RunCount, old.LastRunAt, old.AccountID
	h.Runs, h.LastRun = old.Runs, old.LastRun
	return e.saveHook(ctx, p, "", old, &h)
}

func mergePatch(doc, patch map[string]any) map[string]any {
	for k, v := range patch {
		if v == nil {
			delete(doc, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			if dm, ok := doc[k].(map[string]any); ok {
				doc[k] = mergePatch(dm, pm)
				continue
			}
		}
		doc[k] = v
	}
	return doc
}

// saveHook validates and stores a change of old to h as a new version, or
// returns old untouched when h changes nothing.
func (e *Engine) saveHook(ctx context.Context, p Principal, note string, old, h *hook.Hook) (*hook.Hook, error) {
	changed, err := e.prepareChange(ctx, old, h, nil)
	if err != nil || !changed {
		return old, err
	}
	if err := e.hookWrite(ctx, func(q store.Querier) error { return e.updateHook(ctx, q, p, h, note) }); err != nil {
		return nil, err
	}
	return h, nil
}

// prepareChange readies h, a change of old, for saving: defaults,
// validation, the next version and schedule slot. changed is false when h
// defines the same hook as old. known is as for prepareNew.
func (e *Engine) prepareChange(ctx context.Context, old, h *hook.Hook, known map[string]bool) (changed bool, err error) {
	now := e.now().UTC()
	h.UpdatedAt = now
	// Why hookline disabled it stays while it stays disabled; enabling it
	// clears that (and any change starts its failure clock again:
	// updateHook). A person disabling it gives no reason.
	h.DisabledReason, h.DisabledAt, h.FailingSince = nil, nil, nil
	if !h.Enabled && !old.Enabled {
		h.DisabledReason, h.DisabledAt = old.DisabledReason, old.DisabledAt
	}
	normalizeHook(h)
	if err := e.validateHookWith(ctx, h, known); err != nil {
		return false, err
	}
	if hook.SameDefinition(old, h) {
		return false, nil
	}
	h.Version = old.Version + 1
	if err := e.checkInboundUnique(ctx, h); err != nil {
		return false, err
	}
	// Keep the schedule position unless the schedule or enabled state changed.
	if h.Enabled && old.Enabled && h.Trigger.Type == hook.TriggerSchedule && reflect.DeepEqual(scheduleInput(&h.Trigger), scheduleInput(&old.Trigger)) {
		h.NextRunAt = old.NextRunAt
	} else {
		h.NextRunAt = e.nextRun(h, now)
	}
	return true, nil
}

// DeleteHook deletes a hook; its pending executions are cancelled when they
// come up.
func (e *Engine) DeleteHook(ctx context.Context, p Principal, id string) error {
	h, err := e.GetHook(ctx, p, id)
	if err != nil {
		return err
	}
	if err := e.authorize(ctx, p, h.AccountID, RoleManage); err != nil {
		return err
	}
	return e.hookWrite(ctx, func(q store.Querier) error { return q.HookDelete(ctx, id) })
}

// DuplicateHook copies a hook, disabled, named "<name> (copy)".
func (e *Engine) DuplicateHook(ctx context.Context, p Principal, id string) (*hook.Hook, error) {
	h, err := e.GetHook(ctx, p, id)
	if err != nil {
		return nil, err
	}
	c := h.Clone()
	c.Enabled, c.Key = false, "" // a key names one hook
	name := []rune(h.Name)
	if len(name) > 193 { // keep "<name> (copy)" within the 200-character limit
		name = name[:193]
	}
	c.Name = string(name) + " (copy)"
	return e.CreateHook(ctx, p, c)
}

// ValidateHook checks a hook as CreateHook would, without saving it (the
// admin editor's live validation). It returns nil or an *Error naming the field.
func (e *Engine) ValidateHook(ctx context.Context, p Principal, in *hook.Hook) error {
	h := in.Clone()
	if h.AccountID == "" {
		h.AccountID = p.AccountID
	}
	if err := e.authorize(ctx, p, h.AccountID, RoleManage); err != nil {
		return err
	}
	normalizeHook(h)
	return e.validateHook(ctx, h)
}

// HookStats sums, per hook, the executions p may see created since then.
func (e *Engine) HookStats(ctx context.Context, p Principal, since time.Time) ([]store.HookStat, error) {
	ids, err := e.Scope(ctx, p)
	if err != nil {
		return nil, err
	}
	return e.st.ExecutionHookStats(ctx, ids, since)
}

// ExecutionStats counts the executions of p's subtree by status in buckets.
func (e *Engine) ExecutionStats(ctx context.Context, p Principal, since time.Time, step time.Duration) ([]store.StatBucket, error) {
	ids, err := e.Scope(ctx, p)
	if err != nil {
		return nil, err
	}
	return e.st.ExecutionStats(ctx, ids, since, step)
}
