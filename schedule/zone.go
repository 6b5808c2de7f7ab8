package schedule

import (
	"math"
	"sync"
	"time"
	_ "time/tzdata" // every node resolves zones identically, even without system tzdata
)

// Wall times are "wall seconds": the local date and clock reading written as if
// it were UTC, counted from 1970-01-01T00:00. A zone maps an instant t to the
// wall time t+offset(t); the slot maths runs on wall times and converts back
// with zoneCursor.instant, which implements the DST rule.

const (
	secPerDay = 86400
	// zoneSlack bounds how far an offset change can move a wall clock (real
	// offsets are within -12h..+14h; historical ones a little wider).
	zoneSlack = 2 * secPerDay
	// maxAbsUnix bounds the instants Next works on (about ±35 million years).
	maxAbsUnix = 1 << 50
)

var locCache sync.Map // name -> *time.Location; only successful loads are kept

func loadLocation(name string) (*time.Location, error) {
	if l, ok := locCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locCache.Store(name, l)
	return l, nil
}

// zoneCursor caches one zone period (a span with a constant offset) while a
// single Next call walks forward. It is a value on the caller's stack, so Spec
// stays immutable and safe for concurrent use.
type zoneCursor struct {
	loc        *time.Location
	start, end int64 // [start, end) in Unix seconds; MinInt64/MaxInt64 when unbounded
	off        int64
}

func newCursor(loc *time.Location, t int64) zoneCursor {
	z := zoneCursor{loc: loc}
	z.load(t)
	return z
}

func (z *zoneCursor) load(t int64) {
	tt := time.Unix(t, 0).In(z.loc)
	_, off := tt.Zone()
	s, e := tt.ZoneBounds()
	z.off = int64(off)
	z.start, z.end = math.MinInt64, math.MaxInt64
	if !s.IsZero() {
		z.start = s.Unix()
	}
	if !e.IsZero() {
		z.end = e.Unix()
	}
}

// wall returns the wall seconds of instant t.
func (z *zoneCursor) wall(t int64) int64 {
	if t < z.start || t >= z.end {
		z.load(t)
	}
	return t + z.off
}

// instant maps wall time w to the first instant whose wall clock reads w or
// later: min{t : wall(t) >= w}. That is the ISC/Vixie cron rule in one line:
//   - a wall time that exists once maps to that instant;
//   - a wall time in a repeated (fall-back) hour maps to its first occurrence;
//   - a wall time skipped by a spring-forward gap maps to the transition
//     instant, the first valid instant after it (02:30 -> 03:00).
//
// The map is non-decreasing in w, which is what lets Next search wall times in
// order and stop at the first slot whose instant is after `after`.
func (z *zoneCursor) instant(w int64) int64 {
	if t := w - z.off; t < z.end && t >= z.start && (z.start == math.MinInt64 || t-z.start >= zoneSlack) {
		// Well inside one period: no earlier period can reach wall w.
		return t
	}
	cur := w - zoneSlack
	for i := 0; i < 64; i++ { // a handful of periods at most; the bound is belt and braces
		z.load(cur)
		c := w - z.off
		if c < z.start {
			c = z.start // w lies in a gap: the period starts after it
		}
		if c < z.end {
			return c
		}
		if z.end == math.MaxInt64 || z.end > w+zoneSlack {
			break
		}
		cur = z.end
	}
	z.load(w)
	return w - z.off
}

// Civil calendar arithmetic (proleptic Gregorian, after H. Hinnant).

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// weekday of a day number: 0 = Sunday (1970-01-01 was a Thursday).
func weekday(day int64) int { return int(floorMod(day+4, 7)) }

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int64, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
