// Package plain turns Go values into plain JSON values — map[string]any,
// []any, string, float64, bool and nil — exactly as a json.Marshal and
// json.Unmarshal round trip would, but without the round trip for the
// common cases. The result never shares a map or slice with the input, so
// it can be handed to another goroutine or changed freely.
package plain

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Value returns v as plain JSON values. A value JSON cannot encode (a
// channel, a NaN) is returned unchanged, with ok false.
func Value(v any) (out any, ok bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case bool:
		return v, true
	case string:
		if !utf8.ValidString(v) {
			return roundTrip(v)
		}
		return v, true
	case float64:
		if v != v || v > maxFloat || v < -maxFloat { // NaN and ±Inf do not encode
			return v, false
		}
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case uint:
		return float64(v), true
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return roundTrip(v)
		}
		return f, true
	case map[string]any:
		if v == nil {
			return nil, true
		}
		m := make(map[string]any, len(v))
		for k, e := range v {
			if !utf8.ValidString(k) {
				return roundTrip(v)
			}
			p, ok := Value(e)
			if !ok {
				return v, false
			}
			m[k] = p
		}
		return m, true
	case []any:
		return slice(v)
	case []string:
		return slice(v)
	}
	return roundTrip(v)
}

func slice[T any](v []T) (any, bool) {
	if v == nil {
		return nil, true
	}
	s := make([]any, len(v))
	for i, e := range v {
		p, ok := Value(e)
		if !ok {
			return v, false
		}
		s[i] = p
	}
	return s, true
}

// Is reports, without allocating, whether v is made of plain JSON values
// only, so that Value would return an equal copy of it.
func Is(v any) bool {
	switch v := v.(type) {
	case nil, bool:
		return true
	case string:
		return utf8.ValidString(v)
	case float64:
		return v == v && v <= maxFloat && v >= -maxFloat
	case map[string]any:
		if v == nil { // JSON makes it an untyped nil
			return false
		}
		for k, e := range v {
			if !utf8.ValidString(k) || !Is(e) {
				return false
			}
		}
		return true
	case []any:
		if v == nil {
			return false
		}
		for _, e := range v {
			if !Is(e) {
				return false
			}
		}
		return true
	}
	return false
}

// Own returns m made plain: m itself when it is plain already (Is), else a
// plain copy. Unlike Map it does not copy a plain m: use it for values
// nobody changes after.
func Own(m map[string]any) map[string]any {
	if Is(m) {
		return m
	}
	out, _ := Map(m)
	return out
}

// Map is Value for a map: nil stays nil.
func Map(m map[string]any) (map[string]any, bool) {
	p, ok := Value(m)
	if !ok {
		return m, false
	}
	out, _ := p.(map[string]any)
	return out, true
}

const maxFloat = 1.7976931348623157e308

// roundTrip is the general case: whatever encoding/json makes of v.
func roundTrip(v any) (any, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return v, false
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v, false
	}
	return out, true
}
