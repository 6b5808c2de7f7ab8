package admin

import (
	"net/http"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

type eventsView struct {
	Types   []*store.EventType
	Scope   *scope
	Account string
	Form    struct{ ID, Label string }
	Error   string
}

var eventSources = [][2]string{
	{"305", "JavaScript SDK events"},
	{"702", "Integration apps without UI"},
	{"703", "External apps with UI"},
}

// Source names an event id's source.
func (eventsView) Source(id string) string {
	for _, s := range eventSources {
		if strings.HasPrefix(id, s[0]) {
			return s[1]
		}
	}
	return ""
}

// Sources are the id prefixes.
func (eventsView) Sources() [][2]string { return eventSources }

func (h *Handler) eventsView(r *http.Request, s *session) (*eventsView, error) {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return nil, err
	}
	v := &eventsView{Scope: sc, Account: sc.pick(r, s.AccountID)}
	v.Types, err = h.e.ListEventTypes(r.Context(), s.p)
	return v, err
}

// eventsPage lists the hookable events registry and registers new ones.
func (h *Handler) eventsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.eventsView(r, s)
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "events", "Hookable events", "events", v)
	return nil
}

func (h *Handler) eventCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	in := hookline.EventTypeInput{ID: strings.TrimSpace(r.PostForm.Get("id")), Label: r.PostForm.Get("label"), AccountID: r.PostForm.Get("account")}
	if _, err := h.e.CreateEventTypes(r.Context(), s.p, []hookline.EventTypeInput{in}); err != nil {
		v, verr := h.eventsView(r, s)
		if verr != nil {
			return verr
		}
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusNotFound {
			return err
		}
		v.Error, v.Form.ID, v.Form.Label = msg, in.ID, in.Label
		h.render(w, r, s, st, "events", "Hookable events", "events", v)
		return nil
	}
	h.redirect(w, r, "/admin/events", "ok", "Registered event "+in.ID+".")
	return nil
}

func (h *Handler) eventDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	if err := h.e.DeleteEventType(r.Context(), s.p, r.PostForm.Get("account"), id); err != nil {
		h.redirect(w, r, "/admin/events", "error", "Could not remove: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, "/admin/events", "ok", "Removed event "+id+".")
	return nil
}
