package storetest

import (
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func testMeta(e *env) {
	_, err := e.s.MetaGet(e.ctx, "secret_check")
	e.isErr(err, store.ErrNotFound)
	e.must(e.s.MetaSet(e.ctx, "secret_check", "v1"))
	e.must(e.s.MetaSet(e.ctx, "other", "x"))
	e.must(e.s.MetaSet(e.ctx, "secret_check", "v2"))
	v, err := e.s.MetaGet(e.ctx, "secret_check")
	e.must(err)
	e.equal("meta", v, "v2")
}

func testAccounts(e *env) {
	root := e.account("")
	got, err := e.s.AccountGet(e.ctx, root.ID)
	e.must(err)
	e.equal("root account", got, root)

	// Nanoseconds are cut to microseconds.
	shop := &hook.Account{ID: e.id("acc"), ParentID: root.ID, Name: "Child",
		CreatedAt: t0.Add(789 * time.Nanosecond), UpdatedAt: t0}
	e.must(e.s.AccountInsert(e.ctx, shop))
	got, err = e.s.AccountGet(e.ctx, shop.ID)
	e.must(err)
	shop.CreatedAt = t0
	e.equal("child account", got, shop)

	e.isErr(e.s.AccountInsert(e.ctx, &hook.Account{ID: root.ID, Name: "dup", CreatedAt: t0, UpdatedAt: t0}), store.ErrConflict)
	_, err = e.s.AccountGet(e.ctx, "acc_missing")
	e.isErr(err, store.ErrNotFound)
	e.isErr(e.s.AccountInsert(e.ctx, &hook.Account{ID: e.id("acc"), ParentID: "acc_missing", Name: "orphan",
		CreatedAt: t0, UpdatedAt: t0}), store.ErrNotFound)

	shop.Name, shop.ParentID, shop.SigningSecret = "Renamed", "", "whsec_x"
	shop.PrevSigningSecret, shop.PrevSecretExpiresAt = "whsec_y", ptr(t0.Add(time.Hour))
	shop.UpdatedAt = t0.Add(time.Hour)
	shop.Limits = hook.Limits{EventsPerSecond: ptr(12.5), MaxHooks: ptr(7)}
	e.must(e.s.AccountUpdate(e.ctx, shop))
	got, err = e.s.AccountGet(e.ctx, shop.ID)
	e.must(err)
	e.equal("updated account", got, shop)
	shop.Limits = hook.Limits{MaxHooks: ptr(0)} // 0 is a limit, nil is none
	e.must(e.s.AccountUpdate(e.ctx, shop))
	got, err = e.s.AccountGet(e.ctx, shop.ID)
	e.must(err)
	e.equal("account limits", got.Limits, shop.Limits)
	e.isErr(e.s.AccountUpdate(e.ctx, &hook.Account{ID: "acc_missing", Name: "x"}), store.ErrNotFound)

	n, err := e.s.AccountCount(e.ctx)
	e.must(err)
	e.equal("count", n, 2)
	e.must(e.s.AccountDelete(e.ctx, shop.ID))
	e.isErr(e.s.AccountDelete(e.ctx, shop.ID), store.ErrNotFound)
	n, err = e.s.AccountCount(e.ctx)
	e.must(err)
	e.equal("count after delete", n, 1)
}

func testAccountList(e *env) {
	var all []string
	for range 7 {
		all = append(all, e.account("").ID)
	}
	var pages [][]string
	cursor := ""
	for {
		as, err := e.s.AccountList(e.ctx, store.AccountFilter{Page: store.Page{Limit: 3, Cursor: cursor}})
		e.must(err)
		if len(as) == 0 {
			break
		}
		pages = append(pages, ids(as, func(a *hook.Account) string { return a.ID }))
		cursor = as[len(as)-1].ID
	}
	e.equal("pages", pages, [][]string{all[0:3], all[3:6], all[6:7]})

	as, err := e.s.AccountList(e.ctx, store.AccountFilter{IDs: []string{all[5], all[1], "acc_missing"}})
	e.must(err)
	e.equal("by ids", ids(as, func(a *hook.Account) string { return a.ID }), []string{all[1], all[5]})

	as, err = e.s.AccountList(e.ctx, store.AccountFilter{})
	e.must(err)
	e.equal("default limit", len(as), 7)
}

// testAccountDeleteCascades gives an organization and its shop one of
// everything, deletes the organization and finds nothing left, while a
// neighbour keeps its own.
func testAccountDeleteCascades(e *env) {
	org := e.account("")
	shop := e.account(org.ID)
	grandchild := e.account(shop.ID)
	other := e.account("")
	type owned struct {
		hook  *hook.Hook
		key   *hook.APIKey
		event *hook.Event
		exec  *hook.Execution
		job   *store.Job
	}
	give := func(accountID string) owned {
		h := e.hook(accountID)
		k := &hook.APIKey{ID: e.id("key"), AccountID: accountID, Name: "k", Role: hook.RoleAdmin, Prefix: "hl_",
			Hash: e.id("hash"), CreatedAt: t0}
		e.must(e.s.KeyInsert(e.ctx, k))
		ev := e.event(accountID, t0)
		x := e.newExecution(accountID, h.ID, t0)
		x.EventID = ev.ID
		e.must(e.s.ExecutionInsert(e.ctx, x))
		e.must(e.s.SecretPut(e.ctx, &hook.Secret{AccountID: accountID, Name: "TOKEN", Value: []byte("c"), CreatedAt: t0}))
		e.must(e.s.EventTypeInsert(e.ctx, &store.EventType{ID: "30551", AccountID: accountID, Label: "Add to cart", CreatedAt: t0}))
		e.must(e.s.CollectionInsert(e.ctx, &store.Collection{AccountID: accountID, Name: "orders", CreatedAt: t0}))
		e.must(e.s.RecordInsert(e.ctx, &store.Record{ID: "r1", AccountID: accountID, Collection: "orders",
			Data: map[string]any{"total": 1.0}, CreatedAt: t0, UpdatedAt: t0}))
		j := &store.Job{ID: e.id("job"), AccountID: accountID, Queue: "reports", Payload: "p", State: "available",
			RunAt: t0, CreatedAt: t0}
		e.must(e.s.JobInsert(e.ctx, j))
		ok, err := e.s.SlotClaim(e.ctx, h.ID, t0)
		e.must(err)
		e.equal("slot", ok, true)
		ok, err = e.s.FieldClaim(e.ctx, ev.ID, "r1", "status", 1, "x")
		e.must(err)
		e.equal("field claim", ok, true)
		return owned{h, k, ev, x, j}
	}
	gone := []owned{give(org.ID), give(shop.ID), give(grandchild.ID)}
	kept := give(other.ID)

	e.must(e.s.AccountDelete(e.ctx, org.ID))

	for _, a := range []string{org.ID, shop.ID, grandchild.ID} {
		_, err := e.s.AccountGet(e.ctx, a)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.SecretGet(e.ctx, a, "TOKEN")
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.CollectionGet(e.ctx, a, "orders")
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.RecordGet(e.ctx, a, "orders", "r1")
		e.isErr(err, store.ErrNotFound)
		ets, err := e.s.EventTypeList(e.ctx, []string{a})
		e.must(err)
		e.equal("event types left", len(ets), 0)
	}
	for _, o := range gone {
		_, err := e.s.HookGet(e.ctx, o.hook.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.KeyGet(e.ctx, o.key.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.EventGet(e.ctx, o.event.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.ExecutionGet(e.ctx, o.exec.ID)
		e.isErr(err, store.ErrNotFound)
		_, err = e.s.JobGet(e.ctx, o.job.ID)
		e.isErr(err, store.ErrNotFound)
		// Slots and field claims went with their hook and event.
		_, err = e.s.FieldClaim(e.ctx, o.event.ID, "r1", "status", 1, "x")
		e.isErr(err, store.ErrNotFound)
	}
	for _, get := range []func() error{
		func() error { _, err := e.s.AccountGet(e.ctx, other.ID); return err },
		func() error { _, err := e.s.HookGet(e.ctx, kept.hook.ID); return err },
		func() error { _, err := e.s.KeyGet(e.ctx, kept.key.ID); return err },
		func() error { _, err := e.s.EventGet(e.ctx, kept.event.ID); return err },
		func() error { _, err := e.s.ExecutionGet(e.ctx, kept.exec.ID); return err },
		func() error { _, err := e.s.JobGet(e.ctx, kept.job.ID); return err },
		func() error { _, err := e.s.SecretGet(e.ctx, other.ID, "TOKEN"); return err },
		func() error { _, err := e.s.RecordGet(e.ctx, other.ID, "orders", "r1"); return err },
	} {
		e.must(get())
	}
	ok, err := e.s.SlotClaim(e.ctx, kept.hook.ID, t0)
	e.must(err)
	e.equal("kept slot still claimed", ok, false)
	n, err := e.s.AccountCount(e.ctx)
	e.must(err)
	e.equal("accounts left", n, 1)
}

func testKeys(e *env) {
	a, b := e.account(""), e.account("")
	k := &hook.APIKey{ID: e.id("key"), AccountID: a.ID, Name: "CI", Role: hook.RoleManager, Prefix: "hl_ab12",
		Hash: "sha256:1", Origins: []string{"https://shop.example"}, CreatedAt: t0, LastUsedAt: ptr(t0.Add(time.Minute))}
	e.must(e.s.KeyInsert(e.ctx, k))
	k2 := &hook.APIKey{ID: e.id("key"), AccountID: a.ID, Name: "SDK", Role: hook.RolePublishable, Prefix: "hl_cd",
		Hash: "sha256:2", CreatedAt: t0}
	e.must(e.s.KeyInsert(e.ctx, k2))
	e.must(e.s.KeyInsert(e.ctx, &hook.APIKey{ID: e.id("key"), AccountID: b.ID, Name: "B", Role: hook.RoleAdmin,
		Hash: "sha256:3", CreatedAt: t0}))

	got, err := e.s.KeyGet(e.ctx, k.ID)
	e.must(err)
	e.equal("key", got, k)
	got, err = e.s.KeyGetByHash(e.ctx, "sha256:2")
	e.must(err)
	e.equal("key by hash", got, k2)
	_, err = e.s.KeyGetByHash(e.ctx, "sha256:none")
	e.isErr(err, store.ErrNotFound)
	_, err = e.s.KeyGet(e.ctx, "key_missing")
	e.isErr(err, store.ErrNotFound)

	e.isErr(e.s.KeyInsert(e.ctx, &hook.APIKey{ID: k.ID, AccountID: a.ID, Hash: "sha256:9", CreatedAt: t0}), store.ErrConflict)
	e.isErr(e.s.KeyInsert(e.ctx, &hook.APIKey{ID: e.id("key"), AccountID: a.ID, Hash: "sha256:1", CreatedAt: t0}), store.ErrConflict)
	e.isErr(e.s.KeyInsert(e.ctx, &hook.APIKey{ID: e.id("key"), AccountID: "acc_missing", Hash: "sha256:8", CreatedAt: t0}), store.ErrNotFound)

	ks, err := e.s.KeyList(e.ctx, a.ID)
	e.must(err)
	e.equal("list", ks, []*hook.APIKey{k, k2})

	e.must(e.s.KeyTouch(e.ctx, k2.ID, t0.Add(time.Hour)))
	got, err = e.s.KeyGet(e.ctx, k2.ID)
	e.must(err)
	e.equal("touched", got.LastUsedAt, ptr(t0.Add(time.Hour)))
	k2.LastUsedAt = ptr(t0.Add(time.Hour))
	e.isErr(e.s.KeyTouch(e.ctx, "key_missing", t0), store.ErrNotFound)

	e.must(e.s.KeyDelete(e.ctx, k.ID))
	e.isErr(e.s.KeyDelete(e.ctx, k.ID), store.ErrNotFound)
	ks, err = e.s.KeyList(e.ctx, a.ID)
	e.must(err)
	e.equal("after delete", ks, []*hook.APIKey{k2})
}
