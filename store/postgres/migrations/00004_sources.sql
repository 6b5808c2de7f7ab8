-- +goose Up
-- Change-capture sources (issue 15): databases hookline follows by logical
-- replication. url is sealed with the engine's secret key; status is JSON
-- written by the node holding the lease (lease_node until lease_until).
CREATE TABLE sources (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_id  TEXT COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    url         BYTEA NOT NULL,
    display     TEXT NOT NULL DEFAULT '',
    tables      TEXT NOT NULL,
    slot        TEXT NOT NULL,
    publication TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT '{}',
    lease_node  TEXT NOT NULL DEFAULT '',
    lease_until BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX sources_account ON sources (account_id, id);
CREATE UNIQUE INDEX sources_name ON sources (account_id, name);

-- +goose Down
DROP TABLE sources;
