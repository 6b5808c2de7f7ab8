package job

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
)

// recordingHost stands in for the engine: it records EnqueueJob's
// arguments and answers as the engine does. The engine's queue itself is
// tested end to end elsewhere.
type recordingHost struct {
	action.Host // other methods: not called (nil: a call panics)
	calls       []enqueued
	err         error
}

type enqueued struct {
	queue    string
	payload  any
	runAt    time.Time
	priority int
}

func (h *recordingHost) EnqueueJob(_ context.Context, _ *action.Request, queue string, payload any, runAt time.Time, priority int) (map[string]any, error) {
	h.calls = append(h.calls, enqueued{queue, payload, runAt, priority})
	if h.err != nil {
		return nil, h.err
	}
	return map[string]any{"id": "job_1", "queue": queue}, nil
}

func request(h action.Host, cfg map[string]any) *action.Request {
	return &action.Request{Hook: &hook.Hook{ID: "hk_1"}, Execution: &hook.Execution{ID: "exe_1"}, Config: cfg, Attempt: 1, Host: h}
}

func TestValidate(t *testing.T) {
	e := New(Options{})
	cases := []struct {
		name  string
		cfg   map[string]any
		field string // "" = valid
		msg   string
	}{
		{"minimal", map[string]any{"queue": "emails"}, "", ""},
		{"everything", map[string]any{"queue": "billing.v2-high_1", "payload": map[string]any{"a": []any{1.0}}, "run_at": "2026-05-01T09:00:00+02:00", "priority": -100.0}, "", ""},
		{"duration", map[string]any{"queue": "q", "run_at": "1h30m", "priority": 100.0}, "", ""},
		{"scalar payload", map[string]any{"queue": "q", "payload": "{{ record }}"}, "", ""},
		{"holes", map[string]any{"queue": "{{ record.queue }}", "run_at": "{{ record.due }}", "priority": "{{ record.prio }}"}, "", ""},
		{"priority as text", map[string]any{"queue": "q", "priority": "5"}, "", ""},
		{"null fields", map[string]any{"queue": "q", "payload": nil, "run_at": nil, "priority": nil}, "", ""},

		{"queue missing", map[string]any{}, "queue", "is required"},
		{"queue empty", map[string]any{"queue": ""}, "queue", "is required"},
		{"queue type", map[string]any{"queue": 1.0}, "queue", "must be a string"},
		{"queue chars", map[string]any{"queue": "my queue"}, "queue", "letters, digits"},
		{"queue long", map[string]any{"queue": strings.Repeat("q", 65)}, "queue", "1 to 64"},
		{"run_at bad", map[string]any{"queue": "q", "run_at": "tomorrow"}, "run_at", "RFC 3339"},
		{"run_at negative", map[string]any{"queue": "q", "run_at": "-5m"}, "run_at", "between"},
		{"run_at far", map[string]any{"queue": "q", "run_at": "9000h"}, "run_at", "between"},
		{"run_at type", map[string]any{"queue": "q", "run_at": 60.0}, "run_at", "must be a string"},
		{"priority fraction", map[string]any{"queue": "q", "priority": 1.5}, "priority", "integer"},
		{"priority text", map[string]any{"queue": "q", "priority": "high"}, "priority", "integer"},
		{"priority high", map[string]any{"queue": "q", "priority": 101.0}, "priority", "between -100 and 100"},
		{"priority low", map[string]any{"queue": "q", "priority": -101.0}, "priority", "between"},
		{"payload large", map[string]any{"queue": "q", "payload": strings.Repeat("x", MaxPayload)}, "payload", "at most"},
		{"unknown", map[string]any{"queue": "q", "delay": "5m"}, "delay", "unknown field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.Validate(c.cfg)
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var fe *action.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError on %s", err, c.field)
			}
			if fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("err = %q, want field %s with %q", err, c.field, c.msg)
			}
		})
	}
}

func TestExecute(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e := New(Options{Now: func() time.Time { return now }})
	at := time.Date(2026, 5, 1, 7, 0, 0, 0, time.UTC)
	payload := map[string]any{"order": "rec_1", "lines": []any{1.0, 2.0}}
	cases := []struct {
		name string
		cfg  map[string]any
		want enqueued
	}{
		{"defaults", map[string]any{"queue": "emails"}, enqueued{"emails", map[string]any{}, time.Time{}, 0}},
		{"absolute", map[string]any{"queue": "emails", "payload": payload, "run_at": "2026-05-01T09:00:00+02:00", "priority": 7.0},
			enqueued{"emails", payload, at, 7}},
		{"from now", map[string]any{"queue": "q", "payload": "text", "run_at": "10m", "priority": "-3"},
			enqueued{"q", "text", now.Add(10 * time.Minute), -3}},
		{"empty run_at", map[string]any{"queue": "q", "run_at": ""}, enqueued{"q", map[string]any{}, time.Time{}, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &recordingHost{}
			res, err := e.Execute(context.Background(), request(h, c.cfg))
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if len(h.calls) != 1 {
				t.Fatalf("%d calls", len(h.calls))
			}
			got := h.calls[0]
			if got.queue != c.want.queue || !reflect.DeepEqual(got.payload, c.want.payload) || !got.runAt.Equal(c.want.runAt) || got.priority != c.want.priority {
				t.Errorf("enqueued %+v, want %+v", got, c.want)
			}
			if res.Output["id"] != "job_1" {
				t.Errorf("Output = %v", res.Output)
			}
		})
	}
}

func TestExecuteErrors(t *testing.T) {
	t.Run("host error is final", func(t *testing.T) {
		h := &recordingHost{err: errors.New("queue full")}
		_, err := New(Options{}).Execute(context.Background(), request(h, map[string]any{"queue": "q"}))
		var ae *action.Error
		if !errors.As(err, &ae) || ae.Retryable || !errors.Is(err, h.err) || ae.Result == nil {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("host action error kept", func(t *testing.T) {
		h := &recordingHost{err: action.Retry(errors.New("busy"), 0, nil)}
		_, err := New(Options{}).Execute(context.Background(), request(h, map[string]any{"queue": "q"}))
		if err != h.err {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("rendered values checked", func(t *testing.T) {
		h := &recordingHost{}
		for _, cfg := range []map[string]any{
			{"queue": "a b"},
			{"queue": "q", "priority": 500.0},
			{"queue": "q", "run_at": "soon"},
			{"queue": nil},
		} {
			if _, err := New(Options{}).Execute(context.Background(), request(h, cfg)); err == nil || action.IsRetryable(err) {
				t.Errorf("%v: err = %v", cfg, err)
			}
		}
		if len(h.calls) != 0 {
			t.Errorf("host called")
		}
	})
}
