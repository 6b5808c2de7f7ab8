package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/hookline/hookline/store"
)

var jobCols = []string{"id", "account_id", "queue", "payload", "state", "priority", "attempt",
	"max_attempts", "run_at", "locked_until", "last_error", "execution_id", "created_at", "finished_at"}

var jobSelect = "SELECT " + cols("", jobCols) + " FROM jobs"

func scanJob(r rowScanner) (*store.Job, error) {
	var (
		j                   store.Job
		payload             string
		runAt, created      int64
		lockedUntil, finish sql.NullInt64
	)
	if err := r.Scan(&j.ID, &j.AccountID, &j.Queue, &payload, &j.State, &j.Priority, &j.Attempt,
		&j.MaxAttempts, &runAt, &lockedUntil, &j.LastError, &j.ExecutionID, &created, &finish); err != nil {
		return nil, err
	}
	if err := fromJSON("job payload", payload, &j.Payload); err != nil {
		return nil, err
	}
	j.RunAt, j.CreatedAt = fromUS(runAt), fromUS(created)
	j.LockedUntil, j.FinishedAt = fromNullUS(lockedUntil), fromNullUS(finish)
	return &j, nil
}

// JobInsert implements store.Querier.
func (q *Q) JobInsert(ctx context.Context, j *store.Job) error {
	payload, err := toJSON("job payload", j.Payload)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO jobs (`+cols("", jobCols)+`) VALUES (`+placeholders(len(jobCols))+`)`,
			j.ID, j.AccountID, j.Queue, payload, j.State, j.Priority, j.Attempt, j.MaxAttempts, us(j.RunAt),
			usPtr(j.LockedUntil), j.LastError, j.ExecutionID, us(j.CreatedAt), usPtr(j.FinishedAt))
		return q.fail("insert job "+j.ID, err)
	})
}

// JobGet implements store.Querier.
func (q *Q) JobGet(ctx context.Context, id string) (*store.Job, error) {
	j, err := scanJob(q.queryRow(ctx, jobSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, q.fail("job "+id, err)
	}
	return j, nil
}

// JobClaim implements store.Querier: the highest priority first, then the
// oldest run_at, then id.
func (q *Q) JobClaim(ctx context.Context, accountIDs []string, queue string, now, leaseUntil time.Time) (*store.Job, error) {
	var w where
	w.add("queue = ?", queue)
	w.in("account_id", accountIDs)
	w.add("((state = 'available' AND run_at <= ?) OR (state = 'running' AND locked_until < ?))", us(now), us(now))
	pick := `SELECT id FROM jobs` + w.String() + ` ORDER BY priority DESC, run_at, id LIMIT 1`
	var (
		query string
		args  []any
	)
	if q.d.SkipLocked {
		query = `WITH picked AS MATERIALIZED (` + pick + ` FOR UPDATE SKIP LOCKED)
			UPDATE jobs j SET state = 'running', attempt = j.attempt + 1, locked_until = ?
			FROM picked WHERE j.id = picked.id RETURNING ` + cols("j.", jobCols)
		args = append(w.args, us(leaseUntil))
	} else {
		query = `UPDATE jobs SET state = 'running', attempt = attempt + 1, locked_until = ?
			WHERE id IN (` + pick + `) RETURNING ` + cols("", jobCols)
		args = append([]any{us(leaseUntil)}, w.args...)
	}
	var j *store.Job
	err := q.write1(ctx, func(q *Q) error {
		var err error
		j, err = scanJob(q.queryRow(ctx, query, args...))
		if errors.Is(err, sql.ErrNoRows) {
			j, err = nil, nil
		}
		return q.fail("claim job", err)
	})
	return j, err
}

// JobUpdate implements store.Querier: every field but id, account_id,
// queue and created_at.
func (q *Q) JobUpdate(ctx context.Context, j *store.Job) error {
	payload, err := toJSON("job payload", j.Payload)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "update job "+j.ID, `UPDATE jobs SET payload = ?, state = ?, priority = ?,
			attempt = ?, max_attempts = ?, run_at = ?, locked_until = ?, last_error = ?, execution_id = ?,
			finished_at = ? WHERE id = ?`,
			payload, j.State, j.Priority, j.Attempt, j.MaxAttempts, us(j.RunAt), usPtr(j.LockedUntil),
			j.LastError, j.ExecutionID, usPtr(j.FinishedAt), j.ID)
	})
}

// JobDelete implements store.Querier.
func (q *Q) JobDelete(ctx context.Context, id string) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "delete job "+id, `DELETE FROM jobs WHERE id = ?`, id)
	})
}

// JobList implements store.Querier: newest first.
func (q *Q) JobList(ctx context.Context, f store.JobFilter) ([]*store.Job, error) {
	var w where
	w.in("account_id", f.AccountIDs)
	if f.Queue != "" {
		w.add("queue = ?", f.Queue)
	}
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Cursor != "" {
		w.add("id < ?", f.Cursor)
	}
	return collect(ctx, q, "list jobs", scanJob, jobSelect+w.String()+` ORDER BY id DESC LIMIT ?`,
		append(w.args, limitOf(f.Page))...)
}
