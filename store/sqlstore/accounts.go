package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// MetaGet implements store.Querier.
func (q *Q) MetaGet(ctx context.Context, key string) (string, error) {
	var v string
	err := q.queryRow(ctx, `SELECT value FROM meta WHERE name = ?`, key).Scan(&v)
	if err != nil {
		return "", q.fail("meta "+key, err)
	}
	return v, nil
}

// MetaSet implements store.Querier.
func (q *Q) MetaSet(ctx context.Context, key, value string) error {
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO meta (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, key, value)
		return q.fail("set meta "+key, err)
	})
}

var accountCols = []string{"id", "parent_id", "name", "signing_secret", "prev_signing_secret",
	"prev_secret_expires_at", "created_at", "updated_at", "events_per_second", "max_hooks"}

var accountSelect = "SELECT " + cols("", accountCols) + " FROM accounts"

func scanAccount(r rowScanner) (*hook.Account, error) {
	var (
		a                  hook.Account
		parent             sql.NullString
		prevExp            sql.NullInt64
		created, updated   int64
		secret, prevSecret string
		rate               sql.NullFloat64
		maxHooks           sql.NullInt64
	)
	if err := r.Scan(&a.ID, &parent, &a.Name, &secret, &prevSecret, &prevExp, &created, &updated, &rate, &maxHooks); err != nil {
		return nil, err
	}
	if rate.Valid {
		a.Limits.EventsPerSecond = &rate.Float64
	}
	if maxHooks.Valid {
		n := int(maxHooks.Int64)
		a.Limits.MaxHooks = &n
	}
	a.ParentID = parent.String
	a.SigningSecret, a.PrevSigningSecret = secret, prevSecret
	a.PrevSecretExpiresAt = fromNullUS(prevExp)
	a.CreatedAt, a.UpdatedAt = fromUS(created), fromUS(updated)
	return &a, nil
}

// AccountInsert implements store.Querier.
func (q *Q) AccountInsert(ctx context.Context, a *hook.Account) error {
	return q.write1(ctx, func(q *Q) error {
		rate, maxHooks := limitValues(a.Limits)
		_, err := q.exec(ctx, `INSERT INTO accounts (`+cols("", accountCols)+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, nullStr(a.ParentID), a.Name, a.SigningSecret, a.PrevSigningSecret,
			usPtr(a.PrevSecretExpiresAt), us(a.CreatedAt), us(a.UpdatedAt), rate, maxHooks)
		return q.fail("insert account "+a.ID, err)
	})
}

// AccountGet implements store.Querier.
func (q *Q) AccountGet(ctx context.Context, id string) (*hook.Account, error) {
	a, err := scanAccount(q.queryRow(ctx, accountSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, q.fail("account "+id, err)
	}
	return a, nil
}

// AccountList implements store.Querier.
func (q *Q) AccountList(ctx context.Context, f store.AccountFilter) ([]*hook.Account, error) {
	var w where
	w.in("id", f.IDs)
	if f.Cursor != "" {
		w.add("id > ?", f.Cursor)
	}
	return collect(ctx, q, "list accounts", scanAccount,
		accountSelect+w.String()+` ORDER BY id LIMIT ?`, append(w.args, limitOf(f.Page))...)
}

// AccountUpdate implements store.Querier.
func (q *Q) AccountUpdate(ctx context.Context, a *hook.Account) error {
	return q.write1(ctx, func(q *Q) error {
		rate, maxHooks := limitValues(a.Limits)
		return q.execOne(ctx, "update account "+a.ID, `UPDATE accounts SET parent_id = ?, name = ?,
			signing_secret = ?, prev_signing_secret = ?, prev_secret_expires_at = ?, updated_at = ?,
			events_per_second = ?, max_hooks = ?
			WHERE id = ?`,
			nullStr(a.ParentID), a.Name, a.SigningSecret, a.PrevSigningSecret,
			usPtr(a.PrevSecretExpiresAt), us(a.UpdatedAt), rate, maxHooks, a.ID)
	})
}

func limitValues(l hook.Limits) (sql.NullFloat64, sql.NullInt64) {
	var rate sql.NullFloat64
	var maxHooks sql.NullInt64
	if l.EventsPerSecond != nil {
		rate = sql.NullFloat64{Float64: *l.EventsPerSecond, Valid: true}
	}
	if l.MaxHooks != nil {
		maxHooks = sql.NullInt64{Int64: int64(*l.MaxHooks), Valid: true}
	}
	return rate, maxHooks
}

// AccountDelete implements store.Querier. Foreign keys cascade to
// everything the account owns, child accounts included.
func (q *Q) AccountDelete(ctx context.Context, id string) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "delete account "+id, `DELETE FROM accounts WHERE id = ?`, id)
	})
}

// AccountCount implements store.Querier.
func (q *Q) AccountCount(ctx context.Context) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, q.fail("count accounts", err)
	}
	return n, nil
}

var keyCols = []string{"id", "account_id", "name", "role", "prefix", "hash", "origins", "created_at", "last_used_at"}

var keySelect = "SELECT " + cols("", keyCols) + " FROM api_keys"

func scanKey(r rowScanner) (*hook.APIKey, error) {
	var (
		k       hook.APIKey
		origins string
		created int64
		used    sql.NullInt64
	)
	if err := r.Scan(&k.ID, &k.AccountID, &k.Name, &k.Role, &k.Prefix, &k.Hash, &origins, &created, &used); err != nil {
		return nil, err
	}
	if err := fromJSON("key origins", origins, &k.Origins); err != nil {
		return nil, err
	}
	k.CreatedAt, k.LastUsedAt = fromUS(created), fromNullUS(used)
	return &k, nil
}

// KeyInsert implements store.Querier.
func (q *Q) KeyInsert(ctx context.Context, k *hook.APIKey) error {
	origins, err := toJSON("key origins", k.Origins)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO api_keys (`+cols("", keyCols)+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, k.AccountID, k.Name, k.Role, k.Prefix, k.Hash, origins, us(k.CreatedAt), usPtr(k.LastUsedAt))
		return q.fail("insert key "+k.ID, err)
	})
}

// KeyGet implements store.Querier.
func (q *Q) KeyGet(ctx context.Context, id string) (*hook.APIKey, error) {
	k, err := scanKey(q.queryRow(ctx, keySelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, q.fail("key "+id, err)
	}
	return k, nil
}

// KeyGetByHash implements store.Querier.
func (q *Q) KeyGetByHash(ctx context.Context, hash string) (*hook.APIKey, error) {
	k, err := scanKey(q.queryRow(ctx, keySelect+` WHERE hash = ?`, hash))
	if err != nil {
		return nil, q.fail("key by hash", err)
	}
	return k, nil
}

// KeyList implements store.Querier: the account's keys by id.
func (q *Q) KeyList(ctx context.Context, accountID string) ([]*hook.APIKey, error) {
	return collect(ctx, q, "list keys", scanKey, keySelect+` WHERE account_id = ? ORDER BY id`, accountID)
}

// KeyDelete implements store.Querier.
func (q *Q) KeyDelete(ctx context.Context, id string) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "delete key "+id, `DELETE FROM api_keys WHERE id = ?`, id)
	})
}

// KeyTouch implements store.Querier.
func (q *Q) KeyTouch(ctx context.Context, id string, at time.Time) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "touch key "+id, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, us(at), id)
	})
}
