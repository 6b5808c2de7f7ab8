package hookline

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/hookdoc"
)

// ExportQuery chooses what Export writes.
type ExportQuery struct {
	AccountID string // default the caller's
	HookID    string // only this hook (and nothing else)
}

// Export is an account's hooks, hookable events and collections as one
// document, in a stable order (event types by id, collections by name,
// hooks by key) and without ids or timestamps. A hook without a key gets
// one made from its name (Apply adopts such a hook rather than copying it).
func (e *Engine) Export(ctx context.Context, p Principal, q ExportQuery) (*hookdoc.Doc, error) {
	acc := q.AccountID
	if acc == "" {
		acc = p.AccountID
	}
	doc := &hookdoc.Doc{}
	if q.HookID != "" {
		h, err := e.GetHook(ctx, p, q.HookID)
		if err != nil {
			return nil, err
		}
		if h.Key == "" {
			h.Key = slugKey(h.Name, nil)
		}
		doc.Hooks = []*hook.Hook{h}
		return doc, nil
	}
	if err := e.authorize(ctx, p, acc, PermRead); err != nil {
		return nil, err
	}
	ets, err := e.st.EventTypeList(ctx, []string{acc})
	if err != nil {
		return nil, err
	}
	for _, t := range ets {
		doc.EventTypes = append(doc.EventTypes, hookdoc.EventType{ID: t.ID, Label: t.Label})
	}
	slices.SortFunc(doc.EventTypes, func(a, b hookdoc.EventType) int { return strings.Compare(a.ID, b.ID) })
	cols, err := e.st.CollectionList(ctx, acc)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		doc.Collections = append(doc.Collections, hookdoc.Collection{Name: c.Name, Schema: c.Schema})
	}
	slices.SortFunc(doc.Collections, func(a, b hookdoc.Collection) int { return strings.Compare(a.Name, b.Name) })
	hooks, err := e.accountHooks(ctx, acc)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, h := range hooks {
		used[h.Key] = h.Key != ""
	}
	for _, h := range hooks { // by id: made-up keys do not depend on the order of names
		if h.Key == "" {
			h.Key = slugKey(h.Name, used)
		}
	}
	slices.SortFunc(hooks, func(a, b *hook.Hook) int { return strings.Compare(a.Key, b.Key) })
	doc.Hooks = hooks
	return doc, nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugKey makes a hook key from a name, unique among used (then marked).
func slugKey(name string, used map[string]bool) string {
	base := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(base) > 90 {
		base = strings.TrimRight(base[:90], "-")
	}
	if base == "" {
		base = "hook"
	}
	k := base
	for n := 2; used[k]; n++ {
		k = base + "-" + itoa(n)
	}
	if used != nil {
		used[k] = true
	}
	return k
}
