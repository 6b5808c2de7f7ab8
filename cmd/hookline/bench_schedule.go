package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"syscall"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// benchSchedules measures the scheduler on an otherwise idle engine: n
// enabled schedules that do not come due during the run (their cost is the
// idle cost), plus `ticking` hooks firing every second, whose executions'
// start lateness (claim time minus slot) gives the precision.
func benchSchedules(o *options, n, ticking int, dur time.Duration, stdout io.Writer) error {
	ctx := context.Background()
	st, err := openStore(ctx, o)
	if err != nil {
		return err
	}
	defer st.Close()
	key := make([]byte, 32)
	_, _ = randRead(key)
	eng, err := hookline.Open(ctx, hookline.Config{
		Store: st, SecretKey: key, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		MaxHooksPerAccount: n + ticking + 1, EventsPerSecond: -1,
	})
	if err != nil {
		return err
	}
	_, admin, _, err := eng.Bootstrap(ctx, "")
	if err != nil || admin == "" {
		return fmt.Errorf("bench needs an empty database: %v", err)
	}
	p, err := eng.Authenticate(ctx, admin)
	if err != nil {
		return err
	}
	act := []hook.Action{{Type: "enqueue_job", Config: map[string]any{"queue": "bench"}}}
	fmt.Fprintf(stdout, "creating %d idle schedules …\n", n)
	for i := 0; i < n; i++ {
		// Spread over cron, card and interval shapes, none due during the run.
		trig := hook.Trigger{Type: "schedule", Cron: fmt.Sprintf("%d %d 1 1 *", i%60, i%24), Timezone: "Europe/Berlin"}
		switch i % 3 {
		case 1:
			trig = hook.Trigger{Type: "schedule", Every: "720h"}
		case 2:
			trig = hook.Trigger{Type: "schedule", Weekdays: []string{"mon"}, Times: []string{"03:00"}, Timezone: "America/New_York", StartAt: "2099-01-01T00:00:00Z"}
		}
		if _, err := eng.CreateHook(ctx, p, &hook.Hook{Name: fmt.Sprintf("idle %d", i), Enabled: true, Trigger: trig, Actions: act}); err != nil {
			return err
		}
	}
	var tickIDs []string
	for i := 0; i < ticking; i++ {
		h, err := eng.CreateHook(ctx, p, &hook.Hook{Name: fmt.Sprintf("tick %d", i), Enabled: true, Trigger: hook.Trigger{Type: "schedule", Every: "1s"}, Actions: act})
		if err != nil {
			return err
		}
		tickIDs = append(tickIDs, h.ID)
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	defer eng.Stop(ctx)
	time.Sleep(time.Second) // settle: caches loaded
	cpu0, wall0 := cpuTime(), time.Now()
	time.Sleep(dur)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)

	var late []time.Duration
	for _, id := range tickIDs {
		xs, err := st.ExecutionList(ctx, store.ExecutionFilter{HookID: id, Page: store.Page{Limit: 500}})
		if err != nil {
			return err
		}
		for _, x := range xs {
			if x.ScheduledFor != nil && x.ExecutedAt != nil {
				late = append(late, x.ExecutedAt.Sub(*x.ScheduledFor))
			}
		}
	}
	slices.Sort(late)
	pct := func(q float64) time.Duration {
		if len(late) == 0 {
			return 0
		}
		return late[min(len(late)-1, int(float64(len(late))*q))]
	}
	fmt.Fprintf(stdout, "hookline bench --schedules: %d idle schedules + %d every second, %s\n", n, ticking, wall.Round(time.Millisecond))
	fmt.Fprintf(stdout, "CPU: %.2f%% of one core (%.3fs CPU in %.1fs)\n", 100*cpu.Seconds()/wall.Seconds(), cpu.Seconds(), wall.Seconds())
	fmt.Fprintf(stdout, "slot → execution start (%d firings): p50 %s  p99 %s  max %s\n", len(late), pct(.5).Round(time.Millisecond), pct(.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	return nil
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
