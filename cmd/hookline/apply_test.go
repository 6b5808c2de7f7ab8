package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/httpapi"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/sqlite"
)

// testServer runs a real hookline (SQLite, engine, REST API) on 127.0.0.1
// and returns its URL and admin key.
func testServer(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, testdb.SQLitePath(t), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := hookline.Open(ctx, hookline.Config{Store: st, SecretKey: bytes.Repeat([]byte{3}, 32), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	_, key, _, err := eng.Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(httpapi.New(eng, httpapi.Options{Logger: log}))
	t.Cleanup(func() {
		hs.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Stop(sctx)
		_ = st.Close()
	})
	return hs.URL, key
}

// cli runs the hookline binary and returns its exit status and output.
type cli struct {
	t   *testing.T
	bin string
	env []string
}

func (c cli) run(args ...string) (int, string, string) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), c.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	}
	c.t.Fatalf("hookline %v: %v", args, err)
	return 0, "", ""
}

func (c cli) want(code int, args ...string) string {
	c.t.Helper()
	got, out, errs := c.run(args...)
	if got != code {
		c.t.Fatalf("hookline %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, out, errs)
	}
	return out + errs
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const ordersYAML = `# Orders
hooks:
  - key: notify-large-orders
    name: Notify on large orders
    trigger: {type: event, event: records.create, collection: orders}
    condition: total >= 500
    actions:
      - type: send_webhook
        name: notify
        config:
          url: https://hooks.example.com/orders
          headers: {Authorization: "Bearer {{secret.API_TOKEN}}"}
          body_template: {text: "New order {{record.id}}"}
---
hooks:
  - key: purchase-to-crm
    name: Purchase to CRM
    enabled: false
    trigger: {type: event, event: "30552"}
    actions:
      - type: enqueue_job
        config: {queue: crm, payload: {sku: "{{ sku }}"}}
`

// TestApplyCLI runs `hookline apply` and `hookline export` as a user would,
// against a real server, and checks what they print and their exit codes.
func TestApplyCLI(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hookline")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	url, key := testServer(t)
	c := cli{t: t, bin: bin, env: []string{"HOOKLINE_URL=" + url, "HOOKLINE_KEY=" + key}}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "base.json"), `{"event_types": [{"id": "30552", "label": "Purchase"}], "collections": [{"name": "orders"}]}`)
	write(t, filepath.Join(dir, "hooks", "orders.yaml"), ordersYAML)
	write(t, filepath.Join(dir, "README.md"), "not a document")

	// A dry run with changes: the plan, exit 2 with --exit-code, nothing made.
	out := c.want(2, "apply", "-f", dir, "--dry-run", "--exit-code")
	for _, want := range []string{"+ event type 30552: create", "+ collection orders: create", "+ hook notify-large-orders: create",
		"+ hook purchase-to-crm: create", "! hook \"notify-large-orders\" uses the secret API_TOKEN", "Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged."} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	c.want(0, "apply", "-f", dir, "--dry-run")
	if out := c.want(0, "export"); strings.Contains(out, "hooks:") {
		t.Fatalf("a dry run applied something:\n%s", out)
	}

	// Apply, then the same again: nothing to do (exit 0, also for --exit-code).
	out = c.want(0, "apply", "-f", dir)
	if !strings.Contains(out, "Applied: 4 created, 0 updated, 0 deleted.") {
		t.Fatalf("apply output:\n%s", out)
	}
	out = c.want(0, "apply", "-f", dir, "--dry-run", "--exit-code")
	if !strings.Contains(out, "No changes") || !strings.Contains(out, "= hook notify-large-orders (hk_") {
		t.Fatalf("second dry run:\n%s", out)
	}
	c.want(0, "apply", "-f", dir)

	// A change: the diff names the field; flags win over the environment.
	write(t, filepath.Join(dir, "hooks", "orders.yaml"), strings.Replace(ordersYAML, "total >= 500", "total >= 600", 1))
	out = c.want(2, "apply", "-f", filepath.Join(dir, "hooks"), "--dry-run", "--exit-code", "--url", url, "--key", key)
	if !strings.Contains(out, `~ hook notify-large-orders (hk_`) || !strings.Contains(out, `condition: "total \u003e= 500" → "total \u003e= 600"`) && !strings.Contains(out, `condition: "total >= 500" → "total >= 600"`) {
		t.Fatalf("diff output:\n%s", out)
	}

	// An invalid hook: refused whole, the file, line and field named, exit 1.
	bad := strings.Replace(ordersYAML, `event: "30552"`, `event: "30599"`, 1)
	bad = strings.Replace(bad, "key: notify-large-orders", "key: notify-large-orders-2", 1)
	write(t, filepath.Join(dir, "hooks", "orders.yaml"), bad)
	out = c.want(1, "apply", "-f", dir)
	if !regexp.MustCompile(`orders\.yaml:19 \(document 2\): hooks\[0\]\.trigger\.event: hook "purchase-to-crm": trigger\.event .*30599.* \(422 invalid\)`).MatchString(out) {
		t.Fatalf("invalid hook output:\n%s", out)
	}
	if out := c.want(0, "export"); strings.Contains(out, "notify-large-orders-2") || strings.Contains(out, "total >= 600") {
		t.Fatalf("a refused apply changed something:\n%s", out)
	}

	// Prune deletes the keyed hook the documents no longer name.
	write(t, filepath.Join(dir, "hooks", "orders.yaml"), ordersYAML[:strings.Index(ordersYAML, "---")])
	out = c.want(0, "apply", "-f", dir, "--prune")
	if !strings.Contains(out, "- hook purchase-to-crm (hk_") || !strings.Contains(out, "Applied: 0 created, 0 updated, 1 deleted.") {
		t.Fatalf("prune output:\n%s", out)
	}

	// Export, then apply the export: nothing changes.
	exp := filepath.Join(t.TempDir(), "account.yaml")
	c.want(0, "export", "-o", exp)
	text, _ := os.ReadFile(exp)
	if !strings.HasPrefix(string(text), "# yaml-language-server: $schema="+url+"/schemas/hooks.json\n") {
		t.Fatalf("export:\n%s", text)
	}
	if out := c.want(0, "apply", "-f", exp, "--dry-run", "--exit-code"); !strings.Contains(out, "No changes") {
		t.Fatalf("applying the export:\n%s", out)
	}
	if out := c.want(0, "export", "--format", "json"); !strings.Contains(out, `"documents": [`) {
		t.Fatalf("json export:\n%s", out)
	}

	// Errors a CI job must see: a wrong key, a missing path, broken YAML.
	if out := c.want(1, "apply", "-f", dir, "--key", "hlk_wrong"); !strings.Contains(out, "401") {
		t.Fatalf("wrong key:\n%s", out)
	}
	c.want(1, "apply", "-f", filepath.Join(dir, "missing"))
	write(t, filepath.Join(dir, "broken", "x.yaml"), "hooks: [a, b\nkey: c\n")
	if out := c.want(1, "apply", "-f", filepath.Join(dir, "broken")); !strings.Contains(out, "x.yaml") {
		t.Fatalf("broken YAML:\n%s", out)
	}
	c.want(1, "apply")
}
