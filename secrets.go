package hookline

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sync"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("hookline: secret key: %w", err)
	}
	return cipher.NewGCM(block)
}

func (e *Engine) seal(plain []byte, aad string) []byte {
	nonce := make([]byte, e.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return e.aead.Seal(nonce, nonce, plain, []byte(aad))
}

func (e *Engine) open(sealed []byte, aad string) ([]byte, error) {
	n := e.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed value too short")
	}
	return e.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
}

const secretKeyCheck = "secret_key_check"

// checkSecretKey makes sure the configured key is the one the stored secrets
// were sealed with; on a new database it records a check value.
func (e *Engine) checkSecretKey(ctx context.Context) error {
	v, err := e.st.MetaGet(ctx, secretKeyCheck)
	if errors.Is(err, store.ErrNotFound) {
		return e.st.MetaSet(ctx, secretKeyCheck, base64.StdEncoding.EncodeToString(e.seal([]byte("hookline"), secretKeyCheck)))
	}
	if err != nil {
		return fmt.Errorf("hookline: read secret key check: %w", err)
	}
	sealed, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return fmt.Errorf("hookline: secret key check value is corrupt: %w", err)
	}
	if _, err := e.open(sealed, secretKeyCheck); err != nil {
		return errors.New("hookline: the secret key does not match the one this database's secrets were stored with (HOOKLINE_SECRET_KEY)")
	}
	return nil
}

// secretCache keeps decrypted secrets per account; invalidated on change.
type secretCache struct {
	mu sync.Mutex
	m  map[string]map[string]string
}

func newSecretCache() *secretCache { return &secretCache{m: map[string]map[string]string{}} }

func (c *secretCache) invalidate() {
	c.mu.Lock()
	c.m = map[string]map[string]string{}
	c.mu.Unlock()
}

// secretValues returns the decrypted secrets of an account.
func (e *Engine) secretValues(ctx context.Context, accountID string) (map[string]string, error) {
	e.secrets.mu.Lock()
	m, ok := e.secrets.m[accountID]
	e.secrets.mu.Unlock()
	if ok {
		return m, nil
	}
	list, err := e.st.SecretList(ctx, accountID)
	if err != nil {
		return nil, err
	}
	m = make(map[string]string, len(list))
	for _, s := range list {
		v, err := e.open(s.Value, accountID+"/"+s.Name)
		if err != nil {
			return nil, fmt.Errorf("decrypt secret %s: %w", s.Name, err)
		}
		m[s.Name] = string(v)
	}
	e.secrets.mu.Lock()
	e.secrets.m[accountID] = m
	e.secrets.mu.Unlock()
	return m, nil
}

var secretNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// MinSecretLen is the shortest secret value accepted: shorter values could
// not be redacted from logs without mangling ordinary text.
const MinSecretLen = 4

// PutSecret stores (or replaces) a secret of the caller's account.
func (e *Engine) PutSecret(ctx context.Context, p Principal, accountID, name, value string) (*hook.Secret, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, RoleManage); err != nil {
		return nil, err
	}
	if !secretNameRE.MatchString(name) {
		return nil, invalid("name", "must be letters, digits and underscores (starting with a letter or _), at most 64")
	}
	if len(value) < MinSecretLen {
		return nil, invalid("value", "must be at least %d characters", MinSecretLen)
	}
	if len(value) > 64<<10 {
		return nil, invalid("value", "must be at most 64 KiB")
	}
	s := &hook.Secret{AccountID: accountID, Name: name, Value: e.seal([]byte(value), accountID+"/"+name), CreatedAt: e.now().UTC()}
	err := e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.SecretPut(ctx, s); err != nil {
			return err
		}
		return q.Notify(ctx, store.TopicAccounts, accountID)
	})
	if err != nil {
		return nil, err
	}
	e.secrets.invalidate()
	return s, nil
}

// ListSecrets lists secret names (never values).
func (e *Engine) ListSecrets(ctx context.Context, p Principal, accountID string) ([]*hook.Secret, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, RoleManage); err != nil {
		return nil, err
	}
	list, err := e.st.SecretList(ctx, accountID)
	for _, s := range list {
		s.Value = nil
	}
	return list, err
}

// DeleteSecret removes a secret.
func (e *Engine) DeleteSecret(ctx context.Context, p Principal, accountID, name string) error {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, RoleManage); err != nil {
		return err
	}
	err := e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.SecretDelete(ctx, accountID, name); err != nil {
			return err
		}
		return q.Notify(ctx, store.TopicAccounts, accountID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("secret")
	}
	e.secrets.invalidate()
	return err
}
