package admin

import (
	"net/http"
	"strings"

	"github.com/hookline/hookline/hook"
)

type secretsView struct {
	Secrets []*hook.Secret
	Scope   *scope
	Account string
	Name    string
	Error   string
}

func (h *Handler) secretsView(r *http.Request, s *session) (*secretsView, error) {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return nil, err
	}
	v := &secretsView{Scope: sc, Account: sc.pick(r, s.AccountID)}
	v.Secrets, err = h.e.ListSecrets(r.Context(), s.p, v.Account)
	return v, err
}

// secretsPage lists secret names; values are write-only.
func (h *Handler) secretsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.secretsView(r, s)
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "secrets", "Secrets", "secrets", v)
	return nil
}

func (h *Handler) secretPut(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.secretsView(r, s)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if _, err := h.e.PutSecret(r.Context(), s.p, v.Account, name, r.PostForm.Get("value")); err != nil {
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusNotFound {
			return err
		}
		v.Error, v.Name = msg, name
		h.render(w, r, s, st, "secrets", "Secrets", "secrets", v)
		return nil
	}
	h.redirect(w, r, "/admin/secrets"+accountQuery(v.Account), "ok", "Stored secret "+name+". Use it as {{secret."+name+"}}.")
	return nil
}

func (h *Handler) secretDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	account, name := sc.pick(r, s.AccountID), r.PathValue("name")
	if err := h.e.DeleteSecret(r.Context(), s.p, account, name); err != nil {
		h.redirect(w, r, "/admin/secrets"+accountQuery(account), "error", "Could not delete: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, "/admin/secrets"+accountQuery(account), "ok", "Deleted secret "+name+".")
	return nil
}
