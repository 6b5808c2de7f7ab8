package httpapi

import (
	"net/http"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
)

func (s *Server) createSource(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in hookline.SourceInput
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	src, err := s.e.CreateSource(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, src)
	return nil
}

func (s *Server) listSources(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	srcs, err := s.e.ListSources(r.Context(), p, r.URL.Query().Get("account_id"))
	if err != nil {
		return err
	}
	list(w, srcs, 0, func(s *hook.Source) string { return s.ID })
	return nil
}

func (s *Server) getSource(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	src, err := s.e.GetSource(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) deleteSource(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	force, err := boolParam(r, "force")
	if err != nil {
		return err
	}
	if err := s.e.DeleteSource(r.Context(), p, r.PathValue("id"), force != nil && *force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
