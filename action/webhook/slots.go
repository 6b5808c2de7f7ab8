package webhook

import (
	"math/rand/v2"
	"sync"
	"time"
)

// slots bounds the deliveries in flight to one destination host on this
// node (SPEC §12: HOOKLINE_MAX_PER_DESTINATION). A delivery that finds its
// host full is not attempted: the execution is deferred, holding no worker,
// for about half the host's recent answer time (between 100 ms and 5 s), so
// one slow endpoint takes at most max workers and never all of them.
type slots struct {
	max int // 0: no bound
	mu  sync.Mutex
	m   map[string]*hostSlots
}

type hostSlots struct {
	inUse int
	avg   time.Duration // moving average of the answer time
}

// Defer bounds.
const (
	minDefer = 100 * time.Millisecond
	maxDefer = 5 * time.Second
)

func newSlots(max int) *slots { return &slots{max: max, m: map[string]*hostSlots{}} }

// acquire takes a slot of host. When there is none it reports how long to
// wait before trying again.
func (s *slots) acquire(host string) (release func(took time.Duration), wait time.Duration, ok bool) {
	if s.max <= 0 {
		return func(time.Duration) {}, 0, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.m[host]
	if h == nil {
		if len(s.m) > 10000 { // forget idle hosts rather than grow without bound
			for k, v := range s.m {
				if v.inUse == 0 {
					delete(s.m, k)
				}
			}
		}
		h = &hostSlots{}
		s.m[host] = h
	}
	if h.inUse >= s.max {
		d := min(max(h.avg/2, minDefer), maxDefer)
		return nil, time.Duration(float64(d) * (0.5 + rand.Float64())), false
	}
	h.inUse++
	return func(took time.Duration) {
		s.mu.Lock()
		h.inUse--
		if h.avg == 0 {
			h.avg = took
		} else {
			h.avg = (4*h.avg + took) / 5
		}
		s.mu.Unlock()
	}, 0, true
}
