package hookline

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes; IDs are prefix + lower-case ULID, so they sort by creation time.
const (
	prefixAccount   = "acc_"
	prefixKey       = "key_"
	prefixHook      = "hk_"
	prefixEvent     = "evt_"
	prefixExecution = "exe_"
	prefixRecord    = "rec_"
	prefixJob       = "job_"
)

// idGen makes monotonic ULIDs; one per Engine (no package state).
type idGen struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
}

func newIDGen() *idGen {
	return &idGen{entropy: ulid.Monotonic(rand.Reader, 0)}
}

func (g *idGen) next(prefix string, now time.Time) string {
	g.mu.Lock()
	id, err := ulid.New(ulid.Timestamp(now), g.entropy)
	if err != nil { // entropy overflow within one millisecond: start afresh
		g.entropy = ulid.Monotonic(rand.Reader, 0)
		id = ulid.MustNew(ulid.Timestamp(now), g.entropy)
	}
	g.mu.Unlock()
	return prefix + strings.ToLower(id.String())
}

// idFloor is the smallest id minted at t with prefix: every id minted
// before t's millisecond sorts below it.
func idFloor(prefix string, t time.Time) string {
	var id ulid.ULID
	if err := id.SetTime(ulid.Timestamp(t)); err != nil { // before 1970 or after 10889
		return prefix
	}
	return prefix + strings.ToLower(id.String())
}
