package chain

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/hook"
)

// recordingHost stands in for the engine: it records TriggerHook's
// arguments. The engine's hook runs are tested end to end elsewhere.
type recordingHost struct {
	action.Host // other methods: not called
	hookIDs     []string
	datas       []map[string]any
	err         error
}

func (h *recordingHost) TriggerHook(_ context.Context, _ *action.Request, hookID string, data map[string]any) (map[string]any, error) {
	h.hookIDs = append(h.hookIDs, hookID)
	h.datas = append(h.datas, data)
	if h.err != nil {
		return nil, h.err
	}
	return map[string]any{"execution_id": "exe_2", "hook_id": hookID}, nil
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
		{"minimal", map[string]any{"hook_id": "hk_01jabc"}, "", ""},
		{"data", map[string]any{"hook_id": "hk_01jabc", "data": map[string]any{"x": "{{ record.id }}"}}, "", ""},
		{"holes", map[string]any{"hook_id": "{{ record.next_hook }}", "data": "{{ record }}"}, "", ""},
		{"missing", map[string]any{}, "hook_id", "is required"},
		{"empty", map[string]any{"hook_id": " "}, "hook_id", "is required"},
		{"type", map[string]any{"hook_id": 12.0}, "hook_id", "must be a string"},
		{"bad id", map[string]any{"hook_id": "hk 1/../"}, "hook_id", "not a valid"},
		{"data array", map[string]any{"hook_id": "hk_1", "data": []any{}}, "data", "object"},
		{"data text", map[string]any{"hook_id": "hk_1", "data": "x {{ y }}"}, "data", "object"},
		{"unknown", map[string]any{"hook_id": "hk_1", "wait": true}, "wait", "unknown field"},
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

func TestTargets(t *testing.T) {
	for _, c := range []struct {
		cfg  map[string]any
		want []string
	}{
		{map[string]any{"hook_id": "hk_2"}, []string{"hk_2"}},
		{map[string]any{"hook_id": " hk_2 "}, []string{"hk_2"}},
		{map[string]any{"hook_id": "{{ record.hook }}"}, nil},
		{map[string]any{"hook_id": "hk_{{ x }}"}, nil},
		{map[string]any{"hook_id": ""}, nil},
		{map[string]any{"hook_id": 3.0}, nil},
		{map[string]any{}, nil},
		{nil, nil},
	} {
		if got := Targets(c.cfg); !slices.Equal(got, c.want) {
			t.Errorf("Targets(%v) = %v, want %v", c.cfg, got, c.want)
		}
	}
}

func TestExecute(t *testing.T) {
	h := &recordingHost{}
	data := map[string]any{"order": "rec_1"}
	res, err := New(Options{}).Execute(context.Background(), request(h, map[string]any{"hook_id": "hk_2", "data": data}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h.hookIDs, []string{"hk_2"}) || !reflect.DeepEqual(h.datas[0], data) {
		t.Errorf("called with %v %v", h.hookIDs, h.datas)
	}
	if res.Output["execution_id"] != "exe_2" {
		t.Errorf("Output = %v", res.Output)
	}

	// data defaults to {}.
	if _, err := New(Options{}).Execute(context.Background(), request(h, map[string]any{"hook_id": "hk_3"})); err != nil {
		t.Fatal(err)
	}
	if d := h.datas[1]; d == nil || len(d) != 0 {
		t.Errorf("default data = %#v", d)
	}

	// A rendered bad value never reaches the host.
	if _, err := New(Options{}).Execute(context.Background(), request(h, map[string]any{"hook_id": "hk_3", "data": "x"})); err == nil || action.IsRetryable(err) {
		t.Errorf("err = %v", err)
	}
	if len(h.hookIDs) != 2 {
		t.Errorf("host called %d times", len(h.hookIDs))
	}
}

func TestExecuteErrors(t *testing.T) {
	h := &recordingHost{err: errors.New("database gone")}
	_, err := New(Options{}).Execute(context.Background(), request(h, map[string]any{"hook_id": "hk_2"}))
	var ae *action.Error
	if !errors.As(err, &ae) || ae.Retryable || !errors.Is(err, h.err) || !strings.Contains(err.Error(), "hk_2") {
		t.Errorf("err = %v", err)
	}

	// The host's own verdict is kept, with what was asked added for the log.
	own := action.Fail(errors.New("hook hk_9 not found in this account tree"), &action.Result{Output: map[string]any{"hook_id": "hk_9"}})
	h.err = own
	_, err = New(Options{}).Execute(context.Background(), request(h, map[string]any{"hook_id": "hk_9"}))
	if err != own || own.Result.Output["hook_id"] != "hk_9" || own.Result.Request == nil {
		t.Errorf("err = %v, result %+v", err, own.Result)
	}

	if _, err := New(Options{}).Execute(context.Background(), request(nil, map[string]any{"hook_id": "hk_2"})); err == nil || action.IsRetryable(err) {
		t.Errorf("no host: err = %v", err)
	}
}
