package sqlstore

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hookline/hookline/store"
)

// Health remembers whether writes reach the database: a write that failed
// because storage is unavailable marks it down; a write that the database
// answered marks it up again, once healthGrace has passed since the last
// failure. (A write that changes nothing, such as a heartbeat with no lease
// to extend, may succeed on a full or read-only disk; while real writes keep
// failing, such successes must not make storage look healthy.)
type Health struct {
	mu       sync.Mutex
	err      error
	failedAt time.Time
}

// healthGrace is how long after a failed write successes are not believed.
const healthGrace = 2 * time.Second

// Note records the outcome of a write.
func (h *Health) Note(err error) {
	if h == nil {
		return
	}
	down := errors.Is(err, store.ErrUnavailable)
	if err != nil && !down {
		return // an ordinary error (a conflict, a bad value) says nothing about the database
	}
	h.mu.Lock()
	switch {
	case down:
		h.err, h.failedAt = err, time.Now()
	case h.err != nil && time.Since(h.failedAt) > healthGrace:
		h.err = nil
	}
	h.mu.Unlock()
}

// Err is the error of the latest failed write, when it failed because
// storage was unavailable and no write has succeeded since (after the
// grace); else nil.
func (h *Health) Err() error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// Unavailable wraps err with store.ErrUnavailable when is says the database
// is unreachable or takes no writes; other errors come back as they are.
func Unavailable(is func(error) bool, err error) error {
	if err == nil || is == nil || errors.Is(err, store.ErrUnavailable) || !is(err) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}
