package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
)

// inbound serves ANY /in/{account_id}/{path...}.
func (s *Server) inbound(w http.ResponseWriter, r *http.Request) {
	limit := int64(s.e.Config().MaxEventBytes)
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, s.log, &hookline.Error{Kind: hookline.KindTooLarge, Msg: "request body is larger than " + strconv.FormatInt(limit, 10) + " bytes"})
			return
		}
		writeError(w, s.log, &hookline.Error{Kind: hookline.KindMalformed, Msg: "could not read the request body"})
		return
	}
	in := &hookline.InboundRequest{
		AccountID: r.PathValue("account_id"), Path: r.PathValue("path"), Method: r.Method,
		Query: queryMap(r.URL.Query()), Header: r.Header, Raw: raw,
	}
	if d, err := strconv.Atoi(r.Header.Get("X-Hookline-Depth")); err == nil && d > 0 {
		in.Depth = d
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(raw) == 0:
		in.Body = map[string]any{}
	case ct == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			writeError(w, s.log, &hookline.Error{Kind: hookline.KindMalformed, Msg: "malformed form body"})
			return
		}
		in.Body = queryMap(vals)
	case ct == "application/json" || strings.HasSuffix(ct, "+json") || ct == "":
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			if ct != "" {
				writeError(w, s.log, &hookline.Error{Kind: hookline.KindMalformed, Msg: "malformed JSON body"})
				return
			}
			in.Body = string(raw)
		} else {
			in.Body = v
		}
	default:
		in.Body = string(raw)
	}
	res, err := s.e.Inbound(r.Context(), in)
	if err != nil {
		var he *hookline.Error
		if errors.As(err, &he) && he.Kind == hookline.KindMethod {
			w.Header().Set("Allow", strings.TrimPrefix(he.Msg, "method not allowed; this route accepts "))
		}
		writeError(w, s.log, err)
		return
	}
	if res.Sync {
		out := hookline.SyncOutput(res.Execution)
		status := http.StatusOK
		if res.Execution.Status != "success" {
			status = http.StatusBadGateway
		}
		w.Header().Set("X-Hookline-Execution-Id", res.Execution.ID)
		w.Header().Set("X-Hookline-Status", res.Execution.Status)
		writeJSON(w, status, out)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"execution_id": res.Execution.ID})
}

func queryMap(v url.Values) map[string]any {
	out := make(map[string]any, len(v))
	for k, vals := range v {
		if len(vals) == 1 {
			out[k] = vals[0]
		} else {
			list := make([]any, len(vals))
			for i, s := range vals {
				list[i] = s
			}
			out[k] = list
		}
	}
	return out
}
