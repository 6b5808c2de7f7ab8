-- +goose Up
-- Times are unix microseconds (UTC); JSON values are TEXT; booleans 0/1.

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id                     TEXT PRIMARY KEY,
    parent_id              TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    name                   TEXT NOT NULL,
    signing_secret         TEXT NOT NULL DEFAULT '',
    prev_signing_secret    TEXT NOT NULL DEFAULT '',
    prev_secret_expires_at INTEGER,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    origins      TEXT NOT NULL DEFAULT 'null',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_keys_account ON api_keys (account_id, id);

CREATE TABLE hooks (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    enabled            BOOLEAN NOT NULL,
    position           INTEGER NOT NULL DEFAULT 0,
    roles              TEXT NOT NULL DEFAULT 'null',
    category           TEXT NOT NULL DEFAULT '',
    debug              BOOLEAN NOT NULL DEFAULT FALSE,
    trigger_type       TEXT NOT NULL,
    trigger_json       TEXT NOT NULL,
    cond               TEXT NOT NULL DEFAULT '',
    on_condition_error TEXT NOT NULL DEFAULT '',
    actions            TEXT NOT NULL,
    next_run_at        INTEGER,
    last_run_at        INTEGER,
    run_count          INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX hooks_account ON hooks (account_id, id);
CREATE INDEX hooks_due ON hooks (next_run_at) WHERE enabled;

CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    collection      TEXT NOT NULL DEFAULT '',
    data            TEXT NOT NULL,
    actor           TEXT,
    occurred_at     INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL DEFAULT '',
    depth           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_account ON events (account_id);
CREATE UNIQUE INDEX events_idempotency ON events (account_id, idempotency_key) WHERE idempotency_key <> '';

-- Executions are the rows of the durable work queue.
CREATE TABLE executions (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hook_id             TEXT NOT NULL,
    event_id            TEXT NOT NULL DEFAULT '',
    trigger_type        TEXT NOT NULL,
    status              TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    actions_executed    INTEGER NOT NULL DEFAULT 0,
    error_message       TEXT NOT NULL DEFAULT '',
    duration_ms         INTEGER NOT NULL DEFAULT 0,
    context             TEXT NOT NULL,
    results             TEXT NOT NULL,
    exhausted           BOOLEAN NOT NULL DEFAULT FALSE,
    depth               INTEGER NOT NULL DEFAULT 0,
    seq                 INTEGER NOT NULL DEFAULT 0,
    action_cursor       INTEGER NOT NULL DEFAULT 0,
    replay_of           TEXT NOT NULL DEFAULT '',
    condition_result    BOOLEAN,
    condition_error     TEXT NOT NULL DEFAULT '',
    scheduled_for       INTEGER,
    run_at              INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    executed_at         INTEGER,
    finished_at         INTEGER,
    locked_by           TEXT NOT NULL DEFAULT '',
    locked_until        INTEGER,
    lease_token         TEXT NOT NULL DEFAULT '',
    debug               BOOLEAN NOT NULL DEFAULT FALSE,
    wait_for_completion BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX executions_pending ON executions (run_at, id) WHERE status = 'pending';
CREATE INDEX executions_leases ON executions (locked_until) WHERE status = 'running';
CREATE INDEX executions_hook ON executions (hook_id, id);
CREATE INDEX executions_account ON executions (account_id, id);
CREATE INDEX executions_event ON executions (event_id);
CREATE INDEX executions_created ON executions (created_at);

-- First writer wins for update_record within one event.
CREATE TABLE field_claims (
    event_id  TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    record_id TEXT NOT NULL,
    field     TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (event_id, record_id, field)
);

-- Each schedule slot fires once across all nodes.
CREATE TABLE schedule_slots (
    hook_id TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    slot    INTEGER NOT NULL,
    PRIMARY KEY (hook_id, slot)
);

CREATE TABLE secrets (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE event_types (
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
);

CREATE TABLE collections (
    account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    schema_json TEXT NOT NULL DEFAULT 'null',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE records (
    account_id TEXT NOT NULL,
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, collection, id),
    FOREIGN KEY (account_id, collection) REFERENCES collections (account_id, name) ON DELETE CASCADE
);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    queue        TEXT NOT NULL,
    payload      TEXT NOT NULL,
    state        TEXT NOT NULL,
    priority     INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 0,
    run_at       INTEGER NOT NULL,
    locked_until INTEGER,
    last_error   TEXT NOT NULL DEFAULT '',
    execution_id TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX jobs_claim ON jobs (queue, priority DESC, run_at, id) WHERE state IN ('available', 'running');
CREATE INDEX jobs_account ON jobs (account_id, id);

-- +goose Down
DROP TABLE jobs;
DROP TABLE records;
DROP TABLE collections;
DROP TABLE event_types;
DROP TABLE secrets;
DROP TABLE schedule_slots;
DROP TABLE field_claims;
DROP TABLE executions;
DROP TABLE events;
DROP TABLE hooks;
DROP TABLE api_keys;
DROP TABLE accounts;
DROP TABLE meta;
