package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// FuzzParse: Parse never panics, and for any Spec that parses, Next(after) is
// strictly after `after`, NextN is strictly increasing and Describe is not empty.
func FuzzParse(f *testing.F) {
	type seed struct {
		cron, every, once, tz, start, end, misfire, days, times string
		maxRuns                                                 int
		after                                                   int64
	}
	for _, s := range []seed{
		{cron: "0 9 * * MON", tz: "Europe/Berlin", after: 1774000000},
		{cron: "*/15 1-3 * * *", tz: "America/New_York", after: 1730610000},
		{cron: "0 0 29 2 *", after: 1700000000},
		{cron: "0 0 30 2 *"},
		{cron: "@daily", tz: "America/Sao_Paulo", after: 1541300000},
		{cron: "15,45 2 1-7 * 7", tz: "Australia/Lord_Howe", after: 1538800000},
		{cron: "TZ=Europe/Berlin 0 9 * * *"},
		{cron: "@every 5m"},
		{cron: "0 0 */10 * 1-7/2"},
		{every: "15m", start: "2026-01-01T00:07:00Z", after: 1767225600},
		{every: "1s", after: -1},
		{every: "2562047h"},
		{once: "2026-12-01T09:00:00+01:00", tz: "Europe/Berlin", misfire: "skip", maxRuns: 1},
		{once: "2026-12-01T09:00", tz: "Asia/Kolkata"},
		{days: "mon,thu", times: "06:00,18:30", tz: "America/New_York", start: "2026-03-01T00:00:00Z", end: "2026-06-30T00:00:00Z"},
		{days: "sun", times: "02:30", tz: "Pacific/Auckland", after: 1758900000},
		{days: "Funday", times: "25:00"},
		{cron: "0 0 * * *", tz: "Asia/Tehran", start: "2020-03-21", end: "2020-03-22"},
	} {
		f.Add(s.cron, s.every, s.once, s.tz, s.start, s.end, s.misfire, s.days, s.times, s.maxRuns, s.after)
	}
	lo := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	span := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - lo
	f.Fuzz(func(t *testing.T, cron, every, once, tz, start, end, misfire, days, times string, maxRuns int, after int64) {
		in := Input{Cron: cron, Every: every, OnceAt: once, Timezone: tz, StartAt: start, EndAt: end,
			Misfire: misfire, Weekdays: splitList(days), Times: splitList(times), MaxRuns: maxRuns}
		s, err := Parse(in)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			return
		}
		if s.Describe() == "" {
			t.Fatal("empty Describe")
		}
		_, _ = s.Next(time.Unix(after, 0)) // any instant at all: must not panic
		a := time.Unix(lo+floorMod(after, span), floorMod(after, 1e9))
		prev := a
		for i, n := range s.NextN(a, 3) {
			if !n.After(prev) {
				t.Fatalf("%s: slot %d after %v is %v", fmt.Sprint(in), i, prev, n)
			}
			prev = n
		}
	})
}

func benchSpecs(b *testing.B) map[string]*Spec {
	out := map[string]*Spec{}
	for name, in := range map[string]Input{
		"cron_weekly":    {Cron: "0 9 * * MON", Timezone: "Europe/Berlin"},
		"cron_15m":       {Cron: "*/15 * * * *", Timezone: "America/New_York"},
		"cron_feb29":     {Cron: "0 0 29 2 *", Timezone: "Australia/Sydney"},
		"cron_feb29_utc": {Cron: "0 0 29 2 *", Timezone: "UTC"},
		"card":           {Weekdays: []string{"mon", "thu"}, Times: []string{"06:00", "18:30"}, Timezone: "America/New_York"},
		"every":          {Every: "15m"},
	} {
		s, err := Parse(in)
		if err != nil {
			b.Fatal(err)
		}
		out[name] = s
	}
	return out
}

func BenchmarkNext(b *testing.B) {
	after := time.Date(2026, 3, 28, 23, 59, 30, 0, time.UTC)
	for name, s := range benchSpecs(b) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := s.Next(after); !ok {
					b.Fatal("no slot")
				}
			}
		})
	}
}

// BenchmarkNext10k is one scheduler sweep: Next for 10,000 schedules.
func BenchmarkNext10k(b *testing.B) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "America/Sao_Paulo", "Australia/Lord_Howe", "Asia/Kolkata"}
	var specs []*Spec
	for i := range 10000 {
		in := Input{Timezone: zones[i%len(zones)]}
		if i%2 == 0 {
			in.Cron = fmt.Sprintf("%d %d * * %d", i%60, i%24, i%7)
		} else {
			in.Weekdays, in.Times = []string{"mon", "thu"}, []string{fmt.Sprintf("%02d:%02d", i%24, i%60)}
		}
		s, err := Parse(in)
		if err != nil {
			b.Fatal(err)
		}
		specs = append(specs, s)
	}
	after := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	for b.Loop() {
		for _, s := range specs {
			s.Next(after)
		}
	}
}
