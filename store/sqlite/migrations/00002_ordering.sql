-- +goose Up
-- Ordering at run time (SPEC §10). An execution waits while after_exec (the
-- execution of the hook before it in its event's order) or after_key (the
-- execution before it with the same hook and ordering key) is set; the save
-- that makes the awaited execution final clears the pointer. Waiting rows
-- stay 'pending' but out of the claim index.
ALTER TABLE executions ADD COLUMN after_exec TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN after_key TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN ordering_key TEXT NOT NULL DEFAULT '';
ALTER TABLE executions ADD COLUMN note TEXT NOT NULL DEFAULT '';
DROP INDEX executions_pending;
CREATE INDEX executions_pending ON executions (run_at, id) WHERE status = 'pending' AND after_exec = '' AND after_key = '';
CREATE INDEX executions_after_exec ON executions (after_exec) WHERE after_exec <> '';
CREATE INDEX executions_after_key ON executions (after_key) WHERE after_key <> '';
CREATE INDEX executions_ordering ON executions (hook_id, ordering_key, id) WHERE ordering_key <> '' AND status IN ('pending', 'running');

ALTER TABLE hooks ADD COLUMN ordering TEXT NOT NULL DEFAULT '';
ALTER TABLE hooks ADD COLUMN ordering_key TEXT NOT NULL DEFAULT '';

-- The value the first writer set, for the hooks after it (JSON).
ALTER TABLE field_claims ADD COLUMN value TEXT NOT NULL DEFAULT 'null';

-- +goose Down
ALTER TABLE field_claims DROP COLUMN value;
ALTER TABLE hooks DROP COLUMN ordering_key;
ALTER TABLE hooks DROP COLUMN ordering;
DROP INDEX executions_ordering;
DROP INDEX executions_after_key;
DROP INDEX executions_after_exec;
DROP INDEX executions_pending;
CREATE INDEX executions_pending ON executions (run_at, id) WHERE status = 'pending';
ALTER TABLE executions DROP COLUMN note;
ALTER TABLE executions DROP COLUMN ordering_key;
ALTER TABLE executions DROP COLUMN after_key;
ALTER TABLE executions DROP COLUMN after_exec;
