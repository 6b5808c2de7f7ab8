// Package scheduler fires schedule hooks: it finds hooks whose next slot is
// due, decides (purely, in Decide) what a due slot means after delays and
// downtime, and asks the engine to fire it. Exactly-once per slot is the
// engine's job: it records (hook, slot) under a unique key in the same
// transaction that enqueues the execution, so any number of nodes may scan.
package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hookline/hookline/schedule"
)

// Decision is what to do with a due hook.
type Decision struct {
	Fire     bool
	Slot     time.Time     // the slot fired (or skipped)
	Lateness time.Duration // how long after Slot the firing happens
	Missed   int           // slots passed over without a firing of their own
	Next     *time.Time    // the next slot to wait for; nil when the schedule is over
}

// Decide settles a hook whose next slot `due` is at or before now.
//
//   - Within grace of its slot, a slot simply fires; the following slot is
//     next (even if it is due too: it fires on the next scan).
//   - Later than grace means the schedule was not served (downtime, a clock
//     jump): misfire "run_once" fires once, for the latest missed slot;
//     "skip" fires nothing. Either way the next slot after now is next.
//   - max_runs ends the schedule.
func Decide(spec *schedule.Spec, due time.Time, runCount int, now time.Time, grace time.Duration) Decision {
	max := spec.MaxRuns()
	if max > 0 && runCount >= max {
		return Decision{}
	}
	d := Decision{Slot: due, Lateness: now.Sub(due)}
	after := due
	if d.Lateness <= grace {
		d.Fire = true
	} else {
		// The slots not served: due and those after it up to now. run_once
		// fires the latest of them; the others are passed over.
		missed := spec.Due(due, now, 100000)
		d.Missed = len(missed)
		if len(missed) > 0 {
			d.Slot = missed[len(missed)-1]
		}
		d.Lateness = now.Sub(d.Slot)
		d.Fire = spec.Misfire() != schedule.MisfireSkip
		if !d.Fire {
			d.Missed++ // the last one too
		}
		after = now
	}
	runs := runCount
	if d.Fire {
		runs++
	}
	if max > 0 && runs >= max {
		return d
	}
	if next, ok := spec.Next(after); ok {
		next = next.UTC()
		d.Next = &next
	}
	return d
}

// FireDue settles the schedule hooks due at now, at most limit of them, and
// reports how many it looked at. The engine does it in one transaction that
// locks the due hooks (SKIP LOCKED on PostgreSQL, so nodes split the work),
// claims each slot under a unique (hook, slot) key and enqueues its execution.
type FireDue func(ctx context.Context, now time.Time, limit int) (int, error)

// Config configures a Scheduler.
type Config struct {
	Now      func() time.Time
	Logger   *slog.Logger
	Interval time.Duration // how often due hooks are looked for; default 200ms
	Batch    int           // due hooks per transaction; default 200
	Fire     FireDue
}

// Scheduler scans for due schedule hooks.
type Scheduler struct {
	cfg  Config
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New builds a Scheduler.
func New(cfg Config) *Scheduler {
	if cfg.Interval == 0 {
		cfg.Interval = 200 * time.Millisecond
	}
	if cfg.Batch == 0 {
		cfg.Batch = 200
	}
	return &Scheduler{cfg: cfg}
}

// Start runs the scan loop until Stop.
func (s *Scheduler) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(ctx)
	s.wg.Add(1)
	go s.loop(ctx)
}

// Stop ends the loop and waits for it.
func (s *Scheduler) Stop() {
	if s.stop != nil {
		s.stop()
		s.wg.Wait()
	}
}

func (s *Scheduler) loop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		s.Scan(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Scan fires every hook due now, batch after batch, until none is left.
func (s *Scheduler) Scan(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.cfg.Fire(ctx, s.cfg.Now(), s.cfg.Batch)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Error("fire due schedules", "err", err)
			}
			return
		}
		if n < s.cfg.Batch {
			return
		}
	}
}
