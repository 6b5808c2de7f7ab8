package netguard

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustAllow(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := ParseAllow(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func okServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// serverOn starts a test server listening on addr (e.g. "127.0.0.2:0").
func serverOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestParseAllow(t *testing.T) {
	got, err := ParseAllow(" 127.0.0.0/8, 10.1.2.3 ,,fd00::/8, ::1, ::ffff:192.168.0.0/112, 10.9.9.9/8")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.0/8", "10.1.2.3/32", "fd00::/8", "::1/128", "192.168.0.0/16", "10.0.0.0/8"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("entry %d: got %s, want %s", i, got[i], want[i])
		}
	}
	if p, err := ParseAllow(""); err != nil || len(p) != 0 {
		t.Errorf("empty: %v %v", p, err)
	}
	for _, bad := range []string{"127.0.0.0/8,nope", "10.0.0.0/33", "fe80::1%eth0", "1.2.3"} {
		_, err := ParseAllow(bad)
		if err == nil {
			t.Errorf("%q: no error", bad)
			continue
		}
		last := bad[strings.LastIndex(bad, ",")+1:]
		if !strings.Contains(err.Error(), last) {
			t.Errorf("%q: error %q does not name the entry %q", bad, err, last)
		}
	}
}

func TestCheckAddresses(t *testing.T) {
	def := newGuard(nil)
	blocked := map[string]string{
		"127.0.0.1":        "loopback",
		"127.9.9.9":        "loopback",
		"10.1.2.3":         "private",
		"172.16.5.4":       "private",
		"172.31.255.255":   "private",
		"192.168.1.1":      "private",
		"169.254.169.254":  "metadata",
		"169.254.1.1":      "link-local",
		"0.0.0.0":          "unspecified",
		"100.64.0.1":       "CGNAT",
		"224.0.0.1":        "multicast",
		"255.255.255.255":  "reserved",
		"::1":              "loopback",
		"::":               "unspecified",
		"fe80::1":          "link-local",
		"fc00::1":          "private",
		"fd12:3456::1":     "private",
		"fd00:ec2::254":    "metadata",
		"::ffff:127.0.0.1": "loopback",
		"::ffff:10.0.0.1":  "private",
		"2001:db8::1":      "reserved",
		"64:ff9b::7f00:1":  "reserved",
	}
	for s, reason := range blocked {
		err := def.check(netip.MustParseAddr(s))
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: got %v, want blocked", s, err)
			continue
		}
		if !strings.Contains(err.Error(), reason) || !strings.Contains(err.Error(), "--allow-net") {
			t.Errorf("%s: message %q lacks %q or the --allow-net hint", s, err, reason)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "172.32.0.1", "2001:4860:4860::8888", "2606:4700:4700::1111"} {
		if err := def.check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s: %v, want allowed", s, err)
		}
	}

	g := newGuard(mustAllow(t, "127.0.0.0/8,10.1.0.0/16,fd00::/8,::1"))
	for _, s := range []string{"127.0.0.1", "127.0.0.2", "10.1.2.3", "fd00::5", "::1", "8.8.8.8"} {
		if err := g.check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("allowed %s: %v", s, err)
		}
	}
	for _, s := range []string{"10.2.0.1", "192.168.1.1", "169.254.169.254", "fe80::1"} {
		if err := g.check(netip.MustParseAddr(s)); !errors.Is(err, ErrBlocked) {
			t.Errorf("not allowed %s: %v", s, err)
		}
	}
}

func TestLoopbackBlockedByDefault(t *testing.T) {
	srv := okServer(t)
	_, err := get(NewClient(Options{Timeout: 5 * time.Second}), srv.URL)
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("got %v, want ErrBlocked", err)
	}
	var be *BlockedError
	if !errors.As(err, &be) || be.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("no BlockedError for 127.0.0.1 in %v", err)
	}
	if !strings.Contains(err.Error(), "address 127.0.0.1 is not allowed (loopback); allow it with --allow-net") {
		t.Errorf("message: %v", err)
	}
}

func TestLoopbackAllowed(t *testing.T) {
	srv := okServer(t)
	body, err := get(NewClient(Options{Allow: mustAllow(t, "127.0.0.0/8"), Timeout: 5 * time.Second}), srv.URL)
	if err != nil || body != "ok" {
		t.Fatalf("got %q, %v", body, err)
	}
}

func TestHostnameResolvingToLoopbackBlocked(t *testing.T) {
	srv := okServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	_, err := get(NewClient(Options{Timeout: 5 * time.Second}), "http://localhost:"+port+"/")
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("got %v, want ErrBlocked", err)
	}
	// Allowed once the operator allows loopback.
	body, err := get(NewClient(Options{Allow: mustAllow(t, "127.0.0.0/8,::1"), Timeout: 5 * time.Second}), "http://localhost:"+port+"/")
	if err != nil || body != "ok" {
		t.Fatalf("allowed: got %q, %v", body, err)
	}
}

func TestRedirectToBlockedAddress(t *testing.T) {
	target := serverOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secret")
	}))
	front := serverOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/x", http.StatusFound)
	}))

	// Control: with all of loopback allowed the redirect is followed.
	body, err := get(NewClient(Options{Allow: mustAllow(t, "127.0.0.0/8"), Timeout: 5 * time.Second}), front.URL)
	if err != nil || body != "secret" {
		t.Fatalf("control: got %q, %v", body, err)
	}

	// Only 127.0.0.1 allowed: the front answers, the hop to 127.0.0.2 is refused.
	_, err = get(NewClient(Options{Allow: mustAllow(t, "127.0.0.1"), Timeout: 5 * time.Second}), front.URL)
	if !errors.Is(err, ErrBlocked) || !strings.Contains(err.Error(), "127.0.0.2") {
		t.Fatalf("got %v, want ErrBlocked for 127.0.0.2", err)
	}
}

func TestRedirectLimitAndScheme(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/gopher":
			http.Redirect(w, r, "gopher://127.0.0.1:70/", http.StatusFound)
		default:
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
			http.Redirect(w, r, srv.URL+"/"+strconv.Itoa(n+1), http.StatusFound)
		}
	}))
	t.Cleanup(srv.Close)
	c := NewClient(Options{Allow: mustAllow(t, "127.0.0.0/8"), Timeout: 5 * time.Second})

	_, err := get(c, srv.URL+"/0")
	if !errors.Is(err, ErrRedirect) || !strings.Contains(err.Error(), "5 redirects") {
		t.Fatalf("loop: got %v", err)
	}
	for _, p := range []string{"/file", "/gopher"} {
		if _, err := get(c, srv.URL+p); !errors.Is(err, ErrRedirect) {
			t.Errorf("%s: got %v, want ErrRedirect", p, err)
		}
	}
	// Up to 5 redirects are followed.
	hops := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if n >= 5 {
			io.WriteString(w, "done")
			return
		}
		http.Redirect(w, r, "/"+strconv.Itoa(n+1), http.StatusFound)
	}))
	t.Cleanup(hops.Close)
	if body, err := get(c, hops.URL+"/0"); err != nil || body != "done" {
		t.Fatalf("5 hops: got %q, %v", body, err)
	}
}

func TestMetadataRefusedFast(t *testing.T) {
	c := NewClient(Options{Timeout: 3 * time.Second})
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://10.0.0.1:8080/", "http://0.0.0.0:1/"} {
		start := time.Now()
		_, err := get(c, u)
		took := time.Since(start)
		if !errors.Is(err, ErrBlocked) {
			// Without IPv6 support the socket cannot even be created; that
			// is a refusal too, but not ours to assert.
			if strings.Contains(u, "[") && err != nil && !isTimeout(err) {
				continue
			}
			t.Errorf("%s: got %v, want ErrBlocked", u, err)
			continue
		}
		if isTimeout(err) {
			t.Errorf("%s: timed out instead of being refused: %v", u, err)
		}
		if took > time.Second {
			t.Errorf("%s: refusal took %s", u, took)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestConnectionsReused: as many requests at once as IdleConnsPerHost keep
// their connections for the next ones; with fewer kept, the surplus is
// dialled again every round.
func TestConnectionsReused(t *testing.T) {
	const n = 20
	for _, tc := range []struct {
		idle     int
		wantDial func(dials int) bool
		want     string
	}{
		{idle: n, wantDial: func(d int) bool { return d == n }, want: "exactly 20"},
		{idle: 5, wantDial: func(d int) bool { return d >= n+2*(n-5) }, want: "at least 50"},
	} {
		var mu sync.Mutex
		dials := 0
		arrived := make(chan struct{}, n)
		release := make(chan struct{})
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-release
			io.WriteString(w, "ok")
		}))
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mu.Lock()
				dials++
				mu.Unlock()
			}
		}
		srv.Start()
		c := NewClient(Options{Allow: mustAllow(t, "127.0.0.0/8"), Timeout: 5 * time.Second, IdleConnsPerHost: tc.idle})
		for range 3 { // rounds of n requests held open together
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := get(c, srv.URL); err != nil {
						errs <- err
					}
				}()
			}
			for range n {
				<-arrived
			}
			for range n {
				release <- struct{}{}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		}
		srv.Close()
		mu.Lock()
		if !tc.wantDial(dials) {
			t.Errorf("IdleConnsPerHost %d: %d connections for 3 rounds of %d, want %s", tc.idle, dials, n, tc.want)
		}
		mu.Unlock()
	}
}
