package admin

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

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

// newKeyCookie carries a key just created to the page the creation
// redirects to (post/redirect/get, so a reload creates nothing): sealed
// like the session, bound to the session's key, for two minutes, scoped to
// /admin/keys, and cleared the first time it is shown.
const newKeyCookie = "hookline_new_key"

type newKey struct {
	KeyID   string `json:"new_key_id"`
	Secret  string `json:"new_key_secret"`
	Session string `json:"session_key_id"`
	Expires int64  `json:"expires"`
}

// keysPage lists an account's API keys (never their secrets), and the
// secret of a key this session just created, once.
func (h *Handler) keysPage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.keysView(r, s)
	if err != nil {
		return err
	}
	if nk := h.takeNewKey(w, r, s); nk != nil {
		for _, k := range v.Keys {
			if k.ID == nk.KeyID {
				v.Created, v.Secret = k, nk.Secret
				w.Header().Set("Cache-Control", "no-store")
			}
		}
	}
	h.render(w, r, s, http.StatusOK, "keys", "API keys", "keys", v)
	return nil
}

func (h *Handler) takeNewKey(w http.ResponseWriter, r *http.Request, s *session) *newKey {
	if _, err := r.Cookie(newKeyCookie); err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: newKeyCookie, Path: "/admin/keys", MaxAge: -1, HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteStrictMode})
	var nk newKey
	if !h.openCookie(r, newKeyCookie, &nk) || nk.KeyID == "" || nk.Session != s.KeyID || h.now().Unix() >= nk.Expires {
		return nil
	}
	return &nk
}

// keyCreate creates a key and redirects to the keys page, which shows its
// secret once.
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
	plain, _ := json.Marshal(newKey{KeyID: k.ID, Secret: secret, Session: s.KeyID, Expires: h.now().Add(2 * time.Minute).Unix()})
	http.SetCookie(w, &http.Cookie{
		Name: newKeyCookie, Value: base64.RawURLEncoding.EncodeToString(h.e.SealAdminSession(plain)),
		Path: "/admin/keys", MaxAge: 120, HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteStrictMode,
	})
	h.redirect(w, r, "/admin/keys"+accountQuery(v.Account), "", "")
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
