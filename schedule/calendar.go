package schedule

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/robfig/cron/v3"
)

// calendar is the common form of cron expressions and schedule cards: which
// local days match, and which minutes of such a day are slots.
type calendar struct {
	months uint16 // bit m for month m (1..12)
	dom    uint32 // bit d for day of month d (1..31)
	dow    uint8  // bit w for weekday w (0 = Sunday)
	// and: a day must match both dom and dow. Vixie cron does that when either
	// field starts with "*"; with both restricted a day matching either fires.
	and  bool
	mods [23]uint64 // bit i for minute-of-day i (0..1439)
}

func (c *calendar) setMod(i int) { c.mods[i>>6] |= 1 << (i & 63) }

// nextMod returns the first slot minute-of-day >= from.
func (c *calendar) nextMod(from int) (int, bool) {
	if from >= 1440 {
		return 0, false
	}
	w := from >> 6
	word := c.mods[w] >> (from & 63) << (from & 63)
	for {
		if word != 0 {
			return w<<6 | bits.TrailingZeros64(word), true
		}
		w++
		if w == len(c.mods) {
			return 0, false
		}
		word = c.mods[w]
	}
}

// nextDay returns the first matching day number >= day, searching at most 401
// years ahead (the Gregorian calendar repeats every 400 years, and Parse
// rejects calendars that can never match).
func (c *calendar) nextDay(day int64) (int64, bool) {
	y, m, d := civilFromDays(day)
	for limit := y + 401; y <= limit; {
		if c.months&(1<<m) != 0 {
			dim := daysIn(y, m)
			base := daysFromCivil(y, m, 1) - 1 // day number of "day 0" of the month
			for d <= dim {
				if c.and {
					rest := c.dom >> d << d
					if rest == 0 {
						break
					}
					d = bits.TrailingZeros32(rest)
					if d > dim {
						break
					}
					if c.dow&(1<<weekday(base+int64(d))) != 0 {
						return base + int64(d), true
					}
				} else if c.dom&(1<<d) != 0 || c.dow&(1<<weekday(base+int64(d))) != 0 {
					return base + int64(d), true
				}
				d++
			}
		}
		d = 1
		if m++; m > 12 {
			m = 1
			y++
		}
	}
	return 0, false
}

// nextWall returns the first slot at or after wall minute (day, mod).
func (c *calendar) nextWall(day int64, mod int) (int64, int, bool) {
	for i := 0; i < 3; i++ { // a matching day always has a slot from minute 0
		d, ok := c.nextDay(day)
		if !ok {
			return 0, 0, false
		}
		if d != day {
			mod = 0
		}
		if mm, ok := c.nextMod(mod); ok {
			return d, mm, true
		}
		day, mod = d+1, 0
	}
	return 0, 0, false
}

// canFire reports whether some real calendar date matches. Only the "and"
// form can fail (e.g. "0 0 30 2 *"): every (month, day) pair that exists
// falls on each weekday somewhere in the 400-year cycle, Feb 29 included.
func (c *calendar) canFire() bool {
	if c.mods == [23]uint64{} || c.months == 0 || c.dom == 0 || c.dow == 0 {
		return false
	}
	if !c.and {
		return true
	}
	first := bits.TrailingZeros32(c.dom) // the earliest day of the month named
	for m := 1; m <= 12; m++ {
		if c.months&(1<<m) != 0 && first <= daysIn(2000, m) { // 2000 is a leap year
			return true
		}
	}
	return false
}

// cronInfo keeps what Describe needs about a parsed cron expression.
type cronInfo struct {
	expr       string
	descriptor string // "@daily" etc., lower-case; "" for a 5-field expression
	minutes    uint64 // bits 0..59
	hours      uint32 // bits 0..23
	domStar    bool
	dowStar    bool
}

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

const starBit = 1 << 63

var descriptors = map[string]bool{"@yearly": true, "@annually": true, "@monthly": true,
	"@weekly": true, "@daily": true, "@midnight": true, "@hourly": true}

// parseCron parses a 5-field expression or descriptor with robfig/cron's
// parser (fields only; its Next is not used) into a calendar.
func parseCron(expr string) (calendar, cronInfo, error) {
	expr = strings.TrimSpace(expr)
	info := cronInfo{expr: expr}
	var c calendar
	if strings.ContainsAny(expr, "=") {
		return c, info, fmt.Errorf("time zone prefixes are not supported; use the timezone field")
	}
	if strings.HasPrefix(expr, "@") {
		lower := strings.ToLower(strings.Join(strings.Fields(expr), " "))
		if strings.HasPrefix(lower, "@every") {
			return c, info, fmt.Errorf("@every is not supported here; use the every field")
		}
		if !descriptors[lower] {
			return c, info, fmt.Errorf("unknown descriptor %q (use @hourly, @daily, @weekly, @monthly or @yearly)", expr)
		}
		expr, info.descriptor = lower, lower
	} else {
		fields := strings.Fields(expr)
		if len(fields) != 5 {
			return c, info, fmt.Errorf("expected 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
		}
		fields[4] = sundaySeven(fields[4])
		info.domStar = strings.HasPrefix(fields[2], "*") || strings.HasPrefix(fields[2], "?")
		info.dowStar = strings.HasPrefix(fields[4], "*") || strings.HasPrefix(fields[4], "?")
		expr = strings.Join(fields, " ")
	}
	sched, err := cronParser.Parse(expr)
	if err != nil {
		return c, info, err
	}
	s, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return c, info, fmt.Errorf("unsupported expression")
	}
	if info.descriptor != "" {
		info.domStar, info.dowStar = s.Dom&starBit != 0, s.Dow&starBit != 0
	}
	info.minutes = s.Minute &^ starBit & (1<<60 - 1)
	info.hours = uint32(s.Hour &^ starBit & (1<<24 - 1))
	c.months = uint16(s.Month &^ starBit & 0x1ffe)
	c.dom = uint32(s.Dom &^ starBit & 0xfffffffe)
	c.dow = uint8(s.Dow &^ starBit & 0x7f)
	c.and = info.domStar || info.dowStar
	for h := 0; h < 24; h++ {
		if info.hours&(1<<h) == 0 {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if info.minutes&(1<<mi) != 0 {
				c.setMod(h*60 + mi)
			}
		}
	}
	if !c.canFire() {
		return c, info, fmt.Errorf("never fires: no month in it has that day of the month")
	}
	return c, info, nil
}

// sundaySeven lets the day-of-week field use 7 for Sunday, as Vixie cron
// does: "7" becomes "0" and a range ending in 7 ends in 6 and adds 0.
func sundaySeven(field string) string {
	parts := strings.Split(field, ",")
	for i, p := range parts {
		rng, step, hasStep := strings.Cut(p, "/")
		lo, hi, isRange := strings.Cut(rng, "-")
		switch {
		case p == "7":
			parts[i] = "0"
		case isRange && hi == "7":
			n, err := strconv.Atoi(lo)
			if err != nil || n < 0 || n > 6 {
				continue
			}
			st := 1
			if hasStep {
				if st, err = strconv.Atoi(step); err != nil || st <= 0 {
					continue
				}
			}
			parts[i] = lo + "-6"
			if hasStep {
				parts[i] += "/" + step
			}
			if (7-n)%st == 0 {
				parts[i] += ",0"
			}
		}
	}
	return strings.Join(parts, ",")
}
