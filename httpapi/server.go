// Package httpapi serves hookline's REST API (SPEC §2) over an Engine: one
// file per resource, errors mapped to statuses in one place (writeError).
// Handlers never touch storage directly; they call the Engine.
package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/hookdoc"
	"github.com/hookline/hookline/store"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configures the HTTP layer.
type Options struct {
	// Admin, when set, is mounted at /admin/.
	Admin http.Handler
	// Logger receives request errors. Default: slog.Default().
	Logger *slog.Logger
	// PublicURL is how clients reach this server (for inbound route URLs in
	// the OpenAPI document). Optional.
	PublicURL string
}

// Server is the HTTP API.
type Server struct {
	e   *hookline.Engine
	o   Options
	log *slog.Logger
	mux *http.ServeMux
}

// New builds the API handler.
func New(e *hookline.Engine, o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	s := &Server{e: e, o: o, log: o.Logger, mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type handlerFunc func(w http.ResponseWriter, r *http.Request, p hookline.Principal) error

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	m.HandleFunc("GET /readyz", s.readyz)
	m.Handle("GET /metrics", promhttp.HandlerFor(s.e.Metrics.Registry, promhttp.HandlerOpts{}))
	m.HandleFunc("GET /openapi.json", s.openapi)
	m.HandleFunc("GET "+hookdoc.SchemaPath, s.documentSchemaHandler)

	for _, rt := range s.apiRoutes() {
		m.Handle(rt.method+" "+rt.path, s.authed(rt.h))
	}
	m.HandleFunc("/in/{account_id}/{path...}", s.inbound)
	m.HandleFunc("GET /sdk.js", s.sdkJS)
	m.HandleFunc("OPTIONS /api/v1/sdk/events", s.sdkPreflight)
	m.HandleFunc("POST /api/v1/sdk/events", s.sdkEvents)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, s.log, &hookline.Error{Kind: hookline.KindNotFound, Msg: "no such route: " + r.Method + " " + r.URL.Path})
	})
	if s.o.Admin != nil {
		m.Handle("/admin/", s.o.Admin)
	}
}

// readyz is 200 while a write reaches the database, else 503 with
// Retry-After (a load balancer sends this node's traffic elsewhere).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.e.Ready(r.Context()); err != nil {
		he := hookline.PublicError(err)
		w.Header().Set("Retry-After", strconv.Itoa(he.RetryAfter))
		s.log.Warn("not ready", "err", err)
		writeJSON(w, 503, map[string]string{"status": "unavailable", "code": he.Kind, "error": he.Msg})
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

// authed resolves the bearer key and refuses publishable keys outside the SDK route.
func (s *Server) authed(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		p, err := s.e.Authenticate(r.Context(), strings.TrimSpace(token))
		if err != nil {
			writeError(w, s.log, err)
			return
		}
		if p.Role == hook.RolePublishable {
			writeError(w, s.log, &hookline.Error{Kind: hookline.KindForbidden, Msg: "a publishable key may only send browser SDK events to /api/v1/sdk/events"})
			return
		}
		if err := h(w, r, p); err != nil {
			writeError(w, s.log, err)
		}
	})
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	} `json:"error"`
}

// writeError answers err as hookline.PublicError maps it; anything else is
// a 500 whose details stay in the log.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	var body errorBody
	status := http.StatusInternalServerError
	if he := hookline.PublicError(err); he != nil {
		status = hookline.HTTPStatus(he.Kind)
		body.Error.Code, body.Error.Message, body.Error.Field = he.Kind, he.Msg, he.Field
		if he.Kind == hookline.KindRateLimit || he.Kind == hookline.KindStorage {
			w.Header().Set("Retry-After", strconv.Itoa(max(he.RetryAfter, 1)))
		}
		if he.Kind == hookline.KindStorage {
			log.Warn("storage unavailable", "err", err)
		}
	} else {
		log.Error("internal error", "err", err)
		body.Error.Code, body.Error.Message = "internal", "internal error"
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// maxBody bounds request bodies that are not events.
const maxBody = 1 << 20

// decode reads a JSON body into v: 400 when it is not JSON, 422 naming the
// field when a value has the wrong type, 413 past limit bytes.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &hookline.Error{Kind: hookline.KindTooLarge, Msg: "request body is larger than " + strconv.FormatInt(limit, 10) + " bytes"}
		}
		return &hookline.Error{Kind: hookline.KindMalformed, Msg: "could not read the request body"}
	}
	return decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return &hookline.Error{Kind: hookline.KindMalformed, Msg: "request body is empty; send JSON"}
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				return &hookline.Error{Kind: hookline.KindMalformed, Msg: "the body must be a JSON " + kindOf(v)}
			}
			return hookline.JSONTypeError(te)
		}
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return &hookline.Error{Kind: hookline.KindInvalid, Msg: "a time must be RFC 3339, like 2026-12-01T09:00:00Z; got " + strconv.Quote(pe.Value)}
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return &hookline.Error{Kind: hookline.KindMalformed, Msg: "malformed JSON at byte " + strconv.FormatInt(se.Offset, 10) + ": " + se.Error()}
		}
		return &hookline.Error{Kind: hookline.KindMalformed, Msg: "malformed JSON: " + err.Error()}
	}
	return nil
}

func kindOf(v any) string {
	switch v.(type) {
	case *[]any:
		return "array"
	}
	return "object"
}

// page reads ?limit=&cursor=.
func page(r *http.Request) (store.Page, error) {
	p := store.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")}
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return p, &hookline.Error{Kind: hookline.KindInvalid, Field: "limit", Msg: "must be a number from 1 to 500"}
		}
		p.Limit = n
	}
	return p, nil
}

// list writes {"items": [...], "next_cursor": ...}.
func list[T any](w http.ResponseWriter, items []T, limit int, idOf func(T) string) {
	var next *string
	if len(items) == limit && limit > 0 {
		c := idOf(items[len(items)-1])
		next = &c
	}
	if items == nil {
		items = []T{}
	}
	writeJSON(w, 200, map[string]any{"items": items, "next_cursor": next})
}

// listPage writes one page of a whole list sorted by key (ascending): the
// small per-account lists (keys, secrets, collections, hookable events) are
// read whole and cut here, with the same limit and cursor as every list.
// next_cursor is set only when more items follow.
func listPage[T any](w http.ResponseWriter, items []T, pg store.Page, key func(T) string) {
	// Byte order, whatever the database's collation sorted by.
	slices.SortStableFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	if pg.Cursor != "" {
		items = items[sort.Search(len(items), func(i int) bool { return key(items[i]) > pg.Cursor }):]
	}
	limit := 0 // no next page
	if len(items) > pg.Limit {
		items, limit = items[:pg.Limit], pg.Limit
	}
	list(w, items, limit, key)
}

func boolParam(r *http.Request, name string) (*bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return nil, &hookline.Error{Kind: hookline.KindInvalid, Field: name, Msg: "must be true or false"}
	}
	return &b, nil
}

func timeParam(r *http.Request, name string) (*time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if d, derr := time.ParseDuration(s); derr == nil && d > 0 {
			t = time.Now().Add(-d)
			return &t, nil
		}
		return nil, &hookline.Error{Kind: hookline.KindInvalid, Field: name, Msg: "must be an RFC 3339 time or a duration like 24h"}
	}
	return &t, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
