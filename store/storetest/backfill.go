package storetest

import (
	"context"
	"database/sql"
	"io/fs"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// BackfillBefore is the last migration before hook versions: drivers call
// SeedBeforeVersions, then migrate the rest and call CheckBackfill.
const BackfillBefore = 2

// BackfillSeed are rows written before hook versions existed (SQL both
// dialects take).
var BackfillSeed = []string{
	`INSERT INTO accounts (id, name, created_at, updated_at) VALUES ('acc_old', 'Old shop', 1700000000000000, 1700000000000000)`,
	`INSERT INTO hooks (id, account_id, name, description, enabled, position, roles, category, debug, trigger_type,
		trigger_json, cond, on_condition_error, actions, next_run_at, last_run_at, run_count, created_at, updated_at)
		VALUES ('hk_old1', 'acc_old', 'Nightly "report" – café', 'two
lines', TRUE, 5, '["admin"]', 'analytics', FALSE, 'schedule',
		'{"type":"schedule","cron":"0 2 * * *","timezone":"Europe/Berlin","misfire":"run_once"}', '', 'fire',
		'[{"type":"enqueue_job","config":{"queue":"reports","payload":{"n":1.5,"list":[1,"a",null]}}}]',
		1700000100000000, 1700000000000000, 3, 1700000000123456, 1700000050654321)`,
	`INSERT INTO hooks (id, account_id, name, description, enabled, position, roles, category, debug, trigger_type,
		trigger_json, cond, on_condition_error, actions, next_run_at, last_run_at, run_count, created_at, updated_at)
		VALUES ('hk_old2', 'acc_old', 'Manual', '', FALSE, 0, '[]', 'other', TRUE, 'manual',
		'{"type":"manual"}', 'total >= 500 && name != ''x''', 'skip',
		'[{"type":"send_webhook","name":"a","config":{"url":"https://example.com/{{record.id}}"}}]',
		NULL, NULL, 0, 1700000000000000, 1700000000000000)`,
}

// SeedBeforeVersions migrates db (a driver's raw database, migrations its
// goose files) up to BackfillBefore and writes BackfillSeed.
func SeedBeforeVersions(t *testing.T, db *sql.DB, dialect goose.Dialect, migrations fs.FS) {
	t.Helper()
	ctx := context.Background()
	p, err := goose.NewProvider(dialect, db, migrations, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, BackfillBefore); err != nil {
		t.Fatal(err)
	}
	for _, q := range BackfillSeed {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
}

// CheckBackfill checks that the hooks of BackfillSeed became version 1,
// each with a stored version 1 that is the hook as it was.
func CheckBackfill(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"hk_old1", "hk_old2"} {
		h, err := s.HookGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != 1 {
			t.Errorf("%s: version %d, want 1", id, h.Version)
		}
		vs, err := s.HookVersionList(ctx, id, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 1 {
			t.Fatalf("%s: %d versions, want 1", id, len(vs))
		}
		v := vs[0]
		if v.Version != 1 || v.Hook.Version != 1 || v.Hook.ID != id || v.Hook.AccountID != "acc_old" || v.AccountID != "acc_old" {
			t.Errorf("%s: version %d of hook %s/%s (account %s)", id, v.Version, v.Hook.ID, v.Hook.AccountID, v.AccountID)
		}
		if !v.CreatedAt.Equal(h.UpdatedAt) || v.Actor != nil || v.Note == "" {
			t.Errorf("%s: version made at %v by %v (%q), want at %v by nobody, with a note", id, v.CreatedAt, v.Actor, v.Note, h.UpdatedAt)
		}
		if !hook.SameDefinition(v.Hook, h) {
			t.Errorf("%s: version 1 differs from the hook: %+v", id, hook.Diff(hook.Definition(h), hook.Definition(v.Hook)))
		}
		near := func(what string, a, b *time.Time) {
			if (a == nil) != (b == nil) || a != nil && a.Sub(*b).Abs() >= time.Millisecond {
				t.Errorf("%s: %s %v, want %v", id, what, a, b)
			}
		}
		near("created_at", &v.Hook.CreatedAt, &h.CreatedAt)
		near("updated_at", &v.Hook.UpdatedAt, &h.UpdatedAt)
		near("next_run_at", v.Hook.NextRunAt, h.NextRunAt)
		// A version is the hook as JSON, without the schedule's counter;
		// the runs counted before migration 00005 (the schedule's) carry
		// over to run_count.
		if h.Runs != h.RunCount {
			t.Errorf("%s: run_count %d, want the schedule's %d", id, h.Runs, h.RunCount)
		}
	}
}
