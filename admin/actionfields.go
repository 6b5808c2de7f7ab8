package admin

// fieldDef is one config field of an action type in the editor.
type fieldDef struct {
	Name        string
	Label       string
	Kind        string // text, list (comma-separated), textarea, json, select, number, hook
	Options     []string
	Default     string
	Placeholder string
	Help        string
	Wide        bool // spans the whole row
}

// actionOrder is the order action types are offered in.
var actionOrder = []string{
	"send_webhook", "send_email", "send_sms", "create_record", "update_record",
	"delete_record", "enqueue_job", "trigger_hook",
}

var actionLabels = map[string]string{
	"send_webhook":  "Send webhook",
	"send_email":    "Send email",
	"send_sms":      "Send SMS",
	"create_record": "Create record",
	"update_record": "Update record",
	"delete_record": "Delete record",
	"enqueue_job":   "Enqueue job",
	"trigger_hook":  "Trigger hook",
}

const tplHelp = "Templates: {{record.total}}, {{auth.user_id}}, {{secret.NAME}}, {{steps.<action>.id}}"

// actionFields lists each known type's fields (SPEC §6). Types without an
// entry are edited as one JSON config.
var actionFields = map[string][]fieldDef{
	"send_webhook": {
		{Name: "url", Label: "URL", Kind: "text", Placeholder: "https://hooks.example.com/orders", Wide: true, Help: tplHelp},
		{Name: "method", Label: "Method", Kind: "select", Options: []string{"POST", "GET", "PUT", "PATCH", "DELETE"}, Default: "POST"},
		{Name: "timeout", Label: "Timeout", Kind: "text", Placeholder: "10s"},
		{Name: "headers", Label: "Headers (JSON object)", Kind: "json", Placeholder: `{"X-Source": "hookline"}`},
		{Name: "query", Label: "Query parameters (JSON object)", Kind: "json", Placeholder: `{"ref": "{{record.id}}"}`},
		{Name: "body_template", Label: "Body template (JSON)", Kind: "json", Wide: true,
			Placeholder: `{"text": "New order #{{record.id}} for ${{record.total}}"}`},
	},
	"send_email": {
		{Name: "to", Label: "To", Kind: "list", Placeholder: "ops@example.com, {{record.email}}", Help: "One or more addresses, separated by commas."},
		{Name: "cc", Label: "Cc", Kind: "list"},
		{Name: "bcc", Label: "Bcc", Kind: "list"},
		{Name: "from", Label: "From", Kind: "text", Placeholder: "default sender"},
		{Name: "subject", Label: "Subject", Kind: "text", Wide: true, Placeholder: "Order {{record.id}} received"},
		{Name: "text", Label: "Text body", Kind: "textarea", Wide: true},
		{Name: "html", Label: "HTML body", Kind: "textarea", Wide: true},
	},
	"send_sms": {
		{Name: "to", Label: "To", Kind: "text", Placeholder: "+14155550100"},
		{Name: "from", Label: "From", Kind: "text", Placeholder: "default sender"},
		{Name: "body", Label: "Message", Kind: "textarea", Wide: true, Placeholder: "Your order {{record.id}} shipped"},
	},
	"create_record": {
		{Name: "collection", Label: "Collection", Kind: "text", Placeholder: "invoices"},
		{Name: "data", Label: "Data (JSON object)", Kind: "json", Wide: true, Placeholder: `{"order_id": "{{record.id}}", "amount": "{{record.total}}"}`},
	},
	"update_record": {
		{Name: "collection", Label: "Collection", Kind: "text", Placeholder: "orders"},
		{Name: "id", Label: "Record id", Kind: "text", Placeholder: "default: the triggering record"},
		{Name: "data", Label: "Data (JSON object)", Kind: "json", Wide: true, Placeholder: `{"status": "flagged"}`},
	},
	"delete_record": {
		{Name: "collection", Label: "Collection", Kind: "text"},
		{Name: "id", Label: "Record id", Kind: "text", Placeholder: "{{record.id}}"},
	},
	"enqueue_job": {
		{Name: "queue", Label: "Queue", Kind: "text", Placeholder: "reports"},
		{Name: "priority", Label: "Priority", Kind: "number"},
		{Name: "run_at", Label: "Run at", Kind: "text", Placeholder: "RFC 3339, optional"},
		{Name: "payload", Label: "Payload (JSON)", Kind: "json", Wide: true, Placeholder: `{"order": "{{record.id}}"}`},
	},
	"trigger_hook": {
		{Name: "hook_id", Label: "Hook", Kind: "hook"},
		{Name: "data", Label: "Data (JSON object)", Kind: "json", Wide: true},
	},
}

// fieldOf finds a field definition.
func fieldOf(typ, name string) (fieldDef, bool) {
	for _, f := range actionFields[typ] {
		if f.Name == name {
			return f, true
		}
	}
	return fieldDef{}, false
}
