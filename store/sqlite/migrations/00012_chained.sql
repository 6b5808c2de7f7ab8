-- +goose Up
-- Whether another execution of the same event was planned to wait for this
-- one (SPEC §10): only then, or with an ordering key, must its final save
-- look for waiters to release. Rows from before this column may have
-- waiters: TRUE for them; new rows say it when inserted.
ALTER TABLE executions ADD COLUMN chained BOOLEAN NOT NULL DEFAULT TRUE;

-- +goose Down
ALTER TABLE executions DROP COLUMN chained;
