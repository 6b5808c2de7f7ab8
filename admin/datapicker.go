package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// The data picker: template and condition fields of the hook editor offer
// the variables in scope, with a preview of each from the sample data. The
// server works out what is in scope (POST /admin/hooks/scope, the editor's
// form as body); the editor's script completes and previews.

// pickVar is one variable in scope.
type pickVar struct {
	Path string `json:"path"`
	// Kind is the value's JSON type (string, number, boolean, object,
	// array, null), "" when unknown.
	Kind string `json:"kind,omitempty"`
	Help string `json:"help,omitempty"`
	// Sample is the value in the sample data, as JSON; absent when the
	// sample has none (and always for secrets).
	Sample json.RawMessage `json:"sample,omitempty"`
	// Step is, for steps.<name>, the position of the action whose output it
	// is: only the actions after it see it. -1 for everything else.
	Step int `json:"step"`
}

// pickScope is the picker's answer.
type pickScope struct {
	Vars []pickVar `json:"vars"`
	// Source says where the sample values come from.
	Source string `json:"source"`
	// Sample is the latest record or event as the test panel shows it,
	// when the form sent no sample data of its own.
	Sample string `json:"sample,omitempty"`
}

// stepInfo is an action of the form, as steps.<name> shows it.
type stepInfo struct {
	Name    string
	Outputs []action.Output
}

// scopeInput is what decides the variables in scope.
type scopeInput struct {
	Kind       string // trigger kind: lifecycle, hookable, schedule, inbound, manual
	Event      string // lifecycle or hookable event type
	Collection string
	// Schema is the collection's JSON Schema (nil: none).
	Schema map[string]any
	// Seen are the data fields seen in the latest records or event.
	Seen []map[string]any
	// Sample is the sample event data (the test panel's).
	Sample  map[string]any
	Steps   []stepInfo
	Secrets []string
}

// maxPickDepth is how deep nested objects are offered (record.customer.name).
const maxPickDepth = 3

// buildScope lists the variables in scope (SPEC §3), event data first.
func buildScope(in scopeInput) []pickVar {
	var out []pickVar
	add := func(path, kind, help string, sample any, has bool) {
		v := pickVar{Path: path, Kind: kind, Help: help, Step: -1}
		if has {
			v.Sample, _ = json.Marshal(sample)
			if v.Kind == "" {
				v.Kind = jsonKind(sample)
			}
		}
		out = append(out, v)
	}
	tree := dataTree(in)
	// The event's data: its fields at top level and under data; a record
	// event's also under record (and previous, for updates).
	var prefixes [][2]string
	switch in.Kind {
	case "lifecycle":
		prefixes = [][2]string{{"record.", "the record"}, {"", "the record's field"}}
		if in.Event == hook.EventRecordUpdate {
			prefixes = append(prefixes, [2]string{"previous.", "the record before the update"})
		}
	case "inbound":
		prefixes = [][2]string{{"", "the JSON body's field"}, {"request.body.", "the request body"}}
	default:
		prefixes = [][2]string{{"", "the event's field"}, {"data.", "the event data"}}
	}
	for _, pf := range prefixes {
		if root := strings.TrimSuffix(pf[0], "."); root != "" {
			add(root, "object", pf[1], in.Sample, in.Sample != nil)
		}
		tree.walk(pf[0], in.Sample, 1, func(path, kind string, sample any, has bool) {
			add(path, kind, pf[1], sample, has)
		})
	}
	if in.Kind == "lifecycle" {
		add("collection", "string", "the record's collection", in.Collection, in.Collection != "")
	}
	switch in.Kind {
	case "schedule":
		for _, f := range [][3]string{{"type", "string", "schedule"}, {"slot", "string", "the slot being fired (RFC 3339)"},
			{"fired_at", "string", "when it fired"}, {"lateness_ms", "number", "how late it fired"},
			{"missed_slots", "number", "slots missed while down"}} {
			add("trigger."+f[0], f[1], f[2], nil, false)
		}
	case "inbound":
		for _, f := range [][3]string{{"method", "string", "GET, POST…"}, {"path", "string", "the route's path"},
			{"query", "object", "query parameters"}, {"headers", "object", "request headers (lower-case names)"},
			{"body", "", "the parsed JSON or form body"}} {
			add("request."+f[0], f[1], f[2], nil, false)
		}
	}
	for _, f := range [][3]string{{"event.type", "string", "the event's type"}, {"event.id", "string", "the event's id"},
		{"event.occurred_at", "string", "when it happened (RFC 3339)"},
		{"auth.user_id", "string", "the actor's user id"}, {"auth.email", "string", "the actor's email"},
		{"auth.role", "string", "the actor's role"}, {"auth.key_id", "string", "the API key used"},
		{"account.id", "string", "the hook's account"}, {"account.name", "string", "the account's name"},
		{"now", "string", "the time of the run (RFC 3339)"}} {
		add(f[0], f[1], f[2], nil, false)
	}
	for i, s := range in.Steps {
		out = append(out, pickVar{Path: "steps." + s.Name, Kind: "object", Help: "output of action " + strconv.Itoa(i+1), Step: i})
		for _, o := range s.Outputs {
			out = append(out, pickVar{Path: "steps." + s.Name + "." + o.Name, Help: o.Help, Step: i})
		}
	}
	for _, name := range in.Secrets {
		out = append(out, pickVar{Path: "secret." + name, Kind: "string", Help: "secret (redacted in logs)", Step: -1})
	}
	return out
}

// fieldTree is the known fields of the event data: from the collection's
// schema, else from the data seen, plus the sample's.
type fieldTree struct {
	kind string
	kids map[string]*fieldTree
}

func dataTree(in scopeInput) *fieldTree {
	t := &fieldTree{kids: map[string]*fieldTree{}}
	if props, ok := in.Schema["properties"].(map[string]any); ok {
		t.fromSchema(props, 1)
	} else {
		for _, d := range in.Seen {
			t.fromData(d, 1)
		}
	}
	t.fromData(in.Sample, 1)
	return t
}

func (t *fieldTree) kid(name string) *fieldTree {
	k, ok := t.kids[name]
	if !ok {
		k = &fieldTree{kids: map[string]*fieldTree{}}
		t.kids[name] = k
	}
	return k
}

func (t *fieldTree) fromSchema(props map[string]any, depth int) {
	for name, p := range props {
		k := t.kid(name)
		ps, _ := p.(map[string]any)
		switch ty := ps["type"].(type) {
		case string:
			k.kind = ty
		case []any: // ["string", "null"]: the first that is not null
			for _, x := range ty {
				if s, _ := x.(string); s != "" && s != "null" {
					k.kind = s
					break
				}
			}
		}
		if k.kind == "integer" {
			k.kind = "number"
		}
		if sub, ok := ps["properties"].(map[string]any); ok && depth < maxPickDepth {
			k.fromSchema(sub, depth+1)
		}
	}
}

func (t *fieldTree) fromData(d map[string]any, depth int) {
	for name, v := range d {
		k := t.kid(name)
		if k.kind == "" && v != nil {
			k.kind = jsonKind(v)
		}
		if sub, ok := v.(map[string]any); ok && depth < maxPickDepth {
			k.fromData(sub, depth+1)
		}
	}
}

// walk calls fn for each field under prefix, in name order, with its
// value in sample (has: the sample holds it).
func (t *fieldTree) walk(prefix string, sample map[string]any, depth int, fn func(path, kind string, v any, has bool)) {
	names := make([]string, 0, len(t.kids))
	for n := range t.kids {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		k := t.kids[n]
		v, has := sample[n]
		fn(prefix+n, k.kind, v, has)
		if len(k.kids) > 0 && depth < maxPickDepth {
			sub, _ := v.(map[string]any)
			k.walk(prefix+n+".", sub, depth+1, fn)
		}
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case float64, int, int64, json.Number:
		return "number"
	}
	return ""
}

// editorSamples is the sample data of a form's trigger: the collection's
// latest records or the hookable event's latest event (newest first; none
// for other triggers or when there are none), and where it comes from.
func (h *Handler) editorSamples(ctx context.Context, s *session, f url.Values, n int) ([]map[string]any, string) {
	owner := f.Get("account_id")
	if owner == "" {
		owner = s.AccountID
	}
	switch f.Get("trigger_kind") {
	case "lifecycle":
		col := strings.TrimSpace(f.Get("trigger.collection"))
		if col == "" {
			return nil, ""
		}
		recs, err := h.e.RecentRecords(ctx, s.p, owner, col, store.Page{Limit: n})
		if err != nil || len(recs) == 0 {
			return nil, ""
		}
		out := make([]map[string]any, len(recs))
		for i, r := range recs {
			out[i] = hookline.RecordJSON(r)
		}
		return out, "the latest record of " + col + " (" + recs[0].ID + ")"
	case "hookable":
		ev, err := h.e.LatestEvent(ctx, s.p, owner, f.Get("trigger.event"))
		if err != nil || ev == nil {
			return nil, ""
		}
		return []map[string]any{ev.Data}, "the latest " + ev.Type + " event (" + ev.ID + ")"
	}
	return nil, ""
}

// pickerScope answers the editor's script with the variables in scope of
// the form posted.
func (h *Handler) pickerScope(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	f := r.PostForm
	in := scopeInput{Kind: f.Get("trigger_kind"), Event: f.Get("trigger.event"), Collection: strings.TrimSpace(f.Get("trigger.collection"))}
	owner := f.Get("account_id")
	if owner == "" {
		owner = s.AccountID
	}
	seen, source := h.editorSamples(ctx, s, f, 20)
	in.Seen = seen
	if in.Kind == "lifecycle" && in.Collection != "" {
		if c, err := h.e.GetCollection(ctx, s.p, owner, in.Collection); err == nil {
			in.Schema = c.Schema
		}
	}
	sample, bad := sampleFromForm(f.Get("test_data"))
	var fresh string
	switch {
	case bad != "":
		source = "none: " + bad
	case strings.TrimSpace(f.Get("test_data")) != "":
		in.Sample = sample
		if len(seen) == 0 || !reflect.DeepEqual(sample, seen[0]) {
			source = "the test panel's sample data"
		}
	case len(seen) > 0:
		in.Sample, fresh = seen[0], pretty(seen[0])
	default:
		fresh = sampleData(url.Values{"trigger_kind": {in.Kind}})
		in.Sample, _ = sampleFromForm(fresh)
		source = "an example (no record or event to show yet)"
	}
	for i, a := range h.cat.actionsFromForm(f) {
		name := a.Name
		if name == "" {
			name = a.Type + "_" + strconv.Itoa(i)
		}
		in.Steps = append(in.Steps, stepInfo{Name: name, Outputs: h.cat.get(a.Type).Outputs})
	}
	if secs, err := h.e.ListSecrets(ctx, s.p, owner); err == nil {
		for _, sec := range secs {
			in.Secrets = append(in.Secrets, sec.Name)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(pickScope{Vars: buildScope(in), Source: source, Sample: fresh})
}
