package dispatch

import (
	"context"
	"slices"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/snapshot"
	"github.com/hookline/hookline/store"
)

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
			slices.SortFunc(hs, RunOrder)
		}
	}
	return set, nil
}

// RunOrder orders hooks of one owner (SPEC §7): order, then creation time,
// then id.
func RunOrder(a, b *hook.Hook) int {
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

// Hooks is the index of enabled hooks by (account, trigger key).
type Hooks struct{ s *snapshot.Of[*hookSet] }

func newHooks() Hooks { return Hooks{snapshot.New(loadHookSet)} }

// Invalidate drops the index (a hook changed on this or another node).
func (ix Hooks) Invalidate() { ix.s.Invalidate() }

// Match returns the enabled hooks of the owners (nearest first) under key,
// each owner's in run order.
func (ix Hooks) Match(ctx context.Context, q store.Querier, owners []string, key string) ([]*hook.Hook, error) {
	set, err := ix.s.Get(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []*hook.Hook
	for _, acc := range owners {
		out = append(out, set.byKey[acc][key]...)
	}
	return out, nil
}

// Enabled returns an enabled hook by id, or nil.
func (ix Hooks) Enabled(ctx context.Context, q store.Querier, id string) *hook.Hook {
	set, err := ix.s.Get(ctx, q)
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

// Accounts is the account tree.
type Accounts struct{ s *snapshot.Of[*accountTree] }

func newAccounts() Accounts { return Accounts{snapshot.New(loadAccountTree)} }

// Invalidate drops the tree (an account changed on this or another node).
func (c Accounts) Invalidate() { c.s.Invalidate() }

// Get returns an account.
func (c Accounts) Get(ctx context.Context, q store.Querier, id string) (*hook.Account, error) {
	t, err := c.s.Get(ctx, q)
	if err != nil {
		return nil, err
	}
	if a := t.byID[id]; a != nil {
		return a, nil
	}
	return q.AccountGet(ctx, id) // maybe created on another node a moment ago
}

// Ancestors returns id and its ancestors, nearest first.
func (c Accounts) Ancestors(ctx context.Context, q store.Querier, id string) ([]string, error) {
	t, err := c.s.Get(ctx, q)
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

// Subtree returns id and all its descendants.
func (c Accounts) Subtree(ctx context.Context, q store.Querier, id string) ([]string, error) {
	t, err := c.s.Get(ctx, q)
	if err != nil {
		return nil, err
	}
	out := []string{id}
	for i := 0; i < len(out); i++ {
		out = append(out, t.kids[out[i]]...)
	}
	return out, nil
}
