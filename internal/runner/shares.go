package runner

import (
	"sync"
	"time"
)

// Shares keeps one account from holding all of a node's workers (SPEC §12:
// workers are shared fairly across accounts). While executions of at least
// two accounts started on this node within the last minute (on a worker of
// their own, not as the next turn of another's chain), an account holding
// Cap workers already gets no more: its executions are left in the queue
// (claims skip them, Full) until it gives one back, so the due executions
// of the other accounts are claimed. A node that serves one account is not
// bounded.
//
// An execution preclaimed for an idle worker (it runs once its transaction
// commits) counts from the moment its worker is reserved (Reserve): the
// executions of a burst, reserved one after another before any of them
// runs, cannot together pass the share and then be put back one by one.
type Shares struct {
	cap int
	now func() time.Time

	mu       sync.Mutex
	running  map[string]int
	seen     map[string]time.Time
	reserved map[string]string // execution id → account, counted in running
	wake     func()
}

// WakeOnFree sets what is called when an account that held its share
// gives a worker back: the claimer, which skipped its executions (Full),
// may take them now.
func (s *Shares) WakeOnFree(wake func()) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.wake = wake
	s.mu.Unlock()
}

// activeFor is how long an account counts as active after its last run.
const activeFor = time.Minute

// NewShares bounds an account to capacity workers of this node while others
// are active; capacity <= 0 disables the bound.
func NewShares(capacity int, now func() time.Time) *Shares {
	return &Shares{cap: capacity, now: now, running: map[string]int{}, seen: map[string]time.Time{}, reserved: map[string]string{}}
}

// Enter reports whether execution id of account may start now; if it may,
// Leave must follow when it ends. An execution reserved for its worker
// (Reserve) may: it was counted then.
func (s *Shares) Enter(account, id string) bool {
	if s == nil || s.cap <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.reserved[id]; ok {
		delete(s.reserved, id)
		return true
	}
	return s.admit(account)
}

// admit notes account active and counts one more of its executions
// running, unless it holds its share; s.mu is held.
func (s *Shares) admit(account string) bool {
	now := s.now()
	s.seen[account] = now
	if s.holdsShare(account, now) {
		return false
	}
	s.running[account]++
	return true
}

// Reserve is Enter for execution id of account, preclaimed for a worker
// that runs it once its transaction commits: it reports whether the
// account is under its share, and if so counts the execution as running
// from now. Enter then lets it start; Unreserve takes it back if it is not
// to run here after all.
func (s *Shares) Reserve(account, id string) bool {
	if s == nil || s.cap <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admit(account) {
		return false
	}
	s.reserved[id] = account
	return true
}

// HandOver counts execution id of account as running from now: the worker
// of the execution it waited for takes it over (SPEC §10's turns). Its
// worker is held already, so it is neither refused nor does it make its
// account active: an account whose executions only ever come as the next
// turn of another's (an organization's hooks on its shops' events) needs
// no idle workers kept for it. Enter then lets it start.
func (s *Shares) HandOver(account, id string) {
	if s == nil || s.cap <= 0 {
		return
	}
	s.mu.Lock()
	s.running[account]++
	s.reserved[id] = account
	s.mu.Unlock()
}

// Unreserve takes back what Reserve counted for execution id, which is
// not to run here (its transaction rolled back, or it waits behind another).
func (s *Shares) Unreserve(id string) {
	if s == nil || s.cap <= 0 {
		return
	}
	s.mu.Lock()
	account, ok := s.reserved[id]
	freed := false
	if ok {
		delete(s.reserved, id)
		freed = s.leave(account)
	}
	wake := s.wake
	s.mu.Unlock()
	if freed && wake != nil {
		wake()
	}
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

// Full lists the accounts that hold their share while others have work:
// a claim should not take their executions now. room is how many a claim
// may take without one of the other accounts passing its share (0: no
// bound): as many of its executions may be due, and each one past its
// share would be put back when it starts.
func (s *Shares) Full() (full []string, room int) {
	if s == nil || s.cap <= 0 {
		return nil, 0
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for a, n := range s.running {
		if !s.othersActive(a, now) {
			continue
		}
		switch r := s.cap - n; {
		case r <= 0:
			full = append(full, a)
		case room == 0 || r < room:
			room = r
		}
	}
	return full, room
}

// Leave ends what Enter began.
func (s *Shares) Leave(account string) {
	if s == nil || s.cap <= 0 {
		return
	}
	s.mu.Lock()
	freed := s.leave(account)
	wake := s.wake
	s.mu.Unlock()
	if freed && wake != nil {
		wake()
	}
}

// leave counts one execution of account less, reporting whether the
// account held its share before, while others were active (claims skipped
// its executions); s.mu is held.
func (s *Shares) leave(account string) (freed bool) {
	freed = s.holdsShare(account, s.now())
	if s.running[account]--; s.running[account] <= 0 {
		delete(s.running, account)
	}
	return freed
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
