package webhook

import (
	"fmt"

	"github.com/hookline/hookline/action"
)

// Describe implements action.Describer.
func (e *Executor) Describe() action.Description { return e.desc }

func describe() action.Description {
	return action.Description{
		Type:    Type,
		Label:   "Send webhook",
		Summary: "An HTTP request signed with Standard Webhooks headers; 2xx is success, 408/429/5xx and network errors retry.",
		Fields: []action.Field{
			{Name: "url", Label: "URL", Type: action.String, Required: true, Templated: true, Long: true,
				Example: "https://hooks.example.com/orders", Help: "An absolute http:// or https:// URL."},
			{Name: "method", Label: "Method", Type: action.String, Templated: true, Enum: Methods, Default: "POST"},
			{Name: "timeout", Label: "Timeout", Type: action.Duration, Templated: true, Default: DefaultTimeout.String(),
				Example: DefaultTimeout.String(), Help: fmt.Sprintf("How long one attempt may take, at most %ds.", int(MaxTimeout.Seconds()))},
			{Name: "headers", Label: "Headers", Type: action.Object, Templated: true, Example: `{"X-Source": "hookline"}`,
				Help: "Header names to values. hookline sets webhook-id, webhook-timestamp and webhook-signature."},
			{Name: "query", Label: "Query parameters", Type: action.Object, Templated: true, Example: `{"ref": "{{record.id}}"}`,
				Help: "Added to the URL; a list value repeats the parameter."},
			{Name: "body_template", Label: "Body", Type: action.JSON, Templated: true, Long: true,
				Example: `{"text": "New order #{{record.id}} for ${{record.total}}"}`,
				Help:    "JSON sent as the request body (a string is sent as text). No body when empty."},
		},
		Outputs: []action.Output{
			{Name: "status", Help: "the response's HTTP status"},
			{Name: "headers", Help: "a few response headers (content-type, location, …)"},
			{Name: "body", Help: "the response body (parsed when JSON)"},
		},
	}
}
