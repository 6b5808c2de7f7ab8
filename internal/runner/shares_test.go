package runner

import (
	"testing"
	"time"
)

func TestSharesBoundAnAccountOnlyWhileOthersHaveWork(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewShares(3, func() time.Time { return now })
	for i := range 5 {
		if !s.Enter("a") {
			t.Fatalf("a alone was refused its %d. worker", i+1)
		}
	}
	s.Seen("b") // b has work waiting
	if s.Enter("a") {
		t.Fatal("a holds 5 workers and b waits, yet a got a 6th")
	}
	if full := s.Full(); len(full) != 1 || full[0] != "a" {
		t.Fatalf("full accounts %v, want a", full)
	}
	// New work of a is not handed to an idle worker (which would put it
	// back), b's is.
	if !s.Capped("a") || s.Capped("b") {
		t.Fatalf("capped: a %v, b %v; want a only", s.Capped("a"), s.Capped("b"))
	}
	if !s.Enter("b") {
		t.Fatal("b was refused")
	}
	for range 3 {
		s.Leave("a")
	}
	if !s.Enter("a") { // 2 running: under its share of 3
		t.Fatal("a under its share was refused")
	}
	now = now.Add(2 * activeFor) // b no longer active
	if !s.Enter("a") {
		t.Fatal("a alone again was refused")
	}
	var none *Shares
	if !none.Enter("x") {
		t.Fatal("no shares refused")
	}
}
