package job

import (
	"fmt"

	"github.com/hookline/hookline/action"
)

// Describe implements action.Describer.
func (e *Executor) Describe() action.Description { return e.desc }

func describe() action.Description {
	return action.Description{
		Type:    Type,
		Label:   "Enqueue job",
		Summary: "Puts a job on a named queue for workers to pull (POST /api/v1/jobs/claim).",
		Fields: []action.Field{
			{Name: "queue", Label: "Queue", Type: action.String, Required: true, Templated: true,
				Example: "reports", Help: "1 to 64 letters, digits, _, . and -."},
			{Name: "priority", Label: "Priority", Type: action.Integer, Templated: true, Default: 0,
				Help: fmt.Sprintf("From %d to %d; higher is claimed first.", MinPriority, MaxPriority)},
			{Name: "run_at", Label: "Run at", Type: action.String, Templated: true, Example: "10m",
				Help: "An RFC 3339 time or a duration from now (10m, 2h). Default: now."},
			{Name: "payload", Label: "Payload", Type: action.JSON, Templated: true, Long: true,
				Example: `{"order": "{{record.id}}"}`, Help: "Any JSON the worker receives."},
		},
		Outputs: []action.Output{
			{Name: "id", Help: "the job's id"},
			{Name: "queue", Help: "the queue"},
			{Name: "run_at", Help: "when it becomes available"},
		},
	}
}
