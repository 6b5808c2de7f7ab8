package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// parseTemplates builds one template set per page: layout.html and the
// partials (files named _*.html) plus the page's own file.
func (h *Handler) parseTemplates() error {
	funcs := h.funcs()
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	var partials []string
	for _, n := range names {
		if strings.HasPrefix(baseName(n), "_") {
			partials = append(partials, n)
		}
	}
	frags := template.New("frags").Funcs(funcs)
	if len(partials) > 0 {
		if frags, err = frags.ParseFS(templateFS, partials...); err != nil {
			return fmt.Errorf("admin: parse partials: %w", err)
		}
	}
	h.frags = frags
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, append([]string{"templates/layout.html"}, partials...)...)
	if err != nil {
		return fmt.Errorf("admin: parse layout: %w", err)
	}
	h.pages = map[string]*template.Template{}
	for _, n := range names {
		b := baseName(n)
		if strings.HasPrefix(b, "_") || b == "layout.html" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return fmt.Errorf("admin: parse %s: %w", n, err)
		}
		h.pages[strings.TrimSuffix(b, ".html")] = t
	}
	return nil
}

func baseName(p string) string { return p[strings.LastIndex(p, "/")+1:] }

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"when":   fmtTime,
		"whenms": fmtTimeMS,
		"body":   prettyBody,
		"ago":    func(v any) string { return ago(v, h.now()) },
		"agos":   func(v any) string { return agoSeconds(v, h.now()) },
		"iso":    isoTime,
		"pretty": pretty,
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict: keys must be strings")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"add":        func(a, b int) int { return a + b },
		"has":        func(list []string, v string) bool { return slices.Contains(list, v) },
		"join":       strings.Join,
		"upper":      strings.ToUpper,
		"title":      titleCase,
		"deref":      func(p *int) int { return *p },
		"deref1":     func(p *bool) bool { return p != nil && *p },
		"list":       func(xs ...any) []any { return xs },
		"ms":         fmtMS,
		"truncate":   truncate,
		"bytesize":   byteSize,
		"collection": cdcCollection,
		"shortid":    shortID,
		"rows": func(lo, hi int, s string) int {
			return min(max(strings.Count(s, "\n")+1, lo), hi)
		},
	}
}

// shortID cuts a long id to its prefix and last characters (rec_…x7tr).
func shortID(id string) string {
	if len(id) <= 16 {
		return id
	}
	pre, _, _ := strings.Cut(id, "_")
	if len(pre) > 5 {
		pre = ""
	} else {
		pre += "_"
	}
	return pre + "…" + id[len(id)-8:]
}

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil {
			return time.Time{}, false
		}
		return *t, !t.IsZero()
	}
	return time.Time{}, false
}

// fmtTime shows a time in UTC to the minute; "—" when unset.
func fmtTime(v any) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// fmtTimeMS shows a time in UTC to the millisecond; "—" when unset.
func fmtTimeMS(v any) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func isoTime(v any) string {
	t, ok := asTime(v)
	if !ok {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ago is a short relative time: "just now", "5 min ago", "in 3 h", "12 d ago".
func ago(v any, now time.Time) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 36*time.Hour:
		s = fmt.Sprintf("%d h", int(d.Round(time.Hour)/time.Hour))
	default:
		s = fmt.Sprintf("%d d", int(d.Round(24*time.Hour)/(24*time.Hour)))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// agoSeconds is ago to the second within a minute ("4 s ago", "in 6 s"),
// for heartbeats and liveness.
func agoSeconds(v any, now time.Time) string {
	t, ok := asTime(v)
	if !ok {
		return "—"
	}
	d := now.Sub(t).Round(time.Second)
	switch {
	case d >= time.Minute || d <= -time.Minute:
		return ago(v, now)
	case d == 0:
		return "now"
	case d > 0:
		return fmt.Sprintf("%d s ago", int(d/time.Second))
	default:
		return fmt.Sprintf("in %d s", int(-d/time.Second))
	}
}

func pretty(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// prettyBody is pretty, with strings that hold a JSON object or array (a
// request or response body kept as text) shown as that JSON.
func prettyBody(v any) string { return pretty(unquoteJSON(v)) }

func unquoteJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = unquoteJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = unquoteJSON(e)
		}
		return out
	case string:
		t := strings.TrimSpace(x)
		if len(t) > 1 && (t[0] == '{' && t[len(t)-1] == '}' || t[0] == '[' && t[len(t)-1] == ']') {
			var j any
			if json.Unmarshal([]byte(t), &j) == nil {
				return j
			}
		}
	}
	return v
}

func fmtMS(ms int64) string {
	switch {
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	}
	return fmt.Sprintf("%.1f min", float64(ms)/60_000)
}

func truncate(n int, s string) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func titleCase(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
