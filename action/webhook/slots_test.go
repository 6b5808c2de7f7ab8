package webhook

import (
	"testing"
	"time"
)

func TestSlotsBoundOneHost(t *testing.T) {
	s := newSlots(2)
	r1, _, ok1 := s.acquire("a.example")
	r2, _, ok2 := s.acquire("a.example")
	_, wait, ok3 := s.acquire("a.example")
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("acquired %v %v %v, want two then none", ok1, ok2, ok3)
	}
	if wait < minDefer/2 || wait > maxDefer*3/2 {
		t.Errorf("wait %s outside [%s, %s]", wait, minDefer/2, maxDefer*3/2)
	}
	if _, _, ok := s.acquire("b.example"); !ok {
		t.Error("another host shares the bound")
	}
	r1(4 * time.Second)
	if _, _, ok := s.acquire("a.example"); !ok {
		t.Error("a released slot is not free again")
	}
	r2(4 * time.Second)
	// Full again: the wait follows the host's answer time (half of it, ±50%).
	_, _, _ = s.acquire("a.example")
	_, wait, ok := s.acquire("a.example")
	if ok || wait < time.Second || wait > 3*time.Second {
		t.Errorf("wait %s (ok %v) for a host answering in about 4s, want 1s to 3s", wait, ok)
	}
}

func TestSlotsUnbounded(t *testing.T) {
	s := newSlots(0)
	for range 100 {
		if _, _, ok := s.acquire("a.example"); !ok {
			t.Fatal("an unbounded host refused a delivery")
		}
	}
}
