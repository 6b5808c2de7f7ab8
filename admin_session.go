package hookline

import (
	"context"
	"errors"

	"github.com/hookline/hookline/store"
)

// adminSessionAAD separates admin session cookies from stored secrets: both
// are sealed with the engine's secret key, never one readable as the other.
const adminSessionAAD = "hookline/admin_session/v1"

// SealAdminSession encrypts and authenticates an admin UI session with the
// engine's secret key (AES-GCM), so any node sharing the key can read it.
func (e *Engine) SealAdminSession(plain []byte) []byte { return e.seal(plain, adminSessionAAD) }

// OpenAdminSession reverses SealAdminSession; a forged or damaged value is
// an error.
func (e *Engine) OpenAdminSession(sealed []byte) ([]byte, error) {
	return e.open(sealed, adminSessionAAD)
}

// KeyPrincipal returns the principal of the API key with this id: the admin
// UI re-checks its session's key on every request, so revoking the key ends
// its sessions. A deleted key is KindUnauthed.
func (e *Engine) KeyPrincipal(ctx context.Context, keyID string) (Principal, error) {
	k, err := e.st.KeyGet(ctx, keyID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, &Error{Kind: KindUnauthed, Msg: "the API key of this session was revoked"}
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{KeyID: k.ID, AccountID: k.AccountID, Role: k.Role, Origins: k.Origins}, nil
}
