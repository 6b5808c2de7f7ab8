package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/admin"
	"github.com/hookline/hookline/httpapi"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/sqlite"
)

// server is a running hookline (SQLite, engine, REST API and admin UI) on
// 127.0.0.1, stopped when the test ends.
type server struct {
	t     *testing.T
	URL   string
	Key   string // the root account's admin key
	Root  string
	Eng   *hookline.Engine
	quiet *slog.Logger
}

func startServer(t *testing.T) *server { t.Helper(); return startServerWith(t, nil) }

// startServerWith is startServer with cfg changed by adjust first.
func startServerWith(t *testing.T, adjust func(*hookline.Config)) *server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := hookline.Config{
		Store: st, SecretKey: bytes.Repeat([]byte{9}, 32), Logger: logger,
		AllowNet:     []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		PollInterval: 100 * time.Millisecond,
	}
	if adjust != nil {
		adjust(&cfg)
	}
	eng, err := hookline.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	root, key, _, err := eng.Bootstrap(ctx, "")
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	ui, err := admin.New(eng, admin.Options{Logger: logger})
	if err != nil {
		t.Fatalf("admin.New: %v", err)
	}
	hs := httptest.NewServer(httpapi.New(eng, httpapi.Options{Admin: ui, Logger: logger}))
	t.Cleanup(func() {
		hs.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Stop(sctx)
		_ = st.Close()
	})
	return &server{t: t, URL: hs.URL, Key: key, Root: root, Eng: eng, quiet: logger}
}

// api calls the REST API with key and a JSON body.
func (s *server) api(method, path, key string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// mustAPI is api that fails the test on a status other than want.
func (s *server) mustAPI(want int, method, path, key string, body any) map[string]any {
	s.t.Helper()
	st, out := s.api(method, path, key, body)
	if st != want {
		s.t.Fatalf("%s %s: status %d, want %d: %v", method, path, st, want, out)
	}
	return out
}

// keyFor creates a key of role on the root account through the API.
func (s *server) keyFor(role string) string {
	s.t.Helper()
	out := s.mustAPI(201, "POST", "/api/v1/accounts/"+s.Root+"/keys", s.Key, map[string]any{"name": role + " key", "role": role})
	k, _ := out["key"].(string)
	if k == "" {
		s.t.Fatalf("no key in %v", out)
	}
	return k
}

// browser is a plain HTTP client with cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	s    *server
	c    *http.Client
	CSRF string
}

func (s *server) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: s.t, s: s, c: &http.Client{
		Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{Status: resp.StatusCode, Body: string(body), Location: resp.Header.Get("Location"), Header: resp.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.s.URL+path, nil)
	return b.do(req)
}

// post sends a form; the session's CSRF token is added unless the form has
// a csrf field already (set it to "" to send none).
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && b.CSRF != "" {
		form.Set("csrf", b.CSRF)
	}
	req, _ := http.NewRequest("POST", b.s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%.2000s", body)
	}
	return m[1]
}

// login signs in with key and keeps the session's CSRF token.
func (b *browser) login(key string) page {
	b.t.Helper()
	p := b.get("/admin/login")
	if p.Status != 200 {
		b.t.Fatalf("GET /admin/login: %d", p.Status)
	}
	res := b.post("/admin/login", url.Values{"csrf": {csrfOf(b.t, p.Body)}, "key": {key}})
	if res.Status == http.StatusSeeOther {
		home := b.get("/admin/")
		if home.Status != 200 {
			b.t.Fatalf("GET /admin/ after login: %d", home.Status)
		}
		b.CSRF = csrfOf(b.t, home.Body)
	}
	return res
}

// receiver is an HTTP server on 127.0.0.1 that records webhook bodies.
type receiver struct {
	URL  string
	mu   sync.Mutex
	got  []map[string]any
	wake chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{wake: make(chan struct{}, 100)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(req.Body).Decode(&m)
		r.mu.Lock()
		r.got = append(r.got, m)
		r.mu.Unlock()
		r.wake <- struct{}{}
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(hs.Close)
	r.URL = hs.URL
	return r
}

// next waits for the next webhook body.
func (r *receiver) next(t *testing.T, d time.Duration) map[string]any {
	t.Helper()
	select {
	case <-r.wake:
	case <-time.After(d):
		t.Fatalf("no webhook arrived within %s", d)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[len(r.got)-1]
}
