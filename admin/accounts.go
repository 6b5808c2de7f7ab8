package admin

import (
	"net/http"
	"strings"

	"github.com/hookline/hookline"
)

type accountsView struct {
	Scope  *scope
	Self   string
	Name   string
	Parent string
	Error  string
}

// accountsPage shows the session's account tree and adds child accounts.
func (h *Handler) accountsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "accounts", "Accounts", "accounts", &accountsView{Scope: sc, Self: s.AccountID, Parent: s.AccountID})
	return nil
}

func (h *Handler) accountCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	parent := r.PostForm.Get("parent_id")
	a, err := h.e.CreateAccount(r.Context(), s.p, hookline.AccountInput{Name: &name, ParentID: &parent})
	if err != nil {
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden {
			return err
		}
		sc, serr := h.scope(r.Context(), s)
		if serr != nil {
			return serr
		}
		h.render(w, r, s, st, "accounts", "Accounts", "accounts", &accountsView{Scope: sc, Self: s.AccountID, Name: name, Parent: parent, Error: msg})
		return nil
	}
	h.redirect(w, r, "/admin/accounts", "ok", "Created account “"+a.Name+"” ("+a.ID+").")
	return nil
}

func (h *Handler) accountDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	if err := h.e.DeleteAccount(r.Context(), s.p, r.PathValue("id")); err != nil {
		h.redirect(w, r, "/admin/accounts", "error", "Could not delete: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, "/admin/accounts", "ok", "Deleted the account and everything it owned.")
	return nil
}
