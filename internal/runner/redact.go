package runner

import (
	"sort"
	"strings"
)

// Redacted replaces secret values wherever they could leak.
const Redacted = "[redacted]"

// Redactor replaces every known secret value inside strings with [redacted].
type Redactor struct {
	r *strings.Replacer
}

// NewRedactor redacts the given secret values (longest first, so a value that
// contains another is replaced whole).
func NewRedactor(secrets map[string]string) *Redactor {
	vals := make([]string, 0, len(secrets))
	for _, v := range secrets {
		if v != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return &Redactor{}
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	pairs := make([]string, 0, 2*len(vals))
	for _, v := range vals {
		pairs = append(pairs, v, Redacted)
	}
	return &Redactor{r: strings.NewReplacer(pairs...)}
}

// String redacts s.
func (r *Redactor) String(s string) string {
	if r == nil || r.r == nil {
		return s
	}
	return r.r.Replace(s)
}

// Value redacts every string (and map key) inside a decoded JSON-like value,
// returning a copy where anything changed.
func (r *Redactor) Value(v any) any {
	if r == nil || r.r == nil {
		return v
	}
	switch t := v.(type) {
	case string:
		return r.r.Replace(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[r.r.Replace(k)] = r.Value(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = r.Value(e)
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[r.r.Replace(k)] = r.r.Replace(e)
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = r.r.Replace(e)
		}
		return out
	default:
		return v
	}
}

// Map redacts a map value.
func (r *Redactor) Map(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := r.Value(m).(map[string]any)
	return out
}
