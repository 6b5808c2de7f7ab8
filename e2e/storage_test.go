package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/admin"
	"github.com/hookline/hookline/internal/testdb"
	"github.com/hookline/hookline/store/sqlite"
)

// Storage that fails must be answered honestly: 503 storage_unavailable
// with Retry-After for every write that was not stored, never a 2xx; /readyz
// 503 while writes fail and 200 once they succeed; the admin UI's banner;
// and after the repair every accepted event is delivered.

func TestStorageUnavailablePostgresDown(t *testing.T) {
	t.Parallel()
	c := testdb.NewCluster(t)
	outageTest(t, outage{
		open:   func() *server { return start(t, openPG(t, c.URL())) },
		broken: func() { c.Stop("fast") },
		repair: func() { c.Start() },
	})
}

func TestStorageUnavailablePostgresReadOnly(t *testing.T) {
	t.Parallel()
	c := testdb.NewCluster(t)
	outageTest(t, outage{
		open: func() *server { return start(t, openPG(t, c.URL())) },
		broken: func() {
			c.Exec("ALTER SYSTEM SET default_transaction_read_only = on")
			c.Exec("SELECT pg_reload_conf()")
		},
		repair: func() {
			c.Exec("ALTER SYSTEM RESET default_transaction_read_only")
			c.Exec("SELECT pg_reload_conf()")
		},
	})
}

// A full disk: the database on a tiny tmpfs, filled up with a file.
func TestStorageUnavailableSQLiteDiskFull(t *testing.T) {
	t.Parallel()
	dir := tinyDisk(t, 32<<20) // room for the WAL (up to 4 MB before a checkpoint) once repaired
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "hookline.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(dir, "filler")
	outageTest(t, outage{
		exact: true, pad: 2000,
		open:   func() *server { return start(t, st) },
		broken: func() { fillDisk(t, filler) },
		repair: func() {
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// Read-only: the database file and its WAL made immutable (chattr +i:
// read-only even for root, also through descriptors already open) under the
// running server, then writable again. (Remounting the filesystem read-only
// cannot be done here while the server holds files open for writing; a
// database on a read-only filesystem does not open at all.)
func TestStorageUnavailableSQLiteReadOnly(t *testing.T) {
	t.Parallel()
	path := testdb.SQLitePath(t)
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	files := []string{path, path + "-wal"}
	t.Cleanup(func() { // or the temporary directory cannot be removed
		for _, f := range files {
			if _, err := os.Stat(f); err == nil {
				chattr(t, "-i", f)
			}
		}
	})
	outageTest(t, outage{
		exact:  true,
		open:   func() *server { return start(t, st) },
		broken: func() { chattr(t, "+i", files...) },
		repair: func() { chattr(t, "-i", files...) },
	})
}

func chattr(t *testing.T, flag string, files ...string) {
	if out, err := exec.Command("chattr", append([]string{flag}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("chattr %s %v: %v: %s", flag, files, err, out)
	}
}

// tinyDisk mounts a tmpfs of size bytes (unmounted when the test ends).
// Mounting needs root (CI runs as root).
func tinyDisk(t *testing.T, size int) string {
	dir, err := os.MkdirTemp("", "hookline-tinydisk-")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+itoa(size)); err != nil {
		os.Remove(dir)
		t.Fatalf("mount a %d-byte tmpfs for a full disk (needs root): %v", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
		os.Remove(dir)
	})
	return dir
}

// fillDisk writes path until the filesystem is full.
func fillDisk(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			t.Fatal(err)
		}
	}
	for len(chunk) > 1 { // the last pages too
		chunk = chunk[:len(chunk)/2]
		_, _ = f.Write(chunk)
	}
}

type outage struct {
	open           func() *server
	broken, repair func()
	// exact: an event answered 503 was surely not stored (SQLite: a failed
	// transaction rolled back); on PostgreSQL a commit whose answer was lost
	// with the connection may have happened.
	exact bool
	pad   int // bytes of filler in each event, so that each needs new pages
}

// answer is what the API said to one event.
type answer struct {
	status     int
	code       string
	retryAfter string
}

func outageTest(t *testing.T, o outage) {
	s := o.open()
	sk := newSink(t)
	s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70288", "label": "outage"})
	h := s.must(201, "POST", "/api/v1/hooks", eventHook("outage", "70288", sk.URL, map[string]any{"n": "{{n}}"}))
	_ = h

	var mu sync.Mutex
	answers := map[int64]answer{}
	var next atomic.Int64
	var ok, unavailable atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	pad := strings.Repeat("x", o.pad)
	client := &http.Client{Timeout: 30 * time.Second}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
				n := next.Add(1)
				body, _ := json.Marshal(map[string]any{"type": "70288", "data": map[string]any{"n": n, "pad": pad}})
				req, _ := http.NewRequest("POST", s.URL+"/api/v1/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+s.Admin)
				res, err := client.Do(req)
				if err != nil {
					t.Errorf("event %d: %v", n, err)
					return
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				var eb struct {
					Error struct{ Code string } `json:"error"`
				}
				_ = json.Unmarshal(raw, &eb)
				a := answer{res.StatusCode, eb.Error.Code, res.Header.Get("Retry-After")}
				mu.Lock()
				answers[n] = a
				mu.Unlock()
				switch {
				case a.status == 202:
					ok.Add(1)
				case a.status == 503 && a.code == hookline.KindStorage && a.retryAfter != "":
					unavailable.Add(1)
				default:
					t.Errorf("event %d answered %d %s (Retry-After %q); want 202, or 503 storage_unavailable with Retry-After", n, a.status, raw, a.retryAfter)
				}
			}
		}()
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	waitFor(t, "50 events accepted", 20*time.Second, func() bool { return ok.Load() >= 50 })
	if code, _ := readyz(t, s); code != 200 {
		t.Fatalf("readyz before the outage: %d", code)
	}

	o.broken()
	before := unavailable.Load()
	waitFor(t, "20 events answered 503 storage_unavailable", 30*time.Second, func() bool { return unavailable.Load() >= before+20 })
	code, body := readyz(t, s)
	if code != 503 || body["code"] != hookline.KindStorage {
		t.Fatalf("readyz during the outage: %d %v; want 503 storage_unavailable", code, body)
	}
	if s.Eng.StorageError() == nil {
		t.Fatal("the engine does not report the storage error")
	}
	ui, err := admin.New(s.Eng, admin.Options{Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	ui.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/login", nil))
	if !strings.Contains(rec.Body.String(), "data-storage-down") {
		t.Fatalf("the admin UI shows no storage banner during the outage:\n%s", rec.Body.String())
	}

	o.repair()
	after := ok.Load()
	waitFor(t, "50 events accepted after the repair", 60*time.Second, func() bool { return ok.Load() >= after+50 })
	waitFor(t, "readyz 200 after the repair", 20*time.Second, func() bool { c, _ := readyz(t, s); return c == 200 })
	waitFor(t, "the admin UI's storage banner gone after the repair", 10*time.Second, func() bool {
		rec := httptest.NewRecorder()
		ui.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/login", nil))
		return !strings.Contains(rec.Body.String(), "data-storage-down")
	})
	close(stop)
	wg.Wait()

	// Every accepted event is delivered; with exact, no refused one is.
	mu.Lock()
	defer mu.Unlock()
	var delivered map[int64]int
	waitFor(t, "every accepted event delivered", 60*time.Second, func() bool {
		delivered = map[int64]int{}
		for _, r := range sk.requests() {
			var b struct{ N int64 }
			_ = json.Unmarshal(r.Body, &b)
			delivered[b.N]++
		}
		for n, a := range answers {
			if a.status == 202 && delivered[n] == 0 {
				return false
			}
		}
		return true
	})
	// A result that could not be saved during the outage (shorter than a
	// lease) was saved once storage was back: nothing was sent twice.
	for n, c := range delivered {
		if c > 1 {
			t.Errorf("event %d was delivered %d times", n, c)
		}
	}
	refusedButStored := 0
	for n, a := range answers {
		if a.status != 202 && delivered[n] > 0 {
			refusedButStored++
			if o.exact {
				t.Errorf("event %d was answered %d but delivered", n, a.status)
			}
		}
	}
	t.Logf("%d events accepted, %d refused with 503 storage_unavailable (%d of those stored after all, their commit's answer lost)",
		ok.Load(), unavailable.Load(), refusedButStored)
}

func readyz(t *testing.T, s *server) (int, map[string]any) {
	r := s.do("GET", "/readyz", "", nil)
	if r.Status == 503 && r.Header.Get("Retry-After") == "" {
		t.Errorf("readyz 503 without Retry-After")
	}
	return r.Status, r.Body
}

// waitFor polls cond (every 20 ms) until it holds, failing after d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
