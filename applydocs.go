package hookline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/hookdoc"
)

// docSet is what a list of apply documents asks for, each item with the
// path that names it in errors (documents[1].hooks[0]).
type docSet struct {
	eventTypes  []docItem[hookdoc.EventType]
	collections []docItem[hookdoc.Collection]
	hooks       []docItem[*hook.Hook]
}

type docItem[T any] struct {
	path string
	v    T
}

var docFields = []string{"$schema", "event_types", "collections", "hooks"}

// parseDocuments reads apply documents strictly: an unknown field, a value
// of the wrong type, a field the server sets or a key used twice is a 422
// naming the document and the field.
func parseDocuments(raw []json.RawMessage) (*docSet, error) {
	ds := &docSet{}
	seen := map[string]string{} // kind/key -> path
	once := func(kind, key, path, field string) error {
		if prev, ok := seen[kind+"/"+key]; ok {
			return invalid(path+"."+field, "%q is also in %s: each may appear once", key, prev)
		}
		seen[kind+"/"+key] = path
		return nil
	}
	var err error
	for i, r := range raw {
		dp := fmt.Sprintf("documents[%d]", i)
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(r, &doc); err != nil || doc == nil {
			return nil, invalid(dp, "must be an object with event_types, collections and hooks")
		}
		for k := range doc {
			if !slices.Contains(docFields, k) {
				return nil, invalid(dp+"."+k, "is not a document field (%s)", strings.Join(docFields[1:], ", "))
			}
		}
		decode := func(b json.RawMessage, v any, p string) error { return strictDecode(b, v, p) }
		if ds.eventTypes, err = docItems(doc, dp, "event_types", ds.eventTypes, decode,
			func(et hookdoc.EventType, p string) error { return once("event type", et.ID, p, "id") }); err != nil {
			return nil, err
		}
		if ds.collections, err = docItems(doc, dp, "collections", ds.collections, decode,
			func(c hookdoc.Collection, p string) error { return once("collection", c.Name, p, "name") }); err != nil {
			return nil, err
		}
		hookDecode := func(b json.RawMessage, v any, p string) error {
			h, err := parseDocHook(b, p)
			if err == nil {
				*v.(**hook.Hook) = h
			}
			return err
		}
		if ds.hooks, err = docItems(doc, dp, "hooks", ds.hooks, hookDecode,
			func(h *hook.Hook, p string) error { return once("hook", h.Key, p, "key") }); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// docItems appends the items of one list field of a document to to, each
// decoded and then checked with its path.
func docItems[T any](doc map[string]json.RawMessage, dp, field string, to []docItem[T],
	decode func(b json.RawMessage, v any, path string) error, check func(v T, path string) error) ([]docItem[T], error) {
	list, err := docList(doc[field], dp+"."+field)
	if err != nil {
		return nil, err
	}
	for j, b := range list {
		p := fmt.Sprintf("%s.%s[%d]", dp, field, j)
		var v T
		if err := decode(b, &v, p); err != nil {
			return nil, err
		}
		if err := check(v, p); err != nil {
			return nil, err
		}
		to = append(to, docItem[T]{p, v})
	}
	return to, nil
}

func docList(b json.RawMessage, path string) ([]json.RawMessage, error) {
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	var l []json.RawMessage
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, invalid(path, "must be a list")
	}
	return l, nil
}

// parseDocHook reads one hook of a document: no state fields, no unknown
// fields, a key.
func parseDocHook(b json.RawMessage, path string) (*hook.Hook, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, invalid(path, "must be an object (a hook)")
	}
	for _, f := range hook.StateFields {
		if _, ok := m[f]; ok {
			return nil, invalid(path+"."+f, "is set by the server: documents leave it out (hooks are matched by key)")
		}
	}
	var h hook.Hook
	if err := strictDecode(b, &h, path); err != nil {
		return nil, err
	}
	if h.Key == "" {
		return nil, invalid(path+".key", "is required: hooks as code match hooks by key (a slug like notify-large-orders)")
	}
	return &h, nil
}

// strictDecode decodes b into v, naming path in errors; fields v's type
// does not have are refused (json's DisallowUnknownFields does not reach
// through hook.Hook's own UnmarshalJSON).
func strictDecode(b json.RawMessage, v any, path string) error {
	var plain any
	if err := json.Unmarshal(b, &plain); err != nil {
		return invalid(path, "is not valid JSON")
	}
	if f := unknownField(reflect.TypeOf(v), plain, ""); f != "" {
		return invalid(path+"."+f, "is not a field here")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			e := JSONTypeError(te)
			e.Field = strings.TrimSuffix(path+"."+e.Field, ".")
			return e
		}
		return invalid(path, "could not be read: %s", err.Error())
	}
	return nil
}

// unknownField is the path of the first key of v (plain JSON) for which the
// struct type t has no JSON field, looking through pointers, slices and
// nested structs; maps (action configs, schemas) take any key.
func unknownField(t reflect.Type, v any, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return join(k)
			}
			if f := unknownField(ft, m[k], join(k)); f != "" {
				return f
			}
		}
	case reflect.Slice:
		l, _ := v.([]any)
		for i, it := range l {
			if f := unknownField(t.Elem(), it, fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f
			}
		}
	}
	return ""
}

func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
