package schedule

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	card := func(days, times []string) Input { return Input{Weekdays: days, Times: times} }
	cases := []struct {
		name  string
		in    Input
		field string
	}{
		{"nothing set", Input{}, "cron"},
		{"two shapes", Input{Cron: "@daily", Every: "1h"}, "every"},
		{"cron and card", Input{Cron: "@daily", Weekdays: []string{"mon"}, Times: []string{"09:00"}}, "weekdays"},
		{"cron garbage", Input{Cron: "every day"}, "cron"},
		{"cron 6 fields", Input{Cron: "0 0 0 * * *"}, "cron"},
		{"cron minute 60", Input{Cron: "60 * * * *"}, "cron"},
		{"cron hour 24", Input{Cron: "0 24 * * *"}, "cron"},
		{"cron dom 0", Input{Cron: "0 0 0 * *"}, "cron"},
		{"cron month 13", Input{Cron: "0 0 1 13 *"}, "cron"},
		{"cron dow 8", Input{Cron: "0 0 * * 8"}, "cron"},
		{"cron step 0", Input{Cron: "*/0 * * * *"}, "cron"},
		{"cron backwards range", Input{Cron: "0 5-3 * * *"}, "cron"},
		{"cron feb 30", Input{Cron: "0 0 30 2 *"}, "cron"},
		{"cron feb 31", Input{Cron: "0 0 31 2 *"}, "cron"},
		{"cron apr 31", Input{Cron: "0 0 31 4 *"}, "cron"},
		{"cron 31 in short months", Input{Cron: "0 0 31 2,4,6,9,11 *"}, "cron"},
		{"cron tz prefix", Input{Cron: "CRON_TZ=Asia/Tokyo 0 9 * * *"}, "cron"},
		{"cron tz prefix no space", Input{Cron: "TZ="}, "cron"},
		{"cron @every", Input{Cron: "@every 1h"}, "cron"},
		{"cron unknown descriptor", Input{Cron: "@reboot"}, "cron"},
		{"every garbage", Input{Every: "soon"}, "every"},
		{"every days unit", Input{Every: "1d"}, "every"},
		{"every below 1s", Input{Every: "500ms"}, "every"},
		{"every negative", Input{Every: "-5m"}, "every"},
		{"every fractional seconds", Input{Every: "1500ms"}, "every"},
		{"once garbage", Input{OnceAt: "tomorrow"}, "once_at"},
		{"once outside window", Input{OnceAt: "2026-01-01T00:00:00Z", EndAt: "2025-01-01T00:00:00Z"}, "once_at"},
		{"unknown zone", Input{Cron: "@daily", Timezone: "Mars/Olympus"}, "timezone"},
		{"zone path", Input{Cron: "@daily", Timezone: "../../etc/passwd"}, "timezone"},
		{"local zone", Input{Cron: "@daily", Timezone: "Local"}, "timezone"},
		{"bad start", Input{Every: "1h", StartAt: "yesterday"}, "start_at"},
		{"bad end", Input{Every: "1h", EndAt: "2026-13-01T00:00:00Z"}, "end_at"},
		{"end before start", Input{Every: "1h", StartAt: "2026-02-01T00:00:00Z", EndAt: "2026-01-01T00:00:00Z"}, "end_at"},
		{"end equals start", Input{Every: "1h", StartAt: "2026-02-01T00:00:00Z", EndAt: "2026-02-01T00:00:00Z"}, "end_at"},
		{"no slot in window", Input{Cron: "0 9 * * MON", StartAt: "2026-01-06T00:00:00Z", EndAt: "2026-01-07T00:00:00Z"}, "end_at"},
		{"weekday unknown", card([]string{"mon", "funday"}, []string{"09:00"}), "weekdays[1]"},
		{"weekdays missing", card(nil, []string{"09:00"}), "weekdays"},
		{"times missing", card([]string{"mon"}, nil), "times"},
		{"time 24:00", card([]string{"mon"}, []string{"06:00", "24:00"}), "times[1]"},
		{"time 9:00", card([]string{"mon"}, []string{"9:00"}), "times[0]"},
		{"time 09:60", card([]string{"mon"}, []string{"09:60"}), "times[0]"},
		{"time seconds", card([]string{"mon"}, []string{"09:00:00"}), "times[0]"},
		{"misfire", Input{Cron: "@daily", Misfire: "catch_up"}, "misfire"},
		{"max_runs negative", Input{Cron: "@daily", MaxRuns: -1}, "max_runs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %v, %v; want *Error on %q", s, err, tc.field)
			}
			if e.Field != tc.field || e.Msg == "" {
				t.Fatalf("error %q on field %q, want field %q", e.Error(), e.Field, tc.field)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, in := range []Input{
		{Cron: "@hourly"}, {Cron: "@daily"}, {Cron: "@weekly"}, {Cron: "@monthly"},
		{Cron: "@yearly"}, {Cron: "@annually"}, {Cron: "@midnight"}, {Cron: " @Daily "},
		{Cron: "0 0 29 2 *"}, {Cron: "0 0 31 * *"}, {Cron: "0 0 30 2 MON"}, {Cron: "0 0 * * 7"},
		{Cron: "0 0 * * 5-7"}, {Cron: "0 0 ? * mon-fri"}, {Cron: "0 0 1 jan,jul *"},
		{Every: "1s"}, {Every: "15m", Misfire: "skip", MaxRuns: 3},
		{OnceAt: "2026-12-01T09:00:00+01:00"}, {OnceAt: "2026-12-01T09:00", Timezone: "Europe/Berlin"},
		{Weekdays: []string{"MON", "thursday", " Sun "}, Times: []string{"06:00", "18:30", "06:00"}},
	} {
		if _, err := Parse(in); err != nil {
			t.Errorf("Parse(%+v): %v", in, err)
		}
	}
}

func TestCronForms(t *testing.T) {
	cases := []struct {
		cron, zone, after string
		want              []string
	}{
		{"*/15 * * * *", "", "2026-03-01T10:07:00Z", []string{"2026-03-01T10:15:00Z", "2026-03-01T10:30:00Z", "2026-03-01T10:45:00Z", "2026-03-01T11:00:00Z"}},
		{"5-7 9 * * *", "", "2026-03-01T09:05:00Z", []string{"2026-03-01T09:06:00Z", "2026-03-01T09:07:00Z", "2026-03-02T09:05:00Z"}},
		{"0 9,17 * * *", "", "2026-03-01T12:00:00Z", []string{"2026-03-01T17:00:00Z", "2026-03-02T09:00:00Z"}},
		{"0 8-18/5 * * *", "", "2026-03-01T08:00:00Z", []string{"2026-03-01T13:00:00Z", "2026-03-01T18:00:00Z", "2026-03-02T08:00:00Z"}},
		{"30 9 * * MON-FRI", "", "2026-03-06T10:00:00Z", []string{"2026-03-09T09:30:00Z", "2026-03-10T09:30:00Z"}}, // Fri -> Mon
		{"0 0 * * 7", "", "2026-03-02T00:00:00Z", []string{"2026-03-08T00:00:00Z"}},
		{"0 0 * * 5-7", "", "2026-03-02T00:00:00Z", []string{"2026-03-06T00:00:00Z", "2026-03-07T00:00:00Z", "2026-03-08T00:00:00Z", "2026-03-13T00:00:00Z"}},
		{"0 0 1,15 * *", "", "2026-02-10T00:00:00Z", []string{"2026-02-15T00:00:00Z", "2026-03-01T00:00:00Z"}},
		{"0 0 31 * *", "", "2026-01-31T00:00:00Z", []string{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"}},
		{"0 0 29 2 *", "", "2024-02-29T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"0 0 29 2 *", "", "2096-03-01T00:00:00Z", []string{"2104-02-29T00:00:00Z"}},                         // 2100 is not a leap year
		{"0 0 29 2 1", "", "2026-01-01T00:00:00Z", []string{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"}}, // OR: Mondays in Feb too
		{"0 0 */10 * 1", "", "2026-03-01T00:00:00Z", []string{"2026-05-11T00:00:00Z"}},                       // "*" first: AND (Vixie)
		{"0 12 13 * 5", "", "2026-03-01T00:00:00Z", []string{"2026-03-06T12:00:00Z", "2026-03-13T12:00:00Z", "2026-03-20T12:00:00Z"}},
		{"0 0 1 jan,jul *", "", "2026-03-01T00:00:00Z", []string{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}},
		{"@hourly", "", "2026-03-01T10:00:00Z", []string{"2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z"}},
		{"@daily", "", "2026-03-01T10:00:00Z", []string{"2026-03-02T00:00:00Z"}},
		{"@weekly", "", "2026-03-01T00:00:00Z", []string{"2026-03-08T00:00:00Z"}},
		{"@monthly", "", "2026-03-01T00:00:00Z", []string{"2026-04-01T00:00:00Z"}},
		{"@yearly", "", "2026-03-01T00:00:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"* * * * *", "", "2026-03-01T10:00:59.999Z", []string{"2026-03-01T10:01:00Z", "2026-03-01T10:02:00Z"}},
		{"0 9 * * MON", "Europe/Berlin", "2026-03-02T07:59:59Z", []string{"2026-03-02T09:00:00+01:00", "2026-03-09T09:00:00+01:00"}},
		{"0 9 * * MON", "Europe/Berlin", "2026-03-02T08:00:00Z", []string{"2026-03-09T09:00:00+01:00"}},
	}
	for _, tc := range cases {
		s, err := Parse(Input{Cron: tc.cron, Timezone: tc.zone})
		if err != nil {
			t.Fatalf("%s: %v", tc.cron, err)
		}
		got := s.NextN(mustTime(t, tc.after), len(tc.want))
		if len(got) != len(tc.want) {
			t.Fatalf("%s after %s: got %v, want %v", tc.cron, tc.after, got, tc.want)
		}
		for i := range got {
			if g := got[i].Format(time.RFC3339); g != tc.want[i] {
				t.Errorf("%s after %s: slot %d = %s, want %s", tc.cron, tc.after, i, g, tc.want[i])
			}
		}
	}
}

func TestEveryOnceCard(t *testing.T) {
	cases := []struct {
		name  string
		in    Input
		after string
		want  []string
	}{
		{"every anchored at epoch", Input{Every: "15m"}, "2026-03-01T10:07:30Z",
			[]string{"2026-03-01T10:15:00Z", "2026-03-01T10:30:00Z"}},
		{"every 7s at epoch", Input{Every: "7s"}, "1970-01-01T00:00:06Z", []string{"1970-01-01T00:00:07Z", "1970-01-01T00:00:14Z"}},
		{"every before epoch", Input{Every: "1h"}, "1969-12-31T22:30:00Z", []string{"1969-12-31T23:00:00Z", "1970-01-01T00:00:00Z"}},
		{"every with start_at before it", Input{Every: "1h30m", StartAt: "2026-01-01T00:07:00Z"}, "2025-06-01T00:00:00Z",
			[]string{"2026-01-01T00:07:00Z", "2026-01-01T01:37:00Z"}},
		{"every with start_at later", Input{Every: "1h30m", StartAt: "2026-01-01T00:07:00Z"}, "2026-01-01T01:37:00Z",
			[]string{"2026-01-01T03:07:00Z"}},
		{"every start_at with fraction", Input{Every: "1s", StartAt: "2026-01-01T00:00:00.5Z"}, "2026-01-01T00:00:01.5Z",
			[]string{"2026-01-01T00:00:02.5Z"}},
		{"every ignores DST", Input{Every: "1h", Timezone: "Europe/Berlin"}, "2018-03-25T00:30:00Z",
			[]string{"2018-03-25T03:00:00+02:00", "2018-03-25T04:00:00+02:00"}},
		{"every until end_at", Input{Every: "1h", StartAt: "2026-01-01T00:00:00Z", EndAt: "2026-01-01T02:00:00Z"}, "2025-01-01T00:00:00Z",
			[]string{"2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"}},
		{"once ahead", Input{OnceAt: "2026-12-01T09:00:00+01:00"}, "2026-01-01T00:00:00Z", []string{"2026-12-01T08:00:00Z"}},
		{"once passed", Input{OnceAt: "2026-12-01T09:00:00+01:00"}, "2026-12-01T08:00:00Z", nil},
		{"once local", Input{OnceAt: "2026-12-01T09:00", Timezone: "Europe/Berlin"}, "2026-01-01T00:00:00Z", []string{"2026-12-01T09:00:00+01:00"}},
		{"card with window", Input{Weekdays: []string{"mon", "thu"}, Times: []string{"18:30", "06:00"}, Timezone: "America/New_York",
			StartAt: "2026-03-05T00:00:00-05:00", EndAt: "2026-03-12T06:00:00-04:00"}, "2026-01-01T00:00:00Z",
			[]string{"2026-03-05T06:00:00-05:00", "2026-03-05T18:30:00-05:00", "2026-03-09T06:00:00-04:00", "2026-03-09T18:30:00-04:00", "2026-03-12T06:00:00-04:00"}},
		{"card local start_at", Input{Weekdays: []string{"sat"}, Times: []string{"10:00"}, Timezone: "Asia/Kolkata", StartAt: "2026-03-07T10:00"},
			"2026-01-01T00:00:00Z", []string{"2026-03-07T10:00:00+05:30", "2026-03-14T10:00:00+05:30"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			n := len(tc.want)
			if tc.in.EndAt != "" || tc.in.OnceAt != "" {
				n++ // bounded: ask for one more than exists
			}
			got := s.NextN(mustTime(t, tc.after), n)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if g := got[i].Format(time.RFC3339Nano); g != tc.want[i] {
					t.Errorf("slot %d = %s, want %s", i, g, tc.want[i])
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	cases := []struct {
		in   Input
		want string
	}{
		{Input{Weekdays: []string{"thu", "mon"}, Times: []string{"18:30", "06:00"}, Timezone: "America/New_York"},
			"Mondays and Thursdays at 06:00 and 18:30, America/New_York"},
		{Input{Weekdays: []string{"mon", "tue", "wed", "thu", "fri"}, Times: []string{"09:00"}}, "Weekdays at 09:00, UTC"},
		{Input{Every: "15m"}, "Every 15 minutes"},
		{Input{Every: "1h"}, "Every hour"},
		{Input{Every: "1h30m"}, "Every 1 hour and 30 minutes"},
		{Input{Every: "48h"}, "Every 2 days"},
		{Input{Every: "1h", StartAt: "2026-01-01T09:00:00Z"}, "Every hour, from 2026-01-01 09:00 UTC"},
		{Input{Cron: "0 9 * * MON", Timezone: "Europe/Berlin"}, "At 09:00 on Monday, Europe/Berlin"},
		{Input{Cron: "30 8 * * 1-5"}, "At 08:30 on Monday through Friday, UTC"},
		{Input{Cron: "0 9,17 * * *"}, "Every day at 09:00 and 17:00, UTC"},
		{Input{Cron: "@daily"}, "Every day at 00:00, UTC"},
		{Input{Cron: "@hourly"}, "Every hour, UTC"},
		{Input{Cron: "@weekly"}, "At 00:00 on Sunday, UTC"},
		{Input{Cron: "@monthly"}, "At 00:00 on day 1 of the month, UTC"},
		{Input{Cron: "@yearly"}, "At 00:00 on day 1 of January, UTC"},
		{Input{Cron: "*/15 * * * *"}, "Every 15 minutes, UTC"},
		{Input{Cron: "* * * * *"}, "Every minute, UTC"},
		{Input{Cron: "5 */2 * * *"}, "Every 2 hours at minute 5, UTC"},
		{Input{Cron: "0 0 1,15 * *"}, "At 00:00 on days 1 and 15 of the month, UTC"},
		{Input{Cron: "0 6 * 12 SAT,SUN", Timezone: "Asia/Kolkata"}, "At 06:00 on Saturday and Sunday in December, Asia/Kolkata"},
		{Input{Cron: "0 0 13 * 5"}, `Cron "0 0 13 * 5" (UTC)`},
		{Input{Cron: "*/7 3 * * *"}, `Cron "*/7 3 * * *" (UTC)`},
		{Input{OnceAt: "2026-12-01T09:00:00+01:00", Timezone: "Europe/Berlin"}, "Once at 2026-12-01 09:00 Europe/Berlin"},
		{Input{OnceAt: "2026-12-01T09:00:00+01:00"}, "Once at 2026-12-01 08:00 UTC"},
	}
	for _, tc := range cases {
		s, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Describe(); got != tc.want {
			t.Errorf("Describe(%+v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAccessorsAndDue(t *testing.T) {
	s, err := Parse(Input{Cron: "0 * * * *", Timezone: "Asia/Kolkata", Misfire: "skip", MaxRuns: 4})
	if err != nil {
		t.Fatal(err)
	}
	if s.Misfire() != "skip" || s.MaxRuns() != 4 || s.Location().String() != "Asia/Kolkata" {
		t.Fatalf("accessors: %q %d %v", s.Misfire(), s.MaxRuns(), s.Location())
	}
	if d, _ := Parse(Input{Every: "1m"}); d.Misfire() != "run_once" || d.Location() != time.UTC {
		t.Fatalf("defaults: %q %v", d.Misfire(), d.Location())
	}
	last, now := mustTime(t, "2026-03-01T00:30:00Z"), mustTime(t, "2026-03-01T03:30:00Z")
	due := s.Due(last, now, 10)
	want := []string{"2026-03-01T01:30:00Z", "2026-03-01T02:30:00Z", "2026-03-01T03:30:00Z"} // (last, now]
	if len(due) != len(want) {
		t.Fatalf("Due = %v", due)
	}
	for i := range due {
		if !due[i].Equal(mustTime(t, want[i])) {
			t.Errorf("Due[%d] = %v, want %s", i, due[i], want[i])
		}
	}
	if got := s.Due(last, now, 2); len(got) != 2 || !got[1].Equal(due[1]) {
		t.Errorf("Due limit 2 = %v", got)
	}
	if got := s.Due(now, last, 5); got != nil {
		t.Errorf("Due with now before last = %v", got)
	}
	if got := s.Due(last, now, 0); got != nil {
		t.Errorf("Due limit 0 = %v", got)
	}
}

// TestNextProperties: Next never returns a time <= after, NextN is strictly
// increasing, and NextN agrees with chained Next calls.
func TestNextProperties(t *testing.T) {
	inputs := []Input{
		{Cron: "*/7 1-3 * * *", Timezone: "Europe/Berlin"},
		{Cron: "0 0 29 2 *", Timezone: "Pacific/Auckland"},
		{Cron: "30 2 * * 0", Timezone: "America/New_York"},
		{Cron: "0,30 0 * * *", Timezone: "America/Sao_Paulo"},
		{Cron: "15 2 * * *", Timezone: "Australia/Lord_Howe"},
		{Every: "97s", Timezone: "Asia/Tehran"},
		{Weekdays: []string{"sun"}, Times: []string{"00:00", "00:30", "02:30"}, Timezone: "America/Santiago"},
		{OnceAt: "2030-01-01T00:00:00Z"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lo, hi := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2035, 12, 31, 0, 0, 0, 0, time.UTC).Unix()
	for _, in := range inputs {
		s, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		for range 300 {
			after := time.Unix(lo+rng.Int64N(hi-lo), rng.Int64N(1e9))
			next := s.NextN(after, 5)
			prev := after
			for i, n := range next {
				if !n.After(prev) {
					t.Fatalf("%s: NextN(%v)[%d] = %v, not after %v", s.Describe(), after, i, n, prev)
				}
				if one, ok := s.Next(prev); !ok || !one.Equal(n) {
					t.Fatalf("%s: Next(%v) = %v, NextN says %v", s.Describe(), prev, one, n)
				}
				prev = n
			}
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s, err := Parse(Input{Weekdays: []string{"mon"}, Times: []string{"09:00"}, Timezone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := s.Next(mustTime(t, "2026-01-01T00:00:00Z"))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got, _ := s.Next(mustTime(t, "2026-01-01T00:00:00Z")); !got.Equal(want) {
					t.Error("concurrent Next differs")
				}
				_ = s.Describe()
			}
		})
	}
	wg.Wait()
}

func TestExtremeAfter(t *testing.T) {
	s, _ := Parse(Input{Cron: "0 0 29 2 *", Timezone: "Europe/Berlin"})
	for _, after := range []time.Time{{}, time.Unix(1<<62, 0), time.Unix(-1<<62, 0), time.Date(9999, 12, 31, 23, 59, 0, 0, time.UTC)} {
		if n, ok := s.Next(after); ok && !n.After(after) {
			t.Errorf("Next(%v) = %v", after, n)
		}
	}
}
