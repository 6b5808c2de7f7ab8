package admin

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/hookline/hookline/hook"
)

type sourcesView struct {
	Rows  []*hook.Source
	Scope *scope
}

// sourcesPage lists the change-capture sources: how each goes (state, lag,
// last error), what it follows and how fast.
func (h *Handler) sourcesPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	sc, err := h.scope(ctx, s)
	if err != nil {
		return err
	}
	v := sourcesView{Scope: sc}
	if v.Rows, err = h.e.ListSources(ctx, s.p, ""); err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "sources", "Sources", "sources", &v)
	return nil
}

// byteSize shows a byte count in B, KiB, MiB or GiB.
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

// cdcCollection is the collection a followed table's events carry.
func cdcCollection(table string) string { return strings.TrimPrefix(table, "public.") }
