// Package snapshot keeps in-memory copies of tables that change rarely and
// are read on every event (hooks, accounts, hookable event types): any write,
// on this node or on another through a notification, marks a copy stale and
// the next reader reloads it, one reload at a time.
package snapshot

import (
	"context"
	"sync"

	"github.com/hookline/hookline/store"
)

// Of is one cached copy. A reader gets the whole copy it asked for, never a
// mix of two.
type Of[T any] struct {
	loadMu sync.Mutex // one reload at a time; the others wait for it
	mu     sync.RWMutex
	stale  bool
	gen    uint64
	val    T
	load   func(ctx context.Context, q store.Querier) (T, error)
}

// New returns a copy that load fills on first use.
func New[T any](load func(ctx context.Context, q store.Querier) (T, error)) *Of[T] {
	return &Of[T]{stale: true, load: load}
}

// Invalidate marks the copy stale.
func (s *Of[T]) Invalidate() {
	s.mu.Lock()
	s.stale = true
	s.gen++
	s.mu.Unlock()
}

// Get returns the current copy, reloading it through q when stale.
func (s *Of[T]) Get(ctx context.Context, q store.Querier) (T, error) {
	s.mu.RLock()
	val, stale := s.val, s.stale
	s.mu.RUnlock()
	if !stale {
		return val, nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.RLock()
	val, stale, gen := s.val, s.stale, s.gen
	s.mu.RUnlock()
	if !stale { // another caller reloaded meanwhile
		return val, nil
	}
	val, err := s.load(ctx, q)
	if err != nil {
		var zero T
		return zero, err
	}
	// What was read is at least as new as the last invalidation before the
	// load began; if another came meanwhile, stay stale so the next reader
	// reads again.
	s.mu.Lock()
	s.val, s.stale = val, s.gen != gen
	s.mu.Unlock()
	return val, nil
}
