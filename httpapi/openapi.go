package httpapi

import (
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
)

// obj and friends keep the schema table short.
type obj = map[string]any

func ref(name string) obj     { return obj{"$ref": "#/components/schemas/" + name} }
func arr(items obj) obj       { return obj{"type": "array", "items": items} }
func str() obj                { return obj{"type": "string"} }
func strf(format string) obj  { return obj{"type": "string", "format": format} }
func enum(vals ...string) obj { return obj{"type": "string", "enum": vals} }
func object(props obj, required ...string) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}
func listOf(name string) obj {
	return object(obj{"items": arr(ref(name)), "next_cursor": obj{"type": "string", "nullable": true}})
}

var anyObject = obj{"type": "object", "additionalProperties": true}

// fieldsSchema describes a domain type from its Go fields (hook.Fields),
// the way hook.AllFields writes it: every field present (required), null
// when it has no value where hook.Nullable says so. over refines single
// fields (enums, descriptions); its keys are merged over the derived schema.
// A field added to the type appears here by itself.
func fieldsSchema(t reflect.Type, over obj) obj {
	props := obj{}
	var required []string
	for _, f := range hook.Fields(t) {
		s := typeSchema(f.Type)
		if hook.Nullable(f.Type) && f.Type.Kind() != reflect.Interface { // AnyJSON admits null already
			s["nullable"] = true
		}
		if o, ok := over[f.Name].(obj); ok {
			if _, isRef := o["$ref"]; isRef || o["type"] == "array" {
				s = o
			} else {
				maps.Copy(s, o)
			}
		}
		props[f.Name] = s
		required = append(required, f.Name)
	}
	return obj{"type": "object", "properties": props, "required": required}
}

// typeSchema is the JSON schema of the values a Go type encodes to.
func typeSchema(t reflect.Type) obj {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(time.Time{}) {
		return strf("date-time")
	}
	switch t.Kind() {
	case reflect.String:
		return str()
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": true}
	case reflect.Slice, reflect.Array:
		return arr(typeSchema(t.Elem()))
	case reflect.Struct:
		return fieldsSchema(t, nil)
	}
	return action.AnyJSON() // an interface: any JSON value
}

func schemas(descs []action.Description) obj {
	trigger := object(obj{
		"type": enum("event", "schedule", "inbound", "manual"),
		"event": obj{"type": "string", "description": "built-in: " + strings.Join(hook.BuiltinEvents, ", ") +
			" (execution.failed and hook.disabled are system events that hookline emits, SPEC §12); or a registered hookable event (GET /event-types)"},
		"collection": str(),
		"cron":       str(), "every": str(), "once_at": strf("date-time"), "weekdays": arr(str()), "times": arr(str()),
		"timezone": str(), "start_at": strf("date-time"), "end_at": strf("date-time"),
		"max_runs": obj{"type": "integer"}, "misfire": enum("run_once", "skip"),
		"path": str(), "methods": arr(enum("GET", "POST", "PUT", "PATCH", "DELETE")),
		"auth":    object(obj{"kind": enum("hmac-sha256", "github", "stripe", "standard-webhooks"), "header": str(), "secret_ref": str()}),
		"respond": enum("accepted", "sync"),
	}, "type")
	hookProps := obj{
		"id": str(), "account_id": str(),
		"key":     obj{"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,99}$", "description": "optional slug, unique in the account and stable across instances; hooks as code match hooks by it"},
		"version": obj{"type": "integer", "description": "the hook's current version (read-only): every create and change makes one"},
		"name":    str(), "description": str(), "enabled": obj{"type": "boolean", "default": true, "description": "a hook created (or replaced) without enabled is active"},
		"order": obj{"type": "integer"}, "roles": arr(str()),
		"category": enum("lead_processing", "crm_integration", "analytics", "notification", "workflow", "other"),
		"debug":    obj{"type": "boolean"}, "trigger": trigger, "condition": str(),
		"on_condition_error": enum("fire", "skip"), "actions": arr(ref("Action")),
		"ordering": obj{"type": "string", "enum": []string{"sequential", "parallel"},
			"description": "sequential (default): the hooks of one event take turns (SPEC §10); parallel: starts at once, nothing waits for it"},
		"ordering_key": obj{"type": "string", "description": "template; executions of this hook with the same rendered key run one at a time, in the order their events were accepted"},
		"debounce": obj{"type": "object", "nullable": true, "required": []string{"key", "window"},
			"description": "of the events with one rendered key inside the window only the last runs the hook, once the window has passed quietly; the others are skipped",
			"properties":  obj{"key": obj{"type": "string", "description": "template, e.g. {{record.id}}"}, "window": obj{"type": "string", "description": "duration from 1s to 168h, e.g. 30s"}}},
		"next_run_at": obj{"type": "string", "format": "date-time", "nullable": true}, "next_runs": arr(strf("date-time")),
		"schedule_finished":    obj{"type": "boolean", "readOnly": true, "description": "present and true once a schedule reached max_runs"},
		"schedule_description": obj{"type": "string", "nullable": true}, "run_count": obj{"type": "integer", "readOnly": true, "description": "every run of the hook, whatever started it (updated within a second)"},
		"warnings":    obj{"type": "array", "items": str(), "readOnly": true, "description": "what will make the hook's runs fail although it is valid, e.g. a send_email action while no SMTP server is configured"},
		"last_run_at": obj{"type": "string", "format": "date-time", "nullable": true, "readOnly": true, "description": "when the latest run ran; null before the first"},
		"disabled_reason": obj{"type": "string", "nullable": true, "readOnly": true,
			"description": "why hookline disabled the hook (SPEC §12): every run failed for HOOKLINE_AUTO_DISABLE_AFTER, or a webhook answered 410 Gone; null while enabled or when a person disabled it. Enabling the hook clears it"},
		"disabled_at": obj{"type": "string", "format": "date-time", "nullable": true, "readOnly": true, "description": "when hookline disabled the hook; null with disabled_reason"},
		"failing_since": obj{"type": "string", "format": "date-time", "nullable": true, "readOnly": true,
			"description": "when the first of the hook's runs failed (failed or partial) after its last success; null when its last final run did not fail. A save that makes a new version clears it"},
		"created_at": strf("date-time"), "updated_at": strf("date-time"),
	}
	result := fieldsSchema(reflect.TypeOf(hook.ActionResult{}), obj{
		"index":  obj{"description": "0-based position in the hook's actions (shown as action index+1)"},
		"status": obj{"type": "string", "enum": []string{"pending", "success", "failed", "retrying", "skipped", "waiting"}, "description": "waiting: a wait action, until output.until"},
		"case":   obj{"description": "0-based index of the case taken; null for the action's own config"},
	})
	out := obj{
		"Error": object(obj{"error": object(obj{"code": str(), "message": str(), "field": str()}, "code", "message")}, "error"),
		"Account": object(obj{"id": str(), "parent_id": str(), "name": str(), "created_at": strf("date-time"), "updated_at": strf("date-time"),
			"limits": object(obj{
				"events_per_second": obj{"type": "number", "nullable": true, "description": "events per second (on each node); null: the install's --events-per-second (default: no limit)"},
				"max_hooks":         obj{"type": "integer", "nullable": true, "description": "hooks the account may own; null: the install's --max-hooks-per-account"},
			}, "events_per_second", "max_hooks")}, "id", "name", "limits"),
		"AccountInput": object(obj{"name": str(), "parent_id": str(), "limits": object(obj{
			"events_per_second": obj{"type": "number", "nullable": true, "exclusiveMinimum": true, "minimum": 0},
			"max_hooks":         obj{"type": "integer", "nullable": true, "minimum": 0},
		})}),
		"AccountList": listOf("Account"),
		"KeyInput":    object(obj{"name": str(), "role": enum("admin", "manager", "user", "agent", "system", "publishable"), "allowed_origins": arr(str())}, "name", "role"),
		"Key": object(obj{"id": str(), "account_id": str(), "name": str(), "role": str(), "prefix": str(),
			"allowed_origins": arr(str()), "created_at": strf("date-time"),
			"last_used_at": obj{"type": "string", "format": "date-time", "description": "when the key last authenticated a request, to the minute; absent until then"}}),
		"KeyCreated": object(obj{"id": str(), "account_id": str(), "name": str(), "role": str(), "prefix": str(),
			"allowed_origins": arr(str()), "created_at": strf("date-time"),
			"last_used_at": obj{"type": "string", "format": "date-time", "description": "absent: a new key has not been used"},
			"key":          obj{"type": "string", "description": "the secret, shown in this answer only"}}, "id", "key", "prefix", "name", "role", "account_id", "created_at"),
		"KeyList":       listOf("Key"),
		"SigningSecret": object(obj{"secret": str(), "previous_secret": str(), "previous_expires_at": strf("date-time")}),
		"Hook":          object(hookProps, "name", "trigger", "actions"),
		"HookPatch":     object(hookProps),
		"HookList":      listOf("Hook"),
		"DataBody":      object(obj{"data": anyObject}),
		"ExecutionID":   object(obj{"execution_id": str()}),
		"TestResult": object(obj{
			"condition": object(obj{"result": obj{"type": "boolean"}, "error": obj{"type": "string", "nullable": true}}),
			"actions": arr(object(obj{"name": str(), "type": str(), "case": obj{"type": "integer", "nullable": true}, "config": anyObject, "error": str(),
				"warnings": obj{"type": "array", "items": str(), "description": "template holes that had no value in the data (they render empty)"}}, "name", "type", "case", "warnings")),
		}),
		"Execution": fieldsSchema(reflect.TypeOf(hook.Execution{}), obj{
			"status":           enum(hook.Statuses...),
			"trigger_type":     obj{"enum": hook.ExecutionTriggerTypes, "description": "event, schedule, inbound, manual (fired by hand or by the API), or hook (started by another hook's trigger_hook action)"},
			"actions_executed": obj{"description": "the actions that completed successfully"},
			"actions":          arr(result),
			"ordering_key":     obj{"description": "the hook's ordering_key as rendered for this execution"},
			"debounce_key":     obj{"description": "the hook's debounce key as rendered for this execution"},
			"waiting_for":      obj{"description": "the execution this one waits for (SPEC §10): the previous hook of its event, else the previous execution of its ordering key"},
			"note":             obj{"description": "something the log shows that is not an error, e.g. that an ordering hold ran out, or that this failure disabled the hook"},
			"hook_version":     obj{"nullable": true, "description": "the version of the hook the execution ran (null for executions older than hook versions)"},
		}),
		"ExecutionList": listOf("Execution"),
		"ReplayOptions": object(obj{"from": enum("start", "failed_action"), "version": enum("current", "original")}),
		"HookVersion": object(obj{
			"version": obj{"type": "integer"}, "created_at": strf("date-time"),
			"actor": obj{"type": "object", "nullable": true, "properties": obj{"key_id": str(), "role": str()},
				"description": "who saved the version; null for hookline itself (a hook it disabled, SPEC §12) and versions older than actors"},
			"note": str(), "hook": ref("Hook"),
		}, "version", "created_at", "actor", "hook"),
		"HookVersionList": listOf("HookVersion"),
		"ApplyRequest": object(obj{
			"account_id": str(),
			"documents":  obj{"type": "array", "items": anyObject, "description": "documents as GET /schemas/hooks.json describes them: {event_types, collections, hooks}"},
			"prune":      obj{"type": "boolean"}, "dry_run": obj{"type": "boolean"},
		}, "documents"),
		"Plan": object(obj{
			"account_id": str(), "dry_run": obj{"type": "boolean"}, "applied": obj{"type": "boolean"},
			"summary": object(obj{"create": obj{"type": "integer"}, "update": obj{"type": "integer"}, "unchanged": obj{"type": "integer"}, "delete": obj{"type": "integer"}}),
			"items": arr(object(obj{
				"kind": enum("event_type", "collection", "hook"), "key": str(), "action": enum("create", "update", "unchanged", "delete"),
				"id": str(), "version": obj{"type": "integer"},
				"diff": arr(object(obj{"field": str(), "old": obj{"nullable": true, "description": "any JSON value; null when unset"}, "new": obj{"nullable": true, "description": "any JSON value; null when unset"}})),
			})),
			"warnings": arr(str()),
		}),
		"BulkReplay": object(obj{"from": enum("start", "failed_action"), "filter": object(obj{
			"hook_id": str(), "status": str(), "exhausted": obj{"type": "boolean"}, "since": strf("date-time"), "until": strf("date-time")})}, "filter"),
		"ExecutionIDs": object(obj{"execution_ids": arr(str())}),
		"EventType": object(obj{"id": str(), "label": str(), "account_id": str(), "created_at": strf("date-time"),
			"builtin": obj{"type": "boolean", "readOnly": true, "description": "a built-in type (listed with ?builtin=true): no account, never registered"}}, "id", "label"),
		"EventTypeList": listOf("EventType"),
		"EventInput": object(obj{
			"type": str(), "data": anyObject, "collection": str(), "idempotency_key": str(),
			"account_id": str(), "occurred_at": strf("date-time"),
		}, "type"),
		"EventIDs":        object(obj{"event_ids": arr(str())}),
		"SecretInput":     object(obj{"name": str(), "value": str(), "account_id": str()}, "name", "value"),
		"Secret":          object(obj{"name": str(), "created_at": strf("date-time")}),
		"SecretList":      listOf("Secret"),
		"CollectionInput": object(obj{"name": str(), "schema": anyObject, "account_id": str()}, "name"),
		"Collection":      object(obj{"name": str(), "account_id": str(), "schema": anyObject, "created_at": strf("date-time")}),
		"CollectionList":  listOf("Collection"),
		"CollectionPatch": object(obj{"schema": obj{"type": "object", "nullable": true, "additionalProperties": true}}, "schema"),
		"Record":          obj{"type": "object", "additionalProperties": true, "properties": obj{"id": str(), "collection": str(), "created_at": strf("date-time"), "updated_at": strf("date-time")}},
		"RecordList":      listOf("Record"),
		"JobClaim":        object(obj{"queue": str(), "lease": str()}, "queue"),
		"JobFail":         object(obj{"error": str(), "retry_in": str()}),
		"ClaimedJob":      object(obj{"job": object(obj{"id": str(), "queue": str(), "payload": obj{}, "attempt": obj{"type": "integer"}})}),
		"Job": object(obj{"id": str(), "account_id": str(), "queue": str(), "payload": obj{}, "state": enum("available", "running", "completed", "dead"),
			"priority": obj{"type": "integer"}, "attempt": obj{"type": "integer"}, "max_attempts": obj{"type": "integer"}, "run_at": strf("date-time"),
			"last_error": str(), "execution_id": str(), "created_at": strf("date-time"), "finished_at": strf("date-time")}),
		"JobList": listOf("Job"),
		"SourceInput": object(obj{
			"name": str(), "kind": enum("postgres"),
			"url":    obj{"type": "string", "description": "postgres://user:password@host:5432/db; stored encrypted, never shown again"},
			"tables": arr(obj{"type": "string", "description": "table (schema public) or schema.table"}), "account_id": str(),
		}, "name", "url", "tables"),
		"Source": object(obj{
			"id": str(), "account_id": str(), "name": str(), "kind": enum("postgres"),
			"url":    obj{"type": "string", "description": "the URL without user, password or parameters"},
			"tables": arr(str()), "slot": str(), "publication": str(),
			"status": object(obj{
				"state": enum("starting", "following", "lagging", "error"), "node": str(),
				"last_error": str(), "last_error_at": strf("date-time"), "warning": str(), "confirmed_lsn": str(),
				"lag_bytes": obj{"type": "integer"}, "lag_seconds": obj{"type": "number"},
				"events": obj{"type": "integer"}, "events_per_second": obj{"type": "number"},
				"replica_identity": obj{"type": "object", "additionalProperties": enum("default", "full", "index", "nothing"),
					"description": "per table; only full gives updates and deletes the whole old row (previous)"},
				"updated_at": strf("date-time"),
			}),
			"created_at": strf("date-time"), "updated_at": strf("date-time"),
		}),
		"SourceList": listOf("Source"),
		"Node": object(obj{
			"id": str(), "self": obj{"type": "boolean", "description": "the node answering"},
			"alive":              obj{"type": "boolean", "description": "its liveness has not run out (false for a node that keeps none here: an older version)"},
			"seen_at":            obj{"type": "string", "format": "date-time", "nullable": true, "description": "last heartbeat; null on SQLite (one node)"},
			"alive_until":        obj{"type": "string", "format": "date-time", "nullable": true},
			"running_executions": obj{"type": "integer"},
		}, "id", "self", "alive", "seen_at", "alive_until", "running_executions"),
		"NodeList": listOf("Node"),
	}
	maps.Copy(out, actionSchemas(descs))
	return out
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)

// openAPIDoc builds the document from the route table.
func (s *Server) openAPIDoc() obj {
	paths := obj{}
	add := func(method, path string, op obj) {
		p := pathParamRE.ReplaceAllString(path, "{$1}")
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
			params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": str()})
		}
		if qs, ok := op["x-query"].([]string); ok {
			for _, q := range qs {
				params = append(params, obj{"name": q, "in": "query", "schema": str()})
			}
			delete(op, "x-query")
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		item, _ := paths[p].(obj)
		if item == nil {
			item = obj{}
			paths[p] = item
		}
		item[strings.ToLower(method)] = op
	}
	for _, rt := range s.apiRoutes() {
		add(rt.method, rt.path, s.operation(rt))
	}
	s.publicOperations(add)
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title": "hookline", "version": "1",
			"description": "Self-hosted hooks & actions engine. Authenticate with Authorization: Bearer <API key>.",
		},
		"servers":  []any{obj{"url": serverURL(s.o.PublicURL)}},
		"security": []any{obj{"bearer": []string{}}},
		"paths":    paths,
		"components": obj{
			"schemas":   schemas(s.e.ActionDescriptions()),
			"responses": errorResponses(),
			"securitySchemes": obj{
				"bearer": obj{"type": "http", "scheme": "bearer", "description": "an API key: Authorization: Bearer hlk_…"},
				"sdkKey": obj{"type": "apiKey", "in": "query", "name": "key", "description": "a publishable key as ?key= (navigator.sendBeacon cannot set headers)"},
			},
		},
	}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, s.openAPIDoc())
}
