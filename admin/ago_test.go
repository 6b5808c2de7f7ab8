package admin

import (
	"testing"
	"time"
)

func TestAgoSeconds(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	for _, c := range []struct {
		v    any
		want string
	}{
		{at(-4 * time.Second), "4 s ago"},
		{at(6*time.Second + 300*time.Millisecond), "in 6 s"},
		{at(200 * time.Millisecond), "now"},
		{at(-5 * time.Minute), "5 min ago"}, // past a minute: as ago
		{(*time.Time)(nil), "—"},
	} {
		if got := agoSeconds(c.v, now); got != c.want {
			t.Errorf("agoSeconds(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
