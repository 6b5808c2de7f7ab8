package scheduler

import (
	"testing"
	"time"

	"github.com/hookline/hookline/schedule"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	spec := func(in schedule.Input) *schedule.Spec {
		s, err := schedule.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	every := spec(schedule.Input{Every: "1m"})
	skip := spec(schedule.Input{Every: "1m", Misfire: "skip"})
	three := spec(schedule.Input{Every: "1m", MaxRuns: 3})
	cases := []struct {
		name      string
		s         *schedule.Spec
		due, now  time.Time
		runs      int
		fire      bool
		slot      time.Time
		missed    int
		next      *time.Time
		noNextSet bool
	}{
		{name: "on time", s: every, due: t0, now: t0.Add(300 * time.Millisecond), fire: true, slot: t0, next: ptr(t0.Add(time.Minute))},
		{name: "late within grace: next slot follows the fired one", s: every, due: t0, now: t0.Add(1500 * time.Millisecond), fire: true, slot: t0, next: ptr(t0.Add(time.Minute))},
		{name: "downtime run_once fires the latest missed slot once", s: every, due: t0, now: t0.Add(3*time.Minute + 10*time.Second), fire: true, slot: t0.Add(3 * time.Minute), missed: 3, next: ptr(t0.Add(4 * time.Minute))},
		{name: "downtime skip fires nothing", s: skip, due: t0, now: t0.Add(3*time.Minute + 10*time.Second), fire: false, slot: t0.Add(3 * time.Minute), missed: 4, next: ptr(t0.Add(4 * time.Minute))},
		{name: "clock jump forward: one catch-up", s: every, due: t0, now: t0.Add(48 * time.Hour), fire: true, slot: t0.Add(48 * time.Hour), missed: 2880, next: ptr(t0.Add(48*time.Hour + time.Minute))},
		{name: "last of max_runs ends the schedule", s: three, due: t0, now: t0, runs: 2, fire: true, slot: t0, noNextSet: true},
		{name: "max_runs reached: nothing", s: three, due: t0, now: t0, runs: 3, fire: false, noNextSet: true},
	}
	for _, c := range cases {
		d := Decide(c.s, c.due, c.runs, c.now, 2*time.Second)
		if d.Fire != c.fire || d.Missed != c.missed || (c.fire && !d.Slot.Equal(c.slot)) {
			t.Errorf("%s: fire=%v slot=%v missed=%d, want %v %v %d", c.name, d.Fire, d.Slot, d.Missed, c.fire, c.slot, c.missed)
		}
		switch {
		case c.noNextSet && d.Next != nil:
			t.Errorf("%s: next %v, want none", c.name, d.Next)
		case c.next != nil && (d.Next == nil || !d.Next.Equal(*c.next)):
			t.Errorf("%s: next %v, want %v", c.name, d.Next, *c.next)
		}
	}
}

func ptr(t time.Time) *time.Time { return &t }
