// Package hookdoc reads and writes hooks-as-code documents: YAML (or JSON,
// which is YAML too) files of hooks, hookable events and collections. It
// turns files into the JSON documents POST /api/v1/apply takes, finds the
// line of a field an answer names, and renders exports in a stable order
// (fields as the API orders them, map keys sorted) that diffs cleanly.
//
// YAML is github.com/goccy/go-yaml: maintained, no dependencies of its own,
// YAML 1.2 scalars ("on" and "yes" stay strings), errors that quote the
// offending source line, and paths that resolve to source positions.
package hookdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/hookline/hookline/hook"
)

// Doc is one document: what an account has, or should have.
type Doc struct {
	EventTypes  []EventType  `json:"event_types,omitempty"`
	Collections []Collection `json:"collections,omitempty"`
	Hooks       []*hook.Hook `json:"hooks,omitempty"`
}

// EventType is a hookable event in a document.
type EventType struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Collection is a collection in a document.
type Collection struct {
	Name   string         `json:"name"`
	Schema map[string]any `json:"schema,omitempty"`
}

// SchemaPath is where a server publishes the JSON Schema of documents.
const SchemaPath = "/schemas/hooks.json"

// Split reads the documents of one file (YAML, several separated by
// "---", or JSON) as JSON objects; empty documents (a trailing "---", only
// comments) are left out. Errors name the file and the line.
func Split(name string, data []byte) ([]json.RawMessage, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	var out []json.RawMessage
	for i, d := range f.Docs {
		if d.Body == nil {
			continue
		}
		if _, ok := d.Body.(*ast.CommentGroupNode); ok {
			continue
		}
		var v any
		if err := yaml.NodeToValue(d.Body, &v); err != nil {
			return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
		}
		if v == nil {
			continue
		}
		if _, ok := v.(map[string]any); !ok {
			return nil, fmt.Errorf("%s:%d: document %d is not a mapping (want event_types, collections and hooks)", name, d.Body.GetToken().Position.Line, i+1)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: document %d cannot be JSON: %v", name, d.Body.GetToken().Position.Line, i+1, err)
		}
		out = append(out, b)
	}
	return out, nil
}

var indexRE = regexp.MustCompile(`\[(\d+)\]`)

// Line finds the line of field (a path like hooks[0].trigger.event, as the
// API names fields) in the doc-th non-empty document of data, or of the
// closest enclosing field it can find. ok is false when nothing is found.
func Line(data []byte, doc int, field string) (line int, ok bool) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return 0, false
	}
	var body ast.Node
	n := 0
	for _, d := range f.Docs {
		if d.Body == nil {
			continue
		}
		if _, ok := d.Body.(*ast.CommentGroupNode); ok {
			continue
		}
		if n == doc {
			body = d.Body
			break
		}
		n++
	}
	if body == nil {
		return 0, false
	}
	parts := splitPath(field)
	for len(parts) > 0 {
		if node := find(body, parts); node != nil {
			return node.GetToken().Position.Line, true
		}
		parts = parts[:len(parts)-1]
	}
	return body.GetToken().Position.Line, true
}

// splitPath turns a.b[2].c into ["a", "b", "[2]", "c"].
func splitPath(field string) []string {
	var out []string
	for _, seg := range strings.Split(indexRE.ReplaceAllString(field, ".[$1]"), ".") {
		if seg != "" {
			out = append(out, seg)
		}
	}
	return out
}

// find walks mappings and sequences along parts; for a mapping key it
// returns the key node (its line is where the field is written).
func find(node ast.Node, parts []string) ast.Node {
	var at ast.Node = node
	for i, p := range parts {
		switch n := unwrap(at).(type) {
		case *ast.MappingNode:
			var next ast.Node
			for _, kv := range n.Values {
				if keyText(kv.Key) == p {
					if i == len(parts)-1 {
						return kv.Key
					}
					next = kv.Value
					break
				}
			}
			if next == nil {
				return nil
			}
			at = next
		case *ast.MappingValueNode:
			if keyText(n.Key) != p {
				return nil
			}
			if i == len(parts)-1 {
				return n.Key
			}
			at = n.Value
		case *ast.SequenceNode:
			if !strings.HasPrefix(p, "[") {
				return nil
			}
			idx, err := strconv.Atoi(strings.Trim(p, "[]"))
			if err != nil || idx >= len(n.Values) {
				return nil
			}
			at = n.Values[idx]
		default:
			return nil
		}
	}
	return at
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			n = t.Value
		default:
			return n
		}
	}
}

func keyText(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.String()
}

// Definition is a hook as a document holds it: its definition
// (hook.Definition) in the API's field order, without empty fields except
// enabled, whose absence would mean true.
func Definition(h *hook.Hook) (yaml.MapSlice, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	var all yaml.MapSlice
	if err := yaml.UnmarshalWithOptions(b, &all, yaml.UseOrderedMap()); err != nil {
		return nil, err
	}
	out := yaml.MapSlice{}
	for _, it := range all {
		k, _ := it.Key.(string)
		if isState(k) || (k != "enabled" && k != "key" && empty(it.Value)) {
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

func isState(k string) bool {
	for _, f := range hook.StateFields {
		if f == k {
			return true
		}
	}
	return false
}

func empty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case bool:
		return !t
	case uint64:
		return t == 0
	case int64:
		return t == 0
	case float64:
		return t == 0
	case []any:
		return len(t) == 0
	case yaml.MapSlice:
		return len(t) == 0
	}
	return false
}

// YAML renders d for a file, with a first line that points editors (the
// YAML language server) at the JSON Schema at schemaURL when it is set.
func YAML(d *Doc, schemaURL string) ([]byte, error) {
	doc := yaml.MapSlice{}
	if len(d.EventTypes) > 0 {
		doc = append(doc, yaml.MapItem{Key: "event_types", Value: d.EventTypes})
	}
	if len(d.Collections) > 0 {
		doc = append(doc, yaml.MapItem{Key: "collections", Value: d.Collections})
	}
	if len(d.Hooks) > 0 {
		hooks := make([]yaml.MapSlice, len(d.Hooks))
		for i, h := range d.Hooks {
			def, err := Definition(h)
			if err != nil {
				return nil, err
			}
			hooks[i] = def
		}
		doc = append(doc, yaml.MapItem{Key: "hooks", Value: hooks})
	}
	var buf bytes.Buffer
	if schemaURL != "" {
		fmt.Fprintf(&buf, "# yaml-language-server: $schema=%s\n", schemaURL)
	}
	if len(doc) == 0 {
		buf.WriteString("{}\n")
		return buf.Bytes(), nil
	}
	b, err := yaml.MarshalWithOptions(doc, yaml.UseLiteralStyleIfMultiline(true), yaml.IndentSequence(true))
	if err != nil {
		return nil, err
	}
	buf.Write(b)
	return buf.Bytes(), nil
}

// HookYAML renders one hook's definition (as Definition gives it), the way
// it appears in a document's hooks list, for reading and comparing.
func HookYAML(h *hook.Hook) ([]byte, error) {
	def, err := Definition(h)
	if err != nil {
		return nil, err
	}
	return yaml.MarshalWithOptions(def, yaml.UseLiteralStyleIfMultiline(true), yaml.IndentSequence(true))
}

// JSON renders d as the JSON documents POST /api/v1/apply takes:
// {"documents": [d]}, hooks without their state fields.
func JSON(d *Doc) ([]byte, error) {
	hooks := make([]map[string]any, len(d.Hooks))
	for i, h := range d.Hooks {
		def := hook.Definition(h)
		for k, v := range def {
			if k != "enabled" && k != "key" && emptyJSON(v) {
				delete(def, k)
			}
		}
		hooks[i] = def
	}
	doc := map[string]any{}
	if len(d.EventTypes) > 0 {
		doc["event_types"] = d.EventTypes
	}
	if len(d.Collections) > 0 {
		doc["collections"] = d.Collections
	}
	if len(hooks) > 0 {
		doc["hooks"] = hooks
	}
	return json.MarshalIndent(map[string]any{"documents": []any{doc}}, "", "  ")
}

func emptyJSON(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return len(t) == 0
	case float64:
		return t == 0
	}
	return empty(v)
}
