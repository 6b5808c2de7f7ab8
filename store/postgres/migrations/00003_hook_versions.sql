-- +goose Up
-- Hook versions (hooks as code): every create or change of a hook stores the
-- whole hook as saved; hooks get an optional key (a slug unique in their
-- account) and their current version; executions record the version they ran.

ALTER TABLE hooks ADD COLUMN hook_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE hooks ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX hooks_key ON hooks (account_id, hook_key) WHERE hook_key <> '';

CREATE TABLE hook_versions (
    hook_id    TEXT COLLATE "C" NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    actor      TEXT COLLATE "C" NOT NULL DEFAULT 'null',
    note       TEXT NOT NULL DEFAULT '',
    hook       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (hook_id, version)
);

ALTER TABLE executions ADD COLUMN hook_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN version_pinned BOOLEAN NOT NULL DEFAULT FALSE;

-- Hooks saved before versions existed become version 1, so their first
-- change can be undone. The JSON is the hook as the API shows it.
UPDATE hooks SET version = 1;
INSERT INTO hook_versions (hook_id, version, account_id, note, hook, created_at)
SELECT id, 1, account_id, 'recorded when hook versions were introduced', json_build_object(
    'id', id, 'account_id', account_id, 'version', 1, 'name', name, 'description', description,
    'enabled', enabled, 'order', position, 'roles', roles::json, 'category', category, 'debug', debug,
    'trigger', trigger_json::json, 'condition', cond, 'on_condition_error', on_condition_error,
    'actions', actions::json, 'ordering', ordering, 'ordering_key', ordering_key,
    'next_run_at', CASE WHEN next_run_at IS NULL THEN NULL
        ELSE to_char(to_timestamp(next_run_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END,
    'run_count', run_count,
    'created_at', to_char(to_timestamp(created_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'updated_at', to_char(to_timestamp(updated_at / 1000000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
)::text, updated_at FROM hooks;

-- +goose Down
ALTER TABLE executions DROP COLUMN version_pinned;
ALTER TABLE executions DROP COLUMN hook_version;
DROP TABLE hook_versions;
DROP INDEX hooks_key;
ALTER TABLE hooks DROP COLUMN version;
ALTER TABLE hooks DROP COLUMN hook_key;
