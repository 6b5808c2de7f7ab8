package action

// holeSchema is a string holding a {{ }} template, which may render any
// value (checked when the action runs).
var holeSchema = map[string]any{"type": "string", "pattern": `\{\{`, "description": "a {{ }} template"}

// AnyJSON is the OpenAPI 3.0 schema of any JSON value, null included (3.0
// has no "any type" that admits null: nullable needs a type beside it).
func AnyJSON() map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"type": "object", "additionalProperties": true, "nullable": true},
		map[string]any{"type": "array", "items": map[string]any{}},
		map[string]any{"type": "string"},
		map[string]any{"type": "number"},
		map[string]any{"type": "boolean"},
	}}
}

// ConfigSchema is the OpenAPI 3.0 schema of the type's config. With partial
// true no field is required (a case's config overrides some fields of its
// action's).
func (d *Description) ConfigSchema(partial bool) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range d.Fields {
		props[f.Name] = f.Schema()
		if f.Required && !partial {
			required = append(required, f.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// Schema is the OpenAPI 3.0 schema of the field's value.
func (f *Field) Schema() map[string]any {
	var s map[string]any
	switch f.Type {
	case Strings:
		s = map[string]any{"anyOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		}}
	case Integer:
		s = map[string]any{"type": "integer"}
	case Object:
		s = map[string]any{"type": "object", "additionalProperties": true}
	case JSON:
		s = AnyJSON()
	case Duration:
		s = map[string]any{"type": "string", "example": "10s"}
	default:
		s = map[string]any{"type": "string"}
	}
	if len(f.Enum) > 0 {
		s["enum"] = f.Enum
	}
	// A template may stand where a non-string value or an enumerated string
	// is expected.
	if f.Templated && (len(f.Enum) > 0 || f.Type == Integer || f.Type == Object) {
		s = map[string]any{"anyOf": []any{s, holeSchema}}
	}
	if f.Help != "" {
		s["description"] = f.Help
	}
	if f.Default != nil {
		s["default"] = f.Default
	}
	if f.Example != "" && f.Type != JSON && f.Type != Object {
		s["example"] = f.Example
	}
	return s
}
