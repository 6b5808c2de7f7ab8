package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline/store"
)

type collectionsView struct {
	Collections []*store.Collection
	Scope       *scope
	Account     string
	Name        string
	Error       string
}

func (h *Handler) collectionsView(r *http.Request, s *session) (*collectionsView, error) {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return nil, err
	}
	v := &collectionsView{Scope: sc, Account: sc.pick(r, s.AccountID)}
	v.Collections, err = h.e.ListCollections(r.Context(), s.p, v.Account)
	return v, err
}

// collectionsPage lists an account's collections (modules).
func (h *Handler) collectionsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.collectionsView(r, s)
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "collections", "Collections", "collections", v)
	return nil
}

func accountQuery(account string) string { return "?account=" + url.QueryEscape(account) }

func (h *Handler) collectionCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.collectionsView(r, s)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if _, err := h.e.CreateCollection(r.Context(), s.p, v.Account, name, nil); err != nil {
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusNotFound {
			return err
		}
		v.Error, v.Name = msg, name
		h.render(w, r, s, st, "collections", "Collections", "collections", v)
		return nil
	}
	h.redirect(w, r, "/admin/collections/"+url.PathEscape(name)+accountQuery(v.Account), "ok", "Created collection "+name+".")
	return nil
}

func (h *Handler) collectionDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	account, name := sc.pick(r, s.AccountID), r.PathValue("name")
	if err := h.e.DeleteCollection(r.Context(), s.p, account, name); err != nil {
		h.redirect(w, r, "/admin/collections"+accountQuery(account), "error", "Could not delete: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, "/admin/collections"+accountQuery(account), "ok", "Deleted collection "+name+" and its records.")
	return nil
}
