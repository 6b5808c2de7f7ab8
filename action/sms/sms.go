// Package sms is the send_sms action: a message sent through Twilio's
// Messages API (or any provider that speaks it), with net/http.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline/action"
)

// Type is the action type name.
const Type = "send_sms"

// DefaultBaseURL is Twilio's API.
const DefaultBaseURL = "https://api.twilio.com"

// DefaultTimeout bounds one attempt.
const DefaultTimeout = 30 * time.Second

// MaxResponseBody is the most of an answer that is read.
const MaxResponseBody = 64 << 10

// MaxRetryAfter caps the provider's Retry-After.
const MaxRetryAfter = time.Hour

const redacted = "[redacted]"

// Options configure the executor; they mirror hookline.SMSConfig.
type Options struct {
	BaseURL    string // default https://api.twilio.com
	AccountSID string // empty: not configured, every send fails
	AuthToken  string
	From       string // default sender when a config has no from
	// Client sends the requests (nil: a plain client). The provider is
	// operator configuration, not hook input, so no SSRF guard is needed.
	Client *http.Client
	// Timeout bounds one attempt (default 30s).
	Timeout time.Duration
	// Now is the clock, for Retry-After dates (nil: time.Now).
	Now func() time.Time
	// MaxBodyExcerpt bounds logged bodies when not debugging (default 1024).
	MaxBodyExcerpt int
}

// Executor runs send_sms actions.
type Executor struct {
	o    Options
	desc action.Description
}

var _ action.Executor = (*Executor)(nil)

// New returns an executor; zero options get defaults.
func New(o Options) *Executor {
	o.BaseURL = strings.TrimRight(strings.TrimSpace(o.BaseURL), "/")
	if o.BaseURL == "" {
		o.BaseURL = DefaultBaseURL
	}
	o.AccountSID = strings.TrimSpace(o.AccountSID)
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBodyExcerpt <= 0 {
		o.MaxBodyExcerpt = 1024
	}
	return &Executor{o: o, desc: describe(o.From)}
}

// Type implements action.Executor.
func (e *Executor) Type() string { return Type }

// Validate implements action.Executor: it checks a config as saved, skipping
// what {{ }} holes may still change.
func (e *Executor) Validate(config map[string]any) error {
	_, err := parseConfig(&e.desc, config, false, e.o.From)
	return err
}

// twilioError is Twilio's error answer.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Execute implements action.Executor: one attempt.
func (e *Executor) Execute(ctx context.Context, req *action.Request) (*action.Result, error) {
	switch {
	case e.o.AccountSID == "":
		return nil, action.Fail(errors.New("send_sms: SMS is not configured (HOOKLINE_SMS_ACCOUNT_SID)"), nil)
	case e.o.AuthToken == "":
		return nil, action.Fail(errors.New("send_sms: SMS is not configured (HOOKLINE_SMS_AUTH_TOKEN)"), nil)
	}
	cfg, err := parseConfig(&e.desc, req.Config, true, e.o.From)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("send_sms: invalid config: %w", err), nil)
	}
	endpoint := e.o.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(e.o.AccountSID) + "/Messages.json"
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, action.Fail(errors.New("send_sms: the provider URL (HOOKLINE_SMS_URL) is not an absolute http(s) URL"), nil)
	}
	u.User = nil // credentials go in the Authorization header only
	target := "POST " + u.Host + u.EscapedPath()

	form := url.Values{"To": {cfg.to}, "Body": {cfg.body}}
	if serviceRE.MatchString(cfg.from) {
		form.Set("MessagingServiceSid", cfg.from)
	} else {
		form.Set("From", cfg.from)
	}

	ctx, cancel := context.WithTimeout(ctx, e.o.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, action.Fail(fmt.Errorf("send_sms: %s: %v", target, e.scrub(err.Error())), nil)
	}
	hreq.SetBasicAuth(e.o.AccountSID, e.o.AuthToken)
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "hookline/1")
	if req.IdempotencyKey != "" {
		hreq.Header.Set("I-Twilio-Idempotency-Token", req.IdempotencyKey)
	}

	res := &action.Result{Request: e.requestSummary(u, cfg, req)}
	resp, err := e.o.Client.Do(hreq)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message holds the whole URL
		}
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil, action.Retry(fmt.Errorf("send_sms: %s: timed out after %s: %w", target, e.o.Timeout, context.DeadlineExceeded), 0, res)
		}
		return nil, action.Retry(fmt.Errorf("send_sms: %s: %s", target, e.scrub(err.Error())), 0, res)
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	res.Response = e.responseSummary(resp, data, req.Debug)

	code := resp.StatusCode
	if code == http.StatusOK || code == http.StatusCreated {
		var msg struct {
			SID    string `json:"sid"`
			Status string `json:"status"`
			To     string `json:"to"`
		}
		if readErr != nil {
			// Sent, but the answer was cut: report what is known.
			msg.To = cfg.to
		} else if err := json.Unmarshal(data, &msg); err != nil {
			return nil, action.Fail(fmt.Errorf("send_sms: %s: HTTP %d with an answer that is not JSON", target, code), res)
		}
		if msg.To == "" {
			msg.To = cfg.to
		}
		res.Output = map[string]any{"sid": msg.SID, "status": msg.Status, "to": msg.To}
		return res, nil
	}

	var te twilioError
	_ = json.Unmarshal(data, &te)
	detail := statusText(code)
	if te.Code != 0 || te.Message != "" {
		detail += fmt.Sprintf(": Twilio error %d: %s", te.Code, te.Message)
		if te.MoreInfo != "" {
			detail += " (" + te.MoreInfo + ")"
		}
		res.Output = map[string]any{"error_code": te.Code, "error_message": e.scrub(te.Message), "http_status": code}
	}
	err = fmt.Errorf("send_sms: %s: HTTP %s", target, e.scrub(detail))
	if code == http.StatusTooManyRequests || code >= 500 {
		return nil, action.Retry(err, parseRetryAfter(resp.Header.Get("Retry-After"), e.o.Now()), res)
	}
	return nil, action.Fail(err, res)
}

// scrub removes the auth token from s, should a peer or error echo it.
func (e *Executor) scrub(s string) string {
	if e.o.AuthToken == "" {
		return s
	}
	return strings.ReplaceAll(s, e.o.AuthToken, redacted)
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

func (e *Executor) limit(debug bool) int {
	if debug {
		return -1
	}
	return e.o.MaxBodyExcerpt
}

func (e *Executor) requestSummary(u *url.URL, c *config, req *action.Request) map[string]any {
	body, cut := excerpt([]byte(c.body), e.limit(req.Debug))
	s := map[string]any{"method": http.MethodPost, "url": u.String(), "to": c.to, "from": c.from, "body": body}
	if cut {
		s["body_truncated"] = true
	}
	if req.IdempotencyKey != "" {
		s["idempotency_token"] = req.IdempotencyKey
	}
	return s
}

func (e *Executor) responseSummary(resp *http.Response, data []byte, debug bool) map[string]any {
	body, cut := excerpt(data, e.limit(debug))
	s := map[string]any{"status": resp.StatusCode, "body": e.scrub(body)}
	if cut {
		s["body_truncated"] = true
	}
	return s
}

// excerpt returns b as valid UTF-8, cut to at most n bytes (on a rune
// boundary) unless n < 0.
func excerpt(b []byte, n int) (string, bool) {
	cut := false
	if n >= 0 && len(b) > n {
		b, cut = b[:n], true
		for k := 1; k <= utf8.UTFMax && k <= len(b); k++ {
			if utf8.RuneStart(b[len(b)-k]) {
				if !utf8.FullRune(b[len(b)-k:]) {
					b = b[:len(b)-k]
				}
				break
			}
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), cut
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
		if n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}
