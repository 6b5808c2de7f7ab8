package admin

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

const jobsPerPage = 50

var jobStates = []string{hookline.JobAvailable, hookline.JobRunning, hookline.JobCompleted, hookline.JobDead}

type jobsView struct {
	Rows         []*store.Job
	Scope        *scope
	Queue, State string
	States       []string
	NextURL      string
	Filtered     bool
}

// jobsPage lists the jobs enqueued by enqueue_job actions: what workers
// have yet to take, what they hold, what they finished, and the dead ones
// (out of attempts) with their last error.
func (h *Handler) jobsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	q := r.URL.Query()
	sc, err := h.scope(ctx, s)
	if err != nil {
		return err
	}
	v := jobsView{Scope: sc, Queue: strings.TrimSpace(q.Get("queue")), State: q.Get("state"), States: jobStates}
	if !slices.Contains(jobStates, v.State) {
		v.State = ""
	}
	v.Filtered = v.Queue != "" || v.State != ""
	v.Rows, err = h.e.ListJobs(ctx, s.p, v.Queue, v.State, store.Page{Limit: jobsPerPage, Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	if len(v.Rows) == jobsPerPage {
		nq := url.Values{}
		if v.Queue != "" {
			nq.Set("queue", v.Queue)
		}
		if v.State != "" {
			nq.Set("state", v.State)
		}
		nq.Set("cursor", v.Rows[len(v.Rows)-1].ID)
		v.NextURL = "/admin/jobs?" + nq.Encode()
	}
	h.render(w, r, s, http.StatusOK, "jobs", "Jobs", "jobs", &v)
	return nil
}

func (h *Handler) jobRetry(w http.ResponseWriter, r *http.Request, s *session) error {
	j, err := h.e.RetryJob(r.Context(), s.p, r.PathValue("id"))
	if err != nil {
		h.redirect(w, r, backTo(r, "/admin/jobs"), "error", "Could not retry: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, backTo(r, "/admin/jobs"), "ok", "Job "+j.ID+" is available to workers again.")
	return nil
}

func (h *Handler) jobDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	if err := h.e.DeleteJob(r.Context(), s.p, id); err != nil {
		h.redirect(w, r, backTo(r, "/admin/jobs"), "error", "Could not delete: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, backTo(r, "/admin/jobs"), "ok", "Deleted job "+id+".")
	return nil
}
