package hook

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestContextStoresTheRecordOnce(t *testing.T) {
	rec := map[string]any{"id": "rec_1", "total": 600.0, "note": "a long enough value to count"}
	for _, c := range []struct {
		name  string
		ctx   map[string]any
		once  bool // the record's value is stored once
		plain bool // stored as is
	}{
		{"record event", map[string]any{"event": map[string]any{"type": "records.create"}, "data": rec, "record": rec}, true, false},
		{"equal copies", map[string]any{"data": map[string]any{"id": "rec_1", "total": 600.0, "note": "a long enough value to count"}, "record": rec}, true, false},
		{"data differs", map[string]any{"data": map[string]any{"id": "rec_1"}, "record": rec}, true, true},
		{"record without data", map[string]any{"record": rec}, true, true},
		{"data without record", map[string]any{"data": rec}, true, true},
		{"data not an object", map[string]any{"data": "x", "record": rec}, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := EncodeContext(c.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), "a long enough value"); n != 1 {
				t.Errorf("stored %s: the record's value %d times, want once", b, n)
			}
			plain, _ := json.Marshal(c.ctx)
			if got := string(b) == string(plain); got != c.plain {
				t.Errorf("stored %s, plain JSON %s: same = %v, want %v", b, plain, got, c.plain)
			}
			got, err := DecodeContext(b)
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal(plain, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back %v, want %v", got, want)
			}
		})
	}
}

// Contexts stored before the record was kept once read back as they were.
func TestContextDecodesPlainJSON(t *testing.T) {
	old := `{"data":{"id":"rec_1"},"record":{"id":"rec_1"},"event":{"type":"records.create"}}`
	got, err := DecodeContext([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"data": map[string]any{"id": "rec_1"}, "record": map[string]any{"id": "rec_1"}, "event": map[string]any{"type": "records.create"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
