package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The OpenAPI document must describe what the server answers: every answer
// the end-to-end tests get through server.do is validated against the
// server's own /openapi.json with kin-openapi (status documented, body of
// the documented schema), so the document cannot drift from the code.

type openAPICheck struct {
	once   sync.Once
	router routers.Router
	err    error
}

// openAPIChecks holds one document per test server (by URL).
var openAPIChecks sync.Map

// registerDecoders teaches kin-openapi the non-JSON bodies the server answers.
var registerDecoders sync.Once

func (s *server) openAPIRouter() (routers.Router, error) {
	v, _ := openAPIChecks.LoadOrStore(s.URL, &openAPICheck{})
	c := v.(*openAPICheck)
	c.once.Do(func() {
		registerDecoders.Do(func() {
			openapi3filter.RegisterBodyDecoder("application/javascript", openapi3filter.FileBodyDecoder)
			openapi3filter.RegisterBodyDecoder("text/plain", openapi3filter.FileBodyDecoder)
		})
		res, err := http.Get(s.URL + "/openapi.json")
		if err != nil {
			c.err = err
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(b)
		if err != nil {
			c.err = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			c.err = err
			return
		}
		c.router, c.err = gorillamux.NewRouter(doc)
	})
	return c.router, c.err
}

// checkOpenAPI validates one real answer against the document. Requests
// to routes the document does not have (deliberately wrong paths) are left
// to the tests that make them.
func (s *server) checkOpenAPI(req *http.Request, status int, header http.Header, raw []byte) {
	s.t.Helper()
	router, err := s.openAPIRouter()
	if err != nil {
		s.t.Errorf("openapi.json is not a valid OpenAPI document: %v", err)
		return
	}
	// The router matches on a copy whose body was not read.
	r := req.Clone(context.Background())
	r.Body = http.NoBody
	route, params, err := router.FindRoute(r)
	if err != nil {
		if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
			return
		}
		s.t.Errorf("%s %s: %v", req.Method, req.URL.Path, err)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		msg := err.Error()
		if len(msg) > 1500 {
			msg = msg[:1500] + "…"
		}
		s.t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %s\nbody: %.600s", req.Method, req.URL.Path, status, msg, bytes.TrimSpace(raw))
	}
}

// TestOpenAPIDocumentIsValid: the document is valid OpenAPI 3, every
// operation has an operationId and a 4xx answer, and every route outside
// /api/v1 that needs no key says so (security: []).
func TestOpenAPIDocumentIsValid(t *testing.T) {
	s := start(t, mustSQLite(t))
	if _, err := s.openAPIRouter(); err != nil {
		t.Fatal(err)
	}
	doc := s.must(200, "GET", "/openapi.json", nil)
	ids := map[string]string{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s %s has no operationId", method, path)
			} else if other, dup := ids[id]; dup {
				t.Errorf("operationId %s of %s %s is %s's too", id, method, path, other)
			}
			ids[id] = method + " " + path
			has4xx := false
			for code := range op["responses"].(map[string]any) {
				has4xx = has4xx || strings.HasPrefix(code, "4")
			}
			if !has4xx && path != "/healthz" && path != "/readyz" && path != "/metrics" && path != "/openapi.json" && path != "/sdk.js" && path != "/schemas/hooks.json" {
				t.Errorf("%s %s documents no 4xx answer", method, path)
			}
			if !strings.HasPrefix(path, "/api/v1/") {
				if sec, ok := op["security"].([]any); !ok || len(sec) != 0 {
					t.Errorf("%s %s needs no key but does not say security: []", method, path)
				}
			}
		}
	}
}
