package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

const hooksPerPage = 50

type hookRow struct {
	N       int
	H       *hookline.HookView
	Trigger string
	Owner   string
	Last    *hook.Execution
	NextRun *time.Time
}

type hooksView struct {
	Rows                             []hookRow
	Q, TriggerType, Enabled, Account string
	Scope                            *scope
	NextURL                          string
	Filtered                         bool
}

// hooksPage is the hooks table with search, filters and row actions.
func (h *Handler) hooksPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	sc, err := h.scope(ctx, s)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	v := hooksView{Q: strings.TrimSpace(q.Get("q")), TriggerType: q.Get("trigger_type"), Enabled: q.Get("enabled"), Scope: sc}
	hq := hookline.HookQuery{Q: v.Q, Page: store.Page{Limit: hooksPerPage, Cursor: q.Get("cursor")}}
	switch v.TriggerType {
	case hook.TriggerEvent, hook.TriggerSchedule, hook.TriggerInbound, hook.TriggerManual:
		hq.TriggerType = v.TriggerType
	default:
		v.TriggerType = ""
	}
	switch v.Enabled {
	case "true", "false":
		b := v.Enabled == "true"
		hq.Enabled = &b
	default:
		v.Enabled = ""
	}
	if a := q.Get("account"); a != "" && sc.Has(a) {
		v.Account, hq.AccountID = a, a
	}
	v.Filtered = v.Q != "" || v.TriggerType != "" || v.Enabled != "" || v.Account != ""
	list, err := h.e.ListHooks(ctx, s.p, hq)
	if err != nil {
		return err
	}
	labels := h.eventLabels(ctx, s)
	from, _ := strconv.Atoi(q.Get("from"))
	for i, hk := range list {
		row := hookRow{N: from + i + 1, H: h.e.View(hk), Owner: sc.Name(hk.AccountID)}
		row.Trigger = triggerWords(&hk.Trigger, row.H.ScheduleDescription, labels)
		if len(row.H.NextRuns) > 0 {
			row.NextRun = &row.H.NextRuns[0]
		} else if hk.NextRunAt != nil {
			row.NextRun = hk.NextRunAt
		}
		last, err := h.e.ListExecutions(ctx, s.p, store.ExecutionFilter{HookID: hk.ID, Page: store.Page{Limit: 1}})
		if err != nil {
			return err
		}
		if len(last) > 0 {
			row.Last = last[0]
		}
		v.Rows = append(v.Rows, row)
	}
	if len(list) == hooksPerPage {
		nq := url.Values{}
		for _, k := range []string{"q", "trigger_type", "enabled", "account"} {
			if q.Get(k) != "" {
				nq.Set(k, q.Get(k))
			}
		}
		nq.Set("cursor", list[len(list)-1].ID)
		nq.Set("from", strconv.Itoa(from+len(list)))
		v.NextURL = "/admin/hooks?" + nq.Encode()
	}
	h.render(w, r, s, http.StatusOK, "hooks", "Hooks & Actions", "hooks", v)
	return nil
}

// eventLabels maps hookable event ids to their labels.
func (h *Handler) eventLabels(ctx context.Context, s *session) map[string]string {
	m := map[string]string{}
	list, err := h.e.ListEventTypes(ctx, s.p)
	if err != nil {
		return m
	}
	for _, t := range list {
		m[t.ID] = t.Label
	}
	return m
}

var lifecycleWords = map[string]string{
	hook.EventRecordCreate: "created", hook.EventRecordUpdate: "updated", hook.EventRecordDelete: "deleted",
}

// triggerWords says when a hook runs, in words.
func triggerWords(t *hook.Trigger, schedDesc *string, labels map[string]string) string {
	switch t.Type {
	case hook.TriggerEvent:
		if w, ok := lifecycleWords[t.Event]; ok {
			if t.Collection != "" {
				return fmt.Sprintf("Record %s in %s", w, t.Collection)
			}
			return "Record " + w + " in any collection"
		}
		switch t.Event {
		case hook.EventAuthLogin:
			return "When someone signs in"
		case hook.EventAuthRegister:
			return "When someone registers"
		case hook.EventExecutionFailed:
			return "When a run of a hook fails for good"
		case hook.EventHookDisabled:
			return "When hookline disables a hook"
		}
		if l, ok := labels[t.Event]; ok {
			return fmt.Sprintf("On event %s (%s)", t.Event, l)
		}
		return "On event " + t.Event
	case hook.TriggerSchedule:
		if schedDesc != nil {
			return *schedDesc
		}
		return "On a schedule"
	case hook.TriggerInbound:
		m := strings.Join(t.Methods, ", ")
		if m == "" {
			m = "POST"
		}
		return fmt.Sprintf("%s to /%s", m, t.Path)
	case hook.TriggerManual:
		return "Manually (API or this UI)"
	}
	return t.Type
}

func (h *Handler) hookDuplicate(w http.ResponseWriter, r *http.Request, s *session) error {
	c, err := h.e.DuplicateHook(r.Context(), s.p, r.PathValue("id"))
	if err != nil {
		h.redirect(w, r, backTo(r, "/admin/hooks"), "error", "Could not duplicate: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, "/admin/hooks/"+c.ID, "ok", "Duplicated as “"+c.Name+"” (disabled).")
	return nil
}

func (h *Handler) hookSetEnabled(w http.ResponseWriter, r *http.Request, s *session) error {
	on := r.PostForm.Get("enabled") == "true"
	hk, err := h.e.PatchHook(r.Context(), s.p, r.PathValue("id"), map[string]any{"enabled": on})
	if err != nil {
		h.redirect(w, r, backTo(r, "/admin/hooks"), "error", "Could not change the hook: "+msgOf(err))
		return nil
	}
	state := "disabled"
	if hk.Enabled {
		state = "enabled"
	}
	kind, msg := "ok", "“"+hk.Name+"” is "+state+"."
	if hk.Enabled {
		kind, msg = withWarnings(h.e.View(hk), msg)
	}
	h.redirect(w, r, backTo(r, "/admin/hooks"), kind, msg)
	return nil
}

func (h *Handler) hookDeleteConfirm(w http.ResponseWriter, r *http.Request, s *session) error {
	hk, err := h.e.GetHook(r.Context(), s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "hook_delete", "Delete hook", "hooks", hk)
	return nil
}

func (h *Handler) hookDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	hk, err := h.e.GetHook(ctx, s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := h.e.DeleteHook(ctx, s.p, hk.ID); err != nil {
		return err
	}
	h.redirect(w, r, "/admin/hooks", "ok", "Deleted “"+hk.Name+"”.")
	return nil
}

// backTo is the form's "back" field when it is an admin page.
func backTo(r *http.Request, def string) string {
	b := r.PostForm.Get("back")
	if b == "" {
		return def
	}
	if n := safeNext(b); n != "/admin/" || b == "/admin/" {
		return n
	}
	return def
}

// msgOf is an error's message fit for a flash.
func msgOf(err error) string {
	_, m := errMessage(err)
	return m
}
