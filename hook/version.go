package hook

import (
	"encoding/json"
	"reflect"
	"strconv"
	"time"
)

// Version is an immutable snapshot of a hook as one create or change saved
// it, with who saved it and when.
type Version struct {
	HookID    string    `json:"-"`
	AccountID string    `json:"-"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Actor     *Actor    `json:"actor"`
	// Note says how the version came about when it was not a plain edit
	// ("restored version 2", "hookline apply").
	Note string `json:"note,omitempty"`
	Hook *Hook  `json:"hook"`
}

// VersionRef is a hook version number an execution refers to; 0 (unknown:
// the execution is older than hook versions) is JSON null.
type VersionRef int

// MarshalJSON implements json.Marshaler.
func (v VersionRef) MarshalJSON() ([]byte, error) {
	if v == 0 {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(v), 10), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *VersionRef) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = 0
		return nil
	}
	var n int
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*v = VersionRef(n)
	return nil
}

// StateFields are the JSON fields of a hook that are identity, bookkeeping
// or schedule state rather than what its author wrote: a hook's definition
// is everything else. Documents (hooks as code) leave them out, and a change
// that touches only them makes no version.
var StateFields = []string{"id", "account_id", "version", "next_run_at", "run_count", "last_run_at",
	"disabled_reason", "disabled_at", "failing_since", "created_at", "updated_at"}

// Definition is h as plain JSON values without its StateFields: what its
// author wrote.
func Definition(h *Hook) map[string]any {
	b, _ := json.Marshal(h)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, f := range StateFields {
		delete(m, f)
	}
	return m
}

// SameDefinition reports whether a and b define the same hook.
func SameDefinition(a, b *Hook) bool {
	return reflect.DeepEqual(Definition(a), Definition(b))
}
