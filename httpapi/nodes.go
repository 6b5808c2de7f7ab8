package httpapi

import (
	"net/http"

	"github.com/hookline/hookline"
)

func (s *Server) listNodes(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	nodes, err := s.e.Nodes(r.Context(), p)
	if err != nil {
		return err
	}
	list(w, nodes, 0, func(n hookline.NodeStatus) string { return n.ID })
	return nil
}
