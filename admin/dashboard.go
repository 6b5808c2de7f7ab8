package admin

import (
	"html/template"
	"net/http"
	"sort"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

type hookRank struct {
	ID, Name string
	Runs     int
	Failures int
	AvgMS    int64
	MaxMS    int64
	FailRate int // percent
	Bar      template.HTML
}

type dashboardView struct {
	Day, Week        *series
	Hooks, Enabled   int
	Slowest, Failing []hookRank
	Recent           []*hook.Execution
	HookNames        map[string]string
}

// HookName names a hook (deleted hooks show their id).
func (v *dashboardView) HookName(id string) string {
	if n, ok := v.HookNames[id]; ok {
		return n
	}
	return id
}

// dashboard: executions over time by status (24 h, 7 d) and the slowest
// and most failing hooks of the week.
func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	now := h.now().UTC()
	v := &dashboardView{HookNames: map[string]string{}}

	daySince := now.Truncate(time.Hour).Add(-23 * time.Hour)
	stats, err := h.e.ExecutionStats(ctx, s.p, daySince, time.Hour)
	if err != nil {
		return err
	}
	v.Day = &series{Title: "Executions, last 24 hours (UTC, per hour)", Every: 3,
		Label: func(t time.Time) string { return t.Format("15:04") },
		Span:  func(t time.Time) string { return t.Format("Jan 2, 15:00") + "–" + t.Add(time.Hour).Format("15:00") }}
	v.Day.Buckets, v.Day.Totals, v.Day.Total = fillSeries(stats, daySince, time.Hour, 24)

	weekSince := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -6)
	if stats, err = h.e.ExecutionStats(ctx, s.p, weekSince, 6*time.Hour); err != nil {
		return err
	}
	v.Week = &series{Title: "Executions, last 7 days (UTC, per 6 hours)", Every: 4,
		Label: func(t time.Time) string { return t.Format("Mon 2") },
		Span: func(t time.Time) string {
			return t.Format("Mon Jan 2, 15:00") + "–" + t.Add(6*time.Hour).Format("15:00")
		}}
	v.Week.Buckets, v.Week.Totals, v.Week.Total = fillSeries(stats, weekSince, 6*time.Hour, 28)

	hooks, err := h.e.ListHooks(ctx, s.p, hookline.HookQuery{Page: store.Page{Limit: 500}})
	if err != nil {
		return err
	}
	for _, hk := range hooks {
		v.HookNames[hk.ID] = hk.Name
		v.Hooks++
		if hk.Enabled {
			v.Enabled++
		}
	}
	if err := h.rankHooks(r, s, v, now.Add(-7*24*time.Hour)); err != nil {
		return err
	}
	if v.Recent, err = h.e.ListExecutions(ctx, s.p, store.ExecutionFilter{Page: store.Page{Limit: 8}}); err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "dashboard", "Dashboard", "dashboard", v)
	return nil
}

// rankHooks ranks the hooks by average duration and by failures over the
// executions since then (summed by the database).
func (h *Handler) rankHooks(r *http.Request, s *session, v *dashboardView, since time.Time) error {
	stats, err := h.e.HookStats(r.Context(), s.p, since)
	if err != nil {
		return err
	}
	var ranks []hookRank
	for _, st := range stats {
		rk := hookRank{ID: st.HookID, Name: v.HookName(st.HookID), Runs: st.Runs, Failures: st.Failures, MaxMS: st.MaxMS}
		if st.Timed > 0 {
			rk.AvgMS = st.TotalMS / int64(st.Timed)
		}
		rk.FailRate = 100 * st.Failures / st.Runs
		ranks = append(ranks, rk)
	}
	slow := top5(ranks, func(r hookRank) int64 { return r.AvgMS }, true, "bar-slow")
	failing := top5(ranks, func(r hookRank) int64 { return int64(r.Failures) }, false, "st-failed")
	v.Slowest, v.Failing = slow, failing
	return nil
}

// top5 are the five ranks with the highest score (ties by name; a zero
// score only with keepZero), each with a bar scaled to the first.
func top5(ranks []hookRank, score func(hookRank) int64, keepZero bool, barClass string) []hookRank {
	var out []hookRank
	for _, r := range ranks {
		if keepZero || score(r) > 0 {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := score(out[i]), score(out[j]); a != b {
			return a > b
		}
		return out[i].Name < out[j].Name
	})
	out = out[:min(len(out), 5)]
	for i := range out {
		out[i].Bar = barSVG(float64(score(out[i])), float64(score(out[0])), barClass)
	}
	return out
}
