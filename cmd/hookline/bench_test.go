package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hookline/hookline/internal/testdb"
)

// The benchmark command itself must keep working: a short run through the
// real binary (`hookline serve` as its own process) and one in-process must
// each deliver every event they got accepted.
func TestBenchDeliversEverything(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hookline")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	accepted := regexp.MustCompile(`accepted:\s+(\d+) \(\d+/s\), failed: 0`)
	delivered := regexp.MustCompile(`delivered: (\d+) `)
	runs := [][]string{
		{"bench", "--duration", "1s", "--clients", "4"},
		// Exactly the 200 events due in the measured second: the warm-up's
		// 200 before it are sent and delivered but not counted.
		{"bench", "--duration", "1s", "--clients", "4", "--rate", "200", "--warmup", "1s"},
		{"bench", "--duration", "1s", "--clients", "4", "--records", "--inprocess"},
	}
	if os.Getenv(testdb.EnvPostgresURL) != "" {
		// Two serve processes on one PostgreSQL database, clients spread.
		runs = append(runs, []string{"bench", "--duration", "1s", "--clients", "4", "--records", "--nodes", "2", "--db", testdb.PostgresURL(t)})
	}
	perNode := regexp.MustCompile(`node bench-\d: accepted (\d+) .* ran (\d+) executions`)
	for _, args := range runs {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("hookline %v: %v\n%s", args, err, out)
		}
		a, d := accepted.FindSubmatch(out), delivered.FindSubmatch(out)
		if a == nil || d == nil {
			t.Fatalf("hookline %v printed no figures:\n%s", args, out)
		}
		na, _ := strconv.Atoi(string(a[1]))
		nd, _ := strconv.Atoi(string(d[1]))
		if na == 0 || nd != na {
			t.Fatalf("hookline %v: accepted %d, delivered %d:\n%s", args, na, nd, out)
		}
		if slices.Contains(args, "--warmup") && (na != 200 || !strings.Contains(string(out), "(after 1s of warm-up)")) {
			t.Fatalf("hookline %v: accepted %d, want the 200 of the measured second, and the header saying so:\n%s", args, na, out)
		}
		// The header says how the machine was shared: a load generator on
		// one P beside serve processes, each of n nodes on its share of the
		// cores.
		if !slices.Contains(args, "--inprocess") && os.Getenv("GOMAXPROCS") == "" {
			want := "load generator GOMAXPROCS=1,"
			if slices.Contains(args, "--nodes") {
				want = fmt.Sprintf("(GOMAXPROCS=%d each), %s", max(1, runtime.NumCPU()/2), want)
			}
			if !strings.Contains(string(out), want) {
				t.Fatalf("hookline %v: header does not say %q:\n%s", args, want, out)
			}
		}
		if slices.Contains(args, "--nodes") {
			nodes := perNode.FindAllSubmatch(out, -1)
			if len(nodes) != 2 {
				t.Fatalf("hookline %v: want a line per node:\n%s", args, out)
			}
			for _, m := range nodes {
				if a, _ := strconv.Atoi(string(m[1])); a == 0 {
					t.Fatalf("hookline %v: a node got no load:\n%s", args, out)
				}
			}
		}
	}
}
