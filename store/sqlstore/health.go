package sqlstore

import (
	"errors"
	"fmt"
	"sync"

	"github.com/hookline/hookline/store"
)

// Health remembers whether the latest write reached the database: a write
// that failed because storage is unavailable marks it down, any write that
// the database answered marks it up again.
type Health struct {
	mu  sync.Mutex
	err error
}

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
	if down {
		h.err = err
	} else {
		h.err = nil
	}
	h.mu.Unlock()
}

// Err is the error of the latest write, when it failed because storage was
// unavailable and no write has succeeded since; else nil.
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
