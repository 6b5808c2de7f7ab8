package webhook

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// slots bounds the deliveries in flight to one destination host on this
// node (SPEC §12: HOOKLINE_MAX_PER_DESTINATION). A delivery that finds its
// host full waits for a slot only when the host answers fast (its recent
// answers took at most fastHost on average), and then at most fastWait: a
// slot of such a host frees within moments, and putting the delivery back
// would cost it at least minDefer. Otherwise it is not attempted: the
// execution is deferred, holding no worker, for about half the host's
// recent answer time (between minDefer and maxDefer), so one slow endpoint
// takes at most max workers and never all of them.
type slots struct {
	max    int // 0: no bound
	mu     sync.Mutex
	m      map[string]*hostSlots
	onWait func() // tests: called when a delivery starts waiting
}

type hostSlots struct {
	inUse int
	avg   time.Duration // moving average of the answer time
	freed chan struct{} // closed (and replaced) when a slot is released
}

// Bounds of waiting and deferring.
const (
	fastHost = 25 * time.Millisecond
	fastWait = 50 * time.Millisecond
	minDefer = 100 * time.Millisecond
	maxDefer = 5 * time.Second
)

func newSlots(max int) *slots { return &slots{max: max, m: map[string]*hostSlots{}} }

// acquire takes a slot of host. When there is none it reports how long to
// wait before trying again.
func (s *slots) acquire(ctx context.Context, host string) (release func(took time.Duration), wait time.Duration, ok bool) {
	if s.max <= 0 {
		return func(time.Duration) {}, 0, true
	}
	var deadline *time.Timer
	defer func() {
		if deadline != nil {
			deadline.Stop()
		}
	}()
	s.mu.Lock()
	for {
		h := s.host(host)
		if h.inUse < s.max {
			h.inUse++
			s.mu.Unlock()
			return s.releaser(h), 0, true
		}
		if h.avg == 0 || h.avg > fastHost || ctx.Err() != nil {
			d := min(max(h.avg/2, minDefer), maxDefer)
			s.mu.Unlock()
			return nil, time.Duration(float64(d) * (0.5 + rand.Float64())), false
		}
		if deadline == nil {
			deadline = time.NewTimer(fastWait)
			if s.onWait != nil {
				s.onWait()
			}
		}
		freed := h.freed
		s.mu.Unlock()
		select {
		case <-freed:
		case <-deadline.C:
			ctx = canceled // try once more, then defer
		case <-ctx.Done():
		}
		s.mu.Lock()
	}
}

// canceled is a context that is done: a waiter whose time ran out takes a
// free slot if there is one and is deferred otherwise.
var canceled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// host is the state of host; s.mu is held.
func (s *slots) host(host string) *hostSlots {
	h := s.m[host]
	if h == nil {
		if len(s.m) > 10000 { // forget idle hosts rather than grow without bound
			for k, v := range s.m {
				if v.inUse == 0 {
					delete(s.m, k)
				}
			}
		}
		h = &hostSlots{freed: make(chan struct{})}
		s.m[host] = h
	}
	return h
}

func (s *slots) releaser(h *hostSlots) func(took time.Duration) {
	return func(took time.Duration) {
		s.mu.Lock()
		h.inUse--
		if h.avg == 0 {
			h.avg = took
		} else {
			h.avg = (4*h.avg + took) / 5
		}
		close(h.freed)
		h.freed = make(chan struct{})
		s.mu.Unlock()
	}
}
