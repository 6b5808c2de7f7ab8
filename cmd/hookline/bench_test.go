package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
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
	for _, args := range [][]string{
		{"bench", "--duration", "1s", "--clients", "4"},
		{"bench", "--duration", "1s", "--clients", "4", "--records", "--inprocess"},
	} {
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
	}
}
