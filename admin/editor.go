package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// editorView is the hook editor: the form's values plus what the selects
// offer. It renders from url.Values so a failed save shows exactly what
// was typed.
type editorView struct {
	F           url.Values
	New         bool
	ID          string
	Hook        *hookline.HookView
	Scope       *scope
	Collections []string
	// Followed are the collections of tables followed by change capture.
	Followed    []string
	EventTypes  []*store.EventType
	Types       []*typeView
	HookOpts    []*hook.Hook
	Actions     []actionView
	Blank       actionView
	BlankCase   caseView
	Errors      []fieldErr
	InboundBase string
	Sample      string
	Schedule    template.HTML
	Flow        *flowView
}

// Active: the hook is enabled (Save keeps it so; no "Save and Activate").
func (v *editorView) Active() bool { return v.F.Get("enabled") == "true" }

// V is one form value.
func (v *editorView) V(k string) string { return v.F.Get(k) }

// Has reports whether a multi-value field holds val.
func (v *editorView) Has(k, val string) bool { return slices.Contains(v.F[k], val) }

// Times are the schedule card's times; at least one (empty) input.
func (v *editorView) Times() []string {
	if ts := nonEmpty(v.F["trigger.times"]); len(ts) > 0 {
		return ts
	}
	return []string{""}
}

// ErrorsJSON feeds server-side errors to the script that places them.
func (v *editorView) ErrorsJSON() string {
	if len(v.Errors) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v.Errors)
	return string(b)
}

var (
	weekdays   = [][2]string{{"mon", "Mon"}, {"tue", "Tue"}, {"wed", "Wed"}, {"thu", "Thu"}, {"fri", "Fri"}, {"sat", "Sat"}, {"sun", "Sun"}}
	timezones  = []string{"UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam", "Europe/Warsaw", "Europe/Kyiv", "Europe/Istanbul", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Mexico_City", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"}
	editorData = map[string]any{"Weekdays": weekdays, "Zones": timezones, "Categories": hook.Categories, "Roles": hook.Roles}
)

// Static is the editor's fixed option lists.
func (v *editorView) Static() map[string]any { return editorData }

// actionView is one action card of the editor.
type actionView struct {
	I          int
	Type       string
	Name       string
	JSON       bool
	ConfigJSON string
	Values     map[string]string
	Cases      []caseView
	Retry      map[string]string
}

// caseView is one case of an action: the same inputs as its action, filled
// where the case overrides the action's config, or JSON.
type caseView struct {
	I, J       int
	When       string
	JSON       bool
	ConfigJSON string
	Values     map[string]string
}

// Val is the value of a config field of type typ: the action's own when it
// has that type, else the field's default.
func (a actionView) Val(typ, name string) string {
	if typ == a.Type {
		if v, ok := a.Values[name]; ok {
			return v
		}
	}
	return ""
}

// Val is the case's value of field name when the action has type typ.
func (c caseView) Val(typ, name string) string { return c.Values[name] }

// HasRetry opens the retry section when something is set.
func (a actionView) HasRetry() bool {
	for _, v := range a.Retry {
		if v != "" {
			return true
		}
	}
	return false
}

func (c *catalog) actionsFromForm(f url.Values) []actionView {
	var out []actionView
	for pos, i := range actionIndices(f) {
		p := fmt.Sprintf("actions[%d]", i)
		a := actionView{I: pos, Type: f.Get(p + ".type"), Name: f.Get(p + ".name"), Values: map[string]string{}, Retry: map[string]string{}}
		if f.Has(p + ".config_json") {
			a.JSON, a.ConfigJSON = true, f.Get(p+".config_json")
		}
		t := c.get(a.Type)
		for _, fd := range t.Inputs {
			if k := p + ".config." + fd.Name; f.Has(k) {
				a.Values[fd.Name] = f.Get(k)
			}
		}
		for cpos, j := range caseIndices(f, i) {
			cp := fmt.Sprintf("%s.cases[%d]", p, j)
			cv := caseView{I: pos, J: cpos, When: f.Get(cp + ".when"), Values: map[string]string{}}
			if f.Has(cp+".config_json") || a.JSON {
				cv.JSON, cv.ConfigJSON = true, f.Get(cp+".config_json")
			}
			for _, fd := range t.Inputs {
				if k := cp + ".config." + fd.Name; f.Has(k) {
					cv.Values[fd.Name] = f.Get(k)
				}
			}
			a.Cases = append(a.Cases, cv)
		}
		for _, k := range []string{"max_attempts", "backoff", "initial", "max"} {
			a.Retry[k] = f.Get(p + ".retry." + k)
		}
		out = append(out, a)
	}
	return out
}

// newHookForm is the form of a hook not yet written.
func newHookForm(s *session, r *http.Request, first string) url.Values {
	f := url.Values{}
	f.Set("account_id", s.AccountID)
	f.Set("order", "100")
	f.Set("category", "other")
	f.Set("enabled", "false")
	f.Set("on_condition_error", "fire")
	f.Set("trigger_kind", "lifecycle")
	f.Set("trigger.event", hook.EventRecordCreate)
	f.Set("schedule_kind", "card")
	f.Set("trigger.timezone", "UTC")
	f.Set("trigger.misfire", "run_once")
	f.Set("trigger.respond", "accepted")
	f["trigger.methods"] = []string{"POST"}
	switch k := r.URL.Query().Get("trigger"); k {
	case "lifecycle", "hookable", "schedule", "inbound", "manual":
		f.Set("trigger_kind", k)
	}
	if ev := r.URL.Query().Get("event"); ev != "" {
		f.Set("trigger.event", ev)
	}
	if a := r.URL.Query().Get("account"); a != "" {
		f.Set("account_id", a)
	}
	f.Set("actions[0].type", first)
	return f
}

// editorView fills the selects for form f.
func (h *Handler) editorView(ctx context.Context, r *http.Request, s *session, f url.Values, hv *hookline.HookView) (*editorView, error) {
	sc, err := h.scope(ctx, s)
	if err != nil {
		return nil, err
	}
	owner := f.Get("account_id")
	if !sc.Has(owner) {
		owner = s.AccountID
	}
	v := &editorView{F: f, New: hv == nil, Hook: hv, Scope: sc, InboundBase: h.baseURL(r) + "/in/"}
	if hv != nil {
		v.ID = hv.ID
	}
	if cols, err := h.e.ListCollections(ctx, s.p, owner); err == nil {
		for _, c := range cols {
			v.Collections = append(v.Collections, c.Name)
		}
	}
	if v.Followed, err = h.e.SourceCollections(ctx, s.p, owner); err != nil {
		return nil, err
	}
	if v.EventTypes, err = h.e.ListEventTypes(ctx, s.p); err != nil {
		return nil, err
	}
	if v.HookOpts, err = h.e.ListHooks(ctx, s.p, hookline.HookQuery{Page: store.Page{Limit: 500}}); err != nil {
		return nil, err
	}
	v.Types = append(v.Types, h.cat.list...)
	v.Actions = h.cat.actionsFromForm(f)
	for _, a := range v.Actions {
		if _, known := h.cat.by[a.Type]; a.Type != "" && !known {
			v.Types = append(v.Types, h.cat.get(a.Type))
		}
	}
	blank := ""
	if len(v.Types) > 0 {
		blank = v.Types[0].Type
	}
	v.Blank = actionView{Type: blank, Values: map[string]string{}, Retry: map[string]string{}}
	v.Sample = sampleData(f)
	if f.Get("test_data") == "" {
		if seen, _ := h.editorSamples(ctx, s, f, 1); len(seen) > 0 {
			v.Sample = pretty(seen[0])
		}
	}
	if f.Get("trigger_kind") == "schedule" {
		hk, _ := h.cat.parseHookForm(f)
		v.Schedule, _ = h.schedulePreview(hk)
	}
	return v, nil
}

// sampleData is the test panel's starting data for the trigger.
func sampleData(f url.Values) string {
	if s := f.Get("test_data"); s != "" {
		return s
	}
	switch f.Get("trigger_kind") {
	case "lifecycle":
		return "{\n  \"id\": \"rec_sample\",\n  \"total\": 600,\n  \"customer_name\": \"Ada Lovelace\"\n}"
	case "inbound":
		return "{\n  \"amount\": 42\n}"
	}
	return "{}"
}

func (h *Handler) editorNew(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.editorView(r.Context(), r, s, newHookForm(s, r, h.cat.first()), nil)
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "editor", "Add New Hook", "hooks", v)
	return nil
}

func (h *Handler) editorEdit(w http.ResponseWriter, r *http.Request, s *session) error {
	hk, err := h.e.GetHook(r.Context(), s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	hv := h.e.View(hk)
	v, err := h.editorView(r.Context(), r, s, h.cat.hookForm(hk), hv)
	if err != nil {
		return err
	}
	v.Flow = h.flow(hk, hv, h.lastExecution(r.Context(), s, hk.ID), h.eventLabels(r.Context(), s))
	h.render(w, r, s, http.StatusOK, "editor", "Edit “"+hk.Name+"”", "hooks", v)
	return nil
}

// editorSave handles Save and Save and Activate, for new and existing hooks.
func (h *Handler) editorSave(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	f := r.PostForm
	id := r.PathValue("id")
	var old *hook.Hook
	if id != "" {
		var err error
		if old, err = h.e.GetHook(ctx, s.p, id); err != nil {
			return err
		}
	}
	hk, errs := h.cat.parseHookForm(f)
	activate := f.Get("intent") == "activate"
	if activate {
		hk.Enabled = true
	}
	again := func(errs []fieldErr) error {
		var hv *hookline.HookView
		if old != nil {
			hv = h.e.View(old)
		}
		v, err := h.editorView(ctx, r, s, f, hv)
		if err != nil {
			return err
		}
		v.Errors = errs
		title := "Add New Hook"
		if old != nil {
			title = "Edit “" + old.Name + "”"
		}
		h.render(w, r, s, http.StatusUnprocessableEntity, "editor", title, "hooks", v)
		return nil
	}
	if len(errs) > 0 {
		return again(errs)
	}
	var saved *hook.Hook
	var err error
	if old == nil {
		saved, err = h.e.CreateHook(ctx, s.p, hk)
	} else {
		var full *hook.Hook
		if full, err = keepUnformed(old, hk); err == nil {
			saved, err = h.e.ReplaceHook(ctx, s.p, old.ID, full)
		}
	}
	if err != nil {
		var he *hookline.Error
		if errors.As(err, &he) && he.Kind != hookline.KindForbidden && he.Kind != hookline.KindNotFound {
			return again([]fieldErr{{Field: fieldOrForm(he.Field), Message: he.Msg}})
		}
		return err
	}
	msg := "Saved “" + saved.Name + "”."
	switch {
	case activate:
		msg = "Saved and activated “" + saved.Name + "”."
	case !saved.Enabled:
		msg += " It is not active yet."
	}
	if ws, _ := h.e.HookWarnings(ctx, s.p, saved); len(ws) > 0 {
		msg += " Note: " + ws[0].Message + "."
		if len(ws) > 1 {
			msg += fmt.Sprintf(" (%d more notes beside the fields.)", len(ws)-1)
		}
	}
	kind := "ok"
	if len(h.e.View(saved).Warnings) > 0 { // an action cannot deliver: its runs will fail
		kind = "warn"
	}
	h.redirect(w, r, "/admin/hooks/"+saved.ID, kind, msg)
	return nil
}

// withWarnings adds a hook's warnings (an action whose provider is not
// configured) to a confirmation, which then shows as a warning.
func withWarnings(v *hookline.HookView, msg string) (kind, out string) {
	if len(v.Warnings) == 0 {
		return "ok", msg
	}
	return "warn", msg + " Warning: " + strings.Join(v.Warnings, " ")
}

func fieldOrForm(f string) string {
	if strings.TrimSpace(f) == "" {
		return "form"
	}
	return f
}
