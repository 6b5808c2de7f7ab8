-- +goose Up
-- The hook editor's sample data is the latest event of a type: the index
-- by account now also orders by type and id (it serves what the one by
-- account alone did, so events keep the same number of indexes).
CREATE INDEX events_account_type ON events (account_id, type, id);
DROP INDEX events_account;

-- +goose Down
CREATE INDEX events_account ON events (account_id);
DROP INDEX events_account_type;
