package runner

import (
	"sync"
	"time"
)

// Shares keeps one account from holding all of a node's workers (SPEC §12:
// workers are shared fairly across accounts). While executions of at least
// two accounts ran on this node within the last minute, an account holding
// Cap workers already gets no more: its next execution is deferred for a
// moment, so the due executions of the other accounts, which now come first
// in the queue, are claimed. A node that serves one account is not bounded.
type Shares struct {
	cap int
	now func() time.Time

	mu      sync.Mutex
	running map[string]int
	seen    map[string]time.Time
}

// activeFor is how long an account counts as active after its last run.
const activeFor = time.Minute

// NewShares bounds an account to capacity workers of this node while others
// are active; capacity <= 0 disables the bound.
func NewShares(capacity int, now func() time.Time) *Shares {
	return &Shares{cap: capacity, now: now, running: map[string]int{}, seen: map[string]time.Time{}}
}

// Enter reports whether an execution of account may start now; if it may,
// Leave must follow when it ends.
func (s *Shares) Enter(account string) bool {
	if s == nil || s.cap <= 0 {
		return true
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[account] = now
	if s.holdsShare(account, now) {
		return false
	}
	s.running[account]++
	return true
}

// Seen notes that account has work waiting on this node (an execution
// that found no idle worker), so the accounts holding workers keep to
// their share from now on.
func (s *Shares) Seen(account string) {
	if s == nil || s.cap <= 0 {
		return
	}
	s.mu.Lock()
	s.seen[account] = s.now()
	s.mu.Unlock()
}

// Capped reports whether account holds its share while others have work.
func (s *Shares) Capped(account string) bool {
	if s == nil || s.cap <= 0 {
		return false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holdsShare(account, now)
}

// Full lists the accounts that hold their share while others have work:
// a claim should not take their executions now.
func (s *Shares) Full() []string {
	if s == nil || s.cap <= 0 {
		return nil
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for a := range s.running {
		if s.holdsShare(a, now) {
			out = append(out, a)
		}
	}
	return out
}

// Leave ends what Enter began.
func (s *Shares) Leave(account string) {
	if s == nil || s.cap <= 0 {
		return
	}
	s.mu.Lock()
	if s.running[account]--; s.running[account] <= 0 {
		delete(s.running, account)
	}
	s.mu.Unlock()
}

// holdsShare reports whether account runs its share of the workers while
// other accounts have work; s.mu is held.
func (s *Shares) holdsShare(account string, now time.Time) bool {
	return s.running[account] >= s.cap && s.othersActive(account, now)
}

func (s *Shares) othersActive(account string, now time.Time) bool {
	for a, t := range s.seen {
		if now.Sub(t) > activeFor {
			delete(s.seen, a)
			continue
		}
		if a != account {
			return true
		}
	}
	return false
}
