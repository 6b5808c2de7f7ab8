package hook

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// Field is one JSON field of a domain type.
type Field struct {
	Name  string       // the JSON name
	Type  reflect.Type // the Go type
	Index int          // the struct field index
}

// Fields lists the JSON fields of struct type t, in declaration order:
// every exported field not tagged "-". Options such as omitempty are
// ignored: AllFields writes every field whatever its tag says.
func Fields(t reflect.Type) []Field {
	var out []Field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, Field{Name: name, Type: f.Type, Index: i})
	}
	return out
}

var (
	timeType         = reflect.TypeOf(time.Time{})
	executionFields  = Fields(reflect.TypeOf(Execution{}))
	actionResultFlds = Fields(reflect.TypeOf(ActionResult{}))
)

// MarshalJSON writes every field of the execution, null when it has no
// value (SPEC §7), so a field added to the type is present in every answer
// without anyone remembering to.
func (x Execution) MarshalJSON() ([]byte, error) {
	return allFields(reflect.ValueOf(x), executionFields)
}

// Nullable reports whether a field of type t is written as null when it has
// no value: strings, pointers, maps, interfaces and times. Numbers and
// booleans always have one (0, false); lists are [] when empty.
func Nullable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Pointer, reflect.Map, reflect.Interface:
		return true
	}
	return t == timeType
}

func allFields(v reflect.Value, fields []Field) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(f.Name)
		buf.Write(name)
		buf.WriteByte(':')
		fv := v.Field(f.Index)
		switch {
		case Nullable(f.Type) && fv.IsZero():
			buf.WriteString("null")
		case f.Type.Kind() == reflect.Slice && fv.Len() == 0:
			buf.WriteString("[]")
		case f.Type == reflect.TypeOf([]ActionResult(nil)):
			buf.WriteByte('[')
			for j := 0; j < fv.Len(); j++ {
				if j > 0 {
					buf.WriteByte(',')
				}
				b, err := allFields(fv.Index(j), actionResultFlds)
				if err != nil {
					return nil, err
				}
				buf.Write(b)
			}
			buf.WriteByte(']')
		default:
			if err := enc.Encode(fv.Interface()); err != nil {
				return nil, err
			}
			buf.Truncate(buf.Len() - 1) // Encode's newline
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
