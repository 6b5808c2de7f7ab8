package email

import (
	"errors"

	"github.com/hookline/hookline/action"
)

// Describe implements action.Describer.
func (e *Executor) Describe() action.Description { return e.desc }

// Ready implements action.Readier: an SMTP server must be configured.
func (e *Executor) Ready() error {
	if e.o.Host == "" {
		return errors.New("no SMTP server is configured (HOOKLINE_SMTP_HOST), so emails cannot be sent")
	}
	return nil
}

func describe(defaultFrom string) action.Description {
	from := action.Field{Name: "from", Label: "From", Type: action.String, Templated: true,
		Example: "Shop <shop@example.com>", Help: "Default: the server's sender (HOOKLINE_SMTP_FROM)."}
	if defaultFrom != "" {
		from.Default = defaultFrom
	}
	list := "One address or a list (Name <a@example.com> works too)."
	return action.Description{
		Type:    Type,
		Label:   "Send email",
		Summary: "An email through the configured SMTP server.",
		Fields: []action.Field{
			{Name: "to", Label: "To", Type: action.Strings, Required: true, Templated: true,
				Example: "ops@example.com, {{record.email}}", Help: list},
			{Name: "cc", Label: "Cc", Type: action.Strings, Templated: true},
			{Name: "bcc", Label: "Bcc", Type: action.Strings, Templated: true},
			from,
			{Name: "subject", Label: "Subject", Type: action.String, Required: true, Templated: true, Long: true,
				Example: "Order {{record.id}} received"},
			{Name: "text", Label: "Text body", Type: action.Text, Templated: true, Long: true,
				Example: "Hello {{record.customer_name}},", Help: "Plain text; text or HTML (or both) is required."},
			{Name: "html", Label: "HTML body", Type: action.Text, Templated: true, Long: true,
				Example: "<p>Hello {{record.customer_name}},</p>"},
		},
		Outputs: []action.Output{
			{Name: "message_id", Help: "the Message-ID header sent"},
			{Name: "to", Help: "the addresses it went to"},
		},
	}
}
