package schedule

import (
	"fmt"
	"math/bits"
	"strings"
	"time"
)

// Describe renders the schedule as short human text, for example
// "Mondays and Thursdays at 06:00 and 18:30, America/New_York",
// "Every 15 minutes", "At 09:00 on Monday, Europe/Berlin",
// "Every day at 00:00, UTC" or "Once at 2026-12-01 09:00 Europe/Berlin".
// Cron forms it has no words for fall back to `Cron "expr" (Zone)`.
func (s *Spec) Describe() string {
	var out string
	switch s.kind {
	case kindCron:
		out = s.describeCron()
	case kindCard:
		out = describeCardDays(s.cardDays) + " at " + joinAnd(mapInts(s.cardMods, hhmm)) + ", " + s.loc.String()
	case kindEvery:
		out = describeEvery(s.every)
	case kindOnce:
		return "Once at " + fmtTime(s.once.In(s.loc)) + " " + s.loc.String()
	}
	zone := ""
	if s.kind == kindEvery {
		zone = " " + s.loc.String()
	}
	if !s.start.IsZero() {
		out += ", from " + fmtTime(s.start.In(s.loc)) + zone
	}
	if !s.end.IsZero() {
		out += ", until " + fmtTime(s.end.In(s.loc)) + zone
	}
	return out
}

func fmtTime(t time.Time) string {
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

func hhmm(mod int) string { return fmt.Sprintf("%02d:%02d", mod/60, mod%60) }

func mapInts(xs []int, f func(int) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func describeEvery(sec int64) string {
	units := []struct {
		n    int64
		name string
	}{{secPerDay, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}}
	var parts []string
	for _, u := range units {
		if q := sec / u.n; q > 0 {
			parts = append(parts, plural(q, u.name))
			sec -= q * u.n
		}
	}
	if len(parts) == 1 && strings.HasPrefix(parts[0], "1 ") {
		return "Every " + parts[0][2:]
	}
	return "Every " + joinAnd(parts)
}

// mondayFirst lists weekday numbers (0 = Sunday) in display order.
var mondayFirst = [7]int{1, 2, 3, 4, 5, 6, 0}

func describeCardDays(days uint8) string {
	switch days {
	case 0x7f:
		return "Every day"
	case 0x3e:
		return "Weekdays"
	case 0x41:
		return "Weekends"
	}
	var names []string
	for _, w := range mondayFirst {
		if days&(1<<w) != 0 {
			names = append(names, time.Weekday(w).String()+"s")
		}
	}
	return joinAnd(names)
}

func setBits(mask uint64) []int {
	var out []int
	for mask != 0 {
		i := bits.TrailingZeros64(mask)
		out = append(out, i)
		mask &^= 1 << i
	}
	return out
}

// stepFromZero returns k when mask is exactly {0, k, 2k, ...} below n and k divides n.
func stepFromZero(mask uint64, n int) (int, bool) {
	b := setBits(mask)
	if len(b) < 2 || b[0] != 0 || n%b[1] != 0 {
		return 0, false
	}
	k := b[1]
	for i, v := range b {
		if v != i*k {
			return 0, false
		}
	}
	return k, len(b) == n/k
}

func (s *Spec) describeCron() string {
	c, info := &s.cal, &s.cron
	fallback := fmt.Sprintf("Cron %q (%s)", info.expr, s.loc)
	mins, hours := setBits(info.minutes), setBits(uint64(info.hours))

	var when string
	at := false
	switch step, isStep := stepFromZero(info.minutes, 60); {
	case len(mins) == 60 && len(hours) == 24:
		when = "Every minute"
	case isStep && len(hours) == 24:
		when = fmt.Sprintf("Every %d minutes", step)
	case len(mins) == 1 && len(hours) == 24:
		when = "Every hour"
	case len(mins) == 1:
		if k, ok := stepFromZero(uint64(info.hours), 24); ok {
			when = fmt.Sprintf("Every %d hours", k)
		}
	}
	if when != "" && len(mins) == 1 && mins[0] != 0 {
		when += fmt.Sprintf(" at minute %d", mins[0])
	}
	if when == "" && len(mins)*len(hours) <= 6 {
		var ts []string
		for _, h := range hours {
			for _, m := range mins {
				ts = append(ts, hhmm(h*60+m))
			}
		}
		when, at = joinAnd(ts), true
	}
	if when == "" {
		return fallback
	}

	var days []string
	months := ""
	if c.months != 0x1ffe {
		var ms []string
		for _, m := range setBits(uint64(c.months)) {
			ms = append(ms, time.Month(m).String())
		}
		months = joinAnd(ms)
	}
	switch {
	case !info.domStar && !info.dowStar:
		return fallback // "day-of-month or weekday": too subtle for one phrase
	case !info.domStar && c.dom != 0xfffffffe:
		ds := setBits(uint64(c.dom))
		if len(ds) > 5 {
			return fallback
		}
		what := "of the month"
		if months != "" {
			what, months = "of "+months, ""
		}
		noun := "day "
		if len(ds) > 1 {
			noun = "days "
		}
		days = append(days, "on "+noun+joinAnd(mapInts(ds, func(d int) string { return fmt.Sprint(d) }))+" "+what)
	case c.dom != 0xfffffffe:
		return fallback // a stepped "*/n" day of month
	}
	if c.dow != 0x7f {
		if info.domStar && !info.dowStar {
			days = append(days, "on "+cronWeekdays(c.dow))
		} else {
			return fallback
		}
	}
	if months != "" {
		days = append(days, "in "+months)
	}
	day := strings.Join(days, " ")
	switch {
	case at && day == "":
		when = "Every day at " + when
	case at:
		when = "At " + when + " " + day
	case day != "":
		when += " " + day
	}
	return when + ", " + s.loc.String()
}

// cronWeekdays names weekdays Monday first, folding runs of three or more
// into "Monday through Friday".
func cronWeekdays(dow uint8) string {
	var parts []string
	for i := 0; i < 7; {
		if dow&(1<<mondayFirst[i]) == 0 {
			i++
			continue
		}
		j := i
		for j+1 < 7 && dow&(1<<mondayFirst[j+1]) != 0 {
			j++
		}
		first := time.Weekday(mondayFirst[i]).String()
		switch {
		case j-i >= 2:
			parts = append(parts, first+" through "+time.Weekday(mondayFirst[j]).String())
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, time.Weekday(mondayFirst[k]).String())
			}
		}
		i = j + 1
	}
	return joinAnd(parts)
}
