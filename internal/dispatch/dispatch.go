// Package dispatch is the one way into the durable queue (SPEC §7, §10):
// events, inbound calls, manual runs, trigger_hook, replays and schedule
// firings all become executions here. A Plan is built before any
// transaction (hooks matched in run order, contexts encoded, the depth
// check, ordering keys rendered, each hook of an event chained behind the
// one before it); Store writes it inside the caller's transaction, puts each
// execution with an ordering key behind the unfinished tail of its key, and
// hands the executions that may run at once to idle workers of this node
// (preclaim), so they start when the transaction commits with no claim round
// trip.
package dispatch

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/runner"
	"github.com/hookline/hookline/rule"
	"github.com/hookline/hookline/store"
)

// Queue is the part of the execution queue dispatch uses: the preclaim
// fast path (see queue.Queue).
type Queue interface {
	Preclaim(x *hook.Execution, token string) bool
	Dispatch(x *hook.Execution)
	Release()
}

// Config configures a Dispatcher. All fields are required.
type Config struct {
	Store store.Store
	Queue Queue
	Rules *rule.Cache
	// IDs makes an id with a prefix ("exe_", "evt_"), sorting by time.
	IDs      func(prefix string, now time.Time) string
	Now      func() time.Time
	MaxDepth int
	// Shares, when set, shares this node's workers fairly across accounts:
	// an execution is preclaimed only within its account's share (the
	// others are left for the claimers rather than handed to an idle worker
	// that would have to put them back), and it is told the accounts whose
	// executions found no idle worker.
	Shares *runner.Shares
}

// Dispatcher turns firings into executions.
type Dispatcher struct {
	cfg Config
	// Hooks is the index of enabled hooks; Accounts the account tree.
	Hooks    Hooks
	Accounts Accounts
}

// New builds a Dispatcher.
func New(cfg Config) *Dispatcher {
	return &Dispatcher{cfg: cfg, Hooks: newHooks(), Accounts: newAccounts()}
}

// Plan is what one firing becomes, built before the transaction that stores
// it: an optional event row and the executions, in run order.
type Plan struct {
	// Event is stored with the executions when StoreEvent is set; a
	// repeated idempotency key then makes the whole plan a duplicate.
	Event      *hook.Event
	StoreEvent bool
	Executions []*hook.Execution
	now        time.Time
}

// Keyed says whether storing p reads what transactions before it stored:
// an execution with an ordering key queues behind the last one of its key,
// a debounced one supersedes the pending one of its key.
func (p *Plan) Keyed() bool {
	for _, x := range p.Executions {
		if x.OrderingKey != "" || x.DebounceKey != "" {
			return true
		}
	}
	return false
}

// Result says what became of a stored plan.
type Result struct {
	EventID    string
	Duplicate  bool              // the event's idempotency key was seen: nothing stored
	Executions []*hook.Execution // as inserted
}

// PlanEvent matches ev (prepared: validated, plain data) against the enabled
// hooks of its account and the accounts above it and builds one execution
// per matching hook, in the §7 order; each sequential one waits for the
// sequential one before it (SPEC §10).
func (d *Dispatcher) PlanEvent(ctx context.Context, q store.Querier, ev *hook.Event) (*Plan, error) {
	now := d.cfg.Now().UTC()
	if ev.ID == "" {
		ev.ID = d.cfg.IDs("evt_", now)
	}
	p := &Plan{Event: ev, StoreEvent: true, now: now}
	owners, err := d.Accounts.Ancestors(ctx, q, ev.AccountID)
	if err != nil {
		return nil, err
	}
	hooks, err := d.Hooks.Match(ctx, q, owners, "event:"+ev.Type)
	if err != nil {
		return nil, err
	}
	acc, err := d.Accounts.Get(ctx, q, ev.AccountID)
	if err != nil {
		return nil, err
	}
	base := EventContext(ev, acc)
	var baseJSON []byte
	var prev *hook.Execution
	for _, h := range hooks {
		if h.Trigger.Collection != "" && h.Trigger.Collection != ev.Collection {
			continue
		}
		if len(h.Roles) > 0 && (ev.Actor == nil || !slices.Contains(h.Roles, ev.Actor.Role)) {
			continue
		}
		if baseJSON == nil {
			if baseJSON, err = hook.EncodeContext(base); err != nil {
				return nil, fmt.Errorf("encode execution context: %w", err)
			}
		}
		x := d.newExecution(h, hook.TriggerEvent, base, ev.Depth, now)
		x.ContextJSON = baseJSON
		x.EventID = ev.ID
		x.Seq = len(p.Executions)
		if x.Status == hook.StatusPending && !h.Parallel() {
			if prev != nil {
				x.AfterExec, prev.Chained = prev.ID, true
			}
			prev = x
		}
		p.Executions = append(p.Executions, x)
	}
	return p, nil
}

// PlanHook builds the one execution of a firing of h itself (a manual run,
// an inbound call, a schedule slot, trigger_hook, a replay) on context c,
// which must hold plain JSON values. The caller may adjust the execution
// before storing the plan.
func (d *Dispatcher) PlanHook(h *hook.Hook, trigger string, c map[string]any, depth int) *Plan {
	now := d.cfg.Now().UTC()
	return &Plan{Executions: []*hook.Execution{d.newExecution(h, trigger, c, depth, now)}, now: now}
}

func (d *Dispatcher) newExecution(h *hook.Hook, trigger string, c map[string]any, depth int, now time.Time) *hook.Execution {
	x := &hook.Execution{
		ID: d.cfg.IDs("exe_", now), AccountID: h.AccountID, HookID: h.ID, HookVersion: hook.VersionRef(h.Version),
		TriggerType: trigger, Status: hook.StatusPending, Context: c, Depth: depth,
		RunAt: now, CreatedAt: now, Results: []hook.ActionResult{},
	}
	if depth > d.cfg.MaxDepth {
		// Caused by a chain deeper than allowed: logged, never run.
		x.Status = hook.StatusCancelled
		x.FinishedAt = &now
		x.ErrorMessage = "refused: hook chain depth " + strconv.Itoa(depth) + " exceeds the maximum of " +
			strconv.Itoa(d.cfg.MaxDepth) + " (HOOKLINE_MAX_DEPTH)"
		return x
	}
	if h.OrderingKey != "" {
		key, err := d.renderKey(h.OrderingKey, c, now)
		if err != nil {
			x.Note = "ordering_key could not be rendered, so this run waited for no other: " + err.Error()
		}
		x.OrderingKey = key
	}
	if db := h.Debounce; db != nil && trigger != hook.TriggerManual {
		key, err := d.renderKey(db.Key, c, now)
		window, werr := time.ParseDuration(db.Window)
		switch {
		case err != nil:
			x.Note = "debounce key could not be rendered, so this run was not debounced: " + err.Error()
		case werr != nil:
			x.Note = "debounce window is not a duration, so this run was not debounced"
		default:
			// It runs once the window has passed quietly: a later event
			// of the same key supersedes it (Store).
			x.DebounceKey, x.RunAt = key, now.Add(window)
		}
	}
	return x
}

// MaxOrderingKey bounds a rendered ordering key.
const MaxOrderingKey = 200

// renderKey renders a hook's ordering_key template on an execution context.
func (d *Dispatcher) renderKey(src string, c map[string]any, now time.Time) (string, error) {
	t, err := d.cfg.Rules.Template(src)
	if err != nil {
		return "", err
	}
	v, err := t.Render(runner.Env(c, nil, nil, now))
	if err != nil {
		return "", err
	}
	var key string
	switch v := v.(type) {
	case nil:
	case string:
		key = v
	case float64:
		key = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		key = string(b)
	}
	if len(key) > MaxOrderingKey {
		key = key[:MaxOrderingKey]
	}
	return key, nil
}

// Store writes p inside q's transaction: the event (unless its idempotency
// key was seen: then nothing, and Duplicate), each execution with an
// ordering key behind its key's tail, and the executions; those that may run
// now go in preclaimed by this node's idle workers and start once the
// transaction commits. Store may run again if the transaction is retried.
func (d *Dispatcher) Store(ctx context.Context, q store.Querier, p *Plan) (*Result, error) {
	res := &Result{}
	if p.Event != nil {
		res.EventID = p.Event.ID
		if p.StoreEvent {
			id, inserted, err := q.EventInsert(ctx, p.Event)
			if err != nil {
				return nil, err
			}
			if !inserted {
				return &Result{EventID: id, Duplicate: true}, nil
			}
		}
	}
	if len(p.Executions) == 0 {
		return res, nil
	}
	// Copies, so that a transaction run again (PostgreSQL retries) starts
	// from the plan, not from what this attempt made of it.
	xs := make([]*hook.Execution, len(p.Executions))
	for i, x := range p.Executions {
		c := *x
		xs[i] = &c
	}
	inserted, err := d.insert(ctx, q, xs, p.now)
	if err != nil {
		return nil, err
	}
	res.Executions = inserted
	return res, nil
}

// asInserted copies xs as they were inserted: a preclaimed execution is
// handed to a worker once the transaction commits, and the worker changes
// it while the caller reads the result.
func asInserted(xs []*hook.Execution) []*hook.Execution {
	out := make([]*hook.Execution, len(xs))
	for i, x := range xs {
		out[i] = insertedCopy(x)
	}
	return out
}

// insertedCopy is one of asInserted's copies.
func insertedCopy(x *hook.Execution) *hook.Execution {
	c := *x
	c.Results = slices.Clone(x.Results)
	return &c
}

// insert inserts xs, each execution with an ordering key behind its key's
// tail (the store finds it once it holds the key); those that may run now
// go in preclaimed and start once the transaction commits. It returns xs
// as inserted (see asInserted).
func (d *Dispatcher) insert(ctx context.Context, q store.Querier, xs []*hook.Execution, now time.Time) ([]*hook.Execution, error) {
	if err := d.supersede(ctx, q, xs, now); err != nil {
		return nil, err
	}
	// Keys are taken in a stable order, so that transactions holding
	// several (PostgreSQL) cannot deadlock; one key's executions in the
	// order of xs.
	var keyed []int
	for i, x := range xs {
		if x.OrderingKey != "" && x.Status == hook.StatusPending {
			keyed = append(keyed, i)
		}
	}
	slices.SortStableFunc(keyed, func(a, b int) int {
		return cmp.Or(strings.Compare(xs[a].HookID, xs[b].HookID), strings.Compare(xs[a].OrderingKey, xs[b].OrderingKey))
	})
	planned := make([]hook.Execution, len(keyed)) // as planned, before a preclaim
	for k, i := range keyed {
		planned[k] = *xs[i]
	}
	// A keyed execution is preclaimed before its tail is known; it goes in
	// waiting instead, and its worker is given back, when it has one.
	pre, queued := d.preclaim(xs, now)
	release := func() {
		for _, x := range pre {
			d.release(x)
		}
	}
	plain := xs
	var behind map[*hook.Execution]bool // keyed executions that went in behind a tail
	if len(keyed) > 0 {
		behind = make(map[*hook.Execution]bool, len(keyed))
		plain = make([]*hook.Execution, 0, len(xs)-len(keyed))
		for i, x := range xs {
			if !slices.Contains(keyed, i) {
				plain = append(plain, x)
			}
		}
	}
	if err := q.ExecutionInsert(ctx, plain...); err != nil {
		release()
		return nil, err
	}
	var inserted []*hook.Execution // set below; placed may run after (PostgreSQL: at the commit)
	for k, i := range keyed {
		x, leased, p := xs[i], *xs[i], planned[k]
		placed := func(tail string) {
			as := leased
			if tail != "" {
				as = p
				as.AfterKey = tail
			}
			*x = as
			behind[x] = tail != ""
			if inserted != nil {
				inserted[i] = insertedCopy(&as)
			}
		}
		if err := q.ExecutionInsertKeyed(ctx, x, &p, placed); err != nil {
			release()
			return nil, err
		}
	}
	if len(pre) > 0 {
		q.AfterTx(func(committed bool) {
			for _, x := range pre {
				if committed && !behind[x] {
					d.cfg.Queue.Dispatch(x)
				} else {
					d.release(x)
				}
			}
		})
	}
	if queued {
		if err := q.Notify(ctx, store.TopicExecutions, ""); err != nil {
			return nil, err
		}
	}
	inserted = asInserted(xs)
	return inserted, nil
}

// Enqueue stores p in a transaction of its own.
func (d *Dispatcher) Enqueue(ctx context.Context, p *Plan) (*Result, error) {
	var res *Result
	err := d.cfg.Store.Tx(ctx, func(q store.Querier) error {
		var err error
		res, err = d.Store(ctx, q, p)
		return err
	})
	return res, err
}

// supersede skips the debounced executions that xs's debounced ones make
// obsolete: of the events with one key inside the window only the last
// runs. Those stored already are skipped in the database; of several in xs
// with one key, all but the last are skipped here. Whatever waited for a
// skipped one waits for what it waited for. Keys are taken in a stable order, before any
// ordering key, so that transactions cannot deadlock on the locks of
// PostgreSQL.
func (d *Dispatcher) supersede(ctx context.Context, q store.Querier, xs []*hook.Execution, now time.Time) error {
	var deb []*hook.Execution
	for _, x := range xs {
		if x.DebounceKey != "" && x.Status == hook.StatusPending {
			deb = append(deb, x)
		}
	}
	if len(deb) == 0 {
		return nil
	}
	slices.SortStableFunc(deb, func(a, b *hook.Execution) int {
		return cmp.Or(strings.Compare(a.HookID, b.HookID), strings.Compare(a.DebounceKey, b.DebounceKey))
	})
	note := func(x *hook.Execution) string {
		return "debounced: a later event with the same key (" + x.DebounceKey + ") came within the window; " + x.ID + " runs instead"
	}
	skipped := map[string]*hook.Execution{}
	for i, x := range deb {
		if i+1 < len(deb) && deb[i+1].HookID == x.HookID && deb[i+1].DebounceKey == x.DebounceKey {
			last := deb[i+1]
			for j := i + 2; j < len(deb) && deb[j].HookID == x.HookID && deb[j].DebounceKey == x.DebounceKey; j++ {
				last = deb[j]
			}
			f := now
			x.Status, x.FinishedAt, x.Note = hook.StatusSkipped, &f, note(last)
			skipped[x.ID] = x
			continue
		}
		if _, err := q.ExecutionSupersede(ctx, x.HookID, x.DebounceKey, x.ID, note(x), now); err != nil {
			return err
		}
	}
	// What waited for a skipped one waits for what it waited for.
	for _, x := range xs {
		for s := skipped[x.AfterExec]; s != nil; s = skipped[x.AfterExec] {
			x.AfterExec = s.AfterExec
		}
	}
	return nil
}

// preclaim leases the executions of xs that may run now (pending, due,
// waiting for no other) to this node's idle workers. queued says whether
// some of those were left for the claimers.
func (d *Dispatcher) preclaim(xs []*hook.Execution, now time.Time) (pre []*hook.Execution, queued bool) {
	token := ""
	for _, x := range xs {
		if x.Status != hook.StatusPending || x.Waiting() {
			continue
		}
		if x.RunAt.After(now) {
			queued = true
			continue
		}
		if !d.cfg.Shares.Reserve(x.AccountID, x.ID) {
			queued = true
			continue
		}
		if token == "" {
			token = rand.Text()
		}
		if !d.cfg.Queue.Preclaim(x, token) {
			d.cfg.Shares.Unreserve(x.ID)
			d.cfg.Shares.Seen(x.AccountID)
			queued = true
			continue
		}
		pre = append(pre, x)
	}
	return pre, queued
}

// release gives back the worker preclaimed for x and its place in its
// account's share: x will not run here now.
func (d *Dispatcher) release(x *hook.Execution) {
	d.cfg.Shares.Unreserve(x.ID)
	d.cfg.Queue.Release()
}

// Hook returns the hook an execution runs: the enabled one from the index,
// or (disabled since the event) from the store.
func (d *Dispatcher) Hook(ctx context.Context, id string) (*hook.Hook, error) {
	if h := d.Hooks.Enabled(ctx, d.cfg.Store, id); h != nil {
		return h, nil
	}
	return d.cfg.Store.HookGet(ctx, id)
}

// Account returns an account from the tree.
func (d *Dispatcher) Account(ctx context.Context, id string) (*hook.Account, error) {
	return d.Accounts.Get(ctx, d.cfg.Store, id)
}

// EventContext is the execution context of an event: what conditions and
// templates see, stored with each execution. For a prepared event it holds
// plain JSON values only (float64 numbers, []any, …), exactly what a claim
// reads back, so a preclaimed execution runs on the same values.
func EventContext(ev *hook.Event, acc *hook.Account) map[string]any {
	c := map[string]any{
		"event": map[string]any{
			"id": ev.ID, "type": ev.Type, "occurred_at": ev.OccurredAt.Format(time.RFC3339Nano),
			"collection": ev.Collection, "depth": float64(ev.Depth),
		},
		"data":    ev.Data,
		"account": AccountContext(acc),
	}
	if ev.Collection != "" {
		c["collection"] = ev.Collection
	}
	if strings.HasPrefix(ev.Type, "records.") {
		c["record"] = ev.Data
		if ev.Previous != nil {
			c["previous"] = ev.Previous
		}
	}
	if ev.Actor != nil {
		a := map[string]any{"role": ev.Actor.Role, "key_id": ev.Actor.KeyID}
		if ev.Actor.UserID != "" {
			a["user_id"] = ev.Actor.UserID
		}
		if ev.Actor.Email != "" {
			a["email"] = ev.Actor.Email
		}
		c["auth"] = a
		c["event"].(map[string]any)["actor"] = a
	}
	return c
}

// AccountContext is an account as templates see it.
func AccountContext(a *hook.Account) map[string]any {
	if a == nil {
		return nil
	}
	return map[string]any{"id": a.ID, "name": a.Name, "parent_id": a.ParentID}
}
