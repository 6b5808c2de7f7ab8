package hookline

import (
	"context"
	"errors"
	"strconv"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// actorOf is the actor recorded for what p does.
func actorOf(p Principal) *hook.Actor { return &hook.Actor{KeyID: p.KeyID, Role: p.Role} }

// insertHook stores a new hook and its version 1 in q's transaction.
func (e *Engine) insertHook(ctx context.Context, q store.Querier, p Principal, h *hook.Hook, note string) error {
	if err := checkKeyFree(ctx, q, h); err != nil {
		return err
	}
	if err := q.HookInsert(ctx, h); err != nil {
		return keyConflict(err, h)
	}
	return e.insertVersion(ctx, q, p, h, note)
}

// updateHook stores a changed hook and its new version in q's transaction.
func (e *Engine) updateHook(ctx context.Context, q store.Querier, p Principal, h *hook.Hook, note string) error {
	if err := checkKeyFree(ctx, q, h); err != nil {
		return err
	}
	if err := q.HookUpdate(ctx, h); err != nil {
		return keyConflict(err, h)
	}
	// A new version (enabling it again, or a change that may mend it)
	// starts the hook's failure clock again (SPEC §12).
	if err := q.HookHealthReset(ctx, h.ID); err != nil {
		return err
	}
	return e.insertVersion(ctx, q, p, h, note)
}

func (e *Engine) insertVersion(ctx context.Context, q store.Querier, p Principal, h *hook.Hook, note string) error {
	v := &hook.Version{HookID: h.ID, AccountID: h.AccountID, Version: h.Version, CreatedAt: h.UpdatedAt,
		Actor: actorOf(p), Note: note, Hook: h.Clone()}
	err := q.HookVersionInsert(ctx, v)
	if errors.Is(err, store.ErrConflict) {
		return &Error{Kind: KindConflict, Msg: "the hook was changed by someone else meanwhile (version " + itoa(h.Version) + " exists already); reload it and try again", Err: err}
	}
	return err
}

// checkKeyFree refuses a key another hook of the account has.
func checkKeyFree(ctx context.Context, q store.Querier, h *hook.Hook) error {
	if h.Key == "" {
		return nil
	}
	others, err := q.HookList(ctx, store.HookFilter{AccountIDs: []string{h.AccountID}, Key: h.Key, Page: store.Page{Limit: 2}})
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID != h.ID {
			return &Error{Kind: KindConflict, Field: "key", Msg: "hook " + o.ID + " of this account has the key " + strconv.Quote(h.Key) + " already"}
		}
	}
	return nil
}

// keyConflict names the key when a write lost a race for it.
func keyConflict(err error, h *hook.Hook) error {
	if errors.Is(err, store.ErrConflict) && h.Key != "" {
		return &Error{Kind: KindConflict, Field: "key", Msg: "another hook of this account has the key " + strconv.Quote(h.Key) + " already", Err: err}
	}
	return err
}

// ListHookVersions lists the versions of a hook of p's subtree, newest first.
func (e *Engine) ListHookVersions(ctx context.Context, p Principal, id string, page store.Page) ([]*hook.Version, error) {
	if _, err := e.GetHook(ctx, p, id); err != nil {
		return nil, err
	}
	if page.Cursor != "" {
		if n, err := strconv.Atoi(page.Cursor); err != nil || n < 1 {
			return nil, invalid("cursor", "must be a version number")
		}
	}
	return e.st.HookVersionList(ctx, id, page)
}

// GetHookVersion returns version n of a hook of p's subtree.
func (e *Engine) GetHookVersion(ctx context.Context, p Principal, id string, n int) (*hook.Version, error) {
	if _, err := e.GetHook(ctx, p, id); err != nil {
		return nil, err
	}
	v, err := e.st.HookVersionGet(ctx, id, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("version " + itoa(n) + " of the hook")
	}
	return v, err
}

// RestoreHookVersion makes a new version of a hook equal to version n (its
// key included). Restoring what the hook is already changes nothing.
func (e *Engine) RestoreHookVersion(ctx context.Context, p Principal, id string, n int) (*hook.Hook, error) {
	old, err := e.GetHook(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, old.AccountID, RoleManage); err != nil {
		return nil, err
	}
	v, err := e.GetHookVersion(ctx, p, id, n)
	if err != nil {
		return nil, err
	}
	h := v.Hook.Clone()
	h.ID, h.AccountID, h.CreatedAt, h.RunCount, h.LastRunAt = old.ID, old.AccountID, old.CreatedAt, old.RunCount, old.LastRunAt
	return e.saveHook(ctx, p, "restored version "+itoa(n), old, h)
}

// hookVersionForRun is the definition of a hook as version n saved it (a
// replay of an execution's original version).
func (e *Engine) hookVersionForRun(ctx context.Context, id string, n int) (*hook.Hook, error) {
	v, err := e.st.HookVersionGet(ctx, id, n)
	if err != nil {
		return nil, err
	}
	return v.Hook, nil
}

// pinReplayVersion makes replay x of execution old run the version old ran
// when version is "original"; "" and "current" leave it on the hook's
// current version.
func (e *Engine) pinReplayVersion(ctx context.Context, x, old *hook.Execution, version string) error {
	switch version {
	case "", "current":
		return nil
	case "original":
	default:
		return invalid("version", `must be "current" or "original"`)
	}
	if old.HookVersion == 0 {
		return invalid("version", "this execution ran before hook versions were recorded: only the current version can be replayed")
	}
	if _, err := e.st.HookVersionGet(ctx, old.HookID, int(old.HookVersion)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &Error{Kind: KindConflict, Msg: "version " + itoa(int(old.HookVersion)) + " of the hook is gone"}
		}
		return err
	}
	x.HookVersion, x.VersionPinned = old.HookVersion, true
	return nil
}
