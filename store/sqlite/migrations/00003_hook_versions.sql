-- +goose Up
-- Hook versions (hooks as code): every create or change of a hook stores the
-- whole hook as saved; hooks get an optional key (a slug unique in their
-- account) and their current version; executions record the version they ran.

ALTER TABLE hooks ADD COLUMN hook_key TEXT NOT NULL DEFAULT '';
ALTER TABLE hooks ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX hooks_key ON hooks (account_id, hook_key) WHERE hook_key <> '';

CREATE TABLE hook_versions (
    hook_id    TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    actor      TEXT NOT NULL DEFAULT 'null',
    note       TEXT NOT NULL DEFAULT '',
    hook       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (hook_id, version)
);

ALTER TABLE executions ADD COLUMN hook_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN version_pinned BOOLEAN NOT NULL DEFAULT FALSE;

-- Hooks saved before versions existed become version 1, so their first
-- change can be undone. The JSON is the hook as the API shows it.
UPDATE hooks SET version = 1;
INSERT INTO hook_versions (hook_id, version, account_id, note, hook, created_at)
SELECT id, 1, account_id, 'recorded when hook versions were introduced', json_object(
    'id', id, 'account_id', account_id, 'version', 1, 'name', name, 'description', description,
    'enabled', json(CASE WHEN enabled THEN 'true' ELSE 'false' END), 'order', position,
    'roles', json(roles), 'category', category,
    'debug', json(CASE WHEN debug THEN 'true' ELSE 'false' END),
    'trigger', json(trigger_json), 'condition', cond, 'on_condition_error', on_condition_error,
    'actions', json(actions), 'ordering', ordering, 'ordering_key', ordering_key,
    'next_run_at', CASE WHEN next_run_at IS NULL THEN NULL
        ELSE strftime('%Y-%m-%dT%H:%M:%fZ', next_run_at / 1000000.0, 'unixepoch') END,
    'run_count', run_count,
    'created_at', strftime('%Y-%m-%dT%H:%M:%fZ', created_at / 1000000.0, 'unixepoch'),
    'updated_at', strftime('%Y-%m-%dT%H:%M:%fZ', updated_at / 1000000.0, 'unixepoch')
), updated_at FROM hooks;

-- +goose Down
ALTER TABLE executions DROP COLUMN version_pinned;
ALTER TABLE executions DROP COLUMN hook_version;
DROP TABLE hook_versions;
DROP INDEX hooks_key;
ALTER TABLE hooks DROP COLUMN version;
ALTER TABLE hooks DROP COLUMN hook_key;
