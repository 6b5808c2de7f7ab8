package hookline

import (
	"context"
	"time"
)

// Ready reports whether this node can take work: it writes a small row
// (so a database that answers reads but takes no writes, such as one whose
// disk is full, is not ready) and answers nil, or a KindStorage error. A
// successful probe also clears StorageError.
func (e *Engine) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := e.st.MetaSet(ctx, "ready_probe", e.cfg.NodeID+" "+e.now().UTC().Format(time.RFC3339Nano))
	if err == nil {
		return nil
	}
	if pe := PublicError(err); pe != nil && pe.Kind == KindStorage {
		return pe
	}
	// Anything else (a timeout, say) also means this node cannot take work now.
	return &Error{Kind: KindStorage, Msg: "the database did not take a write", RetryAfter: StorageRetryAfter, Err: err}
}

// StorageError is non-nil while the latest write failed because storage is
// unavailable (the database down, its disk full, read-only) and no write has
// succeeded since: the admin UI shows it as a banner.
func (e *Engine) StorageError() error { return e.st.WriteHealth() }
