package admin

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// chartStatuses are stacked bottom-up in this order.
var chartStatuses = []string{
	hook.StatusSuccess, hook.StatusSkipped, hook.StatusPartial, hook.StatusFailed,
	hook.StatusCancelled, hook.StatusRunning, hook.StatusPending,
}

// series is a chart of executions per time bucket by status.
type series struct {
	Title   string
	Buckets []bucket
	Totals  map[string]int
	Total   int
	Label   func(time.Time) string
	Span    func(time.Time) string
	Every   int // label every n-th bucket
}

type bucket struct {
	Start time.Time
	By    map[string]int
	Sum   int
}

// fillSeries lays stats over n buckets of step from since (buckets without
// executions are missing from the store's answer).
func fillSeries(stats []store.StatBucket, since time.Time, step time.Duration, n int) ([]bucket, map[string]int, int) {
	out := make([]bucket, n)
	for i := range out {
		out[i] = bucket{Start: since.Add(time.Duration(i) * step), By: map[string]int{}}
	}
	totals := map[string]int{}
	total := 0
	for _, sb := range stats {
		i := int(sb.Start.Sub(since) / step)
		if i < 0 || i >= n {
			continue
		}
		for st, c := range sb.ByStatus {
			out[i].By[st] += c
			out[i].Sum += c
			totals[st] += c
			total += c
		}
	}
	return out, totals, total
}

// axis picks the y axis: a round step (1, 2 or 5 times a power of ten)
// and the top, with at most five steps.
func axis(v int) (top, step int) {
	if v < 4 {
		return 4, 1
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			step = m * p
			if n := (v + step - 1) / step; n <= 5 {
				return n * step, step
			}
		}
	}
}

// SVG renders the series as stacked bars: server-side, no script. Colours
// come from the stylesheet (class st-<status>), so it follows the theme.
func (s *series) SVG() template.HTML {
	const (
		w, hgt           = 720.0, 220.0
		left, right, top = 40.0, 8.0, 10.0
		bottom           = 26.0
	)
	maxV := 0
	for _, b := range s.Buckets {
		maxV = max(maxV, b.Sum)
	}
	ymax, ystep := axis(maxV)
	plotW, plotH := w-left-right, hgt-top-bottom
	n := len(s.Buckets)
	slot := plotW / float64(max(n, 1))
	barW := math.Max(2, slot*0.72)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" preserveAspectRatio="xMidYMid meet">`,
		w, hgt, html.EscapeString(fmt.Sprintf("%s: %d executions", s.Title, s.Total)))
	for v := 0; v <= ymax; v += ystep {
		y := top + plotH - plotH*float64(v)/float64(ymax)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, w-right, y, y)
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%.1f" text-anchor="end">%d</text>`, left-6, y+4, v)
	}
	for i, bk := range s.Buckets {
		x := left + float64(i)*slot + (slot-barW)/2
		y := top + plotH
		for _, st := range chartStatuses {
			c := bk.By[st]
			if c == 0 {
				continue
			}
			hh := plotH * float64(c) / float64(ymax)
			y -= hh
			fmt.Fprintf(&b, `<rect class="st-%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d %s</title></rect>`,
				st, x, y, barW, math.Max(hh, 0.5), html.EscapeString(s.Span(bk.Start)), c, st)
		}
		if bk.Sum == 0 {
			fmt.Fprintf(&b, `<rect class="empty" x="%.1f" y="%.1f" width="%.1f" height="1"><title>%s: none</title></rect>`,
				x, top+plotH-1, barW, html.EscapeString(s.Span(bk.Start)))
		}
		if s.Every > 0 && i%s.Every == 0 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`,
				x+barW/2, hgt-8, html.EscapeString(s.Label(bk.Start)))
		}
	}
	fmt.Fprintf(&b, `<line class="baseline" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, left, w-right, top+plotH, top+plotH)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// Legend lists the statuses present, with counts.
func (s *series) Legend() []legendItem {
	var out []legendItem
	for _, st := range chartStatuses {
		if c := s.Totals[st]; c > 0 {
			out = append(out, legendItem{st, c})
		}
	}
	return out
}

type legendItem struct {
	Status string
	Count  int
}

// barSVG is a small horizontal bar for the hook rankings.
func barSVG(value, maxValue float64, class string) template.HTML {
	if maxValue <= 0 {
		maxValue = 1
	}
	wd := math.Max(1, 120*value/maxValue)
	return template.HTML(fmt.Sprintf(`<svg class="minibar" viewBox="0 0 120 10" aria-hidden="true"><rect class="track" x="0" y="0" width="120" height="10" rx="2"/><rect class="%s" x="0" y="0" width="%.1f" height="10" rx="2"/></svg>`,
		html.EscapeString(class), wd))
}
