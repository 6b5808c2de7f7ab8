package rule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// maxNesting bounds how deep a value may be nested to be sized, copied or
// printed.
const maxNesting = 1000

var (
	errDeep      = fmt.Errorf("value is nested too deeply (more than %d levels)", maxNesting)
	errNotFinite = errors.New("number is not finite (NaN or infinity)")
)

// maxExact is the largest integer a float64 holds exactly.
const maxExact = 1 << 53

// normalizer deep-copies a value into plain JSON values, booking its
// (approximate JSON) size on a meter as it goes.
type normalizer struct {
	m        *meter
	nodes    int
	maxDepth int
	err      error
}

// normalize returns v as a JSON value (see the package doc), charged to m.
func normalize(m *meter, v any) (any, error) {
	z := normalizer{m: m}
	out := z.value(v, 0)
	if z.err != nil {
		return nil, z.err
	}
	return out, nil
}

func (z *normalizer) book(n int) bool {
	z.nodes++
	if z.err == nil {
		z.err = z.m.charge(n)
	}
	return z.err == nil
}

func (z *normalizer) value(v any, depth int) any {
	if z.err != nil {
		return nil
	}
	if depth > maxNesting {
		z.err = errDeep
		return nil
	}
	z.maxDepth = max(z.maxDepth, depth)
	switch x := v.(type) {
	case nil:
		z.book(4)
		return nil
	case bool:
		z.book(5)
		return x
	case string:
		z.book(len(x) + 2)
		return x
	case float64:
		return z.float(x)
	case json.Number:
		z.book(len(x))
		return x
	case int:
		return z.int(int64(x))
	case int64:
		return z.int(x)
	case time.Time:
		return z.value(x.UTC().Format(time.RFC3339Nano), depth)
	case time.Duration:
		return z.value(x.String(), depth)
	case []byte:
		return z.value(string(x), depth)
	case map[string]any:
		if !z.book(2 + 4*len(x)) {
			return nil
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			if _, ok := e.(*meter); ok {
				continue // the meter of $env is not data
			}
			if !z.book(len(k)) {
				return nil
			}
			out[k] = z.value(e, depth+1)
		}
		return out
	case []any:
		if !z.book(2 + len(x)) {
			return nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = z.value(e, depth+1)
		}
		return out
	}
	return z.reflect(reflect.ValueOf(v), depth)
}

func (z *normalizer) float(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		z.err = errNotFinite
		return nil
	}
	z.book(8)
	return f
}

func (z *normalizer) int(i int64) any {
	z.book(8)
	if i > maxExact || i < -maxExact {
		return json.Number(strconv.FormatInt(i, 10))
	}
	return float64(i)
}

func (z *normalizer) reflect(rv reflect.Value, depth int) any {
	switch rv.Kind() {
	case reflect.Bool:
		return z.value(rv.Bool(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return z.int(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > maxExact {
			z.book(8)
			return json.Number(strconv.FormatUint(u, 10))
		}
		return z.int(int64(u))
	case reflect.Float32, reflect.Float64:
		return z.float(rv.Float())
	case reflect.String:
		return z.value(rv.String(), depth)
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return z.value(nil, depth)
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 && rv.Kind() == reflect.Slice {
			return z.value(string(rv.Bytes()), depth)
		}
		if !z.book(2 + rv.Len()) {
			return nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = z.value(rv.Index(i).Interface(), depth+1)
		}
		return out
	case reflect.Map:
		if rv.IsNil() {
			return z.value(nil, depth)
		}
		if !z.book(2 + 4*rv.Len()) {
			return nil
		}
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next() && z.err == nil; {
			k := scalarText(z.value(it.Key().Interface(), depth+1))
			if z.book(len(k)) {
				out[k] = z.value(it.Value().Interface(), depth+1)
			}
		}
		return out
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return z.value(nil, depth)
		}
		if s, ok := rv.Interface().(fmt.Stringer); ok && rv.Kind() == reflect.Pointer {
			return z.value(s.String(), depth)
		}
		return z.value(rv.Elem().Interface(), depth+1)
	case reflect.Struct:
		if s, ok := rv.Interface().(fmt.Stringer); ok {
			return z.value(s.String(), depth)
		}
		b, err := json.Marshal(rv.Interface())
		if err != nil || !z.book(len(b)) {
			z.err = errors.Join(z.err, err)
			return nil
		}
		var out any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&out); err != nil {
			z.err = err
			return nil
		}
		return z.value(out, depth+1)
	}
	z.err = fmt.Errorf("a %s cannot be used as a value", rv.Kind())
	return nil
}

// scalarText prints a normalized value as template text.
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return formatFloat(x)
	case json.Number:
		return string(x)
	}
	s, err := encodeJSON(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// textOf turns any value into template text (see the package doc).
func textOf(m *meter, v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	n, err := normalize(m, v)
	if err != nil {
		return "", err
	}
	return scalarText(n), nil
}

// formatFloat prints f in the shortest form, as encoding/json does.
func formatFloat(f float64) string {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(nil, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return string(b)
}

// encodeJSON is compact JSON without HTML escaping, for normalized values.
func encodeJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("cannot print value as JSON: %v", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// sizeOf estimates the JSON size of v without copying it. It stops once the
// estimate passes limit and then reports false.
func sizeOf(v any, limit int) (int, bool) {
	s := sizer{limit: limit}
	s.add(reflect.ValueOf(v), 0)
	return s.n, s.n <= s.limit
}

type sizer struct{ n, limit int }

func (s *sizer) add(rv reflect.Value, depth int) {
	if s.n > s.limit {
		return
	}
	if depth > maxNesting {
		s.n = s.limit + 1
		return
	}
	switch rv.Kind() {
	case reflect.Invalid, reflect.Bool:
		s.n += 5
	case reflect.String:
		s.n += rv.Len() + 2
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			s.n += rv.Len() + 2
			return
		}
		s.n += 2 + rv.Len()
		for i := 0; i < rv.Len() && s.n <= s.limit; i++ {
			s.add(rv.Index(i), depth+1)
		}
	case reflect.Map:
		s.n += 2 + 4*rv.Len()
		for it := rv.MapRange(); it.Next() && s.n <= s.limit; {
			s.add(it.Key(), depth+1)
			s.add(it.Value(), depth+1)
		}
	case reflect.Pointer, reflect.Interface:
		if !rv.IsNil() {
			s.add(rv.Elem(), depth+1)
		} else {
			s.n += 4
		}
	case reflect.Struct:
		s.n += 2
		for i := 0; i < rv.NumField() && s.n <= s.limit; i++ {
			s.add(rv.Field(i), depth+1)
		}
	default:
		s.n += 8
	}
}
