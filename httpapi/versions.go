package httpapi

import (
	"net/http"
	"strconv"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
)

// versionParam reads the {n} of a version route.
func versionParam(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return 0, &hookline.Error{Kind: hookline.KindNotFound, Msg: "no such version: versions are numbered 1, 2, …"}
	}
	return n, nil
}

func (s *Server) listHookVersions(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	vs, err := s.e.ListHookVersions(r.Context(), p, r.PathValue("id"), pg)
	if err != nil {
		return err
	}
	list(w, vs, pg.Limit, func(v *hook.Version) string { return strconv.Itoa(v.Version) })
	return nil
}

func (s *Server) getHookVersion(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	v, err := s.e.GetHookVersion(r.Context(), p, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) restoreHookVersion(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	n, err := versionParam(r)
	if err != nil {
		return err
	}
	h, err := s.e.RestoreHookVersion(r.Context(), p, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.e.View(h))
	return nil
}
