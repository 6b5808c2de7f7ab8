-- +goose Up
-- Per-account limits set by an admin of a parent account (SPEC §7); NULL
-- takes the install's default.
ALTER TABLE accounts ADD COLUMN events_per_second REAL;
ALTER TABLE accounts ADD COLUMN max_hooks INTEGER;

-- Every run of a hook (run_count) and when the latest ran (last_run_at),
-- in a table of their own: counting runs never locks a hook's row (the
-- scheduler locks due hooks with SKIP LOCKED). No foreign key for the same
-- reason; a deleted hook's row is removed with it.
CREATE TABLE hook_runs (
    hook_id TEXT PRIMARY KEY,
    runs    INTEGER NOT NULL,
    last_at INTEGER
);
-- Runs counted before (a schedule's firings, in hooks.run_count) carry over.
INSERT INTO hook_runs (hook_id, runs, last_at)
    SELECT id, run_count, last_run_at FROM hooks WHERE run_count > 0;

-- +goose Down
DROP TABLE hook_runs;
ALTER TABLE accounts DROP COLUMN max_hooks;
ALTER TABLE accounts DROP COLUMN events_per_second;
