package hookline

import (
	"context"

	"github.com/hookline/hookline/store"
)

// cachedWrite runs fn in a transaction that also notifies topic, so that
// every node drops what it cached of the data fn changes, then runs stale
// (this node's own invalidations) whatever the outcome.
func (e *Engine) cachedWrite(ctx context.Context, topic string, fn func(q store.Querier) error, stale ...func()) error {
	err := e.st.Tx(ctx, func(q store.Querier) error {
		if err := fn(q); err != nil {
			return err
		}
		return q.Notify(ctx, topic, "")
	})
	for _, f := range stale {
		f()
	}
	return err
}
