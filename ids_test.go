package hookline

import (
	"testing"
	"time"
)

// TestIDFloorBoundsMintedIDs: the hourly prune deletes events whose ids sort
// below idFloor(retention cut), so every id minted before the cut's
// millisecond must sort below it and none minted at or after it.
func TestIDFloorBoundsMintedIDs(t *testing.T) {
	g := newIDGen()
	cut := time.Date(2026, 12, 5, 10, 0, 0, 500_000, time.UTC)
	floor := idFloor(prefixEvent, cut)
	for _, c := range []struct {
		at    time.Time
		below bool
	}{
		{cut.Add(-time.Millisecond), true},
		{cut.Add(-time.Hour), true},
		{cut.Add(-500 * time.Microsecond), false}, // the cut's own millisecond
		{cut, false},
		{cut.Add(time.Millisecond), false},
	} {
		for range 100 { // the monotonic entropy varies the rest of the id
			id := g.next(prefixEvent, c.at)
			if got := id < floor; got != c.below {
				t.Fatalf("id minted at %s = %s, floor of %s = %s: below = %v, want %v", c.at, id, cut, floor, got, c.below)
			}
		}
	}
}
