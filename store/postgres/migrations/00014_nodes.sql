-- +goose Up
-- Node liveness: each node renews its row with its heartbeat; a node whose
-- row ran out is taken over by another (its row deleted, its running
-- executions back to pending), so a rescue pass reads this small table
-- instead of the executions' lease index.
CREATE TABLE nodes (
    id          TEXT COLLATE "C" PRIMARY KEY,
    seen_at     BIGINT NOT NULL,
    alive_until BIGINT NOT NULL
);

-- +goose Down
DROP TABLE nodes;
