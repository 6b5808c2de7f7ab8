// Package schedule computes the slots of schedule triggers: 5-field cron and
// @descriptors, fixed intervals ("every"), one-off times ("once_at") and the
// weekly schedule card. Every result is a pure function of the spec and the
// instant passed in: the package never reads the clock and starts no goroutine.
//
// Cron and card slots are local wall times in the schedule's IANA zone and
// follow the ISC/Vixie cron rule across daylight-saving changes: a slot that
// falls in a skipped local time fires once, at the first valid instant after
// it (02:30 on a spring-forward night fires at 03:00); a slot in a repeated
// local hour fires once, at its first occurrence. Intervals are absolute
// durations, unaffected by DST.
package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Input is a schedule trigger's fields as they arrive in JSON.
type Input struct {
	Cron, Every, OnceAt, Timezone, StartAt, EndAt, Misfire string
	Weekdays, Times                                        []string
	MaxRuns                                                int
}

// Error is a validation error; Field is the JSON name of the offending field
// ("cron", "every", "once_at", "timezone", "start_at", "end_at", "weekdays",
// "times", "max_runs", "misfire"), with an index where useful ("times[1]").
type Error struct{ Field, Msg string }

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func errf(field, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Misfire policies.
const (
	MisfireRunOnce = "run_once"
	MisfireSkip    = "skip"
)

type kind uint8

const (
	kindCron kind = iota + 1
	kindEvery
	kindOnce
	kindCard
)

// Spec is a parsed schedule. It is immutable and safe for concurrent use.
type Spec struct {
	kind     kind
	loc      *time.Location
	misfire  string
	maxRuns  int
	start    time.Time // zero when unset
	end      time.Time // zero when unset
	cal      calendar  // cron, card
	cron     cronInfo  // cron
	cardDays uint8     // card: weekday bits, 0 = Sunday
	cardMods []int     // card: minutes of day, sorted
	every    int64     // every: seconds
	anchor   time.Time // every: start_at, or the Unix epoch
	once     time.Time // once_at
}

// Parse validates a schedule trigger's fields and returns its Spec. Exactly one
// of cron, every, once_at or weekdays+times must be set. Errors are *Error.
func Parse(in Input) (*Spec, error) {
	s := &Spec{misfire: MisfireRunOnce, maxRuns: in.MaxRuns}
	switch m := strings.TrimSpace(in.Misfire); m {
	case "", MisfireRunOnce:
	case MisfireSkip:
		s.misfire = m
	default:
		return nil, errf("misfire", "must be %q or %q, not %q", MisfireRunOnce, MisfireSkip, in.Misfire)
	}
	if in.MaxRuns < 0 {
		return nil, errf("max_runs", "must not be negative (0 means no limit)")
	}
	tz := strings.TrimSpace(in.Timezone)
	switch {
	case tz == "" || strings.EqualFold(tz, "UTC"):
		s.loc = time.UTC
	case tz == "Local":
		return nil, errf("timezone", "\"Local\" is not allowed; name an IANA zone such as Europe/Berlin")
	default:
		loc, err := loadLocation(tz)
		if err != nil {
			return nil, errf("timezone", "unknown time zone %q; use an IANA name such as Europe/Berlin", in.Timezone)
		}
		s.loc = loc
	}

	cronExpr, every, onceAt := strings.TrimSpace(in.Cron), strings.TrimSpace(in.Every), strings.TrimSpace(in.OnceAt)
	var set []string
	if cronExpr != "" {
		set = append(set, "cron")
	}
	if every != "" {
		set = append(set, "every")
	}
	if onceAt != "" {
		set = append(set, "once_at")
	}
	if len(in.Weekdays) > 0 || len(in.Times) > 0 {
		set = append(set, "weekdays")
	}
	switch {
	case len(set) == 0:
		return nil, errf("cron", "one of cron, every, once_at or weekdays+times is required")
	case len(set) > 1:
		return nil, errf(set[1], "only one of cron, every, once_at or weekdays+times may be set")
	}

	var err error
	if v := strings.TrimSpace(in.StartAt); v != "" {
		if s.start, err = parseTime(v, s.loc); err != nil {
			return nil, errf("start_at", "%v", err)
		}
	}
	if v := strings.TrimSpace(in.EndAt); v != "" {
		if s.end, err = parseTime(v, s.loc); err != nil {
			return nil, errf("end_at", "%v", err)
		}
		if !s.start.IsZero() && !s.end.After(s.start) {
			return nil, errf("end_at", "must be after start_at")
		}
	}

	switch set[0] {
	case "cron":
		s.kind = kindCron
		if s.cal, s.cron, err = parseCron(cronExpr); err != nil {
			return nil, errf("cron", "invalid cron expression %q: %v", cronExpr, err)
		}
	case "every":
		s.kind = kindEvery
		d, err := time.ParseDuration(every)
		switch {
		case err != nil:
			return nil, errf("every", "invalid interval %q: use a duration such as 15m, 1h30m or 24h", in.Every)
		case d < time.Second:
			return nil, errf("every", "must be at least 1s")
		case d%time.Second != 0:
			return nil, errf("every", "must be a whole number of seconds")
		}
		s.every = int64(d / time.Second)
		s.anchor = time.Unix(0, 0).UTC()
		if !s.start.IsZero() {
			s.anchor = s.start
		}
	case "once_at":
		s.kind = kindOnce
		if s.once, err = parseTime(onceAt, s.loc); err != nil {
			return nil, errf("once_at", "%v", err)
		}
		if (!s.start.IsZero() && s.once.Before(s.start)) || (!s.end.IsZero() && s.once.After(s.end)) {
			return nil, errf("once_at", "is outside the start_at/end_at window")
		}
	case "weekdays":
		s.kind = kindCard
		if err := s.parseCard(in.Weekdays, in.Times); err != nil {
			return nil, err
		}
	}
	if !s.start.IsZero() && !s.end.IsZero() && s.kind != kindOnce {
		if _, ok := s.Next(s.start.Add(-time.Nanosecond)); !ok {
			return nil, errf("end_at", "no slot falls between start_at and end_at")
		}
	}
	return s, nil
}

var weekdayNames = map[string]int{
	"sun": 0, "sunday": 0, "mon": 1, "monday": 1, "tue": 2, "tues": 2, "tuesday": 2,
	"wed": 3, "wednesday": 3, "thu": 4, "thur": 4, "thurs": 4, "thursday": 4,
	"fri": 5, "friday": 5, "sat": 6, "saturday": 6,
}

func (s *Spec) parseCard(days, times []string) error {
	if len(days) == 0 {
		return errf("weekdays", "at least one weekday is required with times")
	}
	if len(times) == 0 {
		return errf("times", "at least one time (HH:MM) is required with weekdays")
	}
	for i, d := range days {
		w, ok := weekdayNames[strings.ToLower(strings.TrimSpace(d))]
		if !ok {
			return errf(fmt.Sprintf("weekdays[%d]", i), "unknown weekday %q (use mon, tue, wed, thu, fri, sat, sun)", d)
		}
		s.cardDays |= 1 << w
	}
	for i, t := range times {
		mod, ok := parseHHMM(strings.TrimSpace(t))
		if !ok {
			return errf(fmt.Sprintf("times[%d]", i), "%q is not a time of day; use HH:MM, 00:00 to 23:59", t)
		}
		if !slices.Contains(s.cardMods, mod) {
			s.cardMods = append(s.cardMods, mod)
		}
		s.cal.setMod(mod)
	}
	slices.Sort(s.cardMods)
	s.cal.months, s.cal.dom, s.cal.dow, s.cal.and = 0x1ffe, 0xfffffffe, s.cardDays, true
	return nil
}

func parseHHMM(t string) (int, bool) {
	if len(t) != 5 || t[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if t[i] < '0' || t[i] > '9' {
			return 0, false
		}
	}
	h, m := int(t[0]-'0')*10+int(t[1]-'0'), int(t[3]-'0')*10+int(t[4]-'0')
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// parseTime reads RFC 3339, or a local date-time without offset, which is taken
// as wall time in loc (a skipped wall time moves to the first valid instant).
func parseTime(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			w := t.Unix()
			z := newCursor(loc, w)
			return time.Unix(z.instant(w), int64(t.Nanosecond())).In(loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q; use RFC 3339 like 2026-12-01T09:00:00+01:00", v)
}

// Location is the schedule's time zone (UTC unless timezone was set).
func (s *Spec) Location() *time.Location { return s.loc }

// Misfire is "run_once" (the default) or "skip".
func (s *Spec) Misfire() string { return s.misfire }

// MaxRuns is the max_runs field; 0 means no limit. The caller enforces it.
func (s *Spec) MaxRuns() int { return s.maxRuns }

// Next returns the first slot strictly after `after` that lies within
// [start_at, end_at], or false when there is none.
func (s *Spec) Next(after time.Time) (time.Time, bool) {
	if !s.start.IsZero() && after.Before(s.start) {
		after = s.start.Add(-time.Nanosecond)
	}
	var t time.Time
	var ok bool
	switch s.kind {
	case kindCron, kindCard:
		t, ok = s.nextCalendar(after)
	case kindEvery:
		t, ok = s.nextEvery(after)
	case kindOnce:
		t, ok = s.once, s.once.After(after)
	}
	if !ok || (!s.end.IsZero() && t.After(s.end)) {
		return time.Time{}, false
	}
	return t.In(s.loc), true
}

func (s *Spec) nextCalendar(after time.Time) (time.Time, bool) {
	a := after.Unix()
	if a > maxAbsUnix || a < -maxAbsUnix {
		return time.Time{}, false
	}
	z := newCursor(s.loc, a)
	m := floorDiv(z.wall(a), 60) + 1 // first wall minute strictly after after's wall time
	day, mod := floorDiv(m, 1440), int(floorMod(m, 1440))
	for {
		var ok bool
		if day, mod, ok = s.cal.nextWall(day, mod); !ok {
			return time.Time{}, false
		}
		// Wall times up to after's own map to instants <= after; past it the
		// map only lags in a repeated hour (those slots fired the first time).
		if t := z.instant(day*secPerDay + int64(mod)*60); t > a {
			return time.Unix(t, 0), true
		}
		if mod++; mod == 1440 {
			day, mod = day+1, 0
		}
	}
}

func (s *Spec) nextEvery(after time.Time) (time.Time, bool) {
	// Slots are anchor + k*every. after - anchor = sec + nsec with 0 <= nsec < 1s,
	// and every is whole seconds, so the first k with a later slot is
	// floor(sec/every) + 1.
	sec := after.Unix() - s.anchor.Unix()
	if ns := after.Nanosecond() - s.anchor.Nanosecond(); ns < 0 {
		sec--
	}
	if sec > maxAbsUnix || sec < -maxAbsUnix {
		return time.Time{}, false
	}
	k := floorDiv(sec, s.every) + 1
	if !s.start.IsZero() && k < 0 {
		k = 0
	}
	return time.Unix(s.anchor.Unix()+k*s.every, int64(s.anchor.Nanosecond())), true
}

// NextN returns up to n successive slots after `after`, in increasing order.
func (s *Spec) NextN(after time.Time, n int) []time.Time {
	if n <= 0 {
		return nil
	}
	out := make([]time.Time, 0, min(n, 1024))
	for len(out) < n {
		t, ok := s.Next(after)
		if !ok {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

// Due returns the slots in (last, now] — the earliest `limit` of them, in
// order — for the caller's misfire policy. A result of length limit may mean
// more slots were missed; Next(now) gives the one to wait for afterwards.
func (s *Spec) Due(last, now time.Time, limit int) []time.Time {
	if limit <= 0 || !now.After(last) {
		return nil
	}
	var out []time.Time
	for len(out) < limit {
		t, ok := s.Next(last)
		if !ok || t.After(now) {
			break
		}
		out = append(out, t)
		last = t
	}
	return out
}
