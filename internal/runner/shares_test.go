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
	if full, _ := s.Full(); len(full) != 1 || full[0] != "a" {
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

// A claim takes no more executions than fit in the shares of the accounts
// running some while others are active: one past its account's share
// would only be put back as it starts.
func TestSharesRoomOfAClaim(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewShares(4, func() time.Time { return now })
	s.Enter("a", "a0")
	s.Enter("a", "a1")
	if full, room := s.Full(); full != nil || room != 0 {
		t.Fatalf("a alone: full %v, room %d; want none, no bound", full, room)
	}
	s.Seen("b")
	if full, room := s.Full(); full != nil || room != 2 {
		t.Fatalf("a runs 2 of its 4 while b is active: full %v, room %d; want none, 2", full, room)
	}
	s.Reserve("a", "a2")
	s.Enter("b", "b0")
	if full, room := s.Full(); full != nil || room != 1 {
		t.Fatalf("a runs 3 of 4, b 1: full %v, room %d; want none, 1", full, room)
	}
	s.Enter("a", "a3")
	if full, room := s.Full(); len(full) != 1 || full[0] != "a" || room != 3 {
		t.Fatalf("a runs its 4, b 1: full %v, room %d; want [a], 3 (b's)", full, room)
	}
}

// An execution handed over to the worker of the one it waited for is let
// start whatever its account holds, and does not make its account active:
// an organization whose hooks only ever run as the next turn of its shops'
// does not bound the shops.
func TestSharesHandedOverExecutions(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := NewShares(2, func() time.Time { return now })
	for i := range 4 {
		id := fmt.Sprint("org", i)
		s.HandOver("org", id)
		if !s.Enter("org", id) {
			t.Fatalf("the organization's %d. handed-over execution was refused", i+1)
		}
	}
	for i := range 4 {
		if !s.Reserve("shop", fmt.Sprint("shop", i)) {
			t.Fatalf("the shop was refused its %d. worker while only handed-over work of others ran", i+1)
		}
	}
	// The organization holds more than its share while the shop is
	// active: its executions that come through the queue wait.
	if full, room := s.Full(); len(full) != 1 || full[0] != "org" || room != 0 {
		t.Fatalf("full %v, room %d; want [org], no bound", full, room)
	}
	s.Seen("org") // now the organization has work waiting for a worker
	if s.Reserve("shop", "shop4") {
		t.Fatal("the shop holds 4 of its share of 2 while the organization waits, yet got another")
	}
}
