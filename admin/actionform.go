package admin

import (
	"strconv"
	"strings"

	"github.com/hookline/hookline/action"
)

// The action forms are generated from each action type's own description
// (action.Description): the inputs, their labels, help, placeholders,
// defaults and allowed values. The editor knows input kinds, not action
// types.

// Input kinds of the editor.
const (
	inText     = "text"     // one line
	inTextarea = "textarea" // several lines
	inList     = "list"     // comma-separated strings
	inNumber   = "number"   // an integer (or a {{ }} template)
	inJSON     = "json"     // a JSON value
	inSelect   = "select"   // one of Options
	inHook     = "hook"     // a hook of the account tree
)

// fieldView is one config input.
type fieldView struct {
	action.Field
	Input       string
	Placeholder string
	// DefaultText is the default as the form shows it ("" when none).
	DefaultText string
}

// Wide inputs span the whole row.
func (f fieldView) Wide() bool {
	return f.Long || f.Input == inTextarea || (f.Input == inJSON && f.Type != action.Object)
}

// Collection inputs offer the account's collections.
func (f fieldView) Collection() bool { return f.Type == action.Collection }

// typeView is an action type in the editor.
type typeView struct {
	action.Description
	Inputs []fieldView
	// Free types have no description: their config is one JSON object.
	Free bool
}

func (t *typeView) input(name string) (fieldView, bool) {
	for _, f := range t.Inputs {
		if f.Name == name {
			return f, true
		}
	}
	return fieldView{}, false
}

// catalog is the action types the engine runs, as the editor shows them.
type catalog struct {
	list []*typeView
	by   map[string]*typeView
}

func newCatalog(descs []action.Description) *catalog {
	c := &catalog{by: map[string]*typeView{}}
	for _, d := range descs {
		t := &typeView{Description: d, Free: d.Fields == nil}
		for _, f := range d.Fields {
			t.Inputs = append(t.Inputs, inputOf(f))
		}
		c.list = append(c.list, t)
		c.by[d.Type] = t
	}
	return c
}

// first is the type a new action starts as.
func (c *catalog) first() string {
	if len(c.list) == 0 {
		return ""
	}
	return c.list[0].Type
}

// get returns the type, or a free one for a type the engine does not run.
func (c *catalog) get(typ string) *typeView {
	if t, ok := c.by[typ]; ok {
		return t
	}
	return &typeView{Description: action.Description{Type: typ, Label: typ}, Free: true}
}

func inputOf(f action.Field) fieldView {
	v := fieldView{Field: f, Placeholder: f.Example}
	switch f.Type {
	case action.Text:
		v.Input = inTextarea
	case action.Strings:
		v.Input = inList
	case action.Integer:
		v.Input = inNumber
	case action.Object, action.JSON:
		v.Input = inJSON
	case action.HookRef:
		v.Input = inHook
	default:
		v.Input = inText
		if len(f.Enum) > 0 {
			v.Input = inSelect
		}
	}
	if f.Default != nil {
		v.DefaultText, _ = valueText(v, f.Default)
		if v.Input != inSelect {
			v.Placeholder = v.DefaultText + " (default)"
		}
	}
	return v
}

// valueText shows a config value in field f's input; false when the input
// cannot hold it (the action is then edited as JSON).
func valueText(f fieldView, v any) (string, bool) {
	switch f.Input {
	case inJSON:
		if s, ok := v.(string); ok && f.Type == action.Object && action.HasHole(s) {
			return s, true // a whole {{ }} hole standing for an object
		}
		return pretty(v), v != nil
	case inList:
		switch l := v.(type) {
		case string:
			return l, !strings.Contains(l, ",")
		case []any:
			parts := make([]string, len(l))
			for i, x := range l {
				s, isStr := x.(string)
				if !isStr || strings.Contains(s, ",") || strings.TrimSpace(s) != s || s == "" {
					return "", false
				}
				parts[i] = s
			}
			return strings.Join(parts, ", "), len(l) > 1
		}
		return "", false
	case inNumber:
		switch n := v.(type) {
		case string:
			return n, action.HasHole(n)
		default:
			i, ok := action.AsInt(v)
			if !ok {
				return "", false
			}
			return strconv.FormatInt(i, 10), true
		}
	}
	s, ok := v.(string)
	return s, ok && s != ""
}

// textValue reads field f's input back into a config value; set is false
// for an empty input (the field is left out). A problem is appended to
// errs under errField.
func textValue(f fieldView, raw, errField string, errs *[]fieldErr) (v any, set bool) {
	if strings.TrimSpace(raw) == "" {
		return nil, false
	}
	switch f.Input {
	case inJSON:
		t := strings.TrimSpace(raw)
		if f.Type == action.Object && strings.HasPrefix(t, "{{") && strings.HasSuffix(t, "}}") {
			return t, true
		}
		x, ok := parseJSONField(raw, errField, errs)
		return x, ok && x != nil
	case inNumber:
		t := strings.TrimSpace(raw)
		if action.HasHole(t) {
			return t, true
		}
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			*errs = append(*errs, fieldErr{errField, "must be a whole number"})
			return nil, false
		}
		return int(n), true
	case inList:
		items := nonEmpty(strings.Split(raw, ","))
		switch len(items) {
		case 0:
			return nil, false
		case 1:
			return items[0], true
		}
		list := make([]any, len(items))
		for i, it := range items {
			list[i] = it
		}
		return list, true
	}
	return raw, true
}

// configTexts shows a config in type t's inputs; false when some key or
// value has no input.
func configTexts(t *typeView, config map[string]any) (map[string]string, bool) {
	if t.Free {
		return nil, false
	}
	out := make(map[string]string, len(config))
	for k, v := range config {
		f, ok := t.input(k)
		if !ok {
			return nil, false
		}
		s, ok := valueText(f, v)
		if !ok {
			return nil, false
		}
		out[k] = s
	}
	return out, true
}

// formConfig reads the inputs of type t under prefix (actions[0].config or
// actions[0].cases[1].config) from get; errors are named under errPrefix.
func formConfig(t *typeView, get func(string) (string, bool), prefix, errPrefix string, errs *[]fieldErr) map[string]any {
	out := map[string]any{}
	for _, f := range t.Inputs {
		raw, ok := get(prefix + "." + f.Name)
		if !ok {
			continue
		}
		if v, set := textValue(f, raw, errPrefix+"."+f.Name, errs); set {
			out[f.Name] = v
		}
	}
	return out
}
