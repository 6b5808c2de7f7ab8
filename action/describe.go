package action

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FieldType is the kind of value a config field takes. It decides the
// generic checks (Description.Check), the editor's input and the field's
// OpenAPI schema.
type FieldType string

// Field types.
const (
	String     FieldType = "string"     // one line of text
	Text       FieldType = "text"       // text of several lines
	Strings    FieldType = "strings"    // one string or an array of strings
	Integer    FieldType = "integer"    // a whole number
	Duration   FieldType = "duration"   // a Go duration such as "10s"
	Object     FieldType = "object"     // a JSON object
	JSON       FieldType = "json"       // any JSON value
	HookRef    FieldType = "hook"       // the id of a hook of the account tree
	Collection FieldType = "collection" // the name of a collection of the hook's account
)

// Field describes one config field of an action type.
type Field struct {
	Name  string    `json:"name"`
	Label string    `json:"label"`
	Type  FieldType `json:"type"`
	// Required fields must be present and, for text, not blank.
	Required bool `json:"required"`
	// Templated fields may hold {{ }} holes, rendered before each attempt
	// (so their checks wait for the rendered value).
	Templated bool `json:"templated"`
	// Enum lists the allowed values of a string field (compared without
	// regard to case); empty: any.
	Enum []string `json:"enum,omitempty"`
	// Default is the value used when the field is absent (nil: none).
	Default any `json:"default,omitempty"`
	// Example is a typical value, shown as a placeholder.
	Example string `json:"example,omitempty"`
	Help    string `json:"help,omitempty"`
	// Long values (URLs, subjects, bodies) get a whole row in forms.
	Long bool `json:"long,omitempty"`
}

// Output names one value of an action's output (steps.<name>.<output>).
type Output struct {
	Name string `json:"name"`
	Help string `json:"help"`
}

// Description is what an action type says about itself: the one source of
// its config fields for validation messages, the admin editor and the
// OpenAPI document.
type Description struct {
	Type    string   `json:"type"`
	Label   string   `json:"label"`
	Summary string   `json:"summary"`
	Fields  []Field  `json:"fields"`
	Outputs []Output `json:"outputs,omitempty"`
}

// Describer is implemented by executors that describe their config. An
// executor without it is edited as one JSON object.
type Describer interface {
	Describe() Description
}

// Readier is implemented by executors that need something the operator
// configures (an SMTP server, an SMS provider). Ready returns why the
// executor cannot send yet, or nil.
type Readier interface {
	Ready() error
}

// Field returns the field called name.
func (d *Description) Field(name string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Names lists the field names in order.
func (d *Description) Names() []string {
	out := make([]string, len(d.Fields))
	for i, f := range d.Fields {
		out[i] = f.Name
	}
	return out
}

// HasHole reports whether s holds a {{ }} template hole.
func HasHole(s string) bool { return strings.Contains(s, "{{") }

// wholeHole reports whether s is one {{ }} hole, which may render any JSON
// value.
func wholeHole(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}")
}

// Check applies what the description says to config: no unknown fields,
// required fields present, each value of its field's type and among its
// allowed values. With rendered false (a config as saved) values holding
// {{ }} holes are checked only for what a hole cannot change. Checks only a
// type's own code knows (a URL's scheme, an address's syntax) are left to
// the executor. The error is a *FieldError.
func (d *Description) Check(config map[string]any, rendered bool) error {
	if err := CheckFields(config, d.Names()); err != nil {
		return err
	}
	for _, f := range d.Fields {
		if err := f.check(config[f.Name], rendered); err != nil {
			return err
		}
	}
	return nil
}

func (f *Field) check(v any, rendered bool) error {
	hole := func(s string) bool { return !rendered && f.Templated && HasHole(s) }
	if v == nil {
		if f.Required {
			return Fieldf(f.Name, "is required")
		}
		return nil
	}
	if s, ok := v.(string); ok && !rendered && !f.Templated && HasHole(s) {
		return Fieldf(f.Name, "cannot hold {{ }} templates")
	}
	switch f.Type {
	case String, Text, HookRef, Collection:
		s, ok := v.(string)
		if !ok {
			if rendered && isScalar(v) {
				return nil // a whole hole rendered a number or boolean
			}
			return Fieldf(f.Name, "must be a string")
		}
		if hole(s) {
			return nil
		}
		if f.Required && strings.TrimSpace(s) == "" {
			return Fieldf(f.Name, "is required")
		}
		if len(f.Enum) > 0 && strings.TrimSpace(s) != "" && !f.allows(s) {
			return Fieldf(f.Name, "must be one of %s", strings.Join(f.Enum, ", "))
		}
	case Strings:
		switch x := v.(type) {
		case string:
			if f.Required && !hole(x) && strings.TrimSpace(x) == "" {
				return Fieldf(f.Name, "is required")
			}
		case []string:
			if f.Required && len(x) == 0 {
				return Fieldf(f.Name, "is required")
			}
		case []any:
			if f.Required && len(x) == 0 {
				return Fieldf(f.Name, "is required")
			}
			for i, it := range x {
				if _, ok := it.(string); !ok {
					return Fieldf(fmt.Sprintf("%s[%d]", f.Name, i), "must be a string")
				}
			}
		default:
			return Fieldf(f.Name, "must be a string or an array of strings")
		}
	case Integer:
		if s, ok := v.(string); ok && hole(s) {
			return nil
		}
		if _, ok := AsInt(v); !ok {
			return Fieldf(f.Name, "must be an integer")
		}
	case Duration:
		s, ok := v.(string)
		if !ok {
			return Fieldf(f.Name, "must be a duration like \"10s\"")
		}
		if hole(s) || strings.TrimSpace(s) == "" {
			return nil
		}
		if _, err := time.ParseDuration(strings.TrimSpace(s)); err != nil {
			return Fieldf(f.Name, "must be a duration like \"10s\"")
		}
	case Object:
		switch x := v.(type) {
		case map[string]any, map[string]string:
		case string:
			if !(hole(x) && wholeHole(x)) {
				return Fieldf(f.Name, "must be an object")
			}
		default:
			return Fieldf(f.Name, "must be an object")
		}
	}
	return nil
}

func (f *Field) allows(s string) bool {
	s = strings.TrimSpace(s)
	for _, e := range f.Enum {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

func isScalar(v any) bool {
	switch v.(type) {
	case bool, float64, float32, int, int64, int32:
		return true
	}
	return false
}

// AsInt reads a JSON number (or its text) that holds an integer.
func AsInt(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int64(x), true
	case int:
		return int64(x), true
	case int64:
		return x, true
	case interface{ Int64() (int64, error) }: // json.Number
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}
