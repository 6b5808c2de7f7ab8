package admin

import (
	"net/url"
	"strings"
	"testing"

	"github.com/hookline/hookline/store"
)

func recs(data ...map[string]any) []*store.Record {
	out := make([]*store.Record, len(data))
	for i, d := range data {
		out[i] = &store.Record{ID: "rec_" + string(rune('a'+i)), Data: d}
	}
	return out
}

func ids(list []*store.Record) string {
	var b []string
	for _, r := range list {
		b = append(b, r.ID)
	}
	return strings.Join(b, ",")
}

func TestRecordColumns(t *testing.T) {
	schema := map[string]any{"required": []any{"total"}, "properties": map[string]any{
		"total": map[string]any{"type": "integer"}, "a": map[string]any{"type": []any{"null", "boolean"}},
		"status": map[string]any{"type": "string", "enum": []any{"new", "paid"}}, "meta": map[string]any{"type": "object"},
	}}
	var got []string
	for _, c := range recordColumns(schema, nil) {
		got = append(got, c.Name+":"+c.Kind+":"+strings.Join(c.Enum, "|"))
	}
	if strings.Join(got, " ") != "total:integer: a:boolean: meta:json: status:string:new|paid" {
		t.Fatalf("schema columns: %v", got)
	}
	got = nil
	for _, c := range recordColumns(nil, recs(map[string]any{"x": 1.0, "y": "s"}, map[string]any{"x": "two"}, map[string]any{"z": nil})) {
		got = append(got, c.Name+":"+c.Kind)
	}
	if strings.Join(got, " ") != "x:json y:string z:json" { // most common first; mixed types are JSON
		t.Fatalf("seen columns: %v", got)
	}
}

func TestSortAndFilterRecords(t *testing.T) {
	list := recs(map[string]any{"n": 10.0, "s": "b"}, map[string]any{"n": 9.0, "s": "A"}, map[string]any{"s": "c"}, map[string]any{"n": 100.0, "ok": true})
	sortRecords(list, "n", true)
	if got := ids(list); got != "rec_b,rec_a,rec_d,rec_c" { // numbers as numbers, missing last
		t.Fatalf("n ascending: %s", got)
	}
	sortRecords(list, "n", false)
	if got := ids(list); got != "rec_d,rec_a,rec_b,rec_c" {
		t.Fatalf("n descending: %s", got)
	}
	sortRecords(list, "s", true)
	if got := ids(list); got != "rec_b,rec_a,rec_c,rec_d" { // without regard to case
		t.Fatalf("s ascending: %s", got)
	}
	for _, c := range []struct{ field, op, value, want string }{
		{"n", "gt", "9.5", "rec_a,rec_d"},
		{"n", "eq", "10", "rec_a"},
		{"n", "ne", "10", "rec_b,rec_c,rec_d"},
		{"n", "missing", "", "rec_c"},
		{"s", "contains", "a", "rec_b"},
		{"s", "eq", "a", "rec_b"},
		{"ok", "eq", "true", "rec_d"},
		{"", "contains", "C", "rec_a,rec_b,rec_c,rec_d"}, // the ids hold "rec_"
		{"", "eq", "b", "rec_a"},
		{"id", "eq", "rec_c", "rec_c"},
	} {
		var hit []*store.Record
		for _, r := range recs(map[string]any{"n": 10.0, "s": "b"}, map[string]any{"n": 9.0, "s": "A"}, map[string]any{"s": "c"}, map[string]any{"n": 100.0, "ok": true}) {
			if matchRecord(r, c.field, c.op, c.value) {
				hit = append(hit, r)
			}
		}
		if got := ids(hit); got != c.want {
			t.Errorf("%s %s %q: %s, want %s", c.field, c.op, c.value, got, c.want)
		}
	}
}

func TestTypedData(t *testing.T) {
	form := url.Values{"f.n": {"2.5"}, "k.n": {"number"}, "f.q": {"3"}, "k.q": {"integer"}, "f.b": {"false"}, "k.b": {"boolean"},
		"f.s": {" x "}, "k.s": {"string"}, "f.j": {`[1]`}, "k.j": {"json"}, "f.e": {""}, "k.e": {"string"}, "data": {`{"more": 1}`}}
	d, _, _, err := typedData(form, false)
	if err != nil {
		t.Fatal(err)
	}
	if d["n"] != 2.5 || d["q"] != 3.0 || d["b"] != false || d["s"] != " x " || len(d["j"].([]any)) != 1 || d["more"] != 1.0 {
		t.Fatalf("typed: %v", d)
	}
	if _, ok := d["e"]; ok {
		t.Fatalf("an empty input is left out of a new record: %v", d)
	}
	if d, _, _, _ = typedData(form, true); d["e"] != nil || len(d) != 7 {
		t.Fatalf("an empty input removes the field of an edited one: %v", d)
	}
	for _, bad := range []url.Values{
		{"f.q": {"1.5"}, "k.q": {"integer"}},
		{"f.n": {"x"}, "k.n": {"number"}},
		{"f.j": {"{"}, "k.j": {"json"}},
		{"data": {"[]"}},
	} {
		if _, _, _, err := typedData(bad, false); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
