package httpapi

import (
	"net/http"
	"strconv"
	"strings"
)

// errorResponses are the shared error answers (components/responses), each
// the Error body.
func errorResponses() obj {
	out := obj{}
	for code, desc := range map[int]string{
		400: "The request cannot be read (malformed JSON, an empty body)",
		401: "Missing or invalid API key",
		403: "The key's role may not do this",
		404: "Not found (another tenant's ids answer 404 too)",
		405: "Method not allowed",
		409: "Conflict, or a limit reached (code limit_reached)",
		413: "Too large",
		422: "A value is invalid: error.field names it",
		429: "Too many events for this account: retry after Retry-After seconds",
	} {
		r := obj{"description": desc, "content": obj{"application/json": obj{"schema": ref("Error")}}}
		if code == 429 {
			r["headers"] = retryAfter
		}
		out[responseName(code)] = r
	}
	// Any call may meet a database that is down, out of disk or read-only.
	out["StorageUnavailable"] = obj{"description": "storage_unavailable: the database cannot be reached or takes no writes; nothing was stored. Try again after Retry-After seconds.",
		"headers": retryAfter, "content": obj{"application/json": obj{"schema": ref("Error")}}}
	return out
}

var retryAfter = obj{"Retry-After": obj{"description": "seconds to wait", "schema": obj{"type": "integer"}}}

var storageRef = obj{"$ref": "#/components/responses/StorageUnavailable"}

// responseName is the component name of an error status: NotFound for 404.
func responseName(code int) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(http.StatusText(code))
}

func errRef(code int) obj { return obj{"$ref": "#/components/responses/" + responseName(code)} }

// operationID names an operation after its method and path:
// POST /api/v1/hooks/{id}/trigger is postHooksByIdTrigger.
func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(strings.TrimPrefix(path, "/api/v1"), "/") {
		param := strings.HasPrefix(seg, "{")
		seg = strings.Trim(seg, "{}.")
		if seg == "" {
			continue
		}
		if param {
			b.WriteString("By")
		}
		for _, w := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// body is a JSON request body of schema (required or not).
func body(schema obj, required bool) obj {
	return obj{"required": required, "content": obj{"application/json": obj{"schema": schema}}}
}

func jsonResp(desc string, schema obj) obj {
	return obj{"description": desc, "content": obj{"application/json": obj{"schema": schema}}}
}

func oneOrMany(name string, max int) obj {
	many := arr(ref(name))
	many["minItems"] = 1
	if max > 0 {
		many["maxItems"] = max
	}
	return obj{"oneOf": []any{ref(name), many}}
}

// operation describes one route of the table: its request and success
// answer, its operationId, and the errors it may answer.
func (s *Server) operation(rt route) obj {
	op := obj{"operationId": operationID(rt.method, rt.path), "summary": rt.summary, "tags": []string{rt.tag}, "x-query": rt.query}
	if rt.req != "" {
		op["requestBody"] = body(ref(rt.req), true)
	}
	ok := obj{"description": http.StatusText(rt.status)}
	if rt.resp != "" {
		ok = jsonResp(http.StatusText(rt.status), ref(rt.resp))
	}
	responses := obj{strconv.Itoa(rt.status): ok, "503": storageRef}
	codes := []int{401, 403, 404}
	if rt.req != "" || rt.method == "POST" || rt.method == "PUT" || rt.method == "PATCH" {
		codes = append(codes, 400, 409, 413, 422)
	} else if len(rt.query) > 0 {
		codes = append(codes, 422)
	}
	if strings.HasPrefix(rt.path, "/api/v1/events") || strings.HasSuffix(rt.path, "/records") || strings.HasSuffix(rt.path, "/records/{id}") {
		codes = append(codes, 429)
	}
	for _, c := range codes {
		responses[strconv.Itoa(c)] = errRef(c)
	}
	op["responses"] = responses

	// What the table cannot say.
	switch rt.method + " " + rt.path {
	case "POST /api/v1/hooks/{id}/trigger":
		op["requestBody"] = body(ref("DataBody"), false)
		responses["200"] = jsonResp("With ?wait=: the execution, final", ref("Execution"))
		responses["202"] = jsonResp("Accepted: the execution's id; with ?wait=, the execution, not final yet when the wait ran out",
			obj{"oneOf": []any{ref("ExecutionID"), ref("Execution")}})
	case "POST /api/v1/hooks/{id}/test":
		op["requestBody"] = body(ref("DataBody"), false)
	case "POST /api/v1/executions/{id}/replay":
		op["requestBody"] = body(ref("ReplayOptions"), false)
	case "POST /api/v1/jobs/claim":
		responses["204"] = obj{"description": "The queue has no job ready"}
	case "POST /api/v1/event-types":
		op["requestBody"] = body(oneOrMany("EventType", 0), true)
		responses["201"] = jsonResp("Created: the event type, or {items} for an array", obj{"oneOf": []any{ref("EventType"), object(obj{"items": arr(ref("EventType"))}, "items")}})
	case "POST /api/v1/events":
		op["requestBody"] = body(oneOrMany("EventInput", maxBatch), true)
	case "GET /api/v1/export":
		responses["200"] = obj{"description": "The documents: {documents} (format=json, the default) or a YAML file (format=yaml)",
			"content": obj{"application/json": obj{"schema": ref("ApplyRequest")}, "application/yaml": obj{"schema": obj{"description": "the documents of hooks-as-code, as YAML"}}}}
	}
	return op
}

// publicOperations adds the routes outside the table: the browser SDK,
// inbound routes and the operational endpoints.
func (s *Server) publicOperations(add func(method, path string, op obj)) {
	plain := func(id, summary string, content obj) obj {
		ok := obj{"description": "OK"}
		if content != nil {
			ok["content"] = content
		}
		return obj{"operationId": id, "summary": summary, "tags": []string{"operations"}, "security": []any{},
			"responses": obj{"200": ok}}
	}
	status := obj{"application/json": obj{"schema": object(obj{"status": str(), "error": str()}, "status")}}
	add("GET", "/healthz", plain("getHealthz", "Liveness", status))
	ready := plain("getReadyz", "Readiness: 200 while a write reaches the database", status)
	ready["responses"].(obj)["503"] = obj{"description": "Not ready (code storage_unavailable), with Retry-After", "headers": retryAfter,
		"content": obj{"application/json": obj{"schema": object(obj{"status": str(), "code": str(), "error": str()}, "status")}}}
	add("GET", "/readyz", ready)
	add("GET", "/metrics", plain("getMetrics", "Prometheus metrics", obj{"text/plain": obj{"schema": str()}}))
	add("GET", "/openapi.json", plain("getOpenAPI", "This document", obj{"application/json": obj{"schema": anyObject}}))
	add("GET", "/schemas/hooks.json", plain("getHooksSchema", "The JSON Schema of hooks-as-code documents (hookline apply, export)", obj{"application/json": obj{"schema": anyObject}}))
	add("GET", "/sdk.js", obj{"operationId": "getSDK", "summary": "The browser SDK script", "tags": []string{"events"}, "security": []any{},
		"responses": obj{"200": obj{"description": "The script", "content": obj{"application/javascript": obj{"schema": str()}}}}})
	add("POST", "/api/v1/sdk/events", obj{
		"operationId": "postSDKEvents",
		"summary":     "Browser SDK events (publishable key as bearer token, or ?key= for sendBeacon); only 305xx types; CORS limited to the key's allowed origins",
		"tags":        []string{"events"}, "x-query": []string{"key"},
		"security":    []any{obj{"bearer": []string{}}, obj{"sdkKey": []string{}}},
		"requestBody": body(oneOrMany("EventInput", maxBatch), true),
		"responses": obj{"202": jsonResp("Accepted", ref("EventIDs")),
			"400": errRef(400), "401": errRef(401), "403": errRef(403), "413": errRef(413), "422": errRef(422), "429": errRef(429), "503": storageRef},
	})
	inboundBody := obj{"required": false, "content": obj{
		"application/json":                  obj{"schema": obj{}},
		"application/x-www-form-urlencoded": obj{"schema": anyObject},
	}}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		op := obj{
			"operationId": strings.ToLower(m) + "Inbound",
			"summary":     "Inbound route of a hook (trigger type inbound); JSON or form body; signature checked per the hook's auth",
			"tags":        []string{"inbound"}, "security": []any{},
			"responses": obj{
				"202": jsonResp("Accepted (respond: accepted)", ref("ExecutionID")),
				"200": jsonResp("The last action's output (respond: sync)", anyObject),
				"502": jsonResp("The run did not succeed (respond: sync): the last action's output", anyObject),
				"400": errRef(400), "401": errRef(401), "404": errRef(404), "405": errRef(405), "413": errRef(413), "429": errRef(429),
				"503": storageRef,
			},
		}
		if m != "GET" && m != "DELETE" {
			op["requestBody"] = inboundBody
		}
		add(m, "/in/{account_id}/{path...}", op)
	}
}

// serverURL is the document's server: the public URL, or this host.
func serverURL(public string) string {
	if public == "" {
		return "/"
	}
	return strings.TrimRight(public, "/")
}
