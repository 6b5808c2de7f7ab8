package runner

import (
	"fmt"
	"testing"
	"time"
)

func TestSharesBoundAnAccountOnlyWhileOthersHaveWork(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewShares(3, func() time.Time { return now })
	for i := range 5 {
		if !s.Enter("a", fmt.Sprint("a", i)) {
			t.Fatalf("a alone was refused its %d. worker", i+1)
		}
	}
	s.Seen("b") // b has work waiting
	if s.Enter("a", "a5") {
		t.Fatal("a holds 5 workers and b waits, yet a got a 6th")
	}
	if full := s.Full(); len(full) != 1 || full[0] != "a" {
		t.Fatalf("full accounts %v, want a", full)
	}
	// New work of a is not handed to an idle worker (which would put it
	// back), b's is.
	if s.Reserve("a", "a6") {
		t.Fatal("a holds its share, yet a worker was reserved for it")
	}
	if !s.Reserve("b", "b0") {
		t.Fatal("b was refused a worker")
	}
	if !s.Enter("b", "b0") {
		t.Fatal("b's reserved execution was refused")
	}
	for range 3 {
		s.Leave("a")
	}
	if !s.Enter("a", "a7") { // 2 running: under its share of 3
		t.Fatal("a under its share was refused")
	}
	now = now.Add(2 * activeFor) // b no longer active
	if !s.Enter("a", "a8") {
		t.Fatal("a alone again was refused")
	}
	var none *Shares
	if !none.Enter("x", "x0") || !none.Reserve("x", "x1") {
		t.Fatal("no shares refused")
	}
	none.Unreserve("x1")
}

// Executions preclaimed in a burst count from their reservation: together
// they cannot pass the share, and each one reserved then starts without
// being put back (as it would be if it were counted only when it starts).
func TestSharesCountReservedExecutions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewShares(3, func() time.Time { return now })
	s.Seen("b")
	var reserved []string
	for i := range 5 {
		id := fmt.Sprint("a", i)
		if s.Reserve("a", id) {
			reserved = append(reserved, id)
		}
	}
	if len(reserved) != 3 {
		t.Fatalf("reserved %d workers for a, want its share of 3", len(reserved))
	}
	for _, id := range reserved {
		if !s.Enter("a", id) {
			t.Fatalf("a's reserved execution %s was refused when it started", id)
		}
	}
	if s.Enter("a", "a9") {
		t.Fatal("a runs its share, yet a claimed execution started")
	}
	// A reservation taken back frees its place.
	s.Leave("a")
	if !s.Reserve("a", "a10") {
		t.Fatal("a under its share was refused a worker")
	}
	if s.Reserve("a", "a11") {
		t.Fatal("a holds its share again, yet got one more")
	}
	s.Unreserve("a10")
	s.Unreserve("a10") // twice changes nothing
	if !s.Enter("a", "a12") {
		t.Fatal("a's unreserved place was not given back")
	}
	if s.Enter("a", "a10") {
		t.Fatal("an unreserved execution started over its account's share")
	}
}

// An account that held its share wakes the claimer when it gives a worker
// back (its executions, skipped by claims until then, may be taken now);
// one under its share does not.
func TestSharesWakeWhenAnAccountFallsUnderItsShare(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewShares(2, func() time.Time { return now })
	wakes := 0
	s.WakeOnFree(func() { wakes++ })
	s.Seen("b")
	s.Enter("a", "a0")
	s.Leave("a")
	if wakes != 0 {
		t.Fatalf("%d wakes from an account under its share, want 0", wakes)
	}
	s.Enter("a", "a1")
	s.Reserve("a", "a2")
	s.Leave("a") // held 2 of 2
	if wakes != 1 {
		t.Fatalf("%d wakes after a gave back one of its 2 workers, want 1", wakes)
	}
	s.Reserve("a", "a3")
	s.Unreserve("a3") // held 2 of 2 again
	if wakes != 2 {
		t.Fatalf("%d wakes after a reservation taken back at the share, want 2", wakes)
	}
}
