package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/inboundsig"
	"github.com/hookline/hookline/internal/stdwebhooks"
	"github.com/hookline/hookline/store"
)

// TestInboundContextRedactsSignatures: the stored context of an inbound run
// keeps no signature or credential header in clear (Standard Webhooks,
// Stripe, GitHub, plain HMAC, Authorization), on both drivers.
func TestInboundContextRedactsSignatures(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		const secret = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
		s.must(201, "POST", "/api/v1/secrets", map[string]any{"name": "SIG", "value": secret})
		for _, kind := range []string{"standard-webhooks", "stripe", "github", "hmac-sha256"} {
			s.must(201, "POST", "/api/v1/hooks", map[string]any{
				"name": kind, "enabled": true,
				"trigger": map[string]any{"type": "inbound", "path": "sig/" + kind, "auth": map[string]any{"kind": kind, "secret_ref": "SIG"}},
				"actions": []any{map[string]any{"type": "enqueue_job", "config": map[string]any{"queue": "q", "payload": map[string]any{"k": "{{ kind }}"}}}},
			})
		}
		body := []byte(`{"kind":"x"}`)
		now := time.Now()
		swSig, err := stdwebhooks.Sign(secret, "msg_1", now, body)
		if err != nil {
			t.Fatal(err)
		}
		cases := map[string]map[string]string{
			"standard-webhooks": {"Webhook-Id": "msg_1", "Webhook-Timestamp": itoa(int(now.Unix())), "Webhook-Signature": swSig},
			"stripe":            {"Stripe-Signature": inboundsig.SignStripe(secret, now, body)},
			"github":            {"X-Hub-Signature-256": "sha256=" + inboundsig.SignHex(secret, body)},
			"hmac-sha256":       {"X-Signature": inboundsig.SignHex(secret, body)},
		}
		for kind, hdr := range cases {
			hdr["Authorization"] = "Bearer inbound-caller-token-123"
			code, _, out := rawPost(t, s.URL+"/in/"+s.Root+"/sig/"+kind, "application/json", body, hdr)
			if code != 202 {
				t.Fatalf("%s: %d %v", kind, code, out)
			}
			x := s.waitExecution(out["execution_id"].(string))
			raw := string(s.do("GET", "/api/v1/executions/"+x["id"].(string), s.Admin, nil).Raw)
			headers := x["execution_context"].(map[string]any)["request"].(map[string]any)["headers"].(map[string]any)
			for name, v := range hdr {
				if name == "Webhook-Id" || name == "Webhook-Timestamp" {
					continue
				}
				if headers[name] != "[redacted]" {
					t.Errorf("%s: context header %s = %v, want [redacted]", kind, name, headers[name])
				}
				if strings.Contains(raw, v) {
					t.Errorf("%s: the value of %s is in the stored execution", kind, name)
				}
			}
			if headers["Webhook-Id"] != nil && headers["Webhook-Id"] != "msg_1" {
				t.Errorf("%s: a plain header was redacted: %v", kind, headers["Webhook-Id"])
			}

		}
	})
}
