package admin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

const executionsPerPage = 50

var (
	triggerTypes = hook.ExecutionTriggerTypes
	periods      = [][2]string{{"1h", "Last hour"}, {"24h", "Last 24 hours"}, {"168h", "Last 7 days"}, {"720h", "Last 30 days"}, {"", "Any time"}, {"custom", "Custom range…"}}
)

type executionsView struct {
	Rows                    []*hook.Execution
	HookNames               map[string]string
	Hooks                   []*hook.Hook
	HookID, Status, Trigger string
	Period, From, Until     string
	Statuses, Triggers      []string
	Periods                 [][2]string
	NextURL                 string
	Live                    bool
	Filtered                bool
}

// HookName names a hook of the rows (deleted hooks show their id).
func (v *executionsView) HookName(id string) string {
	if n, ok := v.HookNames[id]; ok {
		return n
	}
	return id
}

func parseLocalUTC(s string) (*time.Time, bool) {
	if s == "" {
		return nil, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return &t, true
		}
	}
	return nil, false
}

// executionsPage is the execution log with its filters.
func (h *Handler) executionsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	q := r.URL.Query()
	v := executionsView{
		HookID: q.Get("hook_id"), Status: q.Get("status"), Trigger: q.Get("trigger_type"),
		Period: q.Get("period"), From: q.Get("from"), Until: q.Get("until"),
		Statuses: hook.Statuses, Triggers: triggerTypes, Periods: periods, HookNames: map[string]string{},
	}
	if !q.Has("period") {
		v.Period = "168h"
	}
	f := store.ExecutionFilter{HookID: v.HookID, Page: store.Page{Limit: executionsPerPage, Cursor: q.Get("cursor")}}
	if slices.Contains(hook.Statuses, v.Status) {
		f.Status = v.Status
	} else {
		v.Status = ""
	}
	if slices.Contains(triggerTypes, v.Trigger) {
		f.TriggerType = v.Trigger
	} else {
		v.Trigger = ""
	}
	if (v.From != "" || v.Until != "") && !q.Has("period") {
		v.Period = "custom"
	}
	if d, err := time.ParseDuration(v.Period); err == nil && d > 0 {
		since := h.now().Add(-d)
		f.Since = &since
		v.From, v.Until = "", ""
	} else if v.Period != "custom" {
		v.Period, v.From, v.Until = "", "", ""
	}
	if t, ok := parseLocalUTC(v.From); ok && t != nil {
		f.Since = t
	} else if !ok {
		v.From = ""
	}
	if t, ok := parseLocalUTC(v.Until); ok && t != nil {
		f.Until = t
	} else if !ok {
		v.Until = ""
	}
	v.Filtered = v.HookID != "" || v.Status != "" || v.Trigger != "" || v.From != "" || v.Until != "" || v.Period != "168h"
	hooks, err := h.e.ListHooks(ctx, s.p, hookline.HookQuery{Page: store.Page{Limit: 500}})
	if err != nil {
		return err
	}
	v.Hooks = hooks
	for _, hk := range hooks {
		v.HookNames[hk.ID] = hk.Name
	}
	if v.Rows, err = h.e.ListExecutions(ctx, s.p, f); err != nil {
		return err
	}
	for _, x := range v.Rows {
		if !x.Done() {
			v.Live = true
		}
	}
	if len(v.Rows) == executionsPerPage {
		nq := url.Values{}
		for _, k := range []string{"hook_id", "status", "trigger_type", "period", "from", "until"} {
			if q.Has(k) {
				nq.Set(k, q.Get(k))
			}
		}
		nq.Set("cursor", v.Rows[len(v.Rows)-1].ID)
		v.NextURL = "/admin/executions?" + nq.Encode()
	}
	h.render(w, r, s, http.StatusOK, "executions", "Execution log", "executions", &v)
	return nil
}

type executionView struct {
	X        *hook.Execution
	HookName string
	HookGone bool
	Total    int
	CanRetry bool
	// Condition is the hook's condition and Values what its variables were
	// in this execution's context.
	Condition string
	Values    []condValue
	// Version is the hook version the run used, read from the execution's
	// JSON so it shows as soon as the engine records it.
	Version string
	// CurrentVersion is the hook's version now, when it differs.
	CurrentVersion string
	// OldVersion: the hook changed since the execution ran (it can be
	// replayed as it ran).
	OldVersion bool
}

// condValue is a condition's variable and its value, as JSON.
type condValue struct {
	Path, JSON string
	Missing    bool
}

func (h *Handler) executionPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	x, err := h.e.GetExecution(ctx, s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := executionView{X: x, HookName: x.HookID, Version: extraString(x, "hook_version")}
	if hk, err := h.e.GetHook(ctx, s.p, x.HookID); err == nil {
		v.HookName, v.Total = hk.Name, len(hk.Actions)
		v.Condition = hk.Condition
		if now := extraString(hk, "version"); now != v.Version && v.Version != "" {
			v.CurrentVersion = now
		}
		for _, cv := range h.e.ConditionValues(x, hk.Condition) {
			b, _ := json.Marshal(cv.Value)
			v.Values = append(v.Values, condValue{Path: cv.Path, JSON: string(b), Missing: cv.Value == nil})
		}
		v.OldVersion = x.HookVersion != 0 && int(x.HookVersion) != hk.Version
	} else {
		v.HookGone = true
	}
	v.CanRetry = x.Status == hook.StatusPartial || x.Status == hook.StatusFailed
	h.render(w, r, s, http.StatusOK, "execution", "Execution "+x.ID, "executions", v)
	return nil
}

func (h *Handler) executionReplay(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	from := r.PostForm.Get("from")
	x, err := h.e.ReplayExecution(r.Context(), s.p, id, hookline.ReplayOptions{From: from, Version: r.PostForm.Get("version")})
	if err != nil {
		h.redirect(w, r, "/admin/executions/"+id, "error", "Could not replay: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, "/admin/executions/"+x.ID, "ok", "Replayed as a new execution.")
	return nil
}
