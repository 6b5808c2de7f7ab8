package httpapi

import (
	"net/http"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

type jobView struct {
	ID      string `json:"id"`
	Queue   string `json:"queue"`
	Payload any    `json:"payload"`
	Attempt int    `json:"attempt"`
}

func (s *Server) claimJob(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in struct {
		Queue string `json:"queue"`
		Lease string `json:"lease"`
	}
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	var lease time.Duration
	if in.Lease != "" {
		d, err := time.ParseDuration(in.Lease)
		if err != nil {
			return &hookline.Error{Kind: hookline.KindInvalid, Field: "lease", Msg: "must be a duration like 30s"}
		}
		lease = d
	}
	j, err := s.e.ClaimJob(r.Context(), p, in.Queue, lease)
	if err != nil {
		return err
	}
	if j == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, 200, map[string]any{"job": jobView{j.ID, j.Queue, j.Payload, j.Attempt}})
	return nil
}

func (s *Server) ackJob(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	j, err := s.e.AckJob(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, j)
	return nil
}

func (s *Server) failJob(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in struct {
		Error   string `json:"error"`
		RetryIn string `json:"retry_in"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, maxBody, &in); err != nil {
			return err
		}
	}
	retry := time.Duration(-1) // the backoff
	if in.RetryIn != "" {
		d, err := time.ParseDuration(in.RetryIn)
		if err != nil || d < 0 {
			return &hookline.Error{Kind: hookline.KindInvalid, Field: "retry_in", Msg: "must be a duration like 10s"}
		}
		retry = d
	}
	j, err := s.e.FailJob(r.Context(), p, r.PathValue("id"), in.Error, retry)
	if err != nil {
		return err
	}
	writeJSON(w, 200, j)
	return nil
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	js, err := s.e.ListJobs(r.Context(), p, r.URL.Query().Get("queue"), r.URL.Query().Get("state"), pg)
	if err != nil {
		return err
	}
	list(w, js, pg.Limit, func(j *store.Job) string { return j.ID })
	return nil
}
