package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func (s *Server) putSecret(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		AccountID string `json:"account_id"`
	}
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	sec, err := s.e.PutSecret(r.Context(), p, in.AccountID, in.Name, in.Value)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sec)
	return nil
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	secs, err := s.e.ListSecrets(r.Context(), p, r.URL.Query().Get("account_id"))
	if err != nil {
		return err
	}
	listPage(w, secs, pg, func(s *hook.Secret) string { return s.Name })
	return nil
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	if err := s.e.DeleteSecret(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createEventTypes(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var raw []byte
	if err := decode(w, r, maxBody, (*rawJSON)(&raw)); err != nil {
		return err
	}
	var ins []hookline.EventTypeInput
	if t := trimmed(raw); len(t) > 0 && t[0] == '[' {
		if err := decodeBytes(raw, &ins); err != nil {
			return err
		}
		if len(ins) == 0 {
			return &hookline.Error{Kind: hookline.KindInvalid, Field: "event_types", Msg: "the array is empty"}
		}
	} else {
		var one hookline.EventTypeInput
		if err := decodeBytes(raw, &one); err != nil {
			return err
		}
		ins = []hookline.EventTypeInput{one}
	}
	out, err := s.e.CreateEventTypes(r.Context(), p, ins)
	if err != nil {
		return err
	}
	if len(out) == 1 && trimmed(raw)[0] != '[' {
		writeJSON(w, http.StatusCreated, out[0])
		return nil
	}
	writeJSON(w, http.StatusCreated, map[string]any{"items": out})
	return nil
}

func trimmed(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	builtin, err := boolParam(r, "builtin")
	if err != nil {
		return err
	}
	ts, err := s.e.ListEventTypes(r.Context(), p)
	if err != nil {
		return err
	}
	if builtin != nil && *builtin {
		// The built-in types too, system events among them: what a hook's
		// event trigger accepts without registration.
		for _, id := range hook.BuiltinEvents {
			ts = append(ts, &store.EventType{ID: id, Label: hook.BuiltinEventLabels[id], Builtin: true})
		}
	}
	// Listed by id, then account (one id may be registered by an
	// organization and by a shop); ids are five digits, so the key sorts
	// the same way.
	listPage(w, ts, pg, func(t *store.EventType) string { return t.ID + ":" + t.AccountID })
	return nil
}

func (s *Server) deleteEventType(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	if err := s.e.DeleteEventType(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in struct {
		Name      string         `json:"name"`
		Schema    map[string]any `json:"schema"`
		AccountID string         `json:"account_id"`
	}
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	c, err := s.e.CreateCollection(r.Context(), p, in.AccountID, in.Name, in.Schema)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) updateCollection(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	if in.Schema == nil {
		return &hookline.Error{Kind: hookline.KindInvalid, Field: "schema", Msg: "is required: the collection's new JSON Schema, or null for none"}
	}
	var schema map[string]any
	if err := json.Unmarshal(in.Schema, &schema); err != nil {
		return &hookline.Error{Kind: hookline.KindInvalid, Field: "schema", Msg: "must be a JSON Schema object or null"}
	}
	c, err := s.e.UpdateCollection(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name"), schema)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	cs, err := s.e.ListCollections(r.Context(), p, r.URL.Query().Get("account_id"))
	if err != nil {
		return err
	}
	listPage(w, cs, pg, func(c *store.Collection) string { return c.Name })
	return nil
}

func (s *Server) getCollection(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	c, err := s.e.GetCollection(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, c)
	return nil
}

func (s *Server) deleteCollection(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	if err := s.e.DeleteCollection(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func writer(p hookline.Principal) hookline.RecordWrite {
	return hookline.RecordWrite{Actor: &hook.Actor{KeyID: p.KeyID, Role: p.Role}}
}

func (s *Server) createRecord(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var data map[string]any
	if err := decode(w, r, int64(s.e.Config().MaxEventBytes), &data); err != nil {
		return err
	}
	rec, err := s.e.CreateRecord(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name"), data, writer(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, hookline.RecordJSON(rec))
	return nil
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	recs, err := s.e.ListRecords(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name"), pg)
	if err != nil {
		return err
	}
	items := make([]map[string]any, len(recs))
	for i, rec := range recs {
		items[i] = hookline.RecordJSON(rec)
	}
	list(w, items, pg.Limit, func(m map[string]any) string { return m["id"].(string) })
	return nil
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	rec, err := s.e.GetRecord(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, hookline.RecordJSON(rec))
	return nil
}

func (s *Server) updateRecord(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var data map[string]any
	if err := decode(w, r, int64(s.e.Config().MaxEventBytes), &data); err != nil {
		return err
	}
	rec, err := s.e.UpdateRecord(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name"), r.PathValue("id"), data, writer(p))
	if err != nil {
		return err
	}
	writeJSON(w, 200, hookline.RecordJSON(rec))
	return nil
}

func (s *Server) deleteRecord(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	if err := s.e.DeleteRecord(r.Context(), p, r.URL.Query().Get("account_id"), r.PathValue("name"), r.PathValue("id"), writer(p)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
