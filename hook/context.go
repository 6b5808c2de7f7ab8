package hook

import (
	"encoding/json"
	"reflect"
)

// The context of a record event holds the record twice: as "record" and as
// the event's "data" (SPEC §3: templates see both), and each of the
// event's executions stores its context. Stored, the record is kept once:
// EncodeContext writes `"$data": "record"` in place of "data" when it is
// the record, and DecodeContext puts it back. Top-level keys are
// hookline's own (event, data, record, account, …), so the marker cannot
// meet a user's key.
const (
	contextDataRef = "$data"
	contextRecord  = "record"
)

// EncodeContext is the stored form of an execution context.
func EncodeContext(c map[string]any) ([]byte, error) {
	if dataIsRecord(c) {
		short := make(map[string]any, len(c))
		for k, v := range c {
			if k != "data" {
				short[k] = v
			}
		}
		short[contextDataRef] = contextRecord
		c = short
	}
	return json.Marshal(c)
}

// DecodeContext reads a context stored by EncodeContext (or as plain JSON,
// as stores wrote it before).
func DecodeContext(b []byte) (map[string]any, error) {
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if ref, ok := c[contextDataRef]; ok && ref == contextRecord {
		delete(c, contextDataRef)
		c["data"] = c[contextRecord]
	}
	return c, nil
}

// dataIsRecord reports whether c's data is its record: the same map (as
// EventContext and the runner build them) or an equal one.
func dataIsRecord(c map[string]any) bool {
	data, ok := c["data"].(map[string]any)
	if !ok {
		return false
	}
	rec, ok := c[contextRecord].(map[string]any)
	if !ok {
		return false
	}
	if reflect.ValueOf(data).UnsafePointer() == reflect.ValueOf(rec).UnsafePointer() {
		return true
	}
	return reflect.DeepEqual(data, rec)
}
