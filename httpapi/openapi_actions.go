package httpapi

import "github.com/hookline/hookline/action"

// actionSchemas are the Action schema and one schema per action type, each
// with its config generated from the type's own description (so the
// document names every config field, its type, default and allowed values).
// Action is oneOf them, told apart by "type".
func actionSchemas(descs []action.Description) obj {
	out := obj{
		"Retry": object(obj{"max_attempts": obj{"type": "integer"}, "backoff": enum("exponential", "fixed"), "initial": str(), "max": str()}),
	}
	var oneOf []any
	mapping := obj{}
	for _, d := range descs {
		config, partial := anyObject, anyObject
		if d.Fields != nil {
			config, partial = d.ConfigSchema(false), d.ConfigSchema(true)
		}
		name := "Action_" + d.Type
		s := object(obj{
			"type": enum(d.Type), "name": str(), "config": config,
			"cases": arr(object(obj{"when": str(), "config": partial}, "when", "config")),
			"retry": ref("Retry"),
		}, "type", "config")
		s["description"] = d.Label + ": " + d.Summary
		out[name] = s
		oneOf = append(oneOf, ref(name))
		mapping[d.Type] = "#/components/schemas/" + name
	}
	out["Action"] = obj{"oneOf": oneOf, "discriminator": obj{"propertyName": "type", "mapping": mapping}}
	return out
}
