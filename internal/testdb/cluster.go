package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Cluster is a private, throwaway PostgreSQL server (initdb into a temporary
// directory, on a free port) for tests that stop, kill or reconfigure the
// database: the shared server named by HOOKLINE_TEST_POSTGRES_URL must
// never be stopped. It needs PostgreSQL's server binaries (initdb, pg_ctl);
// run as root, it runs them as the postgres user. Like every PostgreSQL
// test it is skipped unless HOOKLINE_TEST_POSTGRES_URL is set, and fails
// (never skips) when that is set but no server can be made.
type Cluster struct {
	t    testing.TB
	bin  string
	dir  string // data directory (and socket directory)
	port int
	cred *syscall.Credential // nil: run as ourselves
	up   bool
}

// NewCluster initdbs and starts a private server; it is stopped and
// removed when the test ends.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	if os.Getenv(EnvPostgresURL) == "" {
		t.Skip("PostgreSQL tests skipped: set " + EnvPostgresURL)
	}
	c := &Cluster{t: t, bin: pgBin(t)}
	// Under /tmp itself, not t.TempDir(): the postgres user must reach it.
	dir, err := os.MkdirTemp("", "hookline-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c.dir = filepath.Join(dir, "data")
	if os.Getuid() == 0 { // initdb refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testdb: running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c.run("initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"max_connections = 100\nshared_buffers = 32MB\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
		c.port, c.dir)
	f, err := os.OpenFile(filepath.Join(c.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if err := firstErr(err, f.Close()); err != nil {
		t.Fatal(err)
	}
	c.Start()
	t.Cleanup(func() {
		if c.up {
			c.Stop("immediate")
		}
	})
	return c
}

// URL is the server's database postgres (search_path: public).
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server and waits until it takes connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.dir, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "start")
	c.up = true
}

// Stop stops the server: mode "fast" (sessions are ended, a clean
// shutdown) or "immediate" (like a crash: no shutdown checkpoint).
func (c *Cluster) Stop(mode string) {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.dir, "-m", mode, "-w", "-t", "60", "stop")
	c.up = false
}

// Exec runs SQL with psql as the superuser.
func (c *Cluster) Exec(sql string) {
	c.t.Helper()
	c.run("psql", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres", "-d", "postgres",
		"-v", "ON_ERROR_STOP=1", "-X", "-q", "-c", sql)
}

func (c *Cluster) run(name string, args ...string) {
	c.t.Helper()
	path := filepath.Join(c.bin, name)
	if name == "psql" {
		if p, err := exec.LookPath("psql"); err == nil {
			path = p
		}
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = os.TempDir()
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		c.t.Fatalf("testdb: %s %v (after %s): %v\n%s\nserver log:\n%s", name, args, time.Since(start).Round(time.Millisecond), err, out, tail(log, 2000))
	}
}

// pgBin finds the directory of initdb and pg_ctl: on PATH, or Debian's
// /usr/lib/postgresql/<version>/bin (newest first).
func pgBin(t testing.TB) string {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	t.Fatal("testdb: PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
	return ""
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
