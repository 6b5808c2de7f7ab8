package hookline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/inboundsig"
	"github.com/hookline/hookline/internal/plain"
	"github.com/hookline/hookline/store"
)

// InboundRequest is an HTTP call to an inbound route, as read by the server.
type InboundRequest struct {
	AccountID string
	Path      string
	Method    string
	Query     map[string]any
	Header    http.Header
	Body      any    // decoded JSON or form fields, or the raw text
	Raw       []byte // the body as sent, for signatures
	// Depth is the causation depth a hookline sender declared
	// (X-Hookline-Depth), so chains through inbound routes stay bounded.
	Depth int
}

// InboundResult is what the route answers.
type InboundResult struct {
	Execution *hook.Execution
	Sync      bool // the hook asked for a synchronous answer and it finished
}

// sensitiveHeader reports headers whose values are kept out of the context:
// credentials and signatures (Webhook-Signature, Stripe-Signature,
// X-Hub-Signature-256, X-Signature…), which the stored context would
// otherwise keep in clear although the action log redacts them.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"authorization", "cookie", "token", "secret", "password", "api-key", "apikey", "signature"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// Inbound serves a call to /in/{account}/{path}: it finds the hook, checks the
// method and the signature, and fires the hook with the request as its data.
func (e *Engine) Inbound(ctx context.Context, in *InboundRequest) (*InboundResult, error) {
	in.Path = strings.Trim(in.Path, "/")
	hooks, err := e.hooks.Match(ctx, e.st, []string{in.AccountID}, "inbound:"+in.Path)
	if err != nil {
		return nil, err
	}
	if len(hooks) == 0 {
		return nil, notFound("inbound route")
	}
	var h *hook.Hook
	var allowed []string
	for _, c := range hooks {
		allowed = append(allowed, c.Trigger.Methods...)
		if slices.Contains(c.Trigger.Methods, in.Method) && h == nil {
			h = c
		}
	}
	if h == nil {
		slices.Sort(allowed)
		return nil, &Error{Kind: KindMethod, Msg: "method not allowed; this route accepts " + strings.Join(slices.Compact(allowed), ", ")}
	}
	if len(in.Raw) > e.cfg.MaxEventBytes {
		return nil, &Error{Kind: KindTooLarge, Msg: "request body is larger than " + itoa(e.cfg.MaxEventBytes) + " bytes"}
	}
	if a := h.Trigger.Auth; a != nil {
		secrets, err := e.secretValues(ctx, h.AccountID)
		if err != nil {
			return nil, err
		}
		secret, ok := secrets[a.SecretRef]
		if !ok {
			e.log.Warn("inbound route's signing secret is not set", "hook", h.ID, "secret", a.SecretRef)
			return nil, &Error{Kind: KindUnauthed, Msg: "signature cannot be verified"}
		}
		if err := inboundsig.Verify(a.Kind, a.Header, secret, in.Header, in.Raw, e.now()); err != nil {
			return nil, &Error{Kind: KindUnauthed, Msg: "invalid signature: " + err.Error()}
		}
	}
	if err := e.allowEvent(ctx, in.AccountID); err != nil {
		return nil, err
	}
	headers := map[string]any{}
	for k, v := range in.Header {
		if sensitiveHeader(k) {
			headers[k] = "[redacted]"
		} else if len(v) == 1 {
			headers[k] = v[0]
		} else {
			headers[k] = strings.Join(v, ", ")
		}
	}
	request := map[string]any{"method": in.Method, "path": "/" + in.Path, "query": in.Query, "headers": headers, "body": in.Body}
	data, _ := in.Body.(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	acc, err := e.accts.Get(ctx, e.st, h.AccountID)
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	ev := &hook.Event{ID: e.ids.next(prefixEvent, now), Type: "inbound", AccountID: h.AccountID, Data: plain.Own(data), OccurredAt: now, Depth: in.Depth}
	if a := h.Trigger.Auth; a != nil {
		// The same signed delivery sent again (inside the replay window, or
		// GitHub's by its delivery id) is answered like the first and makes
		// nothing new, on every node: its event's idempotency key repeats.
		if id := inboundsig.DeliveryID(a.Kind, a.Header, in.Header); id != "" {
			sum := sha256.Sum256([]byte(id))
			ev.IdempotencyKey = "inbound:" + h.ID + ":" + hex.EncodeToString(sum[:])
		}
	}
	c := dispatch.EventContext(ev, acc)
	c["request"] = plain.Own(request)
	p := e.dispatch.PlanHook(h, hook.TriggerInbound, c, in.Depth)
	p.Event, p.StoreEvent = ev, true
	p.Executions[0].EventID = ev.ID
	r, err := e.dispatch.Enqueue(ctx, p)
	if err != nil {
		return nil, err
	}
	var x *hook.Execution
	if r.Duplicate {
		xs, err := e.st.ExecutionList(ctx, store.ExecutionFilter{EventID: r.EventID, HookID: h.ID, Page: store.Page{Limit: 1}})
		if err != nil {
			return nil, err
		}
		if len(xs) == 0 { // pruned: nothing to show, nothing to do again
			return nil, &Error{Kind: KindConflict, Msg: "this delivery was received before and its execution is no longer kept"}
		}
		x = xs[0]
	} else {
		x = r.Executions[0]
	}
	res := &InboundResult{Execution: x}
	if h.Trigger.Respond == "sync" && x.Status != hook.StatusCancelled {
		done, err := e.WaitExecution(ctx, x.ID, min(30*time.Second, e.cfg.WaitMax))
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		if done != nil {
			res.Execution = done
			res.Sync = done.Done()
		}
	}
	return res, nil
}

// SyncOutput is the answer of a synchronous inbound route: the output of the
// last action that ran.
func SyncOutput(x *hook.Execution) map[string]any {
	for i := len(x.Results) - 1; i >= 0; i-- {
		if r := x.Results[i]; r.Status == "success" || r.Status == "failed" {
			if r.Output != nil {
				return r.Output
			}
			return map[string]any{}
		}
	}
	return map[string]any{}
}
