// Package webhook is the send_webhook action: an HTTP call signed with
// Standard Webhooks headers, through an SSRF-guarded client.
package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/stdwebhooks"
)

// Type is the action type name.
const Type = "send_webhook"

// MaxResponseBody is the most of a response that is read.
const MaxResponseBody = 256 << 10

// MaxRetryAfter caps a peer's Retry-After.
const MaxRetryAfter = time.Hour

// Options configure the executor.
type Options struct {
	// Client sends the requests; build it with netguard.NewClient. Nil: a
	// netguard client that allows public addresses only.
	Client *http.Client
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// UserAgent defaults to "hookline/1"; a configured User-Agent header wins.
	UserAgent string
	// MaxBodyExcerpt bounds logged bodies when not debugging (default 1024).
	MaxBodyExcerpt int
	// Secrets returns the signing secrets to use for acc at now: the current
	// one and, within its rotation window, the previous one. Nil:
	// AccountSecrets. No secrets: no webhook-signature header.
	Secrets func(acc *hook.Account, now time.Time) []string
	// MaxPerDestination bounds the deliveries in flight to one host at once
	// (0: no bound); a delivery past it is deferred, not attempted.
	MaxPerDestination int
}

// AccountSecrets returns acc's current signing secret and, until it expires,
// the previous one.
func AccountSecrets(acc *hook.Account, now time.Time) []string {
	if acc == nil {
		return nil
	}
	var out []string
	if acc.SigningSecret != "" {
		out = append(out, acc.SigningSecret)
	}
	if acc.PrevSigningSecret != "" && acc.PrevSecretExpiresAt != nil && now.Before(*acc.PrevSecretExpiresAt) {
		out = append(out, acc.PrevSigningSecret)
	}
	return out
}

// Executor runs send_webhook actions.
type Executor struct {
	o     Options
	desc  action.Description
	slots *slots
}

var _ action.Executor = (*Executor)(nil)

// New returns an executor; zero options get defaults.
func New(o Options) *Executor {
	if o.Client == nil {
		o.Client = netguard.NewClient(netguard.Options{})
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserAgent == "" {
		o.UserAgent = "hookline/1"
	}
	if o.MaxBodyExcerpt <= 0 {
		o.MaxBodyExcerpt = 1024
	}
	if o.Secrets == nil {
		o.Secrets = AccountSecrets
	}
	return &Executor{o: o, desc: describe(), slots: newSlots(o.MaxPerDestination)}
}

// Type implements action.Executor.
func (e *Executor) Type() string { return Type }

// Validate implements action.Executor: it checks a config as saved, skipping
// what {{ }} holes may still change.
func (e *Executor) Validate(config map[string]any) error {
	_, err := parseConfig(&e.desc, config, false)
	return err
}

// Execute implements action.Executor: one attempt.
func (e *Executor) Execute(ctx context.Context, req *action.Request) (*action.Result, error) {
	cfg, err := parseConfig(&e.desc, req.Config, true)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("send_webhook: invalid config: %w", err), nil)
	}
	u := *cfg.url
	if len(cfg.query) > 0 {
		var parts []string
		for _, kv := range cfg.query {
			parts = append(parts, url.QueryEscape(kv[0])+"="+url.QueryEscape(kv[1]))
		}
		if u.RawQuery != "" {
			parts = append([]string{u.RawQuery}, parts...)
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	u.Fragment, u.RawFragment = "", ""
	// target names the call in error messages: never the query string or
	// userinfo, which may hold secrets.
	target := cfg.method + " " + u.Host + u.EscapedPath()

	body, contentType, err := encodeBody(cfg)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("%s: %w", target, err), nil)
	}
	host := strings.ToLower(u.Hostname())
	release, wait, ok := e.slots.acquire(ctx, host)
	if !ok {
		return nil, action.Defer(e.o.Now().Add(wait), fmt.Sprintf("%d deliveries to %s are in flight (HOOKLINE_MAX_PER_DESTINATION)", e.o.MaxPerDestination, host))
	}
	sent := time.Now()
	defer func() { release(time.Since(sent)) }()

	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	var rd io.Reader
	if cfg.hasBody {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(ctx, cfg.method, u.String(), rd)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("%s: %v", target, err), nil)
	}

	hreq.Header.Set("User-Agent", e.o.UserAgent)
	for _, h := range cfg.headers {
		hreq.Header.Set(h[0], h[1])
	}
	if cfg.hasBody && hreq.Header.Get("Content-Type") == "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	now := e.o.Now()
	msgID := req.IdempotencyKey
	if msgID == "" {
		msgID = fallbackID(req)
	}
	hreq.Header.Set(stdwebhooks.HeaderID, msgID)
	hreq.Header.Set(stdwebhooks.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	if secrets := e.o.Secrets(req.Account, now); len(secrets) > 0 {
		sig, err := stdwebhooks.SignAll(secrets, msgID, now, body)
		if err != nil {
			return nil, action.Fail(fmt.Errorf("%s: the account's signing secret is unusable: %v", target, err), nil)
		}
		hreq.Header.Set(stdwebhooks.HeaderSignature, sig)
	}
	depth := 1
	if req.Execution != nil {
		depth = req.Execution.Depth + 1
		if req.Execution.ID != "" {
			hreq.Header.Set("X-Hookline-Execution", req.Execution.ID)
		}
	}
	hreq.Header.Set("X-Hookline-Depth", strconv.Itoa(depth))

	res := &action.Result{Request: e.requestSummary(hreq, &u, body, cfg.hasBody, req.Debug)}

	resp, err := e.o.Client.Do(hreq)
	if err != nil {
		return nil, e.transportError(target, cfg.timeout, err, res)
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	truncated := len(data) > MaxResponseBody
	if truncated {
		data = data[:MaxResponseBody]
	}
	res.Response = e.responseSummary(resp, data, truncated, readErr, req.Debug)
	res.Output = e.output(resp, data, truncated)

	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return res, nil
	case code == http.StatusGone:
		return nil, action.GoneFail(fmt.Errorf("%s: 410 Gone: the receiver asked to stop sending; not retrying", target), res)
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly, code == http.StatusTooManyRequests, code >= 500:
		return nil, action.Retry(fmt.Errorf("%s: HTTP %s", target, statusText(code)), parseRetryAfter(resp.Header.Get("Retry-After"), now), res)
	case code >= 400:
		return nil, action.Fail(fmt.Errorf("%s: HTTP %s (a client error: not retrying)", target, statusText(code)), res)
	default:
		return nil, action.Fail(fmt.Errorf("%s: unexpected HTTP %s", target, statusText(code)), res)
	}
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// transportError classifies a failed round trip. The *url.Error layer is
// dropped: its message holds the whole URL.
func (e *Executor) transportError(target string, timeout time.Duration, err error, res *action.Result) error {
	var ue *url.Error
	inner := err
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	var be *netguard.BlockedError
	switch {
	case errors.As(err, &be):
		return action.Fail(fmt.Errorf("%s: refused: %w", target, be), res)
	case errors.Is(err, netguard.ErrRedirect):
		return action.Fail(fmt.Errorf("%s: %w", target, inner), res)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return action.Retry(fmt.Errorf("%s: timed out after %s: %w", target, timeout, context.DeadlineExceeded), 0, res)
	}
	return action.Retry(fmt.Errorf("%s: %w", target, inner), 0, res)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// encodeBody renders body_template: JSON by default; a string is sent raw
// when a Content-Type header is configured; an object is form-encoded under
// application/x-www-form-urlencoded.
func encodeBody(cfg *config) ([]byte, string, error) {
	if !cfg.hasBody {
		return nil, "", nil
	}
	ct, hasCT := cfg.header("Content-Type")
	if s, ok := cfg.body.(string); ok && hasCT {
		return []byte(s), ct, nil
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt == "application/x-www-form-urlencoded" {
		if m, ok := asMap(cfg.body); ok {
			form := make(url.Values)
			for _, k := range sortedKeys(m) {
				vals := []any{m[k]}
				if list, ok := m[k].([]any); ok {
					vals = list
				}
				for _, v := range vals {
					s, ok := scalar(v)
					if !ok {
						b, err := json.Marshal(v)
						if err != nil {
							return nil, "", fmt.Errorf("body_template.%s: %v", k, err)
						}
						s = string(b)
					}
					form.Add(k, s)
				}
			}
			return []byte(form.Encode()), ct, nil
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(cfg.body); err != nil {
		return nil, "", fmt.Errorf("body_template cannot be encoded as JSON: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "application/json", nil
}

// fallbackID is the webhook-id when the engine gave no idempotency key.
func fallbackID(req *action.Request) string {
	if req.Execution != nil && req.Execution.ID != "" {
		return fmt.Sprintf("%s_%d", req.Execution.ID, req.Index)
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "msg_" + hex.EncodeToString(b)
}

// parseRetryAfter reads delay-seconds or an HTTP date, capped at
// MaxRetryAfter; anything else is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}
