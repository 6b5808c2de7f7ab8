package sms

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hookline/hookline/action"
)

// MaxBody is the longest body Twilio accepts, in characters.
const MaxBody = 1600

var (
	// e164 is + and 8 to 15 digits, the first not 0.
	e164RE = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	// alphaSenderRE is an alphanumeric sender ID: up to 11 letters, digits
	// and spaces, at least one letter.
	alphaSenderRE = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
	// shortCodeRE is a short code sender.
	shortCodeRE = regexp.MustCompile(`^[0-9]{3,8}$`)
	// serviceRE is a Twilio Messaging Service SID, sent as MessagingServiceSid.
	serviceRE = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
)

// config is a parsed send_sms config; fields still holding {{ }} holes
// (Validate) are left empty.
type config struct {
	to   string
	body string
	from string
}

// parseConfig parses m. With rendered false (Validate) strings holding {{ }}
// holes are checked only for their type. defaultFrom is Options.From.
func parseConfig(d *action.Description, m map[string]any, rendered bool, defaultFrom string) (*config, error) {
	hole := func(s string) bool { return !rendered && strings.Contains(s, "{{") }
	c := &config{}

	if err := d.Check(m, rendered); err != nil {
		return nil, err
	}

	// to
	switch v := m["to"].(type) {
	case nil:
		return nil, action.Fieldf("to", "is required (an E.164 phone number like +14155550100)")
	case string:
		if hole(v) {
			break
		}
		n := normalizeNumber(v)
		if n == "" {
			return nil, action.Fieldf("to", "is required (an E.164 phone number like +14155550100)")
		}
		if !e164RE.MatchString(n) {
			return nil, action.Fieldf("to", "must be an E.164 phone number: + and 8 to 15 digits, like +14155550100")
		}
		c.to = n
	default:
		return nil, action.Fieldf("to", "must be a string (an E.164 phone number like +14155550100)")
	}

	// body
	body, ok := m["body"].(string)
	if !ok && rendered {
		body, ok = scalar(m["body"])
	}
	switch {
	case m["body"] == nil:
		return nil, action.Fieldf("body", "is required")
	case !ok:
		return nil, action.Fieldf("body", "must be a string")
	case hole(body):
	case strings.TrimSpace(body) == "":
		return nil, action.Fieldf("body", "is required")
	case utf8.RuneCountInString(body) > MaxBody:
		return nil, action.Fieldf("body", "must be at most %d characters", MaxBody)
	default:
		c.body = body
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
		f, ok := normalizeSender(v)
		if !ok {
			return nil, action.Fieldf("from", "must be an E.164 phone number, a short code, an alphanumeric sender ID or a Messaging Service SID (MG…)")
		}
		c.from, fromSet = f, true
	default:
		return nil, action.Fieldf("from", "must be a string")
	}
	if !fromSet {
		if strings.TrimSpace(defaultFrom) == "" {
			return nil, action.Fieldf("from", "is required: no default sender is configured (HOOKLINE_SMS_FROM)")
		}
		f, ok := normalizeSender(defaultFrom)
		if !ok {
			return nil, action.Fieldf("from", "the default sender (HOOKLINE_SMS_FROM) is not a valid sender")
		}
		c.from = f
	}
	return c, nil
}

// normalizeNumber drops the spaces, dashes, dots and parentheses people
// write phone numbers with.
func normalizeNumber(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\t':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// normalizeSender checks a From value.
func normalizeSender(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if serviceRE.MatchString(s) {
		return s, true
	}
	if n := normalizeNumber(s); e164RE.MatchString(n) {
		return n, true
	}
	if shortCodeRE.MatchString(s) {
		return s, true
	}
	if alphaSenderRE.MatchString(s) && strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0 {
		return s, true
	}
	return "", false
}

// scalar formats a rendered number or boolean.
func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}
