package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

func manualHook(name string, actions ...any) map[string]any {
	return map[string]any{"name": name, "enabled": true, "trigger": map[string]any{"type": "manual"}, "actions": actions}
}

func post(name, url string, body any, retry map[string]any) map[string]any {
	a := map[string]any{"type": "send_webhook", "name": name, "config": map[string]any{"url": url, "body_template": body}}
	if retry != nil {
		a["retry"] = retry
	}
	return a
}

func TestRetriesKeepWebhookID(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		sk.status = func(n int) int {
			switch n {
			case 1:
				return 503
			case 2:
				return 429
			}
			return 200
		}
		sk.header = func(n int, h http.Header) {
			if n == 2 {
				h.Set("Retry-After", "1")
			}
		}
		h := s.must(201, "POST", "/api/v1/hooks", manualHook("retry", post("p", sk.URL, map[string]any{"a": 1}, map[string]any{"max_attempts": 4, "initial": "50ms", "max": "1s"})))
		x := s.must(202, "POST", "/api/v1/hooks/"+h["id"].(string)+"/trigger", map[string]any{"data": map[string]any{}})
		done := s.waitExecution(x["execution_id"].(string))
		reqs := sk.requests()
		if done["status"] != "success" || len(reqs) != 3 {
			t.Fatalf("status %v after %d requests, want success after 3", done["status"], len(reqs))
		}
		id := reqs[0].Header.Get("webhook-id")
		for i, r := range reqs {
			if r.Header.Get("webhook-id") != id || id == "" {
				t.Errorf("request %d webhook-id %q, want %q on every retry", i, r.Header.Get("webhook-id"), id)
			}
		}
		if gap := reqs[2].At.Sub(reqs[1].At); gap < 900*time.Millisecond {
			t.Errorf("Retry-After: 1 not honoured: retried after %s", gap)
		}
		a := done["actions"].([]any)[0].(map[string]any)
		if a["attempts"] != float64(3) {
			t.Errorf("action attempts = %v, want 3", a["attempts"])
		}
	})
}

func TestFailuresAndPartial(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		ok := newSink(t)
		gone := newSink(t)
		gone.status = func(int) int { return 404 }
		always := newSink(t)
		always.status = func(int) int { return 500 }

		h := s.must(201, "POST", "/api/v1/hooks", manualHook("partial", post("first", ok.URL, map[string]any{"x": 1}, nil), post("second", gone.URL, map[string]any{"status": "{{steps.first.status}}"}, nil), post("third", ok.URL, nil, nil)))
		x := s.waitExecution(s.must(202, "POST", "/api/v1/hooks/"+h["id"].(string)+"/trigger", nil)["execution_id"].(string))
		// actions_executed counts the completed actions: the 2nd failed, so 1.
		if x["status"] != "partial" || x["actions_executed"] != float64(1) || !strings.Contains(x["error_message"].(string), "action 2 (second)") {
			t.Errorf("partial: %v %v %v", x["status"], x["actions_executed"], x["error_message"])
		}
		if len(gone.requests()) != 1 {
			t.Errorf("a 404 must not be retried: %d requests", len(gone.requests()))
		}
		var b map[string]any
		_ = json.Unmarshal(gone.requests()[0].Body, &b)
		if b["status"] != float64(200) {
			t.Errorf("steps.first.status should be 200, got %v", b["status"])
		}
		if len(ok.requests()) != 1 {
			t.Errorf("the action after a failure must not run")
		}

		h2 := s.must(201, "POST", "/api/v1/hooks", manualHook("exhaust", post("only", always.URL, nil, map[string]any{"max_attempts": 2, "initial": "10ms"})))
		x2 := s.waitExecution(s.must(202, "POST", "/api/v1/hooks/"+h2["id"].(string)+"/trigger", nil)["execution_id"].(string))
		if x2["status"] != "failed" || x2["exhausted"] != true || len(always.requests()) != 2 {
			t.Errorf("exhausted: %v exhausted=%v requests=%d", x2["status"], x2["exhausted"], len(always.requests()))
		}
		if x2["actions_executed"] != float64(0) || !strings.Contains(x2["error_message"].(string), "action 1 (only)") {
			t.Errorf("a run whose only action failed: actions_executed=%v error=%v, want 0 and action 1", x2["actions_executed"], x2["error_message"])
		}
		dead := s.must(200, "GET", "/api/v1/executions?status=failed&exhausted=true", nil)["items"].([]any)
		if len(dead) != 1 || dead[0].(map[string]any)["id"] != x2["id"] {
			t.Errorf("dead-letter filter: %v", dead)
		}

		// Bulk replay of the dead letters: the exhausted execution runs again.
		always.status = func(int) int { return 200 }
		bulk := s.must(202, "POST", "/api/v1/executions/replay", map[string]any{"filter": map[string]any{"status": "failed", "exhausted": true}})
		ids := bulk["execution_ids"].([]any)
		if len(ids) != 1 {
			t.Fatalf("bulk replay: %v", bulk)
		}
		if x5 := s.waitExecution(ids[0].(string)); x5["status"] != "success" || x5["replay_of"] != x2["id"] {
			t.Errorf("bulk replayed: %v replay_of=%v", x5["status"], x5["replay_of"])
		}
		if r := s.do("POST", "/api/v1/executions/replay", s.Admin, map[string]any{"filter": map[string]any{}}); r.Status != 422 {
			t.Errorf("bulk replay without a filter: %d", r.Status)
		}

		// Replay from the failed action reruns only the failed one and what follows.
		gone.status = func(int) int { return 200 }
		rp := s.must(202, "POST", "/api/v1/executions/"+x["id"].(string)+"/replay", map[string]any{"from": "failed_action"})
		x3 := s.waitExecution(rp["execution_id"].(string))
		if x3["status"] != "success" || len(ok.requests()) != 2 || len(gone.requests()) != 2 {
			t.Errorf("resume: %v ok=%d gone=%d (want success, first not rerun)", x3["status"], len(ok.requests()), len(gone.requests()))
		}
		// A full replay reruns everything on the same context.
		rp = s.must(202, "POST", "/api/v1/executions/"+x["id"].(string)+"/replay", nil)
		x4 := s.waitExecution(rp["execution_id"].(string))
		if x4["status"] != "success" || x4["replay_of"] != x["id"] || len(ok.requests()) != 4 {
			t.Errorf("replay: %v replay_of=%v ok=%d", x4["status"], x4["replay_of"], len(ok.requests()))
		}
	})
}

func TestManualWaitAndDryRun(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		s.must(201, "POST", "/api/v1/secrets", map[string]any{"name": "API_TOKEN", "value": "tok-canary-1234"})
		h := manualHook("wait", post("call", sk.URL, map[string]any{"who": "{{name}}", "token": "{{secret.API_TOKEN}}"}, nil))
		h["condition"] = `name != "nobody"`
		a := h["actions"].([]any)[0].(map[string]any)
		a["cases"] = []any{map[string]any{"when": `name == "vip"`, "config": map[string]any{"method": "PUT"}}}
		id := s.must(201, "POST", "/api/v1/hooks", h)["id"].(string)

		x := s.must(200, "POST", "/api/v1/hooks/"+id+"/trigger?wait=10s", map[string]any{"data": map[string]any{"name": "ada"}})
		if x["status"] != "success" || x["hook_id"] != id {
			t.Fatalf("?wait: %v", x)
		}
		if got := string(sk.requests()[0].Body); !strings.Contains(got, "tok-canary-1234") {
			t.Errorf("the secret must be sent to the receiver: %s", got)
		}
		raw := s.do("GET", "/api/v1/executions/"+x["id"].(string), s.Admin, nil).Raw
		if strings.Contains(string(raw), "tok-canary-1234") || !strings.Contains(string(raw), "[redacted]") {
			t.Errorf("the execution log must redact the secret: %s", raw)
		}

		before := len(s.executions(id))
		test := s.must(200, "POST", "/api/v1/hooks/"+id+"/test", map[string]any{"data": map[string]any{"name": "vip"}})
		if test["condition"].(map[string]any)["result"] != true {
			t.Errorf("dry run condition: %v", test["condition"])
		}
		ta := test["actions"].([]any)[0].(map[string]any)
		cfg := ta["config"].(map[string]any)
		if ta["case"] != float64(0) || cfg["method"] != "PUT" || cfg["body_template"].(map[string]any)["who"] != "vip" {
			t.Errorf("dry run action: %v", ta)
		}
		if strings.Contains(string(mustJSON(test)), "tok-canary-1234") {
			t.Errorf("dry run must redact secrets: %v", test)
		}
		no := s.must(200, "POST", "/api/v1/hooks/"+id+"/test", map[string]any{"data": map[string]any{"name": "nobody"}})
		if no["condition"].(map[string]any)["result"] != false {
			t.Errorf("dry run condition false: %v", no["condition"])
		}
		time.Sleep(100 * time.Millisecond)
		if len(sk.requests()) != 1 || len(s.executions(id)) != before {
			t.Errorf("a dry run must send nothing and log nothing: %d requests, %d executions", len(sk.requests()), len(s.executions(id)))
		}
	})
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// TestSSRFGuard: without --allow-net, a webhook to a loopback address is
// refused at dial time and the log says why.
func TestSSRFGuard(t *testing.T) {
	s := start(t, mustSQLite(t), func(c *hookline.Config) { c.AllowNet = nil })
	sk := newSink(t)
	h := s.must(201, "POST", "/api/v1/hooks", manualHook("ssrf", post("local", sk.URL, nil, nil), post("meta", "http://169.254.169.254/latest/meta-data", nil, nil)))
	x := s.must(200, "POST", "/api/v1/hooks/"+h["id"].(string)+"/trigger?wait=10s", nil)
	if x["status"] != "failed" || !strings.Contains(x["error_message"].(string), "not allowed") {
		t.Errorf("loopback webhook: %v %v", x["status"], x["error_message"])
	}
	if len(sk.requests()) != 0 {
		t.Errorf("the guarded request reached the server")
	}
}
