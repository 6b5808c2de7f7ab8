package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/testdb"
)

// buildBinary builds cmd/hookline once per test binary.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func hooklineBinary(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hookline-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hookline")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/hookline").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is a hookline serve process.
type proc struct {
	cmd  *exec.Cmd
	addr string
}

func startProc(t *testing.T, db, dataDir, addr, admin string) *proc {
	t.Helper()
	cmd := exec.Command(hooklineBinary(t), "serve", "--addr", addr, "--db", db, "--data-dir", dataDir, "--allow-net", "127.0.0.0/8", "--events-per-second", "-1")
	cmd.Env = append(os.Environ(), "HOOKLINE_ADMIN_KEY="+admin, "HOOKLINE_LOG_LEVEL=warn")
	runServe(t, cmd, addr, "hookline")
	return &proc{cmd: cmd, addr: addr}
}

// runServe starts a `hookline serve` command, shows its log lines (prefixed
// with label) in the test log, kills it when the test ends, and waits until
// it is ready on addr.
func runServe(t *testing.T, cmd *exec.Cmd, addr, label string) {
	t.Helper()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // keep the pipe drained; show errors in the test log
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log(label+":", sc.Text())
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get("http://" + addr + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("hookline did not become ready")
}

func apiCall(addr, key, method, path string, body any) (int, []byte, error) {
	return apiCallWith(http.DefaultClient, addr, key, method, path, body)
}

func apiCallWith(client *http.Client, addr, key, method, path string, body any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	return res.StatusCode, rb, nil
}

// TestCrashLosesNothing SIGKILLs the server while events flow and restarts it
// on the same database: every event that got a 2xx is delivered at least once.
func TestCrashLosesNothing(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		crashTest(t, testdb.SQLitePath(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		crashTest(t, testdb.PostgresURL(t))
	})
}

func crashTest(t *testing.T, db string) {
	admin := "hlk_crash_test_admin_key_0123456789"
	dataDir := t.TempDir()
	addr := freePort(t)

	var mu sync.Mutex
	delivered := map[float64]int{}
	sinkSrv := newSink(t)
	sinkSrv.status = nil
	p := startProc(t, db, dataDir, addr, admin)
	if code, b, err := apiCall(addr, admin, "POST", "/api/v1/event-types", map[string]any{"id": "70299", "label": "crash"}); err != nil || code != 201 {
		t.Fatalf("event type: %d %s %v", code, b, err)
	}
	h := eventHook("crash", "70299", sinkSrv.URL, map[string]any{"n": "{{n}}"})
	if code, b, err := apiCall(addr, admin, "POST", "/api/v1/hooks", h); err != nil || code != 201 {
		t.Fatalf("hook: %d %s %v", code, b, err)
	}

	var accepted sync.Map
	var next, acceptedN atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := next.Add(1)
				code, _, err := apiCall(addr, admin, "POST", "/api/v1/events", map[string]any{"type": "70299", "data": map[string]any{"n": n}})
				if err == nil && code == 202 {
					accepted.Store(n, true)
					acceptedN.Add(1)
				}
				if err != nil {
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	// Kill once traffic is flowing: 100 events accepted (however busy the
	// machine is), more arrive while the kill lands.
	for deadline := time.Now().Add(time.Minute); acceptedN.Load() < 100 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = p.cmd.Process.Wait()
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	startProc(t, db, dataDir, addr, admin)
	want := 0
	accepted.Range(func(_, _ any) bool { want++; return true })
	if want < 50 {
		t.Fatalf("only %d events accepted before the kill; the test needs traffic", want)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		for _, r := range sinkSrv.requests() {
			var b map[string]any
			_ = json.Unmarshal(r.Body, &b)
			if n, ok := b["n"].(float64); ok {
				delivered[n]++
			}
		}
		missing := 0
		var example int64
		accepted.Range(func(k, _ any) bool {
			if delivered[float64(k.(int64))] == 0 {
				missing++
				example = k.(int64)
			}
			return true
		})
		delivered = map[float64]int{}
		mu.Unlock()
		if missing == 0 {
			t.Logf("%d accepted events, all delivered after a SIGKILL and restart (%d requests in all)", want, len(sinkSrv.requests()))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted events never delivered (e.g. n=%d)", missing, want, example)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
