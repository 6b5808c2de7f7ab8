package storetest

import (
	"strconv"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// testHookKeys: a key is unique within its account, free across accounts,
// and any number of hooks may have none.
func testHookKeys(e *env) {
	a, b := e.account(""), e.account("")
	h := e.hook(a.ID, func(h *hook.Hook) { h.Key = "notify-large-orders" })
	e.hook(a.ID)
	e.hook(a.ID) // two hooks without a key
	other := e.hook(b.ID, func(h *hook.Hook) { h.Key = "notify-large-orders" })
	dup := e.newHook(a.ID)
	dup.Key = h.Key
	e.isErr(e.s.HookInsert(e.ctx, dup), store.ErrConflict)

	got, err := e.s.HookList(e.ctx, store.HookFilter{AccountIDs: []string{a.ID}, Key: h.Key})
	e.must(err)
	e.equal("by key in account a", ids(got, hookID), []string{h.ID})
	got, err = e.s.HookList(e.ctx, store.HookFilter{AccountIDs: []string{b.ID}, Key: h.Key})
	e.must(err)
	e.equal("by key in account b", ids(got, hookID), []string{other.ID})

	// Renaming the key frees the old one; taking a used one conflicts.
	h.Key, h.Version = "renamed", 5
	e.must(e.s.HookUpdate(e.ctx, h))
	fresh, err := e.s.HookGet(e.ctx, h.ID)
	e.must(err)
	e.equal("key and version updated", []any{fresh.Key, fresh.Version}, []any{"renamed", 5})
	e.must(e.s.HookInsert(e.ctx, dup))
	h.Key = dup.Key
	e.isErr(e.s.HookUpdate(e.ctx, h), store.ErrConflict)
}

func testHookVersions(e *env) {
	a := e.account("")
	h := e.hook(a.ID, func(h *hook.Hook) { h.Version = 1 })
	other := e.hook(a.ID)
	actor := &hook.Actor{KeyID: "key_1", Role: "admin"}
	var want []*hook.Version
	for n := 1; n <= 3; n++ {
		snap := h.Clone()
		// A version is the hook as JSON: the schedule's own counters (RunCount,
		// LastRunAt) are not part of it.
		snap.Version, snap.Name, snap.LastRunAt, snap.RunCount = n, "Version "+strconv.Itoa(n), nil, 0
		snap.UpdatedAt = t0.Add(time.Duration(n) * time.Minute)
		v := &hook.Version{HookID: h.ID, AccountID: a.ID, Version: n, CreatedAt: snap.UpdatedAt, Actor: actor, Hook: snap}
		if n == 3 {
			v.Actor, v.Note = nil, "restored version 1"
		}
		e.must(e.s.HookVersionInsert(e.ctx, v))
		want = append([]*hook.Version{v}, want...)
	}
	e.must(e.s.HookVersionInsert(e.ctx, &hook.Version{HookID: other.ID, AccountID: a.ID, Version: 1, CreatedAt: t0, Hook: other}))
	e.isErr(e.s.HookVersionInsert(e.ctx, &hook.Version{HookID: h.ID, AccountID: a.ID, Version: 2, CreatedAt: t0, Hook: h}), store.ErrConflict)
	e.isErr(e.s.HookVersionInsert(e.ctx, &hook.Version{HookID: "hk_missing", AccountID: a.ID, Version: 1, CreatedAt: t0, Hook: h}), store.ErrNotFound)

	got, err := e.s.HookVersionGet(e.ctx, h.ID, 2)
	e.must(err)
	e.equal("version 2", got, want[1])
	_, err = e.s.HookVersionGet(e.ctx, h.ID, 9)
	e.isErr(err, store.ErrNotFound)

	list, err := e.s.HookVersionList(e.ctx, h.ID, store.Page{})
	e.must(err)
	e.equal("newest first", list, want)
	list, err = e.s.HookVersionList(e.ctx, h.ID, store.Page{Limit: 2})
	e.must(err)
	e.equal("first page", list, want[:2])
	list, err = e.s.HookVersionList(e.ctx, h.ID, store.Page{Limit: 2, Cursor: "2"})
	e.must(err)
	e.equal("after version 2", list, want[2:])

	// Versions go with their hook.
	e.must(e.s.HookDelete(e.ctx, h.ID))
	list, err = e.s.HookVersionList(e.ctx, h.ID, store.Page{})
	e.must(err)
	e.equal("after delete", len(list), 0)
	list, err = e.s.HookVersionList(e.ctx, other.ID, store.Page{})
	e.must(err)
	e.equal("other hook's versions stay", len(list), 1)
}
