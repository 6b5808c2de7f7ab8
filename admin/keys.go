package admin

import (
	"net/http"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
)

type keysView struct {
	Keys    []*hook.APIKey
	Scope   *scope
	Account string
	Roles   []string
	Created *hook.APIKey
	Secret  string
	Form    struct{ Name, Role, Origins string }
	Error   string
	Self    string
}

func (h *Handler) keysView(r *http.Request, s *session) (*keysView, error) {
	if err := requireAdmin(s); err != nil {
		return nil, err
	}
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return nil, err
	}
	v := &keysView{Scope: sc, Account: sc.pick(r, s.AccountID), Roles: hook.Roles, Self: s.KeyID}
	v.Form.Role = hook.RoleUser
	v.Keys, err = h.e.ListKeys(r.Context(), s.p, v.Account)
	return v, err
}

// keysPage lists an account's API keys (never their secrets).
func (h *Handler) keysPage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.keysView(r, s)
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "keys", "API keys", "keys", v)
	return nil
}

// keyCreate answers with the page itself (no redirect): the new key's
// secret is shown this once and is never stored in a cookie.
func (h *Handler) keyCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.keysView(r, s)
	if err != nil {
		return err
	}
	in := hookline.KeyInput{Name: r.PostForm.Get("name"), Role: r.PostForm.Get("role")}
	for _, o := range strings.FieldsFunc(r.PostForm.Get("origins"), func(c rune) bool { return c == ',' || c == '\n' || c == ' ' }) {
		in.AllowedOrigins = append(in.AllowedOrigins, strings.TrimSpace(o))
	}
	k, secret, err := h.e.CreateKey(r.Context(), s.p, v.Account, in)
	if err != nil {
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusNotFound {
			return err
		}
		v.Error = msg
		v.Form.Name, v.Form.Role, v.Form.Origins = in.Name, in.Role, r.PostForm.Get("origins")
		h.render(w, r, s, st, "keys", "API keys", "keys", v)
		return nil
	}
	v.Created, v.Secret = k, secret
	if v.Keys, err = h.e.ListKeys(r.Context(), s.p, v.Account); err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "keys", "API keys", "keys", v)
	return nil
}

func (h *Handler) keyDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireAdmin(s); err != nil {
		return err
	}
	back := "/admin/keys" + accountQuery(r.PostForm.Get("account"))
	id := r.PathValue("id")
	if id == s.KeyID {
		h.redirect(w, r, back, "error", "This is the key you are signed in with; sign in with another admin key to revoke it.")
		return nil
	}
	if err := h.e.DeleteKey(r.Context(), s.p, id); err != nil {
		h.redirect(w, r, back, "error", "Could not revoke: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, back, "ok", "Revoked the key. Requests with it now answer 401.")
	return nil
}
