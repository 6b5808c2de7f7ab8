-- +goose Up
-- Per-account limits set by an admin of a parent account (SPEC §7); NULL
-- takes the install's default.
ALTER TABLE accounts ADD COLUMN events_per_second REAL;
ALTER TABLE accounts ADD COLUMN max_hooks INTEGER;

-- +goose Down
ALTER TABLE accounts DROP COLUMN max_hooks;
ALTER TABLE accounts DROP COLUMN events_per_second;
