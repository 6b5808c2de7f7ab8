package hookline

import (
	"context"
	"slices"
	"sync"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// hookIndex keeps the enabled hooks by (account, trigger key) in memory, so
// matching an event does not scan every hook. Any hook write (on this node,
// or on another node through a notification) marks it stale; the next lookup
// reloads it.
type hookIndex struct {
	loadMu sync.Mutex // one reload at a time; the others wait for it
	mu     sync.RWMutex
	stale  bool
	gen    uint64
	byKey  map[string]map[string][]*hook.Hook // account -> trigger key -> hooks in run order
	byID   map[string]*hook.Hook
}

func newHookIndex() *hookIndex { return &hookIndex{stale: true} }

func (ix *hookIndex) invalidate() {
	ix.mu.Lock()
	ix.stale = true
	ix.gen++
	ix.mu.Unlock()
}

func (ix *hookIndex) load(ctx context.Context, st store.Querier) error {
	ix.mu.RLock()
	stale := ix.stale
	ix.mu.RUnlock()
	if !stale {
		return nil
	}
	ix.loadMu.Lock()
	defer ix.loadMu.Unlock()
	ix.mu.RLock()
	stale, gen := ix.stale, ix.gen
	ix.mu.RUnlock()
	if !stale { // another caller reloaded meanwhile
		return nil
	}
	hooks, err := st.HookListEnabled(ctx)
	if err != nil {
		return err
	}
	byKey := make(map[string]map[string][]*hook.Hook)
	byID := make(map[string]*hook.Hook, len(hooks))
	for _, h := range hooks {
		m := byKey[h.AccountID]
		if m == nil {
			m = make(map[string][]*hook.Hook)
			byKey[h.AccountID] = m
		}
		m[h.Trigger.Key()] = append(m[h.Trigger.Key()], h)
		byID[h.ID] = h
	}
	for _, m := range byKey {
		for _, hs := range m {
			slices.SortFunc(hs, runOrder)
		}
	}
	// What was read is at least as new as the last invalidation before the
	// load began; if another came meanwhile, stay stale so the next lookup
	// reads again.
	ix.mu.Lock()
	ix.byKey, ix.byID, ix.stale = byKey, byID, ix.gen != gen
	ix.mu.Unlock()
	return nil
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

// match returns the enabled hooks of the owners (nearest first) under key.
func (ix *hookIndex) match(ctx context.Context, st store.Querier, owners []string, key string) ([]*hook.Hook, error) {
	if err := ix.load(ctx, st); err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var out []*hook.Hook
	for _, acc := range owners {
		out = append(out, ix.byKey[acc][key]...)
	}
	return out, nil
}

// accountCache keeps every account in memory for tree walks (ancestors for
// matching, subtrees for scoping). Invalidated like the hook index.
type accountCache struct {
	loadMu sync.Mutex
	mu     sync.RWMutex
	stale  bool
	gen    uint64
	byID   map[string]*hook.Account
	kids   map[string][]string
}

func newAccountCache() *accountCache { return &accountCache{stale: true} }

func (c *accountCache) invalidate() {
	c.mu.Lock()
	c.stale = true
	c.gen++
	c.mu.Unlock()
}

func (c *accountCache) load(ctx context.Context, st store.Querier) error {
	c.mu.RLock()
	stale := c.stale
	c.mu.RUnlock()
	if !stale {
		return nil
	}
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	c.mu.RLock()
	stale, gen := c.stale, c.gen
	c.mu.RUnlock()
	if !stale {
		return nil
	}
	byID := map[string]*hook.Account{}
	kids := map[string][]string{}
	cursor := ""
	for {
		page, err := st.AccountList(ctx, store.AccountFilter{Page: store.Page{Limit: 500, Cursor: cursor}})
		if err != nil {
			return err
		}
		for _, a := range page {
			byID[a.ID] = a
			if a.ParentID != "" {
				kids[a.ParentID] = append(kids[a.ParentID], a.ID)
			}
		}
		if len(page) < 500 {
			break
		}
		cursor = page[len(page)-1].ID
	}
	c.mu.Lock()
	c.byID, c.kids, c.stale = byID, kids, c.gen != gen
	c.mu.Unlock()
	return nil
}

func (c *accountCache) get(ctx context.Context, st store.Querier, id string) (*hook.Account, error) {
	if err := c.load(ctx, st); err != nil {
		return nil, err
	}
	c.mu.RLock()
	a := c.byID[id]
	c.mu.RUnlock()
	if a == nil {
		// Maybe created on another node a moment ago.
		return st.AccountGet(ctx, id)
	}
	return a, nil
}

// ancestors returns id and its ancestors, nearest first.
func (c *accountCache) ancestors(ctx context.Context, st store.Querier, id string) ([]string, error) {
	if err := c.load(ctx, st); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for cur := id; cur != "" && len(out) < 64; {
		out = append(out, cur)
		a := c.byID[cur]
		if a == nil {
			break
		}
		cur = a.ParentID
	}
	return out, nil
}

// subtree returns id and all its descendants.
func (c *accountCache) subtree(ctx context.Context, st store.Querier, id string) ([]string, error) {
	if err := c.load(ctx, st); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := []string{id}
	for i := 0; i < len(out); i++ {
		out = append(out, c.kids[out[i]]...)
	}
	return out, nil
}
