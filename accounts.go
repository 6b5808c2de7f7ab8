package hookline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/stdwebhooks"
	"github.com/hookline/hookline/store"
)

// Principal is an authenticated caller: an API key's account and role.
type Principal struct {
	KeyID     string
	AccountID string
	Role      string
	Origins   []string // publishable keys: allowed browser origins
}

// Permission is what a route needs; each role has a set.
type Permission int

// Permissions, from the narrowest.
const (
	PermSDK    Permission = iota // send browser SDK events
	PermRead                     // read hooks, executions, records
	PermEmit                     // send events, write records, trigger hooks
	PermJobs                     // claim and finish jobs
	RoleManage                   // manage hooks, secrets, event types, collections; replay
	PermAdmin                    // accounts, API keys, signing secrets
)

var rolePerms = map[string][]Permission{
	hook.RoleAdmin:       {PermSDK, PermRead, PermEmit, PermJobs, RoleManage, PermAdmin},
	hook.RoleManager:     {PermSDK, PermRead, PermEmit, PermJobs, RoleManage},
	hook.RoleSystem:      {PermSDK, PermRead, PermEmit, PermJobs},
	hook.RoleAgent:       {PermSDK, PermRead, PermEmit, PermJobs},
	hook.RoleUser:        {PermSDK, PermRead, PermEmit},
	hook.RolePublishable: {PermSDK},
}

// Can reports whether role has perm.
func Can(role string, perm Permission) bool { return slices.Contains(rolePerms[role], perm) }

// authorize checks that p's role has perm and that accountID lies in p's
// subtree. Another tenant's account answers not found, so ids do not leak.
func (e *Engine) authorize(ctx context.Context, p Principal, accountID string, perm Permission) error {
	if !Can(p.Role, perm) {
		return forbidden("the %s role may not do this", p.Role)
	}
	if accountID == p.AccountID {
		return nil
	}
	sub, err := e.accts.Subtree(ctx, e.st, p.AccountID)
	if err != nil {
		return err
	}
	if !slices.Contains(sub, accountID) {
		return notFound("account")
	}
	return nil
}

// Scope returns the accounts p may see: its own and all below it.
func (e *Engine) Scope(ctx context.Context, p Principal) ([]string, error) {
	return e.accts.Subtree(ctx, e.st, p.AccountID)
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

func randomToken(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Authenticate resolves a bearer token to its principal.
func (e *Engine) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, &Error{Kind: KindUnauthed, Msg: "missing API key: send Authorization: Bearer <key>"}
	}
	h := hashKey(token)
	if p, ok := e.keys.get(h, e.now()); ok {
		return p, nil
	}
	k, err := e.st.KeyGetByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, &Error{Kind: KindUnauthed, Msg: "invalid API key"}
	}
	if err != nil {
		return Principal{}, err
	}
	p := Principal{KeyID: k.ID, AccountID: k.AccountID, Role: k.Role, Origins: k.Origins}
	now := e.now()
	e.keys.put(h, p, now)
	// last_used_at is kept to the minute: a key is read from the database at
	// most once per cache period, and written at most once a minute.
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= time.Minute {
		if err := e.st.KeyTouch(ctx, k.ID, now.UTC()); err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) {
			e.log.Warn("record key use", "key", k.ID, "err", err)
		}
	}
	return p, nil
}

// Bootstrap creates the root account and its first admin key on an empty
// database. adminKey, when not empty, is used as that key (automation);
// otherwise one is generated. created is false (and key empty) when the
// database had accounts already; a given adminKey is then still ensured to
// exist, so HOOKLINE_ADMIN_KEY keeps working across restarts.
func (e *Engine) Bootstrap(ctx context.Context, adminKey string) (rootID, key string, created bool, err error) {
	n, err := e.st.AccountCount(ctx)
	if err != nil {
		return "", "", false, err
	}
	if n > 0 {
		if adminKey != "" {
			if _, err := e.st.KeyGetByHash(ctx, hashKey(adminKey)); errors.Is(err, store.ErrNotFound) {
				roots, err := e.st.AccountList(ctx, store.AccountFilter{Page: store.Page{Limit: 1}})
				if err != nil || len(roots) == 0 {
					return "", "", false, err
				}
				_, err = e.insertKey(ctx, roots[0].ID, "admin (HOOKLINE_ADMIN_KEY)", hook.RoleAdmin, adminKey, nil)
				return roots[0].ID, "", false, err
			}
		}
		return "", "", false, nil
	}
	now := e.now().UTC()
	root := &hook.Account{ID: e.ids.next(prefixAccount, now), Name: "root", CreatedAt: now, UpdatedAt: now, SigningSecret: stdwebhooks.NewSecret()}
	if adminKey == "" {
		adminKey = "hlk_" + randomToken(40)
	}
	err = e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.AccountInsert(ctx, root); err != nil {
			return err
		}
		return q.KeyInsert(ctx, e.newKey(root.ID, "admin", hook.RoleAdmin, adminKey, nil, now))
	})
	if err != nil {
		return "", "", false, err
	}
	e.accts.Invalidate()
	return root.ID, adminKey, true, nil
}

func (e *Engine) newKey(accountID, name, role, secret string, origins []string, now time.Time) *hook.APIKey {
	return &hook.APIKey{
		ID: e.ids.next(prefixKey, now), AccountID: accountID, Name: name, Role: role,
		Prefix: secret[:min(len(secret), 8)], Hash: hashKey(secret), Origins: origins, CreatedAt: now,
	}
}

func (e *Engine) insertKey(ctx context.Context, accountID, name, role, secret string, origins []string) (*hook.APIKey, error) {
	k := e.newKey(accountID, name, role, secret, origins, e.now().UTC())
	return k, e.st.KeyInsert(ctx, k)
}

// AccountInput creates or changes an account.
type AccountInput struct {
	Name     *string `json:"name"`
	ParentID *string `json:"parent_id"`
	// Limits sets the account's own limits (events_per_second, max_hooks)
	// like a JSON merge patch: a field given a value sets it, a field given
	// null returns it to the install's default, a field left out stays.
	// Only an admin of a parent account may set them (an operator sets a
	// tenant's plan; a tenant cannot raise its own).
	Limits map[string]any `json:"limits"`
}

// applyLimits checks a limits patch and applies it to l.
func applyLimits(l *hook.Limits, patch map[string]any) error {
	for k, v := range patch {
		field := "limits." + k
		switch k {
		case "events_per_second":
			if v == nil {
				l.EventsPerSecond = nil
				continue
			}
			f, ok := number(v)
			if !ok || f <= 0 || f > 1e9 {
				return invalid(field, "must be a number of events per second above 0, or null for the default")
			}
			l.EventsPerSecond = &f
		case "max_hooks":
			if v == nil {
				l.MaxHooks = nil
				continue
			}
			f, ok := number(v)
			if !ok || f < 0 || f > 1e6 || f != float64(int(f)) {
				return invalid(field, "must be a whole number of hooks from 0, or null for the default")
			}
			n := int(f)
			l.MaxHooks = &n
		default:
			return invalid(field, "is not a limit: events_per_second or max_hooks")
		}
	}
	return nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// CreateAccount creates an account below p's (or below parent_id, which must
// be in p's subtree).
func (e *Engine) CreateAccount(ctx context.Context, p Principal, in AccountInput) (*hook.Account, error) {
	parent := p.AccountID
	if in.ParentID != nil && *in.ParentID != "" {
		parent = *in.ParentID
	}
	if err := e.authorize(ctx, p, parent, PermAdmin); err != nil {
		if ErrorKind(err) == KindNotFound {
			return nil, invalid("parent_id", "no such account")
		}
		return nil, err
	}
	name := ""
	if in.Name != nil {
		name = strings.TrimSpace(*in.Name)
	}
	if name == "" || len(name) > 200 {
		return nil, invalid("name", "is required (1 to 200 characters)")
	}
	now := e.now().UTC()
	a := &hook.Account{ID: e.ids.next(prefixAccount, now), ParentID: parent, Name: name, CreatedAt: now, UpdatedAt: now, SigningSecret: stdwebhooks.NewSecret()}
	// The creator is an admin of the new account's parent: it may set limits.
	if err := applyLimits(&a.Limits, in.Limits); err != nil {
		return nil, err
	}
	if err := e.accountWrite(ctx, func(q store.Querier) error { return q.AccountInsert(ctx, a) }); err != nil {
		return nil, err
	}
	return a, nil
}

func (e *Engine) accountWrite(ctx context.Context, fn func(q store.Querier) error) error {
	return e.cachedWrite(ctx, store.TopicAccounts, fn, e.accts.Invalidate,
		e.collections.invalidate) // an account's deletion takes its collections
}

// GetAccount returns one account of p's subtree.
func (e *Engine) GetAccount(ctx context.Context, p Principal, id string) (*hook.Account, error) {
	if err := e.authorize(ctx, p, id, PermRead); err != nil {
		return nil, err
	}
	a, err := e.st.AccountGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("account")
	}
	return a, err
}

// ListAccounts lists p's subtree.
func (e *Engine) ListAccounts(ctx context.Context, p Principal, page store.Page) ([]*hook.Account, error) {
	if !Can(p.Role, PermRead) {
		return nil, forbidden("the %s role may not do this", p.Role)
	}
	ids, err := e.Scope(ctx, p)
	if err != nil {
		return nil, err
	}
	return e.st.AccountList(ctx, store.AccountFilter{IDs: ids, Page: page})
}

// UpdateAccount renames an account or, for an admin of a parent account,
// sets its limits.
func (e *Engine) UpdateAccount(ctx context.Context, p Principal, id string, in AccountInput) (*hook.Account, error) {
	if err := e.authorize(ctx, p, id, PermAdmin); err != nil {
		return nil, err
	}
	if in.Limits != nil && id == p.AccountID {
		return nil, &Error{Kind: KindForbidden, Field: "limits", Msg: "an account's limits are set by an admin of a parent account"}
	}
	a, err := e.st.AccountGet(ctx, id)
	if err != nil {
		return nil, err
	}
	if in.ParentID != nil && *in.ParentID != a.ParentID {
		return nil, invalid("parent_id", "cannot be changed")
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len(name) > 200 {
			return nil, invalid("name", "is required (1 to 200 characters)")
		}
		a.Name = name
	}
	if err := applyLimits(&a.Limits, in.Limits); err != nil {
		return nil, err
	}
	a.UpdatedAt = e.now().UTC()
	return a, e.accountWrite(ctx, func(q store.Querier) error { return q.AccountUpdate(ctx, a) })
}

// DeleteAccount deletes an account below p's, with everything it owns.
func (e *Engine) DeleteAccount(ctx context.Context, p Principal, id string) error {
	if err := e.authorize(ctx, p, id, PermAdmin); err != nil {
		return err
	}
	if id == p.AccountID {
		return &Error{Kind: KindConflict, Msg: "an account cannot delete itself"}
	}
	if err := e.dropAccountSources(ctx, id); err != nil {
		return err
	}
	err := e.accountWrite(ctx, func(q store.Querier) error { return q.AccountDelete(ctx, id) })
	e.hooks.Invalidate()
	return err
}

// KeyInput creates an API key.
type KeyInput struct {
	Name           string   `json:"name"`
	Role           string   `json:"role"`
	AllowedOrigins []string `json:"allowed_origins"`
}

// CreateKey creates an API key and returns it with its secret (shown once).
func (e *Engine) CreateKey(ctx context.Context, p Principal, accountID string, in KeyInput) (*hook.APIKey, string, error) {
	if err := e.authorize(ctx, p, accountID, PermAdmin); err != nil {
		return nil, "", err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		return nil, "", invalid("name", "is required (1 to 200 characters)")
	}
	if !slices.Contains(hook.Roles, in.Role) {
		return nil, "", invalid("role", "must be one of %s", strings.Join(hook.Roles, ", "))
	}
	for i, o := range in.AllowedOrigins {
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") && o != "*" {
			return nil, "", invalid("allowed_origins["+itoa(i)+"]", "must be an origin like https://shop.example.com, or *")
		}
	}
	prefix := "hlk_"
	if in.Role == hook.RolePublishable {
		prefix = "hlp_"
	}
	secret := prefix + randomToken(40)
	k, err := e.insertKey(ctx, accountID, in.Name, in.Role, secret, in.AllowedOrigins)
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// ListKeys lists an account's keys (without secrets).
func (e *Engine) ListKeys(ctx context.Context, p Principal, accountID string) ([]*hook.APIKey, error) {
	if err := e.authorize(ctx, p, accountID, PermAdmin); err != nil {
		return nil, err
	}
	return e.st.KeyList(ctx, accountID)
}

// DeleteKey revokes a key.
func (e *Engine) DeleteKey(ctx context.Context, p Principal, id string) error {
	k, err := e.st.KeyGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("key")
	}
	if err != nil {
		return err
	}
	if err := e.authorize(ctx, p, k.AccountID, PermAdmin); err != nil {
		if ErrorKind(err) == KindNotFound {
			return notFound("key")
		}
		return err
	}
	err = e.accountWrite(ctx, func(q store.Querier) error { return q.KeyDelete(ctx, id) })
	e.keys.invalidate()
	return err
}

// SigningSecret is an account's outbound signing secret.
type SigningSecret struct {
	Secret            string     `json:"secret"`
	PreviousSecret    string     `json:"previous_secret,omitempty"`
	PreviousExpiresAt *time.Time `json:"previous_expires_at,omitempty"`
}

// GetSigningSecret returns an account's signing secret.
func (e *Engine) GetSigningSecret(ctx context.Context, p Principal, accountID string) (*SigningSecret, error) {
	if err := e.authorize(ctx, p, accountID, PermAdmin); err != nil {
		return nil, err
	}
	a, err := e.st.AccountGet(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return signingSecretOf(a, e.now()), nil
}

func signingSecretOf(a *hook.Account, now time.Time) *SigningSecret {
	s := &SigningSecret{Secret: a.SigningSecret}
	if a.PrevSigningSecret != "" && a.PrevSecretExpiresAt != nil && now.Before(*a.PrevSecretExpiresAt) {
		s.PreviousSecret, s.PreviousExpiresAt = a.PrevSigningSecret, a.PrevSecretExpiresAt
	}
	return s
}

// RotateSigningSecret makes a new signing secret; the old one keeps signing
// beside it for 24 hours.
func (e *Engine) RotateSigningSecret(ctx context.Context, p Principal, accountID string) (*SigningSecret, error) {
	if err := e.authorize(ctx, p, accountID, PermAdmin); err != nil {
		return nil, err
	}
	a, err := e.st.AccountGet(ctx, accountID)
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	exp := now.Add(24 * time.Hour)
	a.PrevSigningSecret, a.PrevSecretExpiresAt = a.SigningSecret, &exp
	a.SigningSecret = stdwebhooks.NewSecret()
	a.UpdatedAt = now
	if err := e.accountWrite(ctx, func(q store.Querier) error { return q.AccountUpdate(ctx, a) }); err != nil {
		return nil, err
	}
	return signingSecretOf(a, now), nil
}
