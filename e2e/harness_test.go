// Package e2e tests hookline end to end through its real HTTP API: a full
// engine and API server on 127.0.0.1, real SQLite and PostgreSQL, real
// receiving HTTP servers.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/httpapi"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store"
	"github.com/hookline/hookline/store/postgres"
	"github.com/hookline/hookline/store/sqlite"
)

// backends runs fn once on SQLite and once on PostgreSQL.
func backends(t *testing.T, fn func(t *testing.T, open func(t *testing.T) store.Store)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := testdb.SQLitePath(t)
		fn(t, func(t *testing.T) store.Store {
			st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
			if err != nil {
				t.Fatalf("open sqlite: %v", err)
			}
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := testdb.PostgresURL(t)
		fn(t, func(t *testing.T) store.Store {
			st, err := postgres.Open(context.Background(), url, postgres.Options{})
			if err != nil {
				t.Fatalf("open postgres: %v", err)
			}
			return st
		})
	})
}

// server is a running hookline with its API on 127.0.0.1.
type server struct {
	t     *testing.T
	URL   string
	Admin string
	Root  string
	Eng   *hookline.Engine
	http  *httptest.Server
}

type option func(*hookline.Config)

var testKey = bytes.Repeat([]byte{7}, 32)

// start opens an engine on st with loopback allowed for outbound calls and
// serves its API; everything is stopped when the test ends.
func start(t *testing.T, st store.Store, opts ...option) *server {
	t.Helper()
	cfg := hookline.Config{
		Store: st, SecretKey: testKey,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		AllowNet:     []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		PollInterval: 200 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
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
	hs := httptest.NewServer(httpapi.New(eng, httpapi.Options{Logger: cfg.Logger}))
	s := &server{t: t, URL: hs.URL, Admin: key, Root: root, Eng: eng, http: hs}
	t.Cleanup(func() {
		hs.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Stop(sctx)
		_ = st.Close()
	})
	return s
}

// resp is a decoded API answer.
type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// do calls the API with key and a JSON body (a string body is sent as is).
func (s *server) do(method, path, key string, body any) resp {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	s.checkOpenAPI(req, res.StatusCode, res.Header, raw)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		_ = json.Unmarshal(raw, &out.Body)
	}
	return out
}

// must calls the API as admin and fails the test unless the status is want.
func (s *server) must(want int, method, path string, body any) map[string]any {
	s.t.Helper()
	r := s.do(method, path, s.Admin, body)
	if r.Status != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r.Body
}

// waitExecution polls until the execution is final.
func (s *server) waitExecution(id string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		x := s.must(200, "GET", "/api/v1/executions/"+id, nil)
		switch x["status"] {
		case "success", "partial", "failed", "skipped", "cancelled":
			return x
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("execution %s still %v after 15s: %v", id, x["status"], x)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// executions lists executions of a hook (newest first).
func (s *server) executions(hookID string) []map[string]any {
	s.t.Helper()
	b := s.must(200, "GET", "/api/v1/executions?hook_id="+hookID+"&limit=500", nil)
	var out []map[string]any
	for _, it := range b["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// waitExecutions waits until hookID has n final executions and returns them oldest first.
func (s *server) waitExecutions(hookID string, n int) []map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		xs := s.executions(hookID)
		done := 0
		for _, x := range xs {
			switch x["status"] {
			case "success", "partial", "failed", "skipped", "cancelled":
				done++
			}
		}
		if done >= n {
			for i, j := 0, len(xs)-1; i < j; i, j = i+1, j-1 {
				xs[i], xs[j] = xs[j], xs[i]
			}
			return xs
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("hook %s: %d of %d executions final after 15s: %v", hookID, done, n, xs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sink is a receiving HTTP server that records every request.
type sink struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []sinkReq
	status func(n int) int // status for the n-th request (1-based); default 200
	header func(n int, h http.Header)
	notify chan struct{}
}

type sinkReq struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	At     time.Time
}

func newSink(t *testing.T) *sink {
	s := &sink{notify: make(chan struct{}, 1000)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, sinkReq{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b, time.Now()})
		n := len(s.reqs)
		st, hd := s.status, s.header
		s.mu.Unlock()
		if hd != nil {
			hd(n, w.Header())
		}
		code := 200
		if st != nil {
			code = st(n)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(`{"ok":true,"n":` + itoa(n) + `}`))
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func (s *sink) requests() []sinkReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkReq(nil), s.reqs...)
}

// wait waits until the sink got n requests.
func (s *sink) wait(t *testing.T, n int) []sinkReq {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		if r := s.requests(); len(r) >= n {
			return r
		}
		select {
		case <-s.notify:
		case <-deadline:
			t.Fatalf("sink got %d requests, want %d", len(s.requests()), n)
		}
	}
}

// webhookHook is the seed example: on records.create in orders with total >= 500, POST to url.
func webhookHook(url string) map[string]any {
	return map[string]any{
		"name": "Notify on large orders", "enabled": true, "category": "notification",
		"trigger":   map[string]any{"type": "event", "event": "records.create", "collection": "orders"},
		"condition": "total >= 500",
		"actions": []any{map[string]any{
			"type": "send_webhook", "name": "slack",
			"config": map[string]any{"url": url, "method": "POST", "headers": map[string]any{"X-Source": "hookline"},
				"body_template": map[string]any{"text": "New order #{{record.id}} for ${{record.total}}", "total": "{{record.total}}"}},
			"cases": []any{map[string]any{"when": "total > 5000", "config": map[string]any{"body_template": map[string]any{"text": "VIP order {{record.id}}"}}}},
		}},
	}
}

// mustSQLite opens a fresh SQLite store.
func mustSQLite(t *testing.T) store.Store {
	st, err := sqlite.Open(context.Background(), testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// eventHook is a hook on a custom or built-in event posting to url with a body.
func eventHook(name, event, url string, body any) map[string]any {
	return map[string]any{
		"name": name, "enabled": true, "trigger": map[string]any{"type": "event", "event": event},
		"actions": []any{map[string]any{"type": "send_webhook", "name": "post", "config": map[string]any{"url": url, "body_template": body}}},
	}
}

func pgURL(t *testing.T) string { return testdb.PostgresURL(t) }

func openPG(t *testing.T, url string) store.Store {
	st, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// twoNodes starts two nodes, node-1 and node-2, on one new PostgreSQL
// database; both answer to the same admin keys.
func twoNodes(t *testing.T) (s1, s2 *server) {
	url := pgURL(t)
	s1 = start(t, openPG(t, url), func(c *hookline.Config) { c.NodeID = "node-1" })
	s2 = start(t, openPG(t, url), func(c *hookline.Config) { c.NodeID = "node-2" })
	s2.Admin, s2.Root = s1.Admin, s1.Root
	return s1, s2
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

type hookline_Hook = hook.Hook

func trig(typ string) hook.Trigger { return hook.Trigger{Type: typ} }

func acts(typ string, cfg map[string]any) []hook.Action {
	return []hook.Action{{Type: typ, Config: cfg}}
}
