package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/hookdoc"
)

// maxApplyBody bounds POST /api/v1/apply: documents of many hooks.
const maxApplyBody = 8 << 20

func (s *Server) apply(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var req hookline.ApplyRequest
	if err := decode(w, r, maxApplyBody, &req); err != nil {
		return err
	}
	plan, err := s.e.Apply(r.Context(), p, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, plan)
	return nil
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "yaml" {
		return &hookline.Error{Kind: hookline.KindInvalid, Field: "format", Msg: "must be json or yaml"}
	}
	doc, err := s.e.Export(r.Context(), p, hookline.ExportQuery{AccountID: q.Get("account_id"), HookID: q.Get("hook_id")})
	if err != nil {
		return err
	}
	if format == "json" {
		b, err := hookdoc.JSON(doc)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(b, '\n'))
		return nil
	}
	b, err := hookdoc.YAML(doc, s.baseURL(r)+hookdoc.SchemaPath)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, _ = w.Write(b)
	return nil
}

// baseURL is how clients reach this server.
func (s *Server) baseURL(r *http.Request) string {
	if s.o.PublicURL != "" {
		return s.o.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// documentSchema is the JSON Schema of hooks-as-code documents, built from
// the same schemas as the OpenAPI document: a hook is the Hook schema
// without the fields the server sets, with a key; unknown fields are refused
// as POST /api/v1/apply refuses them.
func documentSchema(id string, descs []action.Description) obj {
	all := schemas(descs)
	h := all["Hook"].(obj)
	props := h["properties"].(obj)
	for _, f := range append(slices.Clone(hook.StateFields), "next_runs", "schedule_description") {
		delete(props, f)
	}
	h["required"] = []string{"key", "name", "trigger", "actions"}
	defs := obj{}
	for name, sch := range all {
		if name == "Action" || name == "Retry" || strings.HasPrefix(name, "Action_") {
			defs[name] = sch
		}
	}
	doc := obj{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         id,
		"title":       "hookline hooks as code",
		"description": "A document for hookline apply: the hookable events, collections and hooks an account should have. Hooks are matched by key; secrets are named ({{secret.NAME}}, secret_ref), never written here.",
		"type":        "object",
		"properties": obj{
			"$schema": str(),
			"event_types": arr(object(obj{
				"id":    obj{"type": "string", "pattern": "^(305|702|703)(0[1-9]|[1-9][0-9])$", "description": "a source prefix (305 SDK, 702 integration apps, 703 external apps) and two digits 01-99"},
				"label": str(),
			}, "id", "label")),
			"collections": arr(object(obj{"name": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}, "schema": anyObject}, "name")),
			"hooks":       arr(h),
		},
		"$defs": defs,
	}
	// A copy: the schemas share maps (anyObject…) with other answers, and
	// closeObjects changes what it is given.
	b, _ := json.Marshal(doc)
	var own obj
	_ = json.Unmarshal(b, &own)
	closeObjects(own)
	return own
}

// closeObjects sets additionalProperties false on every object schema with
// properties that does not say otherwise, so editors flag unknown fields,
// and points the OpenAPI references at $defs.
func closeObjects(v any) {
	switch t := v.(type) {
	case obj:
		if r, ok := t["$ref"].(string); ok {
			t["$ref"] = strings.Replace(r, "#/components/schemas/", "#/$defs/", 1)
		}
		delete(t, "discriminator") // OpenAPI's
		if _, ok := t["properties"]; ok && t["type"] == "object" {
			if _, set := t["additionalProperties"]; !set {
				t["additionalProperties"] = false
			}
		}
		delete(t, "nullable") // OpenAPI's; no JSON Schema keyword
		for _, c := range t {
			closeObjects(c)
		}
	case []any:
		for _, c := range t {
			closeObjects(c)
		}
	}
}

func (s *Server) documentSchemaHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, documentSchema(s.baseURL(r)+hookdoc.SchemaPath, s.e.ActionDescriptions()))
}
