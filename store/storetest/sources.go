package storetest

import (
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func (e *env) newSource(accountID, name string) *hook.Source {
	id := e.id("src")
	return &hook.Source{
		ID: id, AccountID: accountID, Name: name, Kind: hook.SourceKindPostgres,
		URL: []byte{0, 1, 2, 0xff}, Display: "postgres://db.example:5432/shop",
		Tables: []string{"public.orders", "sales.refunds"}, Slot: "hookline_" + id, Publication: "hookline_" + id,
		Status:    hook.SourceStatus{State: hook.SourceStarting},
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
}

func testSources(e *env) {
	a, b := e.account(""), e.account("")
	s1, s2, s3 := e.newSource(a.ID, "shop"), e.newSource(a.ID, "crm"), e.newSource(b.ID, "shop")
	for _, s := range []*hook.Source{s1, s2, s3} {
		e.must(e.s.SourceInsert(e.ctx, s))
	}
	e.isErr(e.s.SourceInsert(e.ctx, e.newSource(a.ID, "shop")), store.ErrConflict)
	e.isErr(e.s.SourceInsert(e.ctx, e.newSource("acc_missing", "x")), store.ErrNotFound)
	got, err := e.s.SourceGet(e.ctx, s1.ID)
	e.must(err)
	e.equal("source", got, s1)
	list, err := e.s.SourceList(e.ctx, []string{a.ID})
	e.must(err)
	e.equal("account a's sources by id", list, []*hook.Source{s1, s2})
	list, err = e.s.SourceList(e.ctx, nil)
	e.must(err)
	e.equal("all sources", list, []*hook.Source{s1, s2, s3})

	// Status is written only by the lease holder.
	st := hook.SourceStatus{State: hook.SourceFollowing, Node: "n1", ConfirmedLSN: "0/16B3748", LagBytes: 1 << 20,
		LagSeconds: 1.5, Events: 42, EventsPerSecond: 3.5, ReplicaIdentity: map[string]string{"public.orders": "full"},
		LastError: "connection reset", LastErrorAt: ptr(t0), UpdatedAt: ptr(t0.Add(time.Minute))}
	e.isErr(e.s.SourceSetStatus(e.ctx, s1.ID, "n1", st), store.ErrLeaseLost)
	e.isErr(e.s.SourceSetStatus(e.ctx, "src_missing", "n1", st), store.ErrNotFound)
	ok, err := e.s.SourceLease(e.ctx, s1.ID, "n1", t0, t0.Add(15*time.Second), false)
	e.must(err)
	e.equal("free source leased", ok, true)
	e.must(e.s.SourceSetStatus(e.ctx, s1.ID, "n1", st))
	got, err = e.s.SourceGet(e.ctx, s1.ID)
	e.must(err)
	e.equal("status", got.Status, st)
	e.equal("lease", []any{got.LeaseNode, *got.LeaseUntil}, []any{"n1", t0.Add(15 * time.Second)})
	e.isErr(e.s.SourceSetStatus(e.ctx, s1.ID, "n2", st), store.ErrLeaseLost)

	// Another node cannot take a lease that runs; the holder renews it; it
	// is free once it ended.
	ok, err = e.s.SourceLease(e.ctx, s1.ID, "n2", t0.Add(10*time.Second), t0.Add(25*time.Second), false)
	e.must(err)
	e.equal("running lease taken by another node", ok, false)
	ok, err = e.s.SourceLease(e.ctx, s1.ID, "n1", t0.Add(10*time.Second), t0.Add(25*time.Second), false)
	e.must(err)
	e.equal("renewed", ok, true)
	ok, err = e.s.SourceLease(e.ctx, s1.ID, "n2", t0.Add(26*time.Second), t0.Add(40*time.Second), false)
	e.must(err)
	e.equal("ended lease taken over", ok, true)
	ok, err = e.s.SourceLease(e.ctx, s1.ID, "n1", t0.Add(27*time.Second), t0.Add(40*time.Second), false)
	e.must(err)
	e.equal("old holder cannot renew", ok, false)
	e.isErr(e.s.SourceSetStatus(e.ctx, s1.ID, "n1", st), store.ErrLeaseLost)
	ok, err = e.s.SourceLease(e.ctx, s1.ID, "deleter", t0.Add(27*time.Second), t0.Add(time.Hour), true)
	e.must(err)
	e.equal("forced", ok, true)
	ok, err = e.s.SourceLease(e.ctx, s1.ID, "n2", t0.Add(28*time.Second), t0.Add(time.Minute), false)
	e.must(err)
	e.equal("after a forced take", ok, false)

	// Release: only by the holder; then anyone may lease.
	e.must(e.s.SourceRelease(e.ctx, s1.ID, "n2"))
	got, err = e.s.SourceGet(e.ctx, s1.ID)
	e.must(err)
	e.equal("release by a non-holder changes nothing", got.LeaseNode, "deleter")
	e.must(e.s.SourceRelease(e.ctx, s1.ID, "deleter"))
	ok, err = e.s.SourceLease(e.ctx, s1.ID, "n2", t0.Add(28*time.Second), t0.Add(time.Minute), false)
	e.must(err)
	e.equal("released source leased", ok, true)
	ok, err = e.s.SourceLease(e.ctx, "src_missing", "n2", t0, t0.Add(time.Minute), true)
	e.must(err)
	e.equal("missing source", ok, false)

	e.must(e.s.SourceDelete(e.ctx, s1.ID))
	e.isErr(e.s.SourceDelete(e.ctx, s1.ID), store.ErrNotFound)
	_, err = e.s.SourceGet(e.ctx, s1.ID)
	e.isErr(err, store.ErrNotFound)

	// Deleting the account deletes its sources.
	e.must(e.s.AccountDelete(e.ctx, a.ID))
	list, err = e.s.SourceList(e.ctx, nil)
	e.must(err)
	e.equal("after account delete", list, []*hook.Source{s3})
}
