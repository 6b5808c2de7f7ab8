-- +goose Up
-- Per-account limits set by an admin of a parent account (SPEC §7); NULL
-- takes the install's default.
ALTER TABLE accounts ADD COLUMN events_per_second REAL;
ALTER TABLE accounts ADD COLUMN max_hooks INTEGER;

-- Every run of a hook (run_count) and when the latest ran (last_run_at).
ALTER TABLE hooks ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hooks ADD COLUMN last_execution_at INTEGER;

-- +goose Down
ALTER TABLE hooks DROP COLUMN last_execution_at;
ALTER TABLE hooks DROP COLUMN runs;
ALTER TABLE accounts DROP COLUMN max_hooks;
ALTER TABLE accounts DROP COLUMN events_per_second;
