package plain

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

// want is what a JSON round trip makes of v.
func want(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %#v: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestValueMatchesJSONRoundTrip(t *testing.T) {
	type pair struct {
		A int    `json:"a"`
		B string `json:"b,omitempty"`
	}
	cases := []any{
		nil, true, false, "", "héllo <b>&", "bad \xff utf8", 0, math.Copysign(0, -1), 1.5, int64(math.MaxInt64), int64(-1 << 62),
		uint64(math.MaxUint64), int32(-7), uint(3), json.Number("12.50"), json.Number("-0.0e3"),
		float32(0.1), int8(-3), uint16(9),
		[]any{1, "a", nil, []any{}, map[string]any{}},
		[]string{"x", "y"}, []string(nil), []int{1, 2},
		map[string]any{"n": 5, "nested": map[string]any{"list": []any{int64(1), json.Number("2")}, "t": time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}},
		map[string]any(nil), []any(nil),
		map[string]string{"k": "v"}, map[string]any{"bad\xffkey": 1},
		pair{A: 1}, &pair{A: 2, B: "x"}, json.RawMessage(`{"a":[1,2]}`),
		map[string]any{"header": map[string][]string{"X": {"1", "2"}}},
	}
	for _, v := range cases {
		got, ok := Value(v)
		if !ok {
			t.Errorf("Value(%#v) not ok", v)
			continue
		}
		if w := want(t, v); !reflect.DeepEqual(got, w) {
			t.Errorf("Value(%#v) = %#v, JSON round trip gives %#v", v, got, w)
		}
	}
}

func TestIs(t *testing.T) {
	yes := []any{nil, true, "x", 1.5, map[string]any{"a": []any{1.0, "b", nil, map[string]any{}}}}
	no := []any{[]any(nil), map[string]any(nil), 1, int64(2), "bad \xff", math.NaN(), []string{"x"}, map[string]any{"n": 1}, []any{json.Number("1")},
		map[string]any{"bad\xffkey": 1.0}, map[string]string{}, struct{}{}}
	for _, v := range yes {
		if !Is(v) {
			t.Errorf("Is(%#v) = false", v)
		}
		if got, _ := Value(v); !reflect.DeepEqual(got, v) {
			t.Errorf("Is(%#v) but Value changes it to %#v", v, got)
		}
	}
	for _, v := range no {
		if Is(v) {
			t.Errorf("Is(%#v) = true", v)
		}
	}
	m := map[string]any{"a": 1.0}
	if got := Own(m); reflect.ValueOf(got).Pointer() != reflect.ValueOf(m).Pointer() {
		t.Error("Own copied a plain map")
	}
	if got := Own(map[string]any{"a": 1}); got["a"] != 1.0 {
		t.Errorf("Own left an int: %#v", got)
	}
}

func TestValueDoesNotShare(t *testing.T) {
	in := map[string]any{"a": map[string]any{"b": []any{1.0}}}
	out, _ := Map(in)
	out["a"].(map[string]any)["b"].([]any)[0] = 2.0
	out["c"] = true
	if in["a"].(map[string]any)["b"].([]any)[0] != 1.0 || len(in) != 1 {
		t.Fatalf("changing the result changed the input: %#v", in)
	}
}

func TestValueRefusesWhatJSONRefuses(t *testing.T) {
	for _, v := range []any{math.NaN(), math.Inf(1), json.Number("1e400x"), json.Number("1e400"), map[string]any{"f": func() {}}, []any{make(chan int)}} {
		if _, ok := Value(v); ok {
			t.Errorf("Value(%T) ok, but JSON cannot encode it", v)
		}
	}
	if m, ok := Map(nil); !ok || m != nil {
		t.Errorf("Map(nil) = %v, %v", m, ok)
	}
}

func FuzzValue(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[true,null,"x",{"c":2.5}]}`), int64(7))
	f.Add([]byte(`[1,2,3]`), int64(-1))
	f.Fuzz(func(t *testing.T, doc []byte, n int64) {
		var v any
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		// Mix in Go types JSON decoding never makes.
		v = map[string]any{"doc": v, "n": n, "u": uint64(n), "s": []string{string(doc)}}
		got, ok := Value(v)
		if !ok {
			t.Fatalf("Value refused %#v", v)
		}
		if !Is(got) {
			t.Fatalf("Value gave %#v, which Is calls not plain", got)
		}
		if w := want(t, v); !reflect.DeepEqual(got, w) {
			t.Fatalf("Value = %#v, JSON round trip gives %#v", got, w)
		}
	})
}
