package sqlstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

var hookVersionCols = []string{"hook_id", "version", "account_id", "actor", "note", "hook", "created_at"}

var hookVersionSelect = "SELECT " + cols("", hookVersionCols) + " FROM hook_versions"

func scanHookVersion(r rowScanner) (*hook.Version, error) {
	var (
		v               hook.Version
		actor, hookJSON string
		created         int64
	)
	if err := r.Scan(&v.HookID, &v.Version, &v.AccountID, &actor, &v.Note, &hookJSON, &created); err != nil {
		return nil, err
	}
	var d jsonDec
	d.val("hook version actor", actor, &v.Actor)
	d.val("hook version", hookJSON, &v.Hook)
	if d.err != nil {
		return nil, d.err
	}
	v.CreatedAt = fromUS(created)
	return &v, nil
}

// HookVersionInsert implements store.Querier.
func (q *Q) HookVersionInsert(ctx context.Context, v *hook.Version) error {
	var e jsonEnc
	actor := e.str("hook version actor", v.Actor)
	hookJSON := e.str("hook version", v.Hook)
	if e.err != nil {
		return e.err
	}
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO hook_versions (`+cols("", hookVersionCols)+`) VALUES (`+placeholders(len(hookVersionCols))+`)`,
			v.HookID, v.Version, v.AccountID, actor, v.Note, hookJSON, us(v.CreatedAt))
		return q.fail(fmt.Sprintf("insert version %d of hook %s", v.Version, v.HookID), err)
	})
}

// HookVersionGet implements store.Querier.
func (q *Q) HookVersionGet(ctx context.Context, hookID string, version int) (*hook.Version, error) {
	v, err := scanHookVersion(q.queryRow(ctx, hookVersionSelect+` WHERE hook_id = ? AND version = ?`, hookID, version))
	if err != nil {
		return nil, q.fail(fmt.Sprintf("version %d of hook %s", version, hookID), err)
	}
	return v, nil
}

// HookVersionList implements store.Querier: newest first.
func (q *Q) HookVersionList(ctx context.Context, hookID string, p store.Page) ([]*hook.Version, error) {
	var w where
	w.add("hook_id = ?", hookID)
	if p.Cursor != "" {
		n, err := strconv.Atoi(p.Cursor)
		if err != nil {
			return nil, fmt.Errorf("list versions of hook %s: cursor %q is not a version number", hookID, p.Cursor)
		}
		w.add("version < ?", n)
	}
	return collect(ctx, q, "list versions of hook "+hookID, scanHookVersion,
		hookVersionSelect+w.String()+` ORDER BY version DESC LIMIT ?`, append(w.args, limitOf(p))...)
}
