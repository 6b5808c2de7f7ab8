// Package record is the create_record, update_record and delete_record
// actions: writes to hookline's own records, through the engine (action.Host).
package record

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hookline/hookline/action"
)

// Action type names.
const (
	TypeCreate = "create_record"
	TypeUpdate = "update_record"
	TypeDelete = "delete_record"
)

// CollectionRE is a valid collection name.
var CollectionRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Options configure the executors. There are none yet: the engine behind
// action.Host does the work.
type Options struct{}

type op int

const (
	opCreate op = iota
	opUpdate
	opDelete
)

// Executor runs one of the record action types.
type Executor struct {
	op   op
	o    Options
	desc action.Description
}

var _ action.Executor = (*Executor)(nil)

// NewCreate returns the create_record executor.
func NewCreate(o Options) *Executor { return &Executor{op: opCreate, o: o, desc: describe(opCreate)} }

// NewUpdate returns the update_record executor.
func NewUpdate(o Options) *Executor { return &Executor{op: opUpdate, o: o, desc: describe(opUpdate)} }

// NewDelete returns the delete_record executor.
func NewDelete(o Options) *Executor { return &Executor{op: opDelete, o: o, desc: describe(opDelete)} }

// Type implements action.Executor.
func (e *Executor) Type() string {
	switch e.op {
	case opUpdate:
		return TypeUpdate
	case opDelete:
		return TypeDelete
	}
	return TypeCreate
}

// config is a parsed config; values still holding {{ }} holes (Validate)
// are left empty.
type config struct {
	collection string
	id         string // "" = the triggering record
	data       map[string]any
}

// Validate implements action.Executor: it checks a config as saved, skipping
// what {{ }} holes may still change.
func (e *Executor) Validate(config map[string]any) error {
	_, err := e.parse(config, false)
	return err
}

func (e *Executor) parse(m map[string]any, rendered bool) (*config, error) {
	hole := func(s string) bool { return !rendered && strings.Contains(s, "{{") }
	if err := e.desc.Check(m, rendered); err != nil {
		return nil, err
	}
	c := &config{}
	_, hasID := e.desc.Field("id")
	_, hasData := e.desc.Field("data")

	switch v := m["collection"].(type) {
	case string:
		if hole(v) {
			break
		}
		v = strings.TrimSpace(v)
		if !CollectionRE.MatchString(v) {
			return nil, action.Fieldf("collection", "must be lower-case letters, digits and _, starting with a letter (at most 63)")
		}
		c.collection = v
	default:
		return nil, action.Fieldf("collection", "must be a string")
	}

	if hasID {
		switch v := m["id"].(type) {
		case nil:
		case string:
			if hole(v) {
				break
			}
			v = strings.TrimSpace(v)
			if v != "" && (len(v) > 128 || strings.ContainsAny(v, "/\\?#\r\n\x00 ")) {
				return nil, action.Fieldf("id", "is not a valid record id")
			}
			c.id = v // rendered empty: the triggering record
		default:
			return nil, action.Fieldf("id", "must be a string")
		}
	}

	if hasData {
		switch v := m["data"].(type) {
		case nil:
			return nil, action.Fieldf("data", "is required (an object of fields)")
		case map[string]any:
			if e.op == opUpdate && len(v) == 0 {
				return nil, action.Fieldf("data", "must set at least one field")
			}
			c.data = v
		case string:
			// A whole {{ }} hole may render an object.
			if !rendered && strings.HasPrefix(v, "{{") && strings.HasSuffix(v, "}}") {
				break
			}
			return nil, action.Fieldf("data", "must be an object of fields")
		default:
			return nil, action.Fieldf("data", "must be an object of fields")
		}
	}
	return c, nil
}

// Execute implements action.Executor: one attempt.
func (e *Executor) Execute(ctx context.Context, req *action.Request) (*action.Result, error) {
	typ := e.Type()
	if req.Host == nil {
		return nil, action.Fail(errors.New(typ+": no host to write records through"), nil)
	}
	cfg, err := e.parse(req.Config, true)
	if err != nil {
		return nil, action.Fail(fmt.Errorf("%s: invalid config: %w", typ, err), nil)
	}
	summary := map[string]any{"collection": cfg.collection}
	if e.op != opCreate {
		id, err := targetID(req, cfg)
		if err != nil {
			return nil, action.Fail(fmt.Errorf("%s: %w", typ, err), nil)
		}
		cfg.id = id
		summary["id"] = id
	}
	if e.op != opDelete {
		summary["data"] = cfg.data
	}
	res := &action.Result{Request: summary}

	var out map[string]any
	switch e.op {
	case opCreate:
		out, err = req.Host.CreateRecord(ctx, req, cfg.collection, cfg.data)
	case opUpdate:
		out, err = req.Host.UpdateRecord(ctx, req, cfg.collection, cfg.id, cfg.data)
	case opDelete:
		out, err = req.Host.DeleteRecord(ctx, req, cfg.collection, cfg.id)
	}
	if err != nil {
		where := cfg.collection
		if cfg.id != "" {
			where += "/" + cfg.id
		}
		return nil, action.HostFailed(err, res, typ+": "+where)
	}
	res.Output = out
	return res, nil
}

// targetID is the configured id or, without one, the triggering record's.
func targetID(req *action.Request, cfg *config) (string, error) {
	if cfg.id != "" {
		return cfg.id, nil
	}
	var rec map[string]any
	if req.Execution != nil {
		rec, _ = req.Execution.Context["record"].(map[string]any)
	}
	id, _ := rec["id"].(string)
	if id == "" {
		return "", errors.New("id: not set, and the execution has no triggering record to default to")
	}
	if col, _ := rec["collection"].(string); col != "" && col != cfg.collection {
		return "", fmt.Errorf("id: not set, and the triggering record is in collection %q, not %q", col, cfg.collection)
	}
	return id, nil
}
