package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/store"
)

// TestDisabledHookRunsNothingQueued: a hook disabled while one of its
// executions waits for a retry does not run it: the execution ends
// cancelled, saying why, and its endpoint hears nothing more. Fired by
// hand, the disabled hook still runs.
func TestDisabledHookRunsNothingQueued(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		sk.status = func(n int) int { // the first attempt fails; a retry that ran would succeed
			if n == 1 {
				return 503
			}
			return 200
		}
		s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70292", "label": "disable"})
		h := eventHook("flaky", "70292", sk.URL, map[string]any{"n": "{{n}}"})
		h["actions"].([]any)[0].(map[string]any)["retry"] = map[string]any{"max_attempts": 5, "backoff": "fixed", "initial": "1s"}
		id := s.must(201, "POST", "/api/v1/hooks", h)["id"].(string)
		s.must(202, "POST", "/api/v1/events", map[string]any{"type": "70292", "data": map[string]any{"n": 1}})

		// The first attempt failed: the execution waits for its retry.
		sk.wait(t, 1)
		var x map[string]any
		deadline := time.Now().Add(10 * time.Second)
		for x == nil || x["status"] != "pending" {
			if time.Now().After(deadline) {
				t.Fatalf("no execution waiting for a retry: %v", x)
			}
			if items := s.must(200, "GET", "/api/v1/executions?hook_id="+id, nil)["items"].([]any); len(items) == 1 {
				x = items[0].(map[string]any)
			}
			time.Sleep(20 * time.Millisecond)
		}
		s.must(200, "PATCH", "/api/v1/hooks/"+id, map[string]any{"enabled": false})
		done := s.waitExecution(x["id"].(string))
		if done["status"] != "cancelled" || !strings.Contains(done["error_message"].(string), "disabled") {
			t.Fatalf("the queued retry of a disabled hook: %v %v", done["status"], done["error_message"])
		}
		if n := len(sk.requests()); n != 1 {
			t.Fatalf("the endpoint was called %d times, want once (before the hook was disabled)", n)
		}

		// Fired by hand, a disabled hook runs.
		manual := s.must(202, "POST", "/api/v1/hooks/"+id+"/trigger", map[string]any{"data": map[string]any{"n": 2}})
		if got := s.waitExecution(manual["execution_id"].(string)); got["status"] != "success" {
			t.Fatalf("manual run of a disabled hook: %v %v", got["status"], got["error_message"])
		}
	})
}
