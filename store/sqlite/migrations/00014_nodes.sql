-- +goose Up
-- Node liveness (see the PostgreSQL migration of the same number); one node
-- owns a SQLite database, so only the conformance tests use it here.
CREATE TABLE nodes (
    id          TEXT PRIMARY KEY,
    seen_at     INTEGER NOT NULL,
    alive_until INTEGER NOT NULL
);

-- +goose Down
DROP TABLE nodes;
