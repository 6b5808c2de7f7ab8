package hook

import (
	"fmt"
	"math"
	"time"
)

// DefaultRetrySchedule is the delay before each attempt when an action has no
// retry policy: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h
// (eight attempts over about a day, as Svix does).
var DefaultRetrySchedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// MaxAttemptsLimit bounds max_attempts.
const MaxAttemptsLimit = 50

// CheckRetry validates p and returns the name of the bad field and why.
func (p *RetryPolicy) CheckRetry() (field, msg string) {
	if p == nil {
		return "", ""
	}
	if p.MaxAttempts < 0 || p.MaxAttempts > MaxAttemptsLimit {
		return "max_attempts", fmt.Sprintf("must be between 1 and %d", MaxAttemptsLimit)
	}
	switch p.Backoff {
	case "", "exponential", "fixed":
	default:
		return "backoff", `must be "exponential" or "fixed"`
	}
	for _, f := range []struct{ name, v string }{{"initial", p.Initial}, {"max", p.Max}} {
		if f.v == "" {
			continue
		}
		d, err := time.ParseDuration(f.v)
		if err != nil || d < 0 {
			return f.name, fmt.Sprintf("must be a duration like 2s or 10m, got %q", f.v)
		}
		if d > 48*time.Hour {
			return f.name, "must be at most 48h"
		}
	}
	return "", ""
}

// Attempts is how many attempts the policy allows in all.
func (p *RetryPolicy) Attempts() int {
	if p == nil {
		return len(DefaultRetrySchedule)
	}
	if p.MaxAttempts == 0 {
		return 5
	}
	return p.MaxAttempts
}

// Delay is the wait before the attempt after `failed` failed attempts
// (failed >= 1). jitter in [0,1) spreads exponential delays by up to ±10%.
func (p *RetryPolicy) Delay(failed int, jitter float64) time.Duration {
	if p == nil {
		if failed < len(DefaultRetrySchedule) {
			return DefaultRetrySchedule[failed]
		}
		return DefaultRetrySchedule[len(DefaultRetrySchedule)-1]
	}
	initial := parseOr(p.Initial, 2*time.Second)
	maxDelay := parseOr(p.Max, 10*time.Minute)
	if p.Backoff == "fixed" {
		return initial
	}
	d := float64(initial) * math.Pow(2, float64(failed-1))
	d *= 0.9 + 0.2*jitter
	if d > float64(maxDelay) {
		d = float64(maxDelay)
	}
	return time.Duration(d)
}

func parseOr(s string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && s != "" {
		return d
	}
	return def
}
