package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

// TestEndpointHealth (SPEC §12): a hook whose runs all fail is disabled once
// they have failed for --auto-disable-after, with the reason on the hook, in
// its versions and on the execution that tipped it; hooks on hook.disabled
// and execution.failed receive those (secrets redacted); enabling it again
// starts the clock again; a 410 Gone disables at once; and a hook on
// execution.failed that fails itself causes no further system event.
func TestEndpointHealth(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t), func(c *hookline.Config) { c.AutoDisableAfter = time.Millisecond })
		const secret = "tok-7f3a9c-never-shown"
		s.must(201, "POST", "/api/v1/secrets", map[string]any{"name": "TOKEN", "value": secret})
		s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70321", "label": "order paid"})
		broken := newSink(t)
		broken.status = func(int) int { return 500 }
		gone := newSink(t)
		gone.status = func(int) int { return 410 }
		alerts := newSink(t)

		failing := func(name, url string) map[string]any {
			return map[string]any{
				"name": name, "enabled": true, "trigger": map[string]any{"type": "event", "event": "70321"},
				"ordering": "parallel",
				"actions": []any{map[string]any{"type": "send_webhook", "name": "deliver",
					"retry": map[string]any{"max_attempts": 1},
					"config": map[string]any{"url": url, "headers": map[string]any{"Authorization": "Bearer {{secret.TOKEN}}"},
						"body_template": map[string]any{"n": "{{n}}", "token": "{{secret.TOKEN}}"}}}},
			}
		}
		a := s.must(201, "POST", "/api/v1/hooks", failing("orders to the ERP", broken.URL))
		aID := a["id"].(string)
		if a["disabled_reason"] != nil || a["failing_since"] != nil {
			t.Fatalf("a new hook: disabled_reason %v, failing_since %v", a["disabled_reason"], a["failing_since"])
		}
		alert := func(name, event string) string {
			return s.must(201, "POST", "/api/v1/hooks", eventHook(name, event, alerts.URL,
				map[string]any{"type": "{{event.type}}", "data": "{{data}}"}))["id"].(string)
		}
		onFailed, onDisabled := alert("dead letters", "execution.failed"), alert("disabled hooks", "hook.disabled")
		// A hook on execution.failed that fails itself, and is disabled by
		// that (410): no system event of its own.
		storm := s.must(201, "POST", "/api/v1/hooks", map[string]any{
			"name": "alert that fails", "enabled": true, "trigger": map[string]any{"type": "event", "event": "execution.failed"},
			"actions": []any{map[string]any{"type": "send_webhook",
				"config": map[string]any{"url": gone.URL, "body_template": map[string]any{"failed": "{{data.id}}"}}}},
		})["id"].(string)

		// fire sends one event and waits until a's run of it is final.
		fired := 0
		fire := func(hookID string) map[string]any {
			t.Helper()
			fired++
			s.must(202, "POST", "/api/v1/events", map[string]any{"type": "70321", "data": map[string]any{"n": fired}})
			for _, x := range s.waitExecutions(hookID, len(s.executions(hookID))) {
				if x["execution_context"].(map[string]any)["data"].(map[string]any)["n"] == float64(fired) {
					return s.waitExecution(x["id"].(string))
				}
			}
			t.Fatalf("no execution of %s for event %d", hookID, fired)
			return nil
		}

		// The first failure starts the clock: the hook stays enabled.
		if x := fire(aID); x["status"] != "failed" {
			t.Fatalf("first run: %v", x["status"])
		}
		h := s.must(200, "GET", "/api/v1/hooks/"+aID, nil)
		if h["enabled"] != true || h["failing_since"] == nil || h["disabled_reason"] != nil {
			t.Fatalf("after one failure: enabled %v, failing_since %v, disabled_reason %v", h["enabled"], h["failing_since"], h["disabled_reason"])
		}
		version := h["version"].(float64)

		// Failures go on past the period: the one that tips it disables it.
		var tipped map[string]any
		for i := 0; i < 20 && tipped == nil; i++ {
			x := fire(aID)
			if note, _ := x["note"].(string); strings.Contains(note, "disabled the hook") {
				tipped = x
			} else if x["status"] != "failed" {
				t.Fatalf("run %d: %v", i, x["status"])
			}
		}
		if tipped == nil {
			t.Fatal("the hook was not disabled after 20 failures spread over more than the 1ms period")
		}
		h = s.must(200, "GET", "/api/v1/hooks/"+aID, nil)
		reason, _ := h["disabled_reason"].(string)
		if h["enabled"] != false || !strings.Contains(reason, "every run failed for") || h["disabled_at"] == nil || h["version"] != version+1 {
			t.Fatalf("disabled hook: enabled %v, reason %q, disabled_at %v, version %v (was %v)", h["enabled"], reason, h["disabled_at"], h["version"], version)
		}
		if !strings.Contains(tipped["note"].(string), reason) {
			t.Errorf("note %q does not give the reason %q", tipped["note"], reason)
		}
		v := s.must(200, "GET", "/api/v1/hooks/"+aID+"/versions?limit=1", nil)["items"].([]any)[0].(map[string]any)
		if v["actor"] != nil || !strings.Contains(v["note"].(string), reason) || v["hook"].(map[string]any)["enabled"] != false {
			t.Errorf("latest version: %v", v)
		}

		// Enabling it clears the reason and restarts the clock: one more
		// failure does not disable it again.
		h = s.must(200, "PATCH", "/api/v1/hooks/"+aID, map[string]any{"enabled": true})
		if h["enabled"] != true || h["disabled_reason"] != nil || h["disabled_at"] != nil || h["failing_since"] != nil {
			t.Fatalf("enabled again: %v, reason %v, disabled_at %v, failing_since %v", h["enabled"], h["disabled_reason"], h["disabled_at"], h["failing_since"])
		}
		if x := fire(aID); x["status"] != "failed" || x["note"] != nil {
			t.Fatalf("first failure after enabling: %v, note %v", x["status"], x["note"])
		}
		h = s.must(200, "GET", "/api/v1/hooks/"+aID, nil)
		if h["enabled"] != true || h["failing_since"] == nil {
			t.Fatalf("one failure after enabling again disabled it (the clock did not restart): %v %v", h["enabled"], h["disabled_reason"])
		}
		s.must(200, "PATCH", "/api/v1/hooks/"+aID, map[string]any{"enabled": false}) // out of the way

		// 410 Gone disables at once.
		d := s.must(201, "POST", "/api/v1/hooks", failing("gone receiver", gone.URL))["id"].(string)
		if x := fire(d); x["status"] != "failed" || !strings.Contains(x["note"].(string), "410 Gone") {
			t.Fatalf("410: %v, note %v", x["status"], x["note"])
		}
		h = s.must(200, "GET", "/api/v1/hooks/"+d, nil)
		if reason, _ := h["disabled_reason"].(string); h["enabled"] != false || !strings.Contains(reason, "410 Gone") {
			t.Fatalf("after a 410: enabled %v, reason %v", h["enabled"], h["disabled_reason"])
		}

		// Every run is final now, and system events are stored with the
		// final save that causes them: what the alert hooks ran is all there
		// will be.
		var failed []map[string]any // the failed runs of a and d
		for _, id := range []string{aID, d} {
			for _, x := range s.executions(id) {
				failed = append(failed, s.waitExecution(x["id"].(string)))
			}
		}
		// The alert hook's first run met 410 Gone and disabled it; its runs
		// queued behind that one were cancelled, not run (a disabled hook
		// runs nothing it had queued).
		stormRuns := s.waitExecutions(storm, len(s.executions(storm)))
		failedStorm := 0
		for _, x := range stormRuns {
			switch msg, _ := x["error_message"].(string); {
			case x["status"] == "failed":
				failedStorm++
			case x["status"] == "cancelled" && strings.Contains(msg, "disabled"):
			default:
				t.Errorf("the failing alert hook's run: %v %v", x["status"], x["error_message"])
			}
		}
		if failedStorm == 0 {
			t.Errorf("no run of the failing alert hook failed: %d runs", len(stormRuns))
		}
		h = s.must(200, "GET", "/api/v1/hooks/"+storm, nil)
		if reason, _ := h["disabled_reason"].(string); h["enabled"] != false || !strings.Contains(reason, "410 Gone") {
			t.Errorf("the failing alert hook: enabled %v, reason %v", h["enabled"], h["disabled_reason"])
		}
		s.waitExecutions(onFailed, len(failed))
		s.waitExecutions(onDisabled, 2)
		if got := len(s.executions(onFailed)); got != len(failed) {
			t.Errorf("execution.failed ran %d times, want %d (one per failed run of a and d, none for the alert hook's own failures)", got, len(failed))
		}
		if got := len(s.executions(onDisabled)); got != 2 {
			t.Errorf("hook.disabled ran %d times, want 2 (a and d; the alert hook's disabling emits none)", got)
		}

		got := alerts.wait(t, len(failed)+2)
		byID := map[string]map[string]any{}
		for _, x := range failed {
			byID[x["id"].(string)] = x
		}
		disabled := map[string]map[string]any{}
		for _, r := range got {
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("a system event carried the secret: %s", r.Body)
			}
			var body struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("alert body %s: %v", r.Body, err)
			}
			switch body.Type {
			case "execution.failed":
				x := byID[body.Data["id"].(string)]
				if x == nil {
					t.Errorf("execution.failed for %v, not a failed run of a or d", body.Data["id"])
					continue
				}
				if body.Data["hook_id"] != x["hook_id"] || body.Data["status"] != "failed" || body.Data["account_id"] != s.Root ||
					body.Data["error_message"] != x["error_message"] || len(body.Data["actions"].([]any)) != 1 {
					t.Errorf("execution.failed data %v, want the execution %v", body.Data, x)
				}
				delete(byID, body.Data["id"].(string))
			case "hook.disabled":
				disabled[body.Data["hook_id"].(string)] = body.Data
			default:
				t.Errorf("alert of type %q", body.Type)
			}
		}
		if len(byID) > 0 {
			t.Errorf("no execution.failed for %d failed runs", len(byID))
		}
		if da := disabled[aID]; da == nil || da["reason"] != reason || da["name"] != "orders to the ERP" || da["execution_id"] != tipped["id"] {
			t.Errorf("hook.disabled for a: %v (reason %q, tipped by %v)", da, reason, tipped["id"])
		}
		if dd := disabled[d]; dd == nil || !strings.Contains(dd["reason"].(string), "410 Gone") {
			t.Errorf("hook.disabled for d: %v", dd)
		}

		// They are listed with the built-in types, and accepted as triggers.
		types := map[string]map[string]any{}
		for _, it := range s.must(200, "GET", "/api/v1/event-types?builtin=true&limit=100", nil)["items"].([]any) {
			types[it.(map[string]any)["id"].(string)] = it.(map[string]any)
		}
		for _, id := range []string{"execution.failed", "hook.disabled", "records.create"} {
			if types[id] == nil || types[id]["builtin"] != true || types[id]["label"] == "" {
				t.Errorf("GET /event-types?builtin=true: %s is %v", id, types[id])
			}
		}
		if types["70321"] == nil {
			t.Error("GET /event-types?builtin=true lost the registered type")
		}
		for _, it := range s.must(200, "GET", "/api/v1/event-types", nil)["items"].([]any) {
			if it.(map[string]any)["builtin"] != nil {
				t.Errorf("GET /event-types lists a built-in type: %v", it)
			}
		}

		// System events cannot be sent from outside.
		r := s.do("POST", "/api/v1/events", s.Admin, map[string]any{"type": "hook.disabled", "data": map[string]any{}})
		if r.Status != 422 {
			t.Errorf("POST /events hook.disabled: %d %s", r.Status, r.Raw)
		}
	})
}
