package webhook

import (
	"context"
	"testing"
	"time"
)

func TestSlotsBoundOneHost(t *testing.T) {
	ctx := context.Background()
	s := newSlots(2)
	r1, _, ok1 := s.acquire(ctx, "a.example")
	r2, _, ok2 := s.acquire(ctx, "a.example")
	_, wait, ok3 := s.acquire(ctx, "a.example")
	if !ok1 || !ok2 || ok3 {
		t.Fatalf("acquired %v %v %v, want two then none", ok1, ok2, ok3)
	}
	if wait < minDefer/2 || wait > maxDefer*3/2 {
		t.Errorf("wait %s outside [%s, %s]", wait, minDefer/2, maxDefer*3/2)
	}
	if _, _, ok := s.acquire(ctx, "b.example"); !ok {
		t.Error("another host shares the bound")
	}
	r1(4 * time.Second)
	if _, _, ok := s.acquire(ctx, "a.example"); !ok {
		t.Error("a released slot is not free again")
	}
	r2(4 * time.Second)
	// Full again: the wait follows the host's answer time (half of it, ±50%).
	_, _, _ = s.acquire(ctx, "a.example")
	_, wait, ok := s.acquire(ctx, "a.example")
	if ok || wait < time.Second || wait > 3*time.Second {
		t.Errorf("wait %s (ok %v) for a host answering in about 4s, want 1s to 3s", wait, ok)
	}
}

func TestSlotsUnbounded(t *testing.T) {
	ctx := context.Background()
	s := newSlots(0)
	for range 100 {
		if _, _, ok := s.acquire(ctx, "a.example"); !ok {
			t.Fatal("an unbounded host refused a delivery")
		}
	}
}

// A host that answers fast is waited for: the delivery takes the slot that
// frees instead of being put back for at least minDefer.
func TestSlotsWaitForAFastHost(t *testing.T) {
	ctx := context.Background()
	s := newSlots(1)
	r, _, _ := s.acquire(ctx, "fast.example")
	r(2 * time.Millisecond) // the host answers in 2 ms
	r, _, _ = s.acquire(ctx, "fast.example")
	waiting := make(chan struct{})
	s.onWait = func() { close(waiting) }
	got := make(chan bool)
	go func() {
		_, _, ok := s.acquire(ctx, "fast.example")
		got <- ok
	}()
	select { // the second delivery waits for the slot…
	case <-waiting:
	case ok := <-got:
		t.Fatalf("a delivery to a fast host did not wait for its slot (got one: %v)", ok)
	}
	r(2 * time.Millisecond)
	if !<-got { // …and takes it when it frees
		t.Fatal("a delivery to a fast host was put back although its slot freed")
	}
}

// A fast host whose slot does not free is given up on after fastWait.
func TestSlotsWaitIsBounded(t *testing.T) {
	ctx := context.Background()
	s := newSlots(1)
	r, _, _ := s.acquire(ctx, "fast.example")
	r(2 * time.Millisecond)
	_, _, _ = s.acquire(ctx, "fast.example") // held for good
	_, wait, ok := s.acquire(ctx, "fast.example")
	if ok || wait < minDefer/2 {
		t.Fatalf("got a slot (%v) or a wait of %s for a host with none free", ok, wait)
	}
}

// A slow host, or one that never answered yet (it may hang), is not waited
// for: the delivery is deferred at once, holding no worker.
func TestSlotsNoWaitForASlowHost(t *testing.T) {
	ctx := context.Background()
	for name, answer := range map[string]time.Duration{"slow": time.Second, "silent": 0} {
		s := newSlots(1)
		s.onWait = func() { t.Errorf("%s host: a delivery waited for a slot", name) }
		r, _, _ := s.acquire(ctx, "h.example")
		if answer > 0 {
			r(answer)
			_, _, _ = s.acquire(ctx, "h.example")
		}
		if _, _, ok := s.acquire(ctx, "h.example"); ok {
			t.Errorf("%s host: a second delivery got the only slot", name)
		}
	}
}
