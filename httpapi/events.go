package httpapi

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
)

// eventIn is one event as clients send it.
type eventIn struct {
	Type           string         `json:"type"`
	Data           map[string]any `json:"data"`
	Collection     string         `json:"collection"`
	IdempotencyKey string         `json:"idempotency_key"`
	AccountID      string         `json:"account_id"`
	OccurredAt     *time.Time     `json:"occurred_at"`
}

// maxBatch bounds events per request.
const maxBatch = 100

// readEvents reads one event object or an array of them.
func (s *Server) readEvents(w http.ResponseWriter, r *http.Request) ([]eventIn, error) {
	limit := int64(s.e.Config().MaxEventBytes)*4 + 64<<10
	var raw []byte
	if err := decode(w, r, limit, (*rawJSON)(&raw)); err != nil {
		return nil, err
	}
	var ins []eventIn
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		if err := decodeBytes(raw, &ins); err != nil {
			return nil, err
		}
		if len(ins) == 0 {
			return nil, &hookline.Error{Kind: hookline.KindInvalid, Field: "events", Msg: "the array is empty"}
		}
		if len(ins) > maxBatch {
			return nil, &hookline.Error{Kind: hookline.KindInvalid, Field: "events", Msg: "at most 100 events per request"}
		}
	} else {
		var one eventIn
		if err := decodeBytes(raw, &one); err != nil {
			return nil, err
		}
		ins = []eventIn{one}
	}
	return ins, nil
}

// rawJSON keeps the body as it is (decode checks that it is JSON).
type rawJSON []byte

func (r *rawJSON) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

func (s *Server) toEvents(p hookline.Principal, ins []eventIn) []*hook.Event {
	evs := make([]*hook.Event, len(ins))
	for i, in := range ins {
		ev := &hook.Event{
			Type: in.Type, AccountID: in.AccountID, Collection: in.Collection, Data: in.Data,
			IdempotencyKey: in.IdempotencyKey, Actor: &hook.Actor{KeyID: p.KeyID, Role: p.Role},
		}
		if ev.AccountID == "" {
			ev.AccountID = p.AccountID
		}
		if in.OccurredAt != nil {
			ev.OccurredAt = *in.OccurredAt
		}
		// Auth events carry the host application's user.
		if uid, ok := in.Data["user_id"]; ok {
			if s, ok := uid.(string); ok {
				ev.Actor.UserID = s
			}
		}
		if em, ok := in.Data["email"].(string); ok {
			ev.Actor.Email = em
		}
		evs[i] = ev
	}
	return evs
}

func (s *Server) postEvents(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	ins, err := s.readEvents(w, r)
	if err != nil {
		return err
	}
	evs := s.toEvents(p, ins)
	// A hookline sender (a webhook action pointed at this API) declares how
	// deep its chain is, so loops through the events API stay bounded.
	if d, err := strconv.Atoi(r.Header.Get("X-Hookline-Depth")); err == nil && d > 0 {
		for _, ev := range evs {
			ev.Depth = d
		}
	}
	if err := s.e.AuthorizeEmit(r.Context(), p, evs); err != nil {
		return err
	}
	res, err := s.e.EmitBatch(r.Context(), evs)
	if err != nil {
		return err
	}
	ids := make([]string, len(res))
	for i, x := range res {
		ids[i] = x.EventID
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"event_ids": ids})
	return nil
}
