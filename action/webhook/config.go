package webhook

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/action"
)

// Timeouts of one attempt.
const (
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 60 * time.Second
)

// Methods lists the accepted HTTP methods.
var Methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// reservedHeaders are set by hookline or the HTTP client and may not be
// configured.
var reservedHeaders = map[string]string{
	"webhook-id":           "is set by hookline (Standard Webhooks)",
	"webhook-timestamp":    "is set by hookline (Standard Webhooks)",
	"webhook-signature":    "is set by hookline (Standard Webhooks)",
	"x-hookline-depth":     "is set by hookline",
	"x-hookline-execution": "is set by hookline",
	"host":                 "is set from the url",
	"content-length":       "is set by the HTTP client",
	"transfer-encoding":    "is set by the HTTP client",
	"connection":           "is set by the HTTP client",
}

// config is a parsed send_webhook config.
type config struct {
	url     *url.URL // nil when the url still holds template holes
	method  string
	headers [][2]string // in name order
	query   [][2]string // in name order, repeated names for lists
	body    any
	hasBody bool
	timeout time.Duration
}

// header returns the configured value of header name (case-insensitive).
func (c *config) header(name string) (string, bool) {
	for _, h := range c.headers {
		if strings.EqualFold(h[0], name) {
			return h[1], true
		}
	}
	return "", false
}

// parseConfig parses m. With rendered false (Validate) strings holding {{ }}
// holes are not checked beyond what a hole cannot change. What the
// description says (fields, types, required, methods) is checked by it.
func parseConfig(d *action.Description, m map[string]any, rendered bool) (*config, error) {
	hole := func(s string) bool { return !rendered && strings.Contains(s, "{{") }
	c := &config{method: "POST", timeout: DefaultTimeout}

	if err := d.Check(m, rendered); err != nil {
		return nil, err
	}

	// url
	switch v := m["url"].(type) {
	case string:
		s := strings.TrimSpace(v)
		if hole(s) {
			l := strings.ToLower(s)
			if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(s, "{{") {
				return nil, action.Fieldf("url", "must start with http:// or https://")
			}
			break
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
			return nil, action.Fieldf("url", "must be an absolute http:// or https:// URL")
		}
		c.url = u
	default:
		return nil, action.Fieldf("url", "must be a string")
	}

	// method
	if s, ok := m["method"].(string); ok && !hole(s) {
		if s = strings.ToUpper(strings.TrimSpace(s)); s != "" {
			c.method = s
		}
	}

	// headers
	if v, ok := m["headers"]; ok && v != nil {
		hm, ok := asMap(v)
		if !ok {
			return nil, action.Fieldf("headers", "must be an object of header names to string values")
		}
		for _, name := range sortedKeys(hm) {
			field := "headers." + name
			if !validHeaderName(name) {
				return nil, action.Fieldf(field, "is not a valid header name")
			}
			if why, ok := reservedHeaders[strings.ToLower(name)]; ok {
				return nil, action.Fieldf(field, "%s", why)
			}
			val, ok := hm[name].(string)
			if !ok && rendered {
				val, ok = scalar(hm[name])
			}
			if !ok {
				return nil, action.Fieldf(field, "must be a string")
			}
			if strings.ContainsAny(val, "\r\n\x00") {
				return nil, action.Fieldf(field, "must not contain line breaks or NUL")
			}
			c.headers = append(c.headers, [2]string{name, val})
		}
	}

	// query
	if v, ok := m["query"]; ok && v != nil {
		qm, ok := asMap(v)
		if !ok {
			return nil, action.Fieldf("query", "must be an object of parameter names to values")
		}
		for _, name := range sortedKeys(qm) {
			field := "query." + name
			if name == "" {
				return nil, action.Fieldf("query", "parameter names must not be empty")
			}
			vals := []any{qm[name]}
			if list, ok := qm[name].([]any); ok {
				vals = list
			}
			for _, x := range vals {
				s, ok := scalar(x)
				if !ok {
					return nil, action.Fieldf(field, "must be a string, number or boolean (or a list of them)")
				}
				c.query = append(c.query, [2]string{name, s})
			}
		}
	}

	// body_template
	if v, ok := m["body_template"]; ok && v != nil {
		c.body, c.hasBody = v, true
	}

	// timeout (its syntax checked by the description)
	if s, ok := m["timeout"].(string); ok && !hole(s) && strings.TrimSpace(s) != "" {
		d, _ := time.ParseDuration(strings.TrimSpace(s))
		if d <= 0 || d > MaxTimeout {
			return nil, action.Fieldf("timeout", "must be more than 0s and at most %s", MaxTimeout)
		}
		c.timeout = d
	}
	return c, nil
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, s := range m {
			out[k] = s
		}
		return out, true
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scalar formats a string, number or boolean.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// validHeaderName reports whether s is an RFC 7230 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
