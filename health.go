package hookline

import (
	"context"
	"sync"
	"time"
)

// Ready reports whether this node can take work: it writes a small row
// (so a database that answers reads but takes no writes, such as one whose
// disk is full, is not ready), and answers nil, or a KindStorage error
// also while other writes failed for want of storage within the last 2 s.
// A successful probe also clears StorageError (after those 2 s).
func (e *Engine) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := e.st.MetaSet(ctx, "ready_probe", e.cfg.NodeID+" "+e.now().UTC().Format(time.RFC3339Nano))
	if err == nil {
		// A small write can get through while others fail (a full disk
		// still takes a write that fits in space the WAL already has):
		// not ready while writes failed within the last 2 s.
		err = e.st.WriteHealth()
	}
	if err == nil {
		return nil
	}
	if pe := PublicError(err); pe != nil && pe.Kind == KindStorage {
		return pe
	}
	// Anything else (a timeout, say) also means this node cannot take work now.
	return &Error{Kind: KindStorage, Msg: "the database did not take a write", RetryAfter: StorageRetryAfter, Err: err}
}

// StorageError is non-nil while storage is unavailable (the database down,
// its disk full, read-only): the latest write failed and none succeeded
// since, or, with no such failure, Ready's probe write failed. The probe
// runs in the background at most every 2 s, so a quiet node notices too and
// no caller waits for it. The admin UI shows it as a banner.
func (e *Engine) StorageError() error {
	if err := e.st.WriteHealth(); err != nil {
		return err
	}
	return e.probe.get(func() error { return e.Ready(context.Background()) })
}

// probeCache remembers the outcome of Ready's last probe and starts the
// next one when it is older than 2 s.
type probeCache struct {
	mu      sync.Mutex
	at      time.Time
	err     error
	probing bool
}

func (c *probeCache) get(probe func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.probing && time.Since(c.at) > 2*time.Second {
		c.probing = true
		go func() { // bounded: Ready gives up after 2 s
			err := probe()
			c.mu.Lock()
			c.err, c.at, c.probing = err, time.Now(), false
			c.mu.Unlock()
		}()
	}
	return c.err
}
