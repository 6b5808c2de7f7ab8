package hookline

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaCache keeps compiled collection schemas by their JSON text.
type schemaCache struct {
	mu sync.Mutex
	m  map[string]*jsonschema.Schema
}

func newSchemaCache() *schemaCache { return &schemaCache{m: map[string]*jsonschema.Schema{}} }

// compileSchema compiles a collection's JSON Schema (draft 2020-12 unless it
// says otherwise with $schema).
func (c *schemaCache) compile(schema map[string]any) (*jsonschema.Schema, error) {
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, err
	}
	key := string(b)
	c.mu.Lock()
	s, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(key))
	if err != nil {
		return nil, err
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	if err := comp.AddResource("collection.json", doc); err != nil {
		return nil, err
	}
	s, err = comp.Compile("collection.json")
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) > 1000 {
		c.m = map[string]*jsonschema.Schema{}
	}
	c.m[key] = s
	c.mu.Unlock()
	return s, nil
}

var english = message.NewPrinter(language.English)

// validateRecord checks record data against a collection's schema; the error
// names the first offending field.
func (c *schemaCache) validateRecord(schema map[string]any, data map[string]any) error {
	if len(schema) == 0 {
		return nil
	}
	s, err := c.compile(schema)
	if err != nil {
		return invalid("schema", "the collection's schema does not compile: %s", err.Error())
	}
	// Validate the plain JSON form of the data (numbers as json.Number).
	b, _ := json.Marshal(data)
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		return invalid("data", "is not valid JSON")
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	leaf := ve
	for len(leaf.Causes) > 0 {
		leaf = leaf.Causes[0]
	}
	path := append([]string(nil), leaf.InstanceLocation...)
	if r, ok := leaf.ErrorKind.(*kind.Required); ok && len(r.Missing) > 0 {
		path = append(path, r.Missing[0])
	}
	field := strings.Join(path, ".")
	if field == "" {
		field = "data"
	}
	return invalid(field, "%s", leaf.ErrorKind.LocalizedString(english))
}
