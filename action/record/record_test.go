package record

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

// recordingHost stands in for the engine: it records the calls it gets and
// answers as the engine does (record JSON with an id). The engine's record
// behaviour itself is tested end to end elsewhere.
type recordingHost struct {
	calls []string
	args  [][]any
	err   error
}

func (h *recordingHost) record(name string, args ...any) (map[string]any, error) {
	h.calls = append(h.calls, name)
	h.args = append(h.args, args)
	if h.err != nil {
		return nil, h.err
	}
	return map[string]any{"id": "rec_new", "collection": args[0]}, nil
}

func (h *recordingHost) CreateRecord(_ context.Context, _ *action.Request, c string, d map[string]any) (map[string]any, error) {
	return h.record("create", c, d)
}

func (h *recordingHost) UpdateRecord(_ context.Context, _ *action.Request, c, id string, d map[string]any) (map[string]any, error) {
	return h.record("update", c, id, d)
}

func (h *recordingHost) DeleteRecord(_ context.Context, _ *action.Request, c, id string) (map[string]any, error) {
	return h.record("delete", c, id)
}

func (h *recordingHost) EnqueueJob(context.Context, *action.Request, string, any, time.Time, int) (map[string]any, error) {
	return nil, errors.New("unexpected")
}

func (h *recordingHost) TriggerHook(context.Context, *action.Request, string, map[string]any) (map[string]any, error) {
	return nil, errors.New("unexpected")
}

func request(h action.Host, cfg map[string]any, execCtx map[string]any) *action.Request {
	return &action.Request{
		Hook: &hook.Hook{ID: "hk_1"}, Execution: &hook.Execution{ID: "exe_1", Context: execCtx},
		Config: cfg, IdempotencyKey: "msg_exe_1_0", Attempt: 1, Host: h,
	}
}

var triggering = map[string]any{
	"collection": "orders",
	"record":     map[string]any{"id": "rec_trigger", "collection": "orders", "total": 600.0},
}

func TestValidate(t *testing.T) {
	create, update, del := NewCreate(Options{}), NewUpdate(Options{}), NewDelete(Options{})
	data := map[string]any{"status": "paid"}
	cases := []struct {
		name  string
		e     *Executor
		cfg   map[string]any
		field string // "" = valid
		msg   string
	}{
		{"create", create, map[string]any{"collection": "invoices", "data": data}, "", ""},
		{"create holes", create, map[string]any{"collection": "{{ collection }}", "data": map[string]any{"n": "{{ record.total }}"}}, "", ""},
		{"create whole data hole", create, map[string]any{"collection": "invoices", "data": "{{ record }}"}, "", ""},
		{"create empty data", create, map[string]any{"collection": "invoices", "data": map[string]any{}}, "", ""},
		{"update default id", update, map[string]any{"collection": "orders", "data": data}, "", ""},
		{"update id", update, map[string]any{"collection": "orders", "id": "rec_1", "data": data}, "", ""},
		{"update id hole", update, map[string]any{"collection": "orders", "id": "{{ steps.inv.id }}", "data": data}, "", ""},
		{"delete", del, map[string]any{"collection": "orders"}, "", ""},
		{"delete id", del, map[string]any{"collection": "orders", "id": "rec_1"}, "", ""},

		{"collection missing", create, map[string]any{"data": data}, "collection", "is required"},
		{"collection empty", del, map[string]any{"collection": ""}, "collection", "is required"},
		{"collection type", create, map[string]any{"collection": 3.0, "data": data}, "collection", "must be a string"},
		{"collection upper", create, map[string]any{"collection": "Orders", "data": data}, "collection", "lower-case"},
		{"collection digit first", create, map[string]any{"collection": "1orders", "data": data}, "collection", "lower-case"},
		{"collection too long", create, map[string]any{"collection": "a" + strings.Repeat("b", 63), "data": data}, "collection", "lower-case"},
		{"data missing", create, map[string]any{"collection": "orders"}, "data", "is required"},
		{"data array", create, map[string]any{"collection": "orders", "data": []any{1.0}}, "data", "object"},
		{"data text", create, map[string]any{"collection": "orders", "data": "status={{ x }}"}, "data", "object"},
		{"update empty data", update, map[string]any{"collection": "orders", "data": map[string]any{}}, "data", "at least one field"},
		{"id type", update, map[string]any{"collection": "orders", "id": 5.0, "data": data}, "id", "must be a string"},
		{"id bad", del, map[string]any{"collection": "orders", "id": "../x"}, "id", "not a valid"},
		{"create has no id", create, map[string]any{"collection": "orders", "id": "rec_1", "data": data}, "id", "unknown field"},
		{"delete has no data", del, map[string]any{"collection": "orders", "data": data}, "data", "unknown field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.e.Validate(c.cfg)
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

func TestExecutePassesArguments(t *testing.T) {
	data := map[string]any{"status": "paid", "total": 600.0}
	cases := []struct {
		name    string
		e       *Executor
		cfg     map[string]any
		execCtx map[string]any
		call    string
		args    []any
	}{
		{"create", NewCreate(Options{}), map[string]any{"collection": "invoices", "data": data}, triggering,
			"create", []any{"invoices", data}},
		{"update given id", NewUpdate(Options{}), map[string]any{"collection": "orders", "id": "rec_other", "data": data}, triggering,
			"update", []any{"orders", "rec_other", data}},
		{"update defaults to trigger", NewUpdate(Options{}), map[string]any{"collection": "orders", "data": data}, triggering,
			"update", []any{"orders", "rec_trigger", data}},
		{"update rendered empty id defaults", NewUpdate(Options{}), map[string]any{"collection": "orders", "id": "", "data": data}, triggering,
			"update", []any{"orders", "rec_trigger", data}},
		{"delete defaults to trigger", NewDelete(Options{}), map[string]any{"collection": "orders"}, triggering,
			"delete", []any{"orders", "rec_trigger"}},
		{"delete given id, no trigger", NewDelete(Options{}), map[string]any{"collection": "orders", "id": "rec_9"}, nil,
			"delete", []any{"orders", "rec_9"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &recordingHost{}
			res, err := c.e.Execute(context.Background(), request(h, c.cfg, c.execCtx))
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if len(h.calls) != 1 || h.calls[0] != c.call || !reflect.DeepEqual(h.args[0], c.args) {
				t.Errorf("calls %v %v, want %s %v", h.calls, h.args, c.call, c.args)
			}
			if res.Output["id"] != "rec_new" {
				t.Errorf("Output = %v, want the host's answer", res.Output)
			}
			if s := res.Request.(map[string]any); s["collection"] != c.args[0] {
				t.Errorf("Request = %v", s)
			}
		})
	}
}

func TestExecuteErrors(t *testing.T) {
	t.Run("no triggering record", func(t *testing.T) {
		for _, execCtx := range []map[string]any{nil, {"event": map[string]any{"id": "evt_1"}}, {"record": map[string]any{"total": 1.0}}} {
			h := &recordingHost{}
			_, err := NewUpdate(Options{}).Execute(context.Background(), request(h, map[string]any{"collection": "orders", "data": map[string]any{"a": 1.0}}, execCtx))
			if err == nil || action.IsRetryable(err) || !strings.Contains(err.Error(), "no triggering record") {
				t.Errorf("err = %v", err)
			}
			if len(h.calls) != 0 {
				t.Errorf("host called: %v", h.calls)
			}
		}
	})
	t.Run("triggering record in another collection", func(t *testing.T) {
		h := &recordingHost{}
		_, err := NewDelete(Options{}).Execute(context.Background(), request(h, map[string]any{"collection": "invoices"}, triggering))
		if err == nil || !strings.Contains(err.Error(), `"orders"`) || len(h.calls) != 0 {
			t.Errorf("err = %v, calls %v", err, h.calls)
		}
	})
	t.Run("host error is final", func(t *testing.T) {
		h := &recordingHost{err: errors.New("record rec_9 not found")}
		_, err := NewDelete(Options{}).Execute(context.Background(), request(h, map[string]any{"collection": "orders", "id": "rec_9"}, nil))
		var ae *action.Error
		if !errors.As(err, &ae) || ae.Retryable || !strings.Contains(err.Error(), "orders/rec_9: record rec_9 not found") {
			t.Errorf("err = %v", err)
		}
		if !errors.Is(err, h.err) {
			t.Errorf("host error not wrapped")
		}
	})
	t.Run("host action error kept", func(t *testing.T) {
		h := &recordingHost{err: action.Retry(errors.New("database busy"), time.Second, nil)}
		_, err := NewCreate(Options{}).Execute(context.Background(), request(h, map[string]any{"collection": "orders", "data": map[string]any{}}, nil))
		if err != h.err || !action.IsRetryable(err) {
			t.Errorf("err = %v, want the host's own *action.Error", err)
		}
	})
	t.Run("rendered values checked", func(t *testing.T) {
		h := &recordingHost{}
		for _, cfg := range []map[string]any{
			{"collection": "Bad Name", "data": map[string]any{}},
			{"collection": "orders", "data": "not an object"},
			{"collection": "orders", "data": nil},
		} {
			if _, err := NewCreate(Options{}).Execute(context.Background(), request(h, cfg, nil)); err == nil || action.IsRetryable(err) {
				t.Errorf("%v: err = %v", cfg, err)
			}
		}
		if len(h.calls) != 0 {
			t.Errorf("host called: %v", h.calls)
		}
	})
	t.Run("types", func(t *testing.T) {
		if NewCreate(Options{}).Type() != TypeCreate || NewUpdate(Options{}).Type() != TypeUpdate || NewDelete(Options{}).Type() != TypeDelete {
			t.Error("wrong types")
		}
	})
}
