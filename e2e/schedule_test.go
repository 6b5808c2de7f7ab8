package e2e

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func scheduleHook(name string, trigger map[string]any, url string) map[string]any {
	return map[string]any{
		"name": name, "enabled": true, "trigger": trigger,
		"actions": []any{map[string]any{"type": "send_webhook", "config": map[string]any{"url": url, "body_template": map[string]any{"slot": "{{trigger.slot}}"}}}},
	}
}

func TestScheduleAPIFields(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		card := map[string]any{"type": "schedule", "weekdays": []any{"mon", "thu"}, "times": []any{"06:00", "18:30"}, "timezone": "America/New_York"}
		h := s.must(201, "POST", "/api/v1/hooks", scheduleHook("card", card, "https://hooks.example.com/x"))
		if h["next_run_at"] == nil || len(h["next_runs"].([]any)) != 5 {
			t.Fatalf("a saved schedule hook shows next_run_at and five next runs: %v %v", h["next_run_at"], h["next_runs"])
		}
		if h["schedule_description"] != "Mondays and Thursdays at 06:00 and 18:30, America/New_York" {
			t.Errorf("description: %v", h["schedule_description"])
		}
		first, _ := time.Parse(time.RFC3339, h["next_runs"].([]any)[0].(string))
		ny, _ := time.LoadLocation("America/New_York")
		if wd := first.In(ny).Weekday(); wd != time.Monday && wd != time.Thursday {
			t.Errorf("first run on %s", wd)
		}
		id := h["id"].(string)
		off := s.must(200, "PATCH", "/api/v1/hooks/"+id, map[string]any{"enabled": false})
		if off["next_run_at"] != nil || len(off["next_runs"].([]any)) != 0 {
			t.Errorf("disabling clears next_run_at: %v", off["next_run_at"])
		}
		on := s.must(200, "PATCH", "/api/v1/hooks/"+id, map[string]any{"enabled": true})
		if on["next_run_at"] != h["next_run_at"] {
			t.Errorf("enabling recomputes next_run_at: %v, want %v", on["next_run_at"], h["next_run_at"])
		}
		for _, bad := range []struct {
			trig  map[string]any
			field string
		}{
			{map[string]any{"type": "schedule", "cron": "0 0 30 2 *"}, "trigger.cron"},
			{map[string]any{"type": "schedule", "every": "500ms"}, "trigger.every"},
			{map[string]any{"type": "schedule", "weekdays": []any{"mon"}, "times": []any{"25:00"}}, "trigger.times[0]"},
			{map[string]any{"type": "schedule", "every": "1h", "start_at": "2030-01-02T00:00:00Z", "end_at": "2030-01-01T00:00:00Z"}, "trigger.end_at"},
			{map[string]any{"type": "schedule", "cron": "@daily", "misfire": "later"}, "trigger.misfire"},
		} {
			r := s.do("POST", "/api/v1/hooks", s.Admin, scheduleHook("bad", bad.trig, "https://hooks.example.com/x"))
			if r.Status != 422 || r.Body["error"].(map[string]any)["field"] != bad.field {
				t.Errorf("%v: %d %s, want 422 on %s", bad.trig, r.Status, r.Raw, bad.field)
			}
		}
	})
}

func TestScheduleFiresAndStopsAtMaxRuns(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := start(t, open(t))
		sk := newSink(t)
		h := s.must(201, "POST", "/api/v1/hooks", scheduleHook("every", map[string]any{"type": "schedule", "every": "1s", "max_runs": 3}, sk.URL))
		id := h["id"].(string)
		xs := s.waitExecutions(id, 3)
		seen := map[string]bool{}
		for _, x := range xs {
			if x["trigger_type"] != "schedule" || x["status"] != "success" || x["scheduled_for"] == nil {
				t.Errorf("scheduled execution: %v %v %v", x["trigger_type"], x["status"], x["scheduled_for"])
			}
			slot := x["scheduled_for"].(string)
			if seen[slot] {
				t.Errorf("slot %s fired twice", slot)
			}
			seen[slot] = true
			ts, _ := time.Parse(time.RFC3339, slot)
			if ts.Nanosecond() != 0 {
				t.Errorf("slot %s is not on the second", slot)
			}
		}
		time.Sleep(1500 * time.Millisecond)
		after := s.must(200, "GET", "/api/v1/hooks/"+id, nil)
		if after["run_count"] != float64(3) || after["next_run_at"] != nil {
			t.Errorf("after max_runs: run_count=%v next_run_at=%v", after["run_count"], after["next_run_at"])
		}
		if n := len(s.executions(id)); n != 3 {
			t.Errorf("%d executions, want exactly 3 (max_runs)", n)
		}
	})
}

// TestScheduleRestartMisfire stops the engine across three slots and starts
// it again: run_once fires one catch-up run, skip fires none.
func TestScheduleRestartMisfire(t *testing.T) {
	backends(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		st := open(t)
		ctx := context.Background()
		cfg := hookline.Config{Store: st, SecretKey: testKey, EventsPerSecond: -1, ScheduleInterval: 50 * time.Millisecond, Logger: quietLog}
		eng, err := hookline.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, key, _, _ := eng.Bootstrap(ctx, "")
		p, _ := eng.Authenticate(ctx, key)
		mk := func(misfire string) *hook.Hook {
			h, err := eng.CreateHook(ctx, p, &hook.Hook{
				Name: misfire, Enabled: true,
				Trigger: hook.Trigger{Type: "schedule", Every: "2s", Misfire: misfire},
				Actions: []hook.Action{{Type: "trigger_hook", Config: map[string]any{"hook_id": "hk_none"}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			return h
		}
		runOnce, skip := mk("run_once"), mk("skip")
		// The engine is not started: its slots pass unserved, as during downtime.
		time.Sleep(7 * time.Second) // three slots of 2s pass
		started := time.Now()
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer eng.Stop(ctx)
		// The executions for slots before the start: the catch-up runs.
		count := func(h *hook.Hook) []*hook.Execution {
			xs, err := eng.ListExecutions(ctx, p, store.ExecutionFilter{HookID: h.ID})
			if err != nil {
				t.Fatal(err)
			}
			var out []*hook.Execution
			for _, x := range xs {
				if x.ScheduledFor.Before(started) {
					out = append(out, x)
				}
			}
			return out
		}
		// Wait for the catch-up (a loaded machine may take a while to
		// start), then a few scheduler passes more: it stays one.
		for deadline := time.Now().Add(15 * time.Second); len(count(runOnce)) == 0 && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(10 * cfg.ScheduleInterval)
		ro := count(runOnce)
		if len(ro) != 1 {
			t.Fatalf("run_once: %d catch-up executions, want 1", len(ro))
		}
		trig := ro[0].Context["trigger"].(map[string]any)
		if fmt.Sprint(trig["missed_slots"]) == "0" || fmt.Sprint(trig["lateness_ms"]) == "0" {
			t.Errorf("a late firing logs its slot, lateness and missed slots: %v", trig)
		}
		if n := len(count(skip)); n != 0 {
			t.Errorf("skip: %d executions, want none until the next slot", n)
		}
		h, _ := eng.GetHook(ctx, p, skip.ID)
		if h.NextRunAt == nil || !h.NextRunAt.After(started) {
			t.Errorf("skip waits for the next slot: next_run_at %v", h.NextRunAt)
		}
	})
}

// TestScheduleManyNodes: three engines share one PostgreSQL database; 100
// schedules fire every second for 30 s; one engine is killed mid-way. Every
// slot fires exactly once.
func TestScheduleManyNodes(t *testing.T) {
	url := pgURL(t)
	ctx := context.Background()
	var engines []*hookline.Engine
	var stores []store.Store
	for i := 0; i < 3; i++ {
		st := openPG(t, url)
		eng, err := hookline.Open(ctx, hookline.Config{Store: st, SecretKey: testKey, NodeID: fmt.Sprintf("node-%d", i), EventsPerSecond: -1, MaxHooksPerAccount: 200, Logger: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		engines, stores = append(engines, eng), append(stores, st)
	}
	_, key, _, err := engines[0].Bootstrap(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := engines[0].Authenticate(ctx, key)
	var ids []string
	for i := 0; i < 100; i++ {
		h, err := engines[0].CreateHook(ctx, p, &hook.Hook{
			Name: fmt.Sprintf("tick %d", i), Enabled: true, AccountID: p.AccountID,
			Trigger: hook.Trigger{Type: "schedule", Every: "1s"},
			Actions: []hook.Action{{Type: "enqueue_job", Config: map[string]any{"queue": "ticks"}}},
		})
		if err != nil {
			if hookline.ErrorKind(err) == hookline.KindLimit {
				t.Fatal("raise MaxHooksPerAccount for this test")
			}
			t.Fatal(err)
		}
		ids = append(ids, h.ID)
	}
	begin := time.Now()
	for _, e := range engines {
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	time.Sleep(15 * time.Second)
	once.Do(func() { // kill node 1: no drain
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_ = engines[1].Stop(cctx)
	})
	time.Sleep(15 * time.Second)
	for _, i := range []int{0, 2} {
		_ = engines[i].Stop(ctx)
	}
	end := time.Now()
	for _, st := range stores {
		defer st.Close()
	}
	// Every whole second strictly inside (begin, end-1s) fired exactly once per hook.
	type passed struct {
		slot time.Time
		n    int
	}
	passedOver := map[string][]passed{}
	for _, id := range ids {
		var slots []time.Time
		cursor := ""
		for {
			xs, err := stores[0].ExecutionList(ctx, store.ExecutionFilter{HookID: id, Page: store.Page{Limit: 500, Cursor: cursor}})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range xs {
				slots = append(slots, *x.ScheduledFor)
				// A slot served more than 2 s late is a misfire (a machine
				// too loaded to keep up): it fires once for the slots it
				// passed over and says how many (missed_slots counts the
				// fired slot too); those count as served, never twice.
				trig, _ := x.Context["trigger"].(map[string]any)
				if n, _ := trig["missed_slots"].(float64); n > 1 {
					passedOver[id] = append(passedOver[id], passed{*x.ScheduledFor, int(n) - 1})
				}
			}
			if len(xs) < 500 {
				break
			}
			cursor = xs[len(xs)-1].ID
		}
		sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })
		seen := map[int64]int{}
		for _, s := range slots {
			seen[s.Unix()]++
		}
		misfired := map[int64]bool{}
		for _, p := range passedOver[id] {
			for k := 1; k <= p.n; k++ {
				sec := p.slot.Unix() - int64(k)
				if seen[sec] != 0 {
					t.Fatalf("hook %s: slot %s fired and was reported missed by the firing of %s", id, time.Unix(sec, 0).UTC(), p.slot.UTC())
				}
				misfired[sec] = true
			}
		}
		for sec := begin.Unix() + 2; sec < end.Unix()-1; sec++ {
			if seen[sec] != 1 && !(seen[sec] == 0 && misfired[sec]) {
				t.Fatalf("hook %s: slot %s fired %d times", id, time.Unix(sec, 0).UTC(), seen[sec])
			}
		}
	}
}
