package email

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline/action"
)

// Limits of one message.
const (
	MaxRecipients = 100     // to + cc + bcc
	MaxSubject    = 998     // characters
	MaxBody       = 1 << 20 // bytes of text, and of html
)

// config is a parsed send_email config. When parsed for Validate, values
// still holding {{ }} holes are left out.
type config struct {
	to, cc, bcc []*mail.Address
	from        *mail.Address
	subject     string
	text, html  string
}

func (c *config) recipients() int { return len(c.to) + len(c.cc) + len(c.bcc) }

// parseConfig parses m. With rendered false (Validate) strings holding {{ }}
// holes are checked only for their type. defaultFrom is Options.From. What
// the description says (fields, types, required) is checked by it.
func parseConfig(d *action.Description, m map[string]any, rendered bool, defaultFrom string) (*config, error) {
	hole := func(s string) bool { return !rendered && strings.Contains(s, "{{") }
	c := &config{}

	if err := d.Check(m, rendered); err != nil {
		return nil, err
	}

	var err error
	var sawTo bool
	if c.to, sawTo, err = addressList(m, "to", hole); err != nil {
		return nil, err
	}
	if !sawTo {
		return nil, action.Fieldf("to", "is required (an address or an array of addresses)")
	}
	if c.cc, _, err = addressList(m, "cc", hole); err != nil {
		return nil, err
	}
	if c.bcc, _, err = addressList(m, "bcc", hole); err != nil {
		return nil, err
	}
	if c.recipients() > MaxRecipients {
		return nil, action.Fieldf("to", "at most %d recipients (to, cc and bcc together)", MaxRecipients)
	}

	// from
	fromSet := false
	switch v := m["from"].(type) {
	case nil:
	case string:
		if hole(v) {
			fromSet = true
			break
		}
		if strings.TrimSpace(v) == "" {
			break // rendered empty: the default sender
		}
		if c.from, err = parseAddress("from", v); err != nil {
			return nil, err
		}
		fromSet = true
	default:
		return nil, action.Fieldf("from", "must be a string")
	}
	if !fromSet {
		if strings.TrimSpace(defaultFrom) == "" {
			return nil, action.Fieldf("from", "is required: no default sender is configured (HOOKLINE_SMTP_FROM)")
		}
		if c.from, err = parseAddress("from", defaultFrom); err != nil {
			return nil, action.Fieldf("from", "the default sender (HOOKLINE_SMTP_FROM) is not a valid address")
		}
	}

	// subject
	switch v := m["subject"].(type) {
	case nil:
		return nil, action.Fieldf("subject", "is required")
	case string:
		if hole(v) {
			break
		}
		if err := headerSafe("subject", v); err != nil {
			return nil, err
		}
		if strings.TrimSpace(v) == "" {
			return nil, action.Fieldf("subject", "is required")
		}
		if utf8.RuneCountInString(v) > MaxSubject {
			return nil, action.Fieldf("subject", "must be at most %d characters", MaxSubject)
		}
		c.subject = v
	default:
		return nil, action.Fieldf("subject", "must be a string")
	}

	// text, html
	present := 0
	for _, f := range []struct {
		name string
		dst  *string
	}{{"text", &c.text}, {"html", &c.html}} {
		switch v := m[f.name].(type) {
		case nil:
		case string:
			if !hole(v) && len(v) > MaxBody {
				return nil, action.Fieldf(f.name, "must be at most %d bytes", MaxBody)
			}
			if hole(v) || v != "" {
				present++
			}
			*f.dst = v
		default:
			return nil, action.Fieldf(f.name, "must be a string")
		}
	}
	if present == 0 {
		return nil, action.Fieldf("text", "text or html is required")
	}
	return c, nil
}

// addressList parses field as an address or an array of them. saw reports
// whether the field is there: a literal address or list, or a hole.
func addressList(m map[string]any, field string, hole func(string) bool) (out []*mail.Address, saw bool, err error) {
	var items []any
	switch v := m[field].(type) {
	case nil:
		return nil, false, nil
	case string:
		if hole(v) {
			return nil, true, nil
		}
		if strings.TrimSpace(v) == "" {
			if err := headerSafe(field, v); err != nil {
				return nil, false, err
			}
			return nil, false, nil // rendered empty: none
		}
		a, err := parseAddress(field, v)
		if err != nil {
			return nil, false, err
		}
		return []*mail.Address{a}, true, nil
	case []string:
		for _, s := range v {
			items = append(items, s)
		}
	case []any:
		items = v
	default:
		return nil, false, action.Fieldf(field, "must be an address or an array of addresses")
	}
	for i, x := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		s, ok := x.(string)
		if !ok {
			return nil, false, action.Fieldf(f, "must be a string")
		}
		if hole(s) {
			saw = true
			continue
		}
		a, err := parseAddress(f, s)
		if err != nil {
			return nil, false, err
		}
		out = append(out, a)
		saw = true
	}
	return out, saw, nil
}

// parseAddress parses one RFC 5322 address ("a@b.c" or "Name <a@b.c>").
func parseAddress(field, s string) (*mail.Address, error) {
	if err := headerSafe(field, s); err != nil {
		return nil, err
	}
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil {
		return nil, action.Fieldf(field, "%q is not a valid email address", s)
	}
	return a, nil
}

// headerSafe refuses what could end a header line and start another one.
func headerSafe(field, s string) error {
	if strings.ContainsAny(s, "\r\n\x00") {
		return action.Fieldf(field, "must not contain line breaks or NUL (header injection)")
	}
	return nil
}
