package hookline

import (
	"context"
	"slices"
	"sync"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// snapshot is an in-memory copy of some table that any write (on this node,
// or on another through a notification) marks stale; the next reader reloads
// it, one reload at a time. A reader gets the whole snapshot it asked for,
// never a mix of two.
type snapshot[T any] struct {
	loadMu sync.Mutex // one reload at a time; the others wait for it
	mu     sync.RWMutex
	stale  bool
	gen    uint64
	val    T
	load   func(ctx context.Context, q store.Querier) (T, error)
}

func newSnapshot[T any](load func(ctx context.Context, q store.Querier) (T, error)) *snapshot[T] {
	return &snapshot[T]{stale: true, load: load}
}

func (s *snapshot[T]) invalidate() {
	s.mu.Lock()
	s.stale = true
	s.gen++
	s.mu.Unlock()
}

// get returns the current copy, reloading it through q when stale.
func (s *snapshot[T]) get(ctx context.Context, q store.Querier) (T, error) {
	s.mu.RLock()
	val, stale := s.val, s.stale
	s.mu.RUnlock()
	if !stale {
		return val, nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.RLock()
	val, stale, gen := s.val, s.stale, s.gen
	s.mu.RUnlock()
	if !stale { // another caller reloaded meanwhile
		return val, nil
	}
	val, err := s.load(ctx, q)
	if err != nil {
		var zero T
		return zero, err
	}
	// What was read is at least as new as the last invalidation before the
	// load began; if another came meanwhile, stay stale so the next reader
	// reads again.
	s.mu.Lock()
	s.val, s.stale = val, s.gen != gen
	s.mu.Unlock()
	return val, nil
}

// cachedWrite runs fn in a transaction that also notifies topic, so that
// every node drops what it cached of the data fn changes, then runs stale
// (this node's own invalidations) whatever the outcome.
func (e *Engine) cachedWrite(ctx context.Context, topic string, fn func(q store.Querier) error, stale ...func()) error {
	err := e.st.Tx(ctx, func(q store.Querier) error {
		if err := fn(q); err != nil {
			return err
		}
		return q.Notify(ctx, topic, "")
	})
	for _, f := range stale {
		f()
	}
	return err
}

// hookSet is the enabled hooks by (account, trigger key), in run order, so
// matching an event does not scan every hook.
type hookSet struct {
	byKey map[string]map[string][]*hook.Hook // account -> trigger key -> hooks
	byID  map[string]*hook.Hook
}

func loadHookSet(ctx context.Context, q store.Querier) (*hookSet, error) {
	hooks, err := q.HookListEnabled(ctx)
	if err != nil {
		return nil, err
	}
	set := &hookSet{byKey: map[string]map[string][]*hook.Hook{}, byID: make(map[string]*hook.Hook, len(hooks))}
	for _, h := range hooks {
		m := set.byKey[h.AccountID]
		if m == nil {
			m = map[string][]*hook.Hook{}
			set.byKey[h.AccountID] = m
		}
		m[h.Trigger.Key()] = append(m[h.Trigger.Key()], h)
		set.byID[h.ID] = h
	}
	for _, m := range set.byKey {
		for _, hs := range m {
			slices.SortFunc(hs, runOrder)
		}
	}
	return set, nil
}

// runOrder orders hooks of one owner: order, then creation time, then id.
func runOrder(a, b *hook.Hook) int {
	if a.Order != b.Order {
		return a.Order - b.Order
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

type hookIndex struct{ *snapshot[*hookSet] }

func newHookIndex() hookIndex { return hookIndex{newSnapshot(loadHookSet)} }

// match returns the enabled hooks of the owners (nearest first) under key.
func (ix hookIndex) match(ctx context.Context, q store.Querier, owners []string, key string) ([]*hook.Hook, error) {
	set, err := ix.get(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []*hook.Hook
	for _, acc := range owners {
		out = append(out, set.byKey[acc][key]...)
	}
	return out, nil
}

// enabled returns an enabled hook by id, or nil.
func (ix hookIndex) enabled(ctx context.Context, q store.Querier, id string) *hook.Hook {
	set, err := ix.get(ctx, q)
	if err != nil {
		return nil
	}
	return set.byID[id]
}

// accountTree is every account, for tree walks: ancestors for matching,
// subtrees for scoping.
type accountTree struct {
	byID map[string]*hook.Account
	kids map[string][]string
}

func loadAccountTree(ctx context.Context, q store.Querier) (*accountTree, error) {
	t := &accountTree{byID: map[string]*hook.Account{}, kids: map[string][]string{}}
	cursor := ""
	for {
		page, err := q.AccountList(ctx, store.AccountFilter{Page: store.Page{Limit: 500, Cursor: cursor}})
		if err != nil {
			return nil, err
		}
		for _, a := range page {
			t.byID[a.ID] = a
			if a.ParentID != "" {
				t.kids[a.ParentID] = append(t.kids[a.ParentID], a.ID)
			}
		}
		if len(page) < 500 {
			return t, nil
		}
		cursor = page[len(page)-1].ID
	}
}

type accountCache struct{ *snapshot[*accountTree] }

func newAccountCache() accountCache { return accountCache{newSnapshot(loadAccountTree)} }

func (c accountCache) get(ctx context.Context, q store.Querier, id string) (*hook.Account, error) {
	t, err := c.snapshot.get(ctx, q)
	if err != nil {
		return nil, err
	}
	if a := t.byID[id]; a != nil {
		return a, nil
	}
	return q.AccountGet(ctx, id) // maybe created on another node a moment ago
}

// ancestors returns id and its ancestors, nearest first.
func (c accountCache) ancestors(ctx context.Context, q store.Querier, id string) ([]string, error) {
	t, err := c.snapshot.get(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for cur := id; cur != "" && len(out) < 64; {
		out = append(out, cur)
		a := t.byID[cur]
		if a == nil {
			break
		}
		cur = a.ParentID
	}
	return out, nil
}

// subtree returns id and all its descendants.
func (c accountCache) subtree(ctx context.Context, q store.Querier, id string) ([]string, error) {
	t, err := c.snapshot.get(ctx, q)
	if err != nil {
		return nil, err
	}
	out := []string{id}
	for i := 0; i < len(out); i++ {
		out = append(out, t.kids[out[i]]...)
	}
	return out, nil
}
