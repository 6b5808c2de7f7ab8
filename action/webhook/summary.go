package webhook

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Redacted replaces sensitive values in logged requests and responses.
const Redacted = "[redacted]"

var sensitiveParts = []string{"auth", "token", "secret", "key", "signature", "cookie", "password", "session"}

// sensitive reports whether a header or query parameter name suggests a
// credential (Authorization, X-Api-Key, webhook-signature, access_token…).
func sensitive(name string) bool {
	n := strings.ToLower(name)
	for _, p := range sensitiveParts {
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}

// summarizeHeaders lower-cases names, joins repeated values and redacts
// sensitive ones.
func summarizeHeaders(h http.Header) map[string]any {
	out := make(map[string]any, len(h))
	for name, vals := range h {
		v := strings.Join(vals, ", ")
		if sensitive(name) {
			v = Redacted
		}
		out[strings.ToLower(name)] = v
	}
	return out
}

// logURL is u for the execution log: password and sensitive query values
// redacted.
func logURL(u *url.URL) string {
	c := *u
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			k, _, hasValue := strings.Cut(p, "=")
			name, err := url.QueryUnescape(k)
			if err != nil {
				name = k
			}
			if hasValue && sensitive(name) {
				parts[i] = k + "=" + Redacted
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.Redacted()
}

// excerpt returns b as valid UTF-8, cut to at most n bytes (on a rune
// boundary) unless n < 0.
func excerpt(b []byte, n int) (string, bool) {
	cut := false
	if n >= 0 && len(b) > n {
		b, cut = b[:n], true
		// Drop a rune the cut split.
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

// bodyLimit is the excerpt size: whole bodies when debugging.
func (e *Executor) bodyLimit(debug bool) int {
	if debug {
		return -1
	}
	return e.o.MaxBodyExcerpt
}

func (e *Executor) requestSummary(r *http.Request, u *url.URL, body []byte, hasBody, debug bool) map[string]any {
	s := map[string]any{
		"method":  r.Method,
		"url":     logURL(u),
		"headers": summarizeHeaders(r.Header),
	}
	if hasBody {
		b, cut := excerpt(body, e.bodyLimit(debug))
		s["body"] = b
		if cut {
			s["body_truncated"] = true
		}
	}
	return s
}

func (e *Executor) responseSummary(resp *http.Response, data []byte, truncated bool, readErr error, debug bool) map[string]any {
	b, cut := excerpt(data, e.bodyLimit(debug))
	s := map[string]any{
		"status":  resp.StatusCode,
		"headers": summarizeHeaders(resp.Header),
		"body":    b,
	}
	if cut || truncated {
		s["body_truncated"] = true
	}
	if readErr != nil {
		s["body_error"] = readErr.Error()
	}
	return s
}

// outputHeaders are the response headers later actions see.
var outputHeaders = []string{"Content-Type", "Location", "Retry-After", "ETag", "X-Request-Id"}

// output is what later actions see as steps.<name>: the status, the body
// (parsed when JSON) and a few headers.
func (e *Executor) output(resp *http.Response, data []byte, truncated bool) map[string]any {
	hs := map[string]any{}
	for _, h := range outputHeaders {
		if v := resp.Header.Get(h); v != "" {
			hs[strings.ToLower(h)] = v
		}
	}
	out := map[string]any{"status": resp.StatusCode, "headers": hs}
	ct := resp.Header.Get("Content-Type")
	if !truncated && looksJSON(ct, data) {
		var v any
		if err := json.Unmarshal(data, &v); err == nil {
			out["body"] = v
			return out
		}
	}
	out["body"], _ = excerpt(data, e.o.MaxBodyExcerpt)
	return out
}

// looksJSON reports whether a response is JSON: by media type, or for an
// untyped body by its first byte.
func looksJSON(ct string, data []byte) bool {
	if ct == "" {
		t := bytes.TrimSpace(data)
		return len(t) > 0 && (t[0] == '{' || t[0] == '[')
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}
