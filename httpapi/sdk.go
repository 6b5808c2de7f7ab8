package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	sdkjs "github.com/hookline/hookline/sdk/js"
)

func (s *Server) sdkJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(sdkjs.Script)
}

// sdkPreflight answers CORS preflights; the real request is checked against
// the key's allowed origins.
func (s *Server) sdkPreflight(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Set("Vary", "Origin")
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST")
	w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func originAllowed(p hookline.Principal, origin string) bool {
	if origin == "" {
		return true // not a browser cross-origin call
	}
	return slices.Contains(p.Origins, "*") || slices.Contains(p.Origins, origin)
}

// sdkEvents takes browser SDK events: the key (a publishable key, or any key
// that may send events) comes as a bearer token or, for sendBeacon, as ?key=.
func (s *Server) sdkEvents(w http.ResponseWriter, r *http.Request) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = r.URL.Query().Get("key")
	}
	p, err := s.e.Authenticate(r.Context(), strings.TrimSpace(token))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	origin := r.Header.Get("Origin")
	if !originAllowed(p, origin) && p.Role == hook.RolePublishable {
		writeError(w, s.log, &hookline.Error{Kind: hookline.KindForbidden, Msg: "origin " + origin + " is not allowed for this key"})
		return
	}
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Vary", "Origin")
	}
	ins, err := s.readEvents(w, r)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	for i, in := range ins {
		if !strings.HasPrefix(in.Type, "305") {
			field := "type"
			if len(ins) > 1 {
				field = "[" + itoa(i) + "].type"
			}
			writeError(w, s.log, &hookline.Error{Kind: hookline.KindForbidden, Field: field, Msg: "the browser SDK may only send JavaScript SDK events (305xx)"})
			return
		}
		ins[i].AccountID = "" // a browser key sends for its own account only
	}
	if err := s.e.AllowSDK(p); err != nil {
		writeError(w, s.log, err)
		return
	}
	res, err := s.e.EmitBatch(r.Context(), s.toEvents(p, ins))
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	ids := make([]string, len(res))
	for i, x := range res {
		ids[i] = x.EventID
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"event_ids": ids})
}
