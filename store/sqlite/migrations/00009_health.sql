-- +goose Up
-- Endpoint health (SPEC §12). Why hookline disabled a hook and when (hook
-- state, written with the hook; NULL reason: enabled, or disabled by a person).
ALTER TABLE hooks ADD COLUMN disabled_reason TEXT;
ALTER TABLE hooks ADD COLUMN disabled_at INTEGER;

-- Since when a hook's runs have all failed: set by the first final failure
-- after its last success, removed by a success and by a save of the hook.
-- In a table of its own, like hook_runs: the final save of an execution
-- never locks a hook's row (the scheduler locks due hooks with SKIP
-- LOCKED), and a save of the hook never overwrites it. No foreign key for
-- the same reason; a deleted hook's row is removed with it.
CREATE TABLE hook_health (
    hook_id       TEXT PRIMARY KEY,
    failing_since INTEGER NOT NULL
);

-- +goose Down
DROP TABLE hook_health;
ALTER TABLE hooks DROP COLUMN disabled_at;
ALTER TABLE hooks DROP COLUMN disabled_reason;
