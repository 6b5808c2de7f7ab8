package sms

import (
	"errors"
	"fmt"

	"github.com/hookline/hookline/action"
)

// Describe implements action.Describer.
func (e *Executor) Describe() action.Description { return e.desc }

// Ready implements action.Readier: the provider's account SID and auth
// token must be configured.
func (e *Executor) Ready() error {
	switch {
	case e.o.AccountSID == "":
		return errors.New("no SMS provider is configured (HOOKLINE_SMS_ACCOUNT_SID), so SMS cannot be sent")
	case e.o.AuthToken == "":
		return errors.New("the SMS provider has no auth token (HOOKLINE_SMS_AUTH_TOKEN), so SMS cannot be sent")
	}
	return nil
}

func describe(defaultFrom string) action.Description {
	from := action.Field{Name: "from", Label: "From", Type: action.String, Templated: true, Example: "+14155550199",
		Help: "An E.164 number, a short code, an alphanumeric sender ID or a Messaging Service SID (MG…). Default: the server's sender (HOOKLINE_SMS_FROM)."}
	if defaultFrom != "" {
		from.Default = defaultFrom
	}
	return action.Description{
		Type:    Type,
		Label:   "Send SMS",
		Summary: "A text message through the configured Twilio-compatible SMS provider.",
		Fields: []action.Field{
			{Name: "to", Label: "To", Type: action.String, Required: true, Templated: true,
				Example: "+14155550100", Help: "An E.164 phone number: + and 8 to 15 digits."},
			from,
			{Name: "body", Label: "Message", Type: action.Text, Required: true, Templated: true, Long: true,
				Example: "Your order {{record.id}} shipped", Help: fmt.Sprintf("At most %d characters.", MaxBody)},
		},
		Outputs: []action.Output{
			{Name: "sid", Help: "the provider's message id"},
			{Name: "status", Help: "the provider's status (queued, sent, …)"},
			{Name: "to", Help: "the number it went to"},
		},
	}
}
