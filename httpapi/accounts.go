package httpapi

import (
	"net/http"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
)

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in hookline.AccountInput
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	a, err := s.e.CreateAccount(r.Context(), p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.e.ListAccounts(r.Context(), p, pg)
	if err != nil {
		return err
	}
	list(w, items, pg.Limit, func(a *hook.Account) string { return a.ID })
	return nil
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	a, err := s.e.GetAccount(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, a)
	return nil
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in hookline.AccountInput
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	a, err := s.e.UpdateAccount(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, a)
	return nil
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	if err := s.e.DeleteAccount(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type keyCreated struct {
	*hook.APIKey
	Key string `json:"key"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	var in hookline.KeyInput
	if err := decode(w, r, maxBody, &in); err != nil {
		return err
	}
	k, secret, err := s.e.CreateKey(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, keyCreated{APIKey: k, Key: secret})
	return nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	keys, err := s.e.ListKeys(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	listPage(w, keys, pg, func(k *hook.APIKey) string { return k.ID })
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	if err := s.e.DeleteKey(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getSigningSecret(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	sec, err := s.e.GetSigningSecret(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, sec)
	return nil
}

func (s *Server) rotateSigningSecret(w http.ResponseWriter, r *http.Request, p hookline.Principal) error {
	sec, err := s.e.RotateSigningSecret(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, sec)
	return nil
}
