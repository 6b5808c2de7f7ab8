-- +goose Up
-- Times are unix microseconds (UTC); JSON values are TEXT. Keys compare bytewise
-- (COLLATE "C"), as in SQLite, so orders and cursors do not depend on the locale.

CREATE TABLE meta (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE accounts (
    id                     TEXT COLLATE "C" PRIMARY KEY,
    parent_id              TEXT COLLATE "C" REFERENCES accounts (id) ON DELETE CASCADE,
    name                   TEXT NOT NULL,
    signing_secret         TEXT COLLATE "C" NOT NULL DEFAULT '',
    prev_signing_secret    TEXT COLLATE "C" NOT NULL DEFAULT '',
    prev_secret_expires_at BIGINT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id);

CREATE TABLE api_keys (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT COLLATE "C" NOT NULL,
    role         TEXT COLLATE "C" NOT NULL,
    prefix       TEXT COLLATE "C" NOT NULL,
    hash         TEXT COLLATE "C" NOT NULL UNIQUE,
    origins      TEXT COLLATE "C" NOT NULL DEFAULT 'null',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id, id);

CREATE TABLE hooks (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    account_id         TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    enabled            BOOLEAN NOT NULL,
    position           BIGINT NOT NULL DEFAULT 0,
    roles              TEXT COLLATE "C" NOT NULL DEFAULT 'null',
    category           TEXT COLLATE "C" NOT NULL DEFAULT '',
    debug              BOOLEAN NOT NULL DEFAULT FALSE,
    trigger_type       TEXT COLLATE "C" NOT NULL,
    trigger_json       TEXT COLLATE "C" NOT NULL,
    cond               TEXT COLLATE "C" NOT NULL DEFAULT '',
    on_condition_error TEXT COLLATE "C" NOT NULL DEFAULT '',
    actions            TEXT COLLATE "C" NOT NULL,
    next_run_at        BIGINT,
    last_run_at        BIGINT,
    run_count          BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX hooks_account ON hooks (account_id, id);
CREATE INDEX hooks_due ON hooks (next_run_at) WHERE enabled;

CREATE TABLE events (
    id              TEXT COLLATE "C" PRIMARY KEY,
    account_id      TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    type            TEXT COLLATE "C" NOT NULL,
    collection      TEXT COLLATE "C" NOT NULL DEFAULT '',
    data            TEXT COLLATE "C" NOT NULL,
    actor           TEXT COLLATE "C",
    occurred_at     BIGINT NOT NULL,
    idempotency_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    depth           BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX events_account ON events (account_id);
CREATE UNIQUE INDEX events_idempotency ON events (account_id, idempotency_key) WHERE idempotency_key <> '';

-- Executions are the rows of the durable work queue.
CREATE TABLE executions (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    account_id          TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hook_id             TEXT COLLATE "C" NOT NULL,
    event_id            TEXT COLLATE "C" NOT NULL DEFAULT '',
    trigger_type        TEXT COLLATE "C" NOT NULL,
    status              TEXT COLLATE "C" NOT NULL,
    attempts            BIGINT NOT NULL DEFAULT 0,
    actions_executed    BIGINT NOT NULL DEFAULT 0,
    error_message       TEXT COLLATE "C" NOT NULL DEFAULT '',
    duration_ms         BIGINT NOT NULL DEFAULT 0,
    context             TEXT COLLATE "C" NOT NULL,
    results             TEXT COLLATE "C" NOT NULL,
    exhausted           BOOLEAN NOT NULL DEFAULT FALSE,
    depth               BIGINT NOT NULL DEFAULT 0,
    seq                 BIGINT NOT NULL DEFAULT 0,
    action_cursor       BIGINT NOT NULL DEFAULT 0,
    replay_of           TEXT COLLATE "C" NOT NULL DEFAULT '',
    condition_result    BOOLEAN,
    condition_error     TEXT COLLATE "C" NOT NULL DEFAULT '',
    scheduled_for       BIGINT,
    run_at              BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    executed_at         BIGINT,
    finished_at         BIGINT,
    locked_by           TEXT COLLATE "C" NOT NULL DEFAULT '',
    locked_until        BIGINT,
    lease_token         TEXT COLLATE "C" NOT NULL DEFAULT '',
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
    event_id  TEXT COLLATE "C" NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    record_id TEXT COLLATE "C" NOT NULL,
    field     TEXT COLLATE "C" NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (event_id, record_id, field)
);

-- Each schedule slot fires once across all nodes.
CREATE TABLE schedule_slots (
    hook_id TEXT COLLATE "C" NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    slot    BIGINT NOT NULL,
    PRIMARY KEY (hook_id, slot)
);

CREATE TABLE secrets (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT COLLATE "C" NOT NULL,
    value      BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE event_types (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    id         TEXT COLLATE "C" NOT NULL,
    label      TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, id)
);

CREATE TABLE collections (
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT COLLATE "C" NOT NULL,
    schema_json TEXT COLLATE "C" NOT NULL DEFAULT 'null',
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE records (
    account_id TEXT COLLATE "C" NOT NULL,
    collection TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    data       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, collection, id),
    FOREIGN KEY (account_id, collection) REFERENCES collections (account_id, name) ON DELETE CASCADE
);

CREATE TABLE jobs (
    id           TEXT COLLATE "C" PRIMARY KEY,
    account_id   TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    queue        TEXT COLLATE "C" NOT NULL,
    payload      TEXT COLLATE "C" NOT NULL,
    state        TEXT COLLATE "C" NOT NULL,
    priority     BIGINT NOT NULL DEFAULT 0,
    attempt      BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 0,
    run_at       BIGINT NOT NULL,
    locked_until BIGINT,
    last_error   TEXT COLLATE "C" NOT NULL DEFAULT '',
    execution_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
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
