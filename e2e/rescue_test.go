package e2e

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// A node that starts again under the same node id takes back at once what
// its previous process held, instead of waiting for those leases to end.
// The "previous process" is an engine whose delivery hangs (its lease an
// hour long); the restarted node, same id, on the same database, delivers
// the execution within seconds.
func TestRestartTakesBackOwnLeases(t *testing.T) {
	t.Parallel()
	url := pgURL(t)
	var calls atomic.Int32
	second := make(chan time.Time, 1)
	hang := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-hang // the first delivery never finishes: its node "died"
			return
		}
		select {
		case second <- time.Now():
		default:
		}
	}))
	t.Cleanup(rcv.Close)
	node := func(c *hookline.Config) { c.NodeID, c.Lease = "node-a", time.Hour }
	old := start(t, openPG(t, url), node)
	old.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70277", "label": "restart"})
	old.must(201, "POST", "/api/v1/hooks", eventHook("restart", "70277", rcv.URL, map[string]any{"n": 1}))
	old.must(202, "POST", "/api/v1/events", map[string]any{"type": "70277", "data": map[string]any{}})
	waitFor(t, "the first delivery under way", 10*time.Second, func() bool { return calls.Load() >= 1 })

	restarted := time.Now()
	start(t, openPG(t, url), node)
	t.Cleanup(func() { close(hang) }) // first of the cleanups: the old node's delivery ends
	select {
	case at := <-second:
		if d := at.Sub(restarted); d > 3*time.Second {
			t.Fatalf("the restarted node delivered after %s", d)
		}
		t.Logf("the restarted node took back its own lease and delivered %s after it started", at.Sub(restarted).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("the restarted node did not take back its own lease (an hour long) within 10s")
	}
}
