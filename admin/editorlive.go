package admin

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/rule"
	"github.com/hookline/hookline/schedule"
)

// liveErrors checks an unsaved hook as the editor is typed into: every
// expression is compiled on its own (so several show at once), then the
// engine validates the whole hook as a save would.
func (h *Handler) liveErrors(ctx context.Context, s *session, hk *hook.Hook, errs []fieldErr) []fieldErr {
	seen := map[string]bool{}
	add := func(field, msg string) {
		field = fieldOrForm(field)
		if !seen[field] {
			seen[field] = true
			errs = append(errs, fieldErr{field, msg})
		}
	}
	for _, e := range errs {
		seen[e.Field] = true
	}
	lim := h.e.Config().Expr
	if hk.Condition != "" {
		if _, err := rule.Compile(hk.Condition, lim); err != nil {
			add("condition", ruleMsg(err))
		}
	}
	for i, a := range hk.Actions {
		for j, c := range a.Cases {
			if strings.TrimSpace(c.When) == "" {
				continue
			}
			if _, err := rule.Compile(c.When, lim); err != nil {
				add(caseField(i, j, "when"), ruleMsg(err))
			}
		}
	}
	if hk.Trigger.Type == hook.TriggerSchedule {
		if _, err := schedule.Parse(scheduleInput(&hk.Trigger)); err != nil {
			var se *schedule.Error
			if errors.As(err, &se) {
				add("trigger."+se.Field, se.Msg)
			}
		}
	}
	{
		if err := h.e.ValidateHook(ctx, s.p, hk); err != nil {
			var he *hookline.Error
			if errors.As(err, &he) {
				f := he.Field
				if f == "" && he.Kind == hookline.KindNotFound {
					f = "account_id"
				}
				add(f, he.Msg)
			} else {
				add("form", "could not check the hook: "+msgOf(err))
			}
		}
	}
	return errs
}

func caseField(i, j int, f string) string {
	return "actions[" + itoa(i) + "].cases[" + itoa(j) + "]." + f
}

func itoa(i int) string { return strconv.Itoa(i) }

func ruleMsg(err error) string {
	var re *rule.Error
	if errors.As(err, &re) {
		if re.Pos >= 0 {
			return re.Msg + " (at character " + itoa(re.Pos+1) + ")"
		}
		return re.Msg
	}
	return err.Error()
}

func scheduleInput(t *hook.Trigger) schedule.Input {
	return schedule.Input{
		Cron: t.Cron, Every: t.Every, OnceAt: t.OnceAt, Timezone: t.Timezone,
		StartAt: t.StartAt, EndAt: t.EndAt, Misfire: t.Misfire,
		Weekdays: t.Weekdays, Times: t.Times, MaxRuns: t.MaxRuns,
	}
}

// scheduleView is the live preview of a schedule: its description and
// next runs, or why it cannot run.
type scheduleView struct {
	Description string
	Runs        []scheduleRun
	Error       string
	Zone        string
	Capped      int
}

type scheduleRun struct {
	Local, UTC, Rel string
	ISO             string
}

// schedulePreview renders the next five slots (fewer with max_runs) of
// hk's schedule as they would run from now.
func (h *Handler) schedulePreview(hk *hook.Hook) (template.HTML, error) {
	v := scheduleView{}
	spec, err := schedule.Parse(scheduleInput(&hk.Trigger))
	if err != nil {
		var se *schedule.Error
		if errors.As(err, &se) {
			v.Error = se.Msg
		} else {
			v.Error = err.Error()
		}
	} else {
		v.Description = spec.Describe()
		loc := spec.Location()
		v.Zone = loc.String()
		n := 5
		if m := hk.Trigger.MaxRuns; m > 0 && m < n {
			n, v.Capped = m, m
		}
		now := h.now()
		for _, t := range spec.NextN(now, n) {
			v.Runs = append(v.Runs, scheduleRun{
				Local: t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST"),
				UTC:   t.UTC().Format("15:04 UTC"),
				Rel:   ago(t, now),
				ISO:   t.UTC().Format(time.RFC3339),
			})
		}
	}
	s, err := h.fragment("schedule_preview", v)
	return template.HTML(s), err
}

type liveAnswer struct {
	Errors   []fieldErr         `json:"errors"`
	Warnings []hookline.Warning `json:"warnings"`
	Schedule string             `json:"schedule,omitempty"`
}

// editorLive answers the editor's background check: field errors and the
// schedule preview.
func (h *Handler) editorLive(w http.ResponseWriter, r *http.Request, s *session) error {
	hk, errs := h.cat.parseHookForm(r.PostForm)
	ans := liveAnswer{Errors: h.liveErrors(r.Context(), s, hk, errs)}
	if ans.Errors == nil {
		ans.Errors = []fieldErr{}
	}
	ans.Warnings, _ = h.e.HookWarnings(r.Context(), s.p, hk)
	if ans.Warnings == nil {
		ans.Warnings = []hookline.Warning{}
	}
	if hk.Trigger.Type == hook.TriggerSchedule {
		html, err := h.schedulePreview(hk)
		if err != nil {
			return err
		}
		ans.Schedule = string(html)
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}
