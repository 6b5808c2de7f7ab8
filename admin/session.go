package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
)

const (
	sessionCookie = "hookline_admin"
	loginCookie   = "hookline_admin_login" // CSRF token of the login form (double submit)
	maxFormBytes  = 1 << 20
)

// session is a signed-in admin. It travels sealed in a cookie; the key is
// looked up again on every request, so revoking it ends the session.
type session struct {
	KeyID     string `json:"k"`
	AccountID string `json:"a"`
	CSRF      string `json:"c"`
	Expires   int64  `json:"x"`
	Name      string `json:"n"` // the account's name at sign-in, for the page header

	p hookline.Principal
}

// P is the principal the session acts as.
func (s *session) P() hookline.Principal { return s.p }

// Role is the key's role.
func (s *session) Role() string { return s.p.Role }

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// canUseAdmin: the admin UI is for keys that may manage hooks.
func canUseAdmin(role string) bool { return role == hook.RoleAdmin || role == hook.RoleManager }

// loadSession reads and checks the session cookie; nil when there is none
// or it is not valid any more.
func (h *Handler) loadSession(r *http.Request) *session {
	var s session
	if !h.openCookie(r, sessionCookie, &s) || s.KeyID == "" || s.CSRF == "" {
		return nil
	}
	if h.now().Unix() >= s.Expires {
		return nil
	}
	p, err := h.e.KeyPrincipal(r.Context(), s.KeyID)
	if err != nil || p.AccountID != s.AccountID || !canUseAdmin(p.Role) {
		return nil
	}
	s.p = p
	return &s
}

// openCookie reads a cookie sealed with SealAdminSession into v; false
// when it is missing or does not open.
func (h *Handler) openCookie(r *http.Request, name string, v any) bool {
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return false
	}
	plain, err := h.e.OpenAdminSession(sealed)
	return err == nil && json.Unmarshal(plain, v) == nil
}

func (h *Handler) setSession(w http.ResponseWriter, r *http.Request, s *session) {
	plain, _ := json.Marshal(s)
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: base64.RawURLEncoding.EncodeToString(h.e.SealAdminSession(plain)),
		Path: "/admin/", MaxAge: int(h.o.SessionTTL / time.Second),
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: "/admin/", MaxAge: -1, HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteLaxMode})
}

// wantsJSON: the editor's background requests ask for JSON answers.
func wantsJSON(r *http.Request) bool { return r.Header.Get("X-Requested-With") == "hookline-admin" }

// authed wraps a page: it needs a session, and a POST needs the session's
// CSRF token (form field csrf or header X-CSRF-Token).
func (h *Handler) authed(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := h.loadSession(r)
		if s == nil {
			if wantsJSON(r) {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "your session ended; sign in again"})
				return
			}
			target := "/admin/login"
			if r.Method == http.MethodGet && r.URL.Path != "/admin/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				h.renderError(w, r, s, http.StatusBadRequest, "The form could not be read (too large or malformed).")
				return
			}
			tok := r.PostForm.Get("csrf")
			if tok == "" {
				tok = r.Header.Get("X-CSRF-Token")
			}
			if subtle.ConstantTimeCompare([]byte(tok), []byte(s.CSRF)) != 1 {
				if wantsJSON(r) {
					writeJSON(w, http.StatusForbidden, map[string]any{"error": "the form's security token is missing or stale; reload the page"})
					return
				}
				h.renderError(w, r, s, http.StatusForbidden, "The form's security token is missing or stale. Reload the page and try again.")
				return
			}
		}
		if err := fn(w, r, s); err != nil {
			h.fail(w, r, s, err)
		}
	})
}

type loginView struct {
	CSRF  string
	Next  string
	Error string
}

func (h *Handler) loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{
		Name: loginCookie, Value: tok, Path: "/admin/", MaxAge: 3600,
		HttpOnly: true, Secure: h.secure(r), SameSite: http.SameSiteStrictMode,
	})
	return tok
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if h.loadSession(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	tok := h.loginToken(w, r)
	h.render(w, r, nil, http.StatusOK, "login", "Sign in", "", loginView{CSRF: tok, Next: r.URL.Query().Get("next")})
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.renderError(w, r, nil, http.StatusBadRequest, "The form could not be read.")
		return
	}
	next := r.PostForm.Get("next")
	c, err := r.Cookie(loginCookie)
	tok := r.PostForm.Get("csrf")
	if err != nil || tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(c.Value)) != 1 {
		h.render(w, r, nil, http.StatusForbidden, "login", "Sign in", "",
			loginView{CSRF: h.loginToken(w, r), Next: next, Error: "The sign-in form expired. Please try again."})
		return
	}
	again := func(status int, msg string) {
		h.render(w, r, nil, status, "login", "Sign in", "", loginView{CSRF: tok, Next: next, Error: msg})
	}
	key := strings.TrimSpace(r.PostForm.Get("key"))
	if key == "" {
		again(http.StatusUnprocessableEntity, "Enter an API key.")
		return
	}
	p, err := h.e.Authenticate(r.Context(), key)
	if err != nil {
		if hookline.ErrorKind(err) == hookline.KindUnauthed {
			again(http.StatusUnauthorized, "That API key is not valid.")
			return
		}
		h.fail(w, r, nil, err)
		return
	}
	if !canUseAdmin(p.Role) {
		again(http.StatusForbidden, "A "+p.Role+" key cannot use the admin UI: sign in with an admin or manager key.")
		return
	}
	s := &session{KeyID: p.KeyID, AccountID: p.AccountID, CSRF: randomToken(), Expires: h.now().Add(h.o.SessionTTL).Unix(), Name: p.AccountID}
	if a, err := h.e.GetAccount(r.Context(), p, p.AccountID); err == nil {
		s.Name = a.Name
	}
	h.setSession(w, r, s)
	h.clearCookie(w, r, loginCookie)
	_, err = h.e.Emit(r.Context(), &hook.Event{
		Type: hook.EventAuthLogin, AccountID: p.AccountID,
		Data:  map[string]any{"key_id": p.KeyID, "source": "admin"},
		Actor: &hook.Actor{KeyID: p.KeyID, Role: p.Role},
	})
	if err != nil {
		// The sign-in stands; a lost login event is logged, not fatal.
		h.log.Warn("admin: emit auth.login", "account", p.AccountID, "err", err)
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, s *session) error {
	h.clearCookie(w, r, sessionCookie)
	h.redirect(w, r, "/admin/login", "ok", "You are signed out.")
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var errNoAdmin = &hookline.Error{Kind: hookline.KindForbidden, Msg: "only admin keys manage this"}

// requireAdmin refuses pages for accounts and keys to manager sessions.
func requireAdmin(s *session) error {
	if !hookline.Can(s.p.Role, hookline.PermAdmin) {
		return errNoAdmin
	}
	return nil
}
