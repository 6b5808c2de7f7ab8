package admin

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// accountOpt is one account of the session's subtree, in tree order.
type accountOpt struct {
	ID, Name, ParentID string
	Depth              int
	Account            *hook.Account
}

// Label indents the name by depth for selects.
func (a accountOpt) Label() string {
	return strings.Repeat("\u00a0\u00a0\u00a0", a.Depth) + a.Name
}

// scope is the session's subtree, for selects and names.
type scope struct {
	List  []accountOpt
	names map[string]string
}

// Name is an account's name, or its id when it is not in the subtree.
func (sc *scope) Name(id string) string {
	if n, ok := sc.names[id]; ok {
		return n
	}
	return id
}

// Has reports whether id is in the subtree.
func (sc *scope) Has(id string) bool { _, ok := sc.names[id]; return ok }

func (h *Handler) scope(ctx context.Context, s *session) (*scope, error) {
	list, err := h.e.ListAccounts(ctx, s.p, store.Page{Limit: 500})
	if err != nil {
		return nil, err
	}
	children := map[string][]*hook.Account{}
	byID := map[string]*hook.Account{}
	for _, a := range list {
		byID[a.ID] = a
	}
	for _, a := range list {
		if _, ok := byID[a.ParentID]; ok && a.ID != s.AccountID {
			children[a.ParentID] = append(children[a.ParentID], a)
		}
	}
	sc := &scope{names: map[string]string{}}
	var walk func(a *hook.Account, depth int)
	walk = func(a *hook.Account, depth int) {
		sc.List = append(sc.List, accountOpt{ID: a.ID, Name: a.Name, ParentID: a.ParentID, Depth: depth, Account: a})
		sc.names[a.ID] = a.Name
		kids := children[a.ID]
		sort.Slice(kids, func(i, j int) bool { return kids[i].Name < kids[j].Name })
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	if root, ok := byID[s.AccountID]; ok {
		walk(root, 0)
	}
	return sc, nil
}

// pick is the account a per-account page shows: ?account= when it lies in
// the subtree, else the session's own.
func (sc *scope) pick(r *http.Request, sessionAccount string) string {
	id := r.FormValue("account")
	if id != "" && sc.Has(id) {
		return id
	}
	return sessionAccount
}
