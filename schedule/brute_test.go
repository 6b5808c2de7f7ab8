package schedule

import (
	"testing"
	"time"
)

// matchWall is a deliberately naive matcher for one wall minute, written with
// the time package instead of the calendar search code.
func matchWall(c *calendar, w time.Time) bool {
	mod := w.Hour()*60 + w.Minute()
	if c.mods[mod/64]&(1<<(mod%64)) == 0 || c.months&(1<<int(w.Month())) == 0 {
		return false
	}
	dom, dow := c.dom&(1<<w.Day()) != 0, c.dow&(1<<int(w.Weekday())) != 0
	if c.and {
		return dom && dow
	}
	return dom || dow
}

// bruteSlots walks real minutes from `from` to `to` and applies the ISC rule
// directly: whenever the wall clock first reaches new wall minutes, the
// instant fires if any of them matches; wall minutes seen before (a repeated
// hour) do not fire again. All specs share loc; one walk serves them all.
func bruteSlots(loc *time.Location, specs []*Spec, from, to time.Time) [][]time.Time {
	out := make([][]time.Time, len(specs))
	t := from.Add(-48 * time.Hour).Truncate(time.Minute)
	var maxWall int64
	first := true
	for ; !t.After(to); t = t.Add(time.Minute) {
		_, off := t.In(loc).Zone()
		w := t.Unix() + int64(off)
		if first {
			maxWall, first = w, false
			continue
		}
		if w <= maxWall {
			continue
		}
		for i, s := range specs {
			fire := false
			for x := maxWall + 60; x <= w && !fire; x += 60 {
				fire = matchWall(&s.cal, time.Unix(x, 0).UTC())
			}
			if fire && t.After(from) {
				out[i] = append(out[i], t)
			}
		}
		maxWall = w
	}
	return out
}

func TestBruteForce(t *testing.T) {
	zones := []struct {
		zone string
		year int
	}{
		{"Europe/Berlin", 2021}, {"America/New_York", 2024}, {"America/Sao_Paulo", 2018},
		{"Australia/Lord_Howe", 2027}, {"Asia/Kolkata", 2035}, {"Pacific/Auckland", 2019},
		{"America/Santiago", 2022}, {"Asia/Tehran", 2020}, {"Australia/Sydney", 2032},
	}
	specs := []Input{
		{Cron: "30 2 * * *"},
		{Cron: "*/20 0-3 * * *"},
		{Cron: "0 0 * * *"},
		{Cron: "15,45 1,2 1-7 * SUN"}, // dom and dow restricted: either matches
		{Cron: "0 23 * * 6"},
		{Weekdays: []string{"sat", "sun"}, Times: []string{"00:00", "01:30", "02:30", "23:30"}},
	}
	if testing.Short() {
		zones = zones[:3]
	}
	for _, z := range zones {
		from := time.Date(z.year, 1, 1, 0, 0, 0, 0, time.UTC)
		to := from.AddDate(1, 0, 0)
		var parsed []*Spec
		for _, in := range specs {
			in.Timezone = z.zone
			s, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			parsed = append(parsed, s)
		}
		wants := bruteSlots(parsed[0].loc, parsed, from, to)
		for k, s := range parsed {
			want := wants[k]
			var got []time.Time
			for after := from; ; {
				n, ok := s.Next(after)
				if !ok || n.After(to) {
					break
				}
				got = append(got, n)
				after = n
			}
			if len(got) != len(want) {
				t.Errorf("%s %s: %d slots, brute force %d", z.zone, s.Describe(), len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				if !got[i].Equal(want[i]) {
					t.Errorf("%s %s: slot %d = %s, brute force %s", z.zone, s.Describe(), i, got[i], want[i].In(s.loc))
					break
				}
			}
		}
	}
}
