// Package admin is hookline's admin web UI (SPEC §8): server-rendered pages
// under /admin/, embedded in the binary, over the engine's Go API. It never
// runs SQL and never calls the REST API; every page shows only the subtree
// of the signed-in key's account.
//
// Pages are html/template files in templates/ (one page per file, sharing
// layout.html and the partials), styles and one small vanilla script in
// static/. Sessions are sealed cookies (AES-GCM with the engine's secret
// key), so several nodes serve the same sessions; every POST carries the
// session's CSRF token.
package admin

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures the admin UI.
type Options struct {
	// PublicURL is the base URL senders use to reach this server, e.g.
	// https://hooks.example.com; the hook editor shows inbound routes under
	// it. Default: the scheme and host of each admin request.
	PublicURL string
	// Logger receives internal errors. Default: slog.Default().
	Logger *slog.Logger
	// SessionTTL is how long a sign-in lasts. Default 12h.
	SessionTTL time.Duration
	// SecureCookies sets the Secure flag on cookies even when the request
	// arrived over plain HTTP (behind a TLS-terminating proxy). Requests that
	// arrive over TLS always get it.
	SecureCookies bool
}

// Handler serves the admin UI. Mount it at /admin/ (it expects the full
// request path, so do not strip the prefix):
//
//	ui, err := admin.New(eng, admin.Options{})
//	api := httpapi.New(eng, httpapi.Options{Admin: ui})
type Handler struct {
	e         *hookline.Engine
	o         Options
	log       *slog.Logger
	now       func() time.Time
	mux       *http.ServeMux
	pages     map[string]*template.Template
	frags     *template.Template
	staticVer string
	cat       *catalog
}

// New builds the admin UI over e.
func New(e *hookline.Engine, o Options) (*Handler, error) {
	if e == nil {
		return nil, errors.New("admin: engine is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	h := &Handler{e: e, o: o, log: o.Logger, now: e.Config().Now, mux: http.NewServeMux(), cat: newCatalog(e.ActionDescriptions())}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	ver, err := hashFS(staticFS)
	if err != nil {
		return nil, err
	}
	h.staticVer = ver
	h.routes()
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

// handlerFunc is a signed-in page; a returned error is rendered as a page.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session) error

func (h *Handler) routes() {
	m := h.mux
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/admin/static/", http.FileServerFS(static))
	m.Handle("GET /admin/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /admin/login", h.loginPage)
	m.HandleFunc("POST /admin/login", h.loginSubmit)
	m.Handle("POST /admin/logout", h.authed(h.logout))

	m.Handle("GET /admin/{$}", h.authed(h.dashboard))
	m.Handle("GET /admin/hooks", h.authed(h.hooksPage))
	m.Handle("GET /admin/hooks/new", h.authed(h.editorNew))
	m.Handle("POST /admin/hooks/new", h.authed(h.editorSave))
	m.Handle("POST /admin/hooks/live", h.authed(h.editorLive))
	m.Handle("POST /admin/hooks/dryrun", h.authed(h.editorDryRun))
	m.Handle("POST /admin/hooks/scope", h.authed(h.pickerScope))
	m.Handle("GET /admin/hooks/{id}", h.authed(h.editorEdit))
	m.Handle("POST /admin/hooks/{id}", h.authed(h.editorSave))
	m.Handle("POST /admin/hooks/{id}/duplicate", h.authed(h.hookDuplicate))
	m.Handle("POST /admin/hooks/{id}/enabled", h.authed(h.hookSetEnabled))
	m.Handle("GET /admin/hooks/{id}/delete", h.authed(h.hookDeleteConfirm))
	m.Handle("POST /admin/hooks/{id}/delete", h.authed(h.hookDelete))
	m.Handle("GET /admin/hooks/{id}/history", h.authed(h.historyPage))
	m.Handle("POST /admin/hooks/{id}/versions/{n}/restore", h.authed(h.historyRestore))
	m.Handle("GET /admin/hooks/{id}/export.yaml", h.authed(h.hookExport))
	m.Handle("GET /admin/hooks/{id}/test", h.authed(h.testPage))
	m.Handle("POST /admin/hooks/{id}/test", h.authed(h.testRun))
	m.Handle("POST /admin/hooks/{id}/trigger", h.authed(h.testTrigger))

	m.Handle("GET /admin/executions", h.authed(h.executionsPage))
	m.Handle("GET /admin/executions/{id}", h.authed(h.executionPage))
	m.Handle("POST /admin/executions/{id}/replay", h.authed(h.executionReplay))

	m.Handle("GET /admin/events", h.authed(h.eventsPage))
	m.Handle("GET /admin/jobs", h.authed(h.jobsPage))
	m.Handle("GET /admin/sources", h.authed(h.sourcesPage))
	m.Handle("POST /admin/jobs/{id}/retry", h.authed(h.jobRetry))
	m.Handle("POST /admin/jobs/{id}/delete", h.authed(h.jobDelete))
	m.Handle("POST /admin/events", h.authed(h.eventCreate))
	m.Handle("POST /admin/events/{id}/delete", h.authed(h.eventDelete))

	m.Handle("GET /admin/collections", h.authed(h.collectionsPage))
	m.Handle("POST /admin/collections", h.authed(h.collectionCreate))
	m.Handle("POST /admin/collections/{name}/delete", h.authed(h.collectionDelete))
	m.Handle("POST /admin/collections/{name}/schema", h.authed(h.collectionSchema))
	m.Handle("GET /admin/collections/{name}", h.authed(h.recordsPage))
	m.Handle("POST /admin/collections/{name}/records", h.authed(h.recordCreate))
	m.Handle("POST /admin/collections/{name}/records/{id}", h.authed(h.recordUpdate))
	m.Handle("POST /admin/collections/{name}/records/{id}/delete", h.authed(h.recordDelete))

	m.Handle("GET /admin/keys", h.authed(h.keysPage))
	m.Handle("POST /admin/keys", h.authed(h.keyCreate))
	m.Handle("POST /admin/keys/{id}/delete", h.authed(h.keyDelete))

	m.Handle("GET /admin/secrets", h.authed(h.secretsPage))
	m.Handle("POST /admin/secrets", h.authed(h.secretPut))
	m.Handle("POST /admin/secrets/{name}/delete", h.authed(h.secretDelete))

	m.Handle("GET /admin/accounts", h.authed(h.accountsPage))
	m.Handle("GET /admin/settings", h.authed(h.settingsPage))
	m.Handle("POST /admin/settings/test-email", h.authed(h.settingsTestEmail))
	m.Handle("POST /admin/settings/test-sms", h.authed(h.settingsTestSMS))
	m.Handle("POST /admin/accounts", h.authed(h.accountCreate))
	m.Handle("POST /admin/accounts/{id}/delete", h.authed(h.accountDelete))

	m.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, nil, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	})
}

// view is what every page template receives.
type view struct {
	Title     string
	Nav       string
	S         *session
	Flash     string
	FlashKind string
	Static    string
	CanAdmin  bool
	Operator  bool   // may see the server's settings
	Req       string // this page's path and query, for "back" links
	// StorageDown: the latest write failed because the database is
	// unreachable or takes no writes; every page says so in a banner.
	StorageDown bool
	D           any
}

// render writes page with status and the common view fields.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, s *session, status int, pageName, title, nav string, d any) {
	t, ok := h.pages[pageName]
	if !ok {
		h.log.Error("admin: unknown page template", "page", pageName)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := view{Title: title, Nav: nav, S: s, Static: h.staticVer, D: d, Req: r.URL.RequestURI(),
		StorageDown: h.e.StorageError() != nil}
	if s != nil {
		v.CanAdmin = hookline.Can(s.p.Role, hookline.PermAdmin)
		v.Operator = v.CanAdmin && h.e.IsOperator(r.Context(), s.p)
	}
	v.FlashKind, v.Flash = takeFlash(w, r)
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		h.log.Error("admin: render", "page", pageName, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fragment writes a partial template (for the editor's live updates).
func (h *Handler) fragment(name string, d any) (string, error) {
	var b strings.Builder
	if err := h.frags.ExecuteTemplate(&b, name, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// errMessage is the message of err safe to show, and its status.
func errMessage(err error) (int, string) {
	he := hookline.PublicError(err)
	switch {
	case he == nil:
		return http.StatusInternalServerError, "Something went wrong on the server; the details are in its log."
	case he.Kind == hookline.KindStorage:
		return hookline.HTTPStatus(he.Kind), "The database cannot be reached or takes no writes right now; nothing was saved. Try again in a moment."
	}
	return hookline.HTTPStatus(he.Kind), he.Error()
}

func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	title := http.StatusText(status)
	h.render(w, r, s, status, "error", title, "", map[string]any{"Status": status, "Message": msg})
}

// fail renders err as an error page (internal errors are logged, not shown).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	st, msg := errMessage(err)
	if st == http.StatusInternalServerError {
		h.log.Error("admin: internal error", "path", r.URL.Path, "err", err)
	}
	h.renderError(w, r, s, st, msg)
}

// redirect answers a POST with 303 to target, leaving a flash message.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, target, kind, msg string) {
	if msg != "" {
		setFlash(w, r, h.secure(r), kind, msg)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

const flashCookie = "hookline_flash"

func setFlash(w http.ResponseWriter, r *http.Request, secure bool, kind, msg string) {
	http.SetCookie(w, &http.Cookie{
		Name: flashCookie, Value: url.QueryEscape(kind + "|" + msg), Path: "/admin/",
		MaxAge: 60, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

func takeFlash(w http.ResponseWriter, r *http.Request) (kind, msg string) {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/admin/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	v, err := url.QueryUnescape(c.Value)
	if err != nil {
		return "", ""
	}
	kind, msg, _ = strings.Cut(v, "|")
	if kind != "ok" && kind != "error" && kind != "warn" {
		kind = "ok"
	}
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return kind, msg
}

func (h *Handler) secure(r *http.Request) bool { return r.TLS != nil || h.o.SecureCookies }

// baseURL is where senders reach this server.
func (h *Handler) baseURL(r *http.Request) string {
	if h.o.PublicURL != "" {
		return h.o.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// safeNext keeps a post-login target inside the admin UI (no open redirect).
func safeNext(next string) string {
	if next == "" || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "..") {
		return "/admin/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/admin/") || strings.HasPrefix(u.Path, "/admin/login") {
		return "/admin/"
	}
	return u.RequestURI()
}

func hashFS(fsys fs.FS) (string, error) {
	sum := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(sum, "%s\x00%d\x00", p, len(b))
		sum.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sum.Sum(nil))[:12], nil
}
