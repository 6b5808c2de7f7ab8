package httpapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func (s *Server) createHook(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in hook.Hook
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	h, err := s.e.CreateHook(r.Context(), p, &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.e.View(h))
	return nil
}

func (s *Server) listHooks(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	enabled, err := boolParam(r, "enabled")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	tt := q.Get("trigger_type")
	switch tt {
	case "", hook.TriggerEvent, hook.TriggerSchedule, hook.TriggerInbound, hook.TriggerManual:
	default:
		return &hookline.Error{Kind: hookline.KindInvalid, Field: "trigger_type", Msg: "must be event, schedule, inbound or manual"}
	}
	hooks, err := s.e.ListHooks(r.Context(), p, hookline.HookQuery{AccountID: q.Get("account_id"), TriggerType: tt, Enabled: enabled, Q: q.Get("q"), Key: q.Get("key"), Page: pg})
	if err != nil {
		return err
	}
	views := make([]*hookline.HookView, len(hooks))
	for i, h := range hooks {
		views[i] = s.e.View(h)
	}
	list(w, views, pg.Limit, func(v *hookline.HookView) string { return v.ID })
	return nil
}

func (s *Server) getHook(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	h, err := s.e.GetHook(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, s.e.View(h))
	return nil
}

func (s *Server) replaceHook(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in hook.Hook
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	h, err := s.e.ReplaceHook(r.Context(), p, r.PathValue("id"), &in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, s.e.View(h))
	return nil
}

func (s *Server) patchHook(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var patch map[string]any
	if err := decode(w, r, maxBody, &patch); err != nil {
		return err
	}
	h, err := s.e.PatchHook(r.Context(), p, r.PathValue("id"), patch)
	if err != nil {
		return err
	}
	writeJSON(w, 200, s.e.View(h))
	return nil
}

func (s *Server) deleteHook(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	if err := s.e.DeleteHook(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) duplicateHook(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	h, err := s.e.DuplicateHook(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.e.View(h))
	return nil
}

type dataBody struct {
	Data map[string]any `json:"data"`
}

// readData reads an optional {"data": {...}} body.
func readData(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	if r.ContentLength == 0 {
		return map[string]any{}, nil
	}
	var b dataBody
	if err := decode(w, r, maxBody, &b); err != nil {
		return nil, err
	}
	return b.Data, nil
}

func (s *Server) triggerHook(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var wait time.Duration
	if ws := r.URL.Query().Get("wait"); ws != "" {
		d, err := time.ParseDuration(ws)
		if err != nil || d < 0 {
			return &hookline.Error{Kind: hookline.KindInvalid, Field: "wait", Msg: "must be a duration like 30s"}
		}
		wait = d
	}
	data, err := readData(w, r)
	if err != nil {
		return err
	}
	x, err := s.e.TriggerHook(r.Context(), p, r.PathValue("id"), data)
	if err != nil {
		return err
	}
	if wait > 0 {
		x, err = s.e.WaitExecution(r.Context(), x.ID, wait)
		if err != nil {
			return err
		}
		status := http.StatusOK
		if !x.Done() {
			status = http.StatusAccepted
		}
		writeJSON(w, status, x)
		return nil
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"execution_id": x.ID})
	return nil
}

func (s *Server) testHook(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	data, err := readData(w, r)
	if err != nil {
		return err
	}
	res, err := s.e.TestHook(r.Context(), p, r.PathValue("id"), data)
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

func (s *Server) hookExecutions(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	if _, err := s.e.GetHook(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return s.executions(w, r, p, r.PathValue("id"))
}

func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	return s.executions(w, r, p, r.URL.Query().Get("hook_id"))
}

func (s *Server) executions(w http.ResponseWriter, r *http.Request, p hookline.Principal, hookID string) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	f := store.ExecutionFilter{HookID: hookID, Status: r.URL.Query().Get("status"), TriggerType: r.URL.Query().Get("trigger_type"), Page: pg}
	if f.TriggerType != "" && !slices.Contains(hook.ExecutionTriggerTypes, f.TriggerType) {
		return &hookline.Error{Kind: hookline.KindInvalid, Field: "trigger_type", Msg: "must be one of " + strings.Join(hook.ExecutionTriggerTypes, ", ")}
	}
	if f.Since, err = timeParam(r, "since"); err != nil {
		return err
	}
	if f.Until, err = timeParam(r, "until"); err != nil {
		return err
	}
	if f.Exhausted, err = boolParam(r, "exhausted"); err != nil {
		return err
	}
	xs, err := s.e.ListExecutions(r.Context(), p, f)
	if err != nil {
		return err
	}
	list(w, xs, pg.Limit, func(x *hook.Execution) string { return x.ID })
	return nil
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	x, err := s.e.GetExecution(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, x)
	return nil
}

func (s *Server) replayExecution(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var o hookline.ReplayOptions
	if r.ContentLength > 0 {
		if err := decode(w, r, maxBody, &o); err != nil {
			return err
		}
	}
	x, err := s.e.ReplayExecution(r.Context(), p, r.PathValue("id"), o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"execution_id": x.ID})
	return nil
}

func (s *Server) bulkReplay(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in struct {
		Filter hookline.ReplayFilter `json:"filter"`
		From   string                `json:"from"`
	}
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	ids, err := s.e.ReplayExecutions(r.Context(), p, in.Filter, hookline.ReplayOptions{From: in.From})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"execution_ids": ids})
	return nil
}
