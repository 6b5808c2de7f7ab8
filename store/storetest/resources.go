package storetest

import (
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func testSecrets(e *env) {
	a, b := e.account(""), e.account("")
	s1 := &hook.Secret{AccountID: a.ID, Name: "API_TOKEN", Value: []byte{0, 1, 2, 0xff}, CreatedAt: t0}
	s2 := &hook.Secret{AccountID: a.ID, Name: "A_FIRST", Value: []byte("cipher"), CreatedAt: t0}
	e.must(e.s.SecretPut(e.ctx, s1))
	e.must(e.s.SecretPut(e.ctx, s2))
	e.must(e.s.SecretPut(e.ctx, &hook.Secret{AccountID: b.ID, Name: "API_TOKEN", Value: []byte("b"), CreatedAt: t0}))
	got, err := e.s.SecretGet(e.ctx, a.ID, "API_TOKEN")
	e.must(err)
	e.equal("secret", got, s1)

	s1.Value, s1.CreatedAt = []byte("rotated"), t0.Add(time.Hour)
	e.must(e.s.SecretPut(e.ctx, s1))
	list, err := e.s.SecretList(e.ctx, a.ID)
	e.must(err)
	e.equal("list by name (bytewise), values filled", list, []*hook.Secret{s1, s2})

	e.must(e.s.SecretDelete(e.ctx, a.ID, "API_TOKEN"))
	e.isErr(e.s.SecretDelete(e.ctx, a.ID, "API_TOKEN"), store.ErrNotFound)
	_, err = e.s.SecretGet(e.ctx, a.ID, "API_TOKEN")
	e.isErr(err, store.ErrNotFound)
	_, err = e.s.SecretGet(e.ctx, b.ID, "API_TOKEN")
	e.must(err)
	e.isErr(e.s.SecretPut(e.ctx, &hook.Secret{AccountID: "acc_missing", Name: "X", Value: []byte("x"), CreatedAt: t0}), store.ErrNotFound)
}

func testEventTypes(e *env) {
	a, b := e.account(""), e.account("")
	t1 := &store.EventType{ID: "30552", AccountID: a.ID, Label: "Checkout", CreatedAt: t0}
	t2 := &store.EventType{ID: "30551", AccountID: a.ID, Label: "Add to cart", CreatedAt: t0.Add(time.Second)}
	t3 := &store.EventType{ID: "70201", AccountID: b.ID, Label: "CRM sync", CreatedAt: t0}
	t4 := &store.EventType{ID: "30551", AccountID: b.ID, Label: "Add to cart (b)", CreatedAt: t0}
	for _, et := range []*store.EventType{t1, t2, t3, t4} {
		e.must(e.s.EventTypeInsert(e.ctx, et))
	}
	e.isErr(e.s.EventTypeInsert(e.ctx, &store.EventType{ID: "30552", AccountID: a.ID, Label: "dup", CreatedAt: t0}), store.ErrConflict)
	list, err := e.s.EventTypeList(e.ctx, []string{a.ID})
	e.must(err)
	e.equal("account a", list, []*store.EventType{t2, t1})
	list, err = e.s.EventTypeList(e.ctx, nil)
	e.must(err)
	e.equal("all", len(list), 4)
	e.must(e.s.EventTypeDelete(e.ctx, a.ID, "30551"))
	e.isErr(e.s.EventTypeDelete(e.ctx, a.ID, "30551"), store.ErrNotFound)
	list, err = e.s.EventTypeList(e.ctx, []string{a.ID, b.ID})
	e.must(err)
	e.equal("after delete", list, []*store.EventType{t4, t1, t3})
}

func testCollectionsRecords(e *env) {
	a, b := e.account(""), e.account("")
	orders := &store.Collection{AccountID: a.ID, Name: "orders", CreatedAt: t0,
		Schema: map[string]any{"fields": []any{map[string]any{"name": "total", "type": "number"}}}}
	carts := &store.Collection{AccountID: a.ID, Name: "carts", CreatedAt: t0}
	e.must(e.s.CollectionInsert(e.ctx, orders))
	e.must(e.s.CollectionInsert(e.ctx, carts))
	e.must(e.s.CollectionInsert(e.ctx, &store.Collection{AccountID: b.ID, Name: "orders", CreatedAt: t0}))
	e.isErr(e.s.CollectionInsert(e.ctx, &store.Collection{AccountID: a.ID, Name: "orders", CreatedAt: t0}), store.ErrConflict)
	got, err := e.s.CollectionGet(e.ctx, a.ID, "orders")
	e.must(err)
	e.equal("collection", got, orders)
	list, err := e.s.CollectionList(e.ctx, a.ID)
	e.must(err)
	e.equal("collections by name", list, []*store.Collection{carts, orders})
	_, err = e.s.CollectionGet(e.ctx, a.ID, "none")
	e.isErr(err, store.ErrNotFound)

	// A schema changes in place; the other account's collection of the
	// same name keeps its own.
	e.must(e.s.CollectionSetSchema(e.ctx, a.ID, "carts", map[string]any{"type": "object"}))
	got, err = e.s.CollectionGet(e.ctx, a.ID, "carts")
	e.must(err)
	e.equal("new schema", got.Schema, map[string]any{"type": "object"})
	e.must(e.s.CollectionSetSchema(e.ctx, b.ID, "orders", map[string]any{"type": "array"}))
	got, err = e.s.CollectionGet(e.ctx, a.ID, "orders")
	e.must(err)
	e.equal("another account's collection of the same name", got, orders)
	e.isErr(e.s.CollectionSetSchema(e.ctx, a.ID, "none", nil), store.ErrNotFound)
	e.must(e.s.CollectionSetSchema(e.ctx, a.ID, "carts", nil))
	got, err = e.s.CollectionGet(e.ctx, a.ID, "carts")
	e.must(err)
	e.equal("no schema", got, carts)

	var recs []*store.Record
	for i := range 5 {
		r := &store.Record{ID: e.id("rec"), AccountID: a.ID, Collection: "orders", CreatedAt: t0, UpdatedAt: t0,
			Data: map[string]any{"total": float64(100 * i), "customer": map[string]any{"name": "Ann"}}}
		e.must(e.s.RecordInsert(e.ctx, r))
		recs = append(recs, r)
	}
	// The same id in another collection or account is another record.
	e.must(e.s.RecordInsert(e.ctx, &store.Record{ID: recs[0].ID, AccountID: a.ID, Collection: "carts", CreatedAt: t0, UpdatedAt: t0}))
	e.must(e.s.RecordInsert(e.ctx, &store.Record{ID: recs[0].ID, AccountID: b.ID, Collection: "orders", CreatedAt: t0, UpdatedAt: t0}))
	e.isErr(e.s.RecordInsert(e.ctx, &store.Record{ID: recs[0].ID, AccountID: a.ID, Collection: "orders", CreatedAt: t0, UpdatedAt: t0}), store.ErrConflict)
	// No such collection: the foreign key refuses it (the engine relies on it).
	e.isErr(e.s.RecordInsert(e.ctx, &store.Record{ID: e.id("rec"), AccountID: a.ID, Collection: "nowhere", CreatedAt: t0, UpdatedAt: t0}), store.ErrNotFound)
	e.isErr(e.s.RecordInsert(e.ctx, &store.Record{ID: "r", AccountID: a.ID, Collection: "none", CreatedAt: t0, UpdatedAt: t0}), store.ErrNotFound)

	r, err := e.s.RecordGet(e.ctx, a.ID, "orders", recs[1].ID)
	e.must(err)
	e.equal("record", r, recs[1])
	_, err = e.s.RecordGet(e.ctx, a.ID, "orders", "rec_missing")
	e.isErr(err, store.ErrNotFound)

	recs[1].Data["total"], recs[1].UpdatedAt = 150.0, t0.Add(time.Hour)
	e.must(e.s.RecordUpdate(e.ctx, recs[1]))
	r, err = e.s.RecordGet(e.ctx, a.ID, "orders", recs[1].ID)
	e.must(err)
	e.equal("updated record", r, recs[1])
	e.isErr(e.s.RecordUpdate(e.ctx, &store.Record{ID: "rec_missing", AccountID: a.ID, Collection: "orders"}), store.ErrNotFound)

	page := func(cursor string) []string {
		e.t.Helper()
		rs, err := e.s.RecordList(e.ctx, store.RecordFilter{AccountID: a.ID, Collection: "orders", Page: store.Page{Limit: 2, Cursor: cursor}})
		e.must(err)
		return ids(rs, func(r *store.Record) string { return r.ID })
	}
	e.equal("page 1", page(""), []string{recs[0].ID, recs[1].ID})
	e.equal("page 2", page(recs[1].ID), []string{recs[2].ID, recs[3].ID})
	e.equal("page 3", page(recs[3].ID), []string{recs[4].ID})
	newest := func(cursor string) []string {
		e.t.Helper()
		rs, err := e.s.RecordList(e.ctx, store.RecordFilter{AccountID: a.ID, Collection: "orders", Newest: true, Page: store.Page{Limit: 2, Cursor: cursor}})
		e.must(err)
		return ids(rs, func(r *store.Record) string { return r.ID })
	}
	e.equal("newest page 1", newest(""), []string{recs[4].ID, recs[3].ID})
	e.equal("newest page 2", newest(recs[3].ID), []string{recs[2].ID, recs[1].ID})
	e.equal("newest page 3", newest(recs[1].ID), []string{recs[0].ID})
	n, err := e.s.RecordCount(e.ctx, a.ID, "orders")
	e.must(err)
	e.equal("count", n, 5)
	n, err = e.s.RecordCount(e.ctx, a.ID, "nowhere")
	e.must(err)
	e.equal("count of no collection", n, 0)

	e.must(e.s.RecordDelete(e.ctx, a.ID, "orders", recs[4].ID))
	e.isErr(e.s.RecordDelete(e.ctx, a.ID, "orders", recs[4].ID), store.ErrNotFound)

	// Deleting a collection deletes its records, nobody else's.
	e.must(e.s.CollectionDelete(e.ctx, a.ID, "orders"))
	e.isErr(e.s.CollectionDelete(e.ctx, a.ID, "orders"), store.ErrNotFound)
	_, err = e.s.RecordGet(e.ctx, a.ID, "orders", recs[0].ID)
	e.isErr(err, store.ErrNotFound)
	_, err = e.s.RecordGet(e.ctx, a.ID, "carts", recs[0].ID)
	e.must(err)
	_, err = e.s.RecordGet(e.ctx, b.ID, "orders", recs[0].ID)
	e.must(err)
}

func jobID(j *store.Job) string { return j.ID }

func testJobs(e *env) {
	a, b := e.account(""), e.account("")
	j := &store.Job{ID: e.id("job"), AccountID: a.ID, Queue: "reports", Payload: map[string]any{"month": "2026-02"},
		State: "available", Priority: 5, MaxAttempts: 3, RunAt: t0, LastError: "", ExecutionID: "ex_1", CreatedAt: t0}
	e.must(e.s.JobInsert(e.ctx, j))
	got, err := e.s.JobGet(e.ctx, j.ID)
	e.must(err)
	e.equal("job", got, j)
	e.isErr(e.s.JobInsert(e.ctx, j), store.ErrConflict)
	_, err = e.s.JobGet(e.ctx, "job_missing")
	e.isErr(err, store.ErrNotFound)

	j.State, j.Attempt, j.LockedUntil, j.LastError = "dead", 3, ptr(t0.Add(time.Minute)), "worker: timeout"
	j.FinishedAt, j.Payload, j.Priority, j.RunAt = ptr(t0.Add(time.Hour)), []any{1.0, "two"}, 1, t0.Add(time.Second)
	e.must(e.s.JobUpdate(e.ctx, j))
	got, err = e.s.JobGet(e.ctx, j.ID)
	e.must(err)
	e.equal("updated job", got, j)
	e.isErr(e.s.JobUpdate(e.ctx, &store.Job{ID: "job_missing"}), store.ErrNotFound)
	e.isErr(e.s.JobDelete(e.ctx, "job_missing"), store.ErrNotFound)
	gone := &store.Job{ID: e.id("job"), AccountID: a.ID, Queue: "reports", State: "dead", RunAt: t0, CreatedAt: t0}
	e.must(e.s.JobInsert(e.ctx, gone))
	e.must(e.s.JobDelete(e.ctx, gone.ID))
	_, err = e.s.JobGet(e.ctx, gone.ID)
	e.isErr(err, store.ErrNotFound)

	mk := func(accountID, queue, state string) *store.Job {
		j := &store.Job{ID: e.id("job"), AccountID: accountID, Queue: queue, Payload: nil, State: state, RunAt: t0, CreatedAt: t0}
		e.must(e.s.JobInsert(e.ctx, j))
		return j
	}
	j2 := mk(a.ID, "reports", "available")
	j3 := mk(b.ID, "reports", "completed")
	j4 := mk(a.ID, "emails", "available")
	list := func(f store.JobFilter) []string {
		e.t.Helper()
		js, err := e.s.JobList(e.ctx, f)
		e.must(err)
		return ids(js, jobID)
	}
	e.equal("all, newest first", list(store.JobFilter{}), []string{j4.ID, j3.ID, j2.ID, j.ID})
	e.equal("account", list(store.JobFilter{AccountIDs: []string{a.ID}}), []string{j4.ID, j2.ID, j.ID})
	e.equal("queue", list(store.JobFilter{Queue: "reports"}), []string{j3.ID, j2.ID, j.ID})
	e.equal("state", list(store.JobFilter{State: "available"}), []string{j4.ID, j2.ID})
	e.equal("page", list(store.JobFilter{Page: store.Page{Limit: 2, Cursor: j3.ID}}), []string{j2.ID, j.ID})
}

func testJobClaim(e *env) {
	a, b := e.account(""), e.account("")
	now := t0.Add(time.Hour)
	mk := func(accountID string, priority int, runAt time.Time) *store.Job {
		j := &store.Job{ID: e.id("job"), AccountID: accountID, Queue: "reports", Payload: map[string]any{"p": float64(priority)},
			State: "available", Priority: priority, MaxAttempts: 5, RunAt: runAt, CreatedAt: t0}
		e.must(e.s.JobInsert(e.ctx, j))
		return j
	}
	low := mk(a.ID, 0, t0)
	highLate := mk(a.ID, 10, t0.Add(time.Minute))
	highEarly := mk(a.ID, 10, t0)
	notDue := mk(a.ID, 99, now.Add(90*time.Second))
	other := mk(b.ID, 50, t0)
	e.must(e.s.JobInsert(e.ctx, &store.Job{ID: e.id("job"), AccountID: a.ID, Queue: "emails", State: "available",
		Priority: 100, RunAt: t0, CreatedAt: t0}))
	e.must(e.s.JobInsert(e.ctx, &store.Job{ID: e.id("job"), AccountID: a.ID, Queue: "reports", State: "completed",
		Priority: 100, RunAt: t0, CreatedAt: t0}))

	claim := func(accounts []string, at time.Time) *store.Job {
		e.t.Helper()
		j, err := e.s.JobClaim(e.ctx, accounts, "reports", at, at.Add(time.Minute))
		e.must(err)
		return j
	}
	var order []string
	for {
		j := claim([]string{a.ID}, now)
		if j == nil {
			break
		}
		if j.State != "running" || j.Attempt != 1 || j.LockedUntil == nil || !j.LockedUntil.Equal(now.Add(time.Minute)) {
			e.t.Fatalf("claimed job %+v", j)
		}
		order = append(order, j.ID)
	}
	e.equal("priority, then run_at, then id; account a only", order, []string{highEarly.ID, highLate.ID, low.ID})

	j := claim(nil, now)
	e.equal("any account", j.ID, other.ID)
	e.equal("payload", j.Payload, map[string]any{"p": 50.0})

	// A lease that ended makes the job claimable again.
	e.equal("leases hold", claim([]string{a.ID}, now.Add(30*time.Second)), (*store.Job)(nil))
	later := now.Add(2 * time.Minute)
	j = claim([]string{a.ID}, later)
	e.equal("due job first", j.ID, notDue.ID)
	j = claim([]string{a.ID}, later)
	e.equal("expired lease, by priority", []any{j.ID, j.Attempt}, []any{highEarly.ID, 2})

	// Concurrent claimers never share a job.
	for range 20 {
		mk(a.ID, 1, t0)
	}
	seen := make(chan string, 64)
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				j, err := e.s.JobClaim(e.ctx, []string{a.ID}, "reports", later, later.Add(time.Hour))
				if err != nil {
					e.t.Error(err)
					return
				}
				if j == nil {
					return
				}
				seen <- j.ID
			}
		}()
	}
	for range 4 {
		<-done
	}
	close(seen)
	got := map[string]bool{}
	for id := range seen {
		if got[id] {
			e.t.Fatalf("job %s claimed twice", id)
		}
		got[id] = true
	}
	e.equal("claimed concurrently", len(got), 22) // the 20 new ones and highLate, low (expired)
}
