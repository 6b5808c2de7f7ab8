package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/store"
)

type settingsView struct {
	S *hookline.Settings
	// Accounts with limits of their own (read from the account's JSON, so
	// they show as soon as accounts carry them).
	Own     []accountLimits
	EmailTo string
	SMSTo   string
	// Nodes sharing the database (on SQLite, this process alone).
	Nodes  []hookline.NodeStatus
	Shared bool
}

type accountLimits struct {
	ID, Name string
	Limits   map[string]any
}

// Retention says how long finished executions are kept, in words.
func (v *settingsView) Retention() string {
	d := v.S.Retention
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		return fmt.Sprintf("%d day%s (%s)", n, plural(n), d)
	}
	return d.String()
}

// Rate is the events-per-second limit in words.
func (v *settingsView) Rate() string {
	if v.S.EventsPerSecond <= 0 {
		return "no limit"
	}
	return fmt.Sprintf("%g events/s per account", v.S.EventsPerSecond)
}

// EventKiB is the largest event in KiB.
func (v *settingsView) EventKiB() int { return v.S.MaxEventBytes / 1024 }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// settingsPage shows the providers and limits in force (admins of the root
// account only): what send_email and send_sms will use, with a test send.
func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	st, err := h.e.Settings(ctx, s.p)
	if err != nil {
		return err
	}
	v := &settingsView{S: st, EmailTo: r.URL.Query().Get("email_to"), SMSTo: r.URL.Query().Get("sms_to")}
	accs, err := h.e.ListAccounts(ctx, s.p, store.Page{Limit: 500})
	if err != nil {
		return err
	}
	for _, a := range accs {
		if m, ok := extraFields(a)["limits"].(map[string]any); ok && len(nonNull(m)) > 0 {
			v.Own = append(v.Own, accountLimits{ID: a.ID, Name: a.Name, Limits: nonNull(m)})
		}
	}
	if v.Nodes, err = h.e.Nodes(ctx, s.p); err != nil {
		return err
	}
	v.Shared = h.e.Store().Shared()
	h.render(w, r, s, http.StatusOK, "settings", "Settings", "settings", v)
	return nil
}

func nonNull(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

func (h *Handler) settingsTestEmail(w http.ResponseWriter, r *http.Request, s *session) error {
	return h.settingsTest(w, r, s, "email_to", "email", h.e.SendTestEmail)
}

func (h *Handler) settingsTestSMS(w http.ResponseWriter, r *http.Request, s *session) error {
	return h.settingsTest(w, r, s, "sms_to", "SMS", h.e.SendTestSMS)
}

func (h *Handler) settingsTest(w http.ResponseWriter, r *http.Request, s *session, field, what string,
	send func(ctx context.Context, p hookline.Principal, to string) (*hookline.TestSend, error)) error {
	to := strings.TrimSpace(r.PostForm.Get(field))
	back := "/admin/settings?" + field + "=" + url.QueryEscape(to) + "#" + strings.ToLower(what)
	res, err := send(r.Context(), s.p, to)
	switch {
	case err != nil:
		if st, _ := errMessage(err); st == http.StatusForbidden {
			return err
		}
		h.redirect(w, r, back, "error", "The test "+what+" was not sent: "+msgOf(err))
	case res.Error != "":
		msg := "The test " + what + " to " + to + " failed: " + res.Error
		if res.Detail != "" {
			msg += " (" + res.Detail + ")"
		}
		h.redirect(w, r, back, "error", msg)
	default:
		msg := "Sent a test " + what + " to " + to + "."
		if res.Detail != "" {
			msg += " " + res.Detail
		}
		h.redirect(w, r, back, "ok", msg)
	}
	return nil
}
