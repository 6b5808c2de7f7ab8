-- +goose Up
-- Debounce (SPEC §12): a hook's debounce setting, and each execution's
-- rendered debounce key; a newer execution of the key supersedes the
-- pending ones that have not started.
ALTER TABLE hooks ADD COLUMN debounce TEXT COLLATE "C" NOT NULL DEFAULT 'null';
ALTER TABLE executions ADD COLUMN debounce_key TEXT COLLATE "C" NOT NULL DEFAULT '';
-- Claims take the accounts with due work in turn (a loose index scan).
CREATE INDEX executions_claim_account ON executions (account_id, run_at, id) WHERE status = 'pending' AND after_exec = '' AND after_key = '';
CREATE INDEX executions_debounce ON executions (hook_id, debounce_key) WHERE debounce_key <> '' AND status = 'pending';

-- +goose Down
DROP INDEX executions_debounce;
DROP INDEX executions_claim_account;
ALTER TABLE executions DROP COLUMN debounce_key;
ALTER TABLE hooks DROP COLUMN debounce;
