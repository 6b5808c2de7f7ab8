package hookline

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	"github.com/hookline/hookline/store"
)

var queueRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Job states.
const (
	JobAvailable = "available"
	JobRunning   = "running"
	JobCompleted = "completed"
	JobDead      = "dead"
)

// ClaimJob leases the next job of queue in p's subtree for lease (default
// 30s, at most 1h); nil when the queue is empty. A lease that ends without
// ack or fail makes the job claimable again.
func (e *Engine) ClaimJob(ctx context.Context, p Principal, queue string, lease time.Duration) (*store.Job, error) {
	if !Can(p.Role, PermJobs) {
		return nil, forbidden("the %s role may not claim jobs", p.Role)
	}
	if !queueRE.MatchString(queue) {
		return nil, invalid("queue", "must be 1 to 64 letters, digits, and . _ -")
	}
	if lease == 0 {
		lease = 30 * time.Second
	}
	if lease < time.Second || lease > time.Hour {
		return nil, invalid("lease", "must be between 1s and 1h")
	}
	ids, err := e.Scope(ctx, p)
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	return e.st.JobClaim(ctx, ids, queue, now, now.Add(lease))
}

func (e *Engine) jobOf(ctx context.Context, p Principal, id string) (*store.Job, error) {
	j, err := e.st.JobGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("job")
	}
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, j.AccountID, PermJobs); err != nil {
		if ErrorKind(err) == KindNotFound {
			return nil, notFound("job")
		}
		return nil, err
	}
	return j, nil
}

// AckJob completes a running job.
func (e *Engine) AckJob(ctx context.Context, p Principal, id string) (*store.Job, error) {
	j, err := e.jobOf(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if j.State != JobRunning {
		return nil, &Error{Kind: KindConflict, Msg: "job is " + j.State + ", not running (its lease may have ended)"}
	}
	now := e.now().UTC()
	j.State, j.FinishedAt, j.LockedUntil, j.LastError = JobCompleted, &now, nil, ""
	return j, e.st.JobUpdate(ctx, j)
}

// FailJob records a failed attempt: the job is retried with exponential
// backoff (1s, 2s, 4s … capped at 1h, or after retryIn when given) until it
// has had MaxAttempts attempts; then it is dead. A negative retryIn takes
// the backoff.
func (e *Engine) FailJob(ctx context.Context, p Principal, id, reason string, retryIn time.Duration) (*store.Job, error) {
	j, err := e.jobOf(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if j.State != JobRunning {
		return nil, &Error{Kind: KindConflict, Msg: "job is " + j.State + ", not running (its lease may have ended)"}
	}
	if len(reason) > 2000 {
		reason = reason[:2000]
	}
	now := e.now().UTC()
	j.LastError, j.LockedUntil = reason, nil
	if j.Attempt >= j.MaxAttempts {
		j.State, j.FinishedAt = JobDead, &now
	} else {
		if retryIn < 0 {
			retryIn = min(time.Hour, time.Second<<min(j.Attempt-1, 12))
		}
		j.State, j.RunAt = JobAvailable, now.Add(retryIn)
	}
	err = e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.JobUpdate(ctx, j); err != nil {
			return err
		}
		return q.Notify(ctx, store.TopicJobs, j.Queue)
	})
	return j, err
}

// RetryJob makes a dead job (or one waiting for its next attempt) available
// now; a dead job gets its attempts afresh. A worker's running job or a
// completed one is a conflict.
func (e *Engine) RetryJob(ctx context.Context, p Principal, id string) (*store.Job, error) {
	if !Can(p.Role, RoleManage) {
		return nil, forbidden("the %s role may not retry jobs", p.Role)
	}
	j, err := e.jobOf(ctx, p, id)
	if err != nil {
		return nil, err
	}
	switch j.State {
	case JobDead:
		j.Attempt = 0
	case JobAvailable:
	default:
		return nil, &Error{Kind: KindConflict, Msg: "job is " + j.State + ": only a dead or waiting job can be retried"}
	}
	j.State, j.RunAt, j.FinishedAt, j.LockedUntil = JobAvailable, e.now().UTC(), nil, nil
	err = e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.JobUpdate(ctx, j); err != nil {
			return err
		}
		return q.Notify(ctx, store.TopicJobs, j.Queue)
	})
	return j, err
}

// DeleteJob deletes a job that no worker holds.
func (e *Engine) DeleteJob(ctx context.Context, p Principal, id string) error {
	if !Can(p.Role, RoleManage) {
		return forbidden("the %s role may not delete jobs", p.Role)
	}
	j, err := e.jobOf(ctx, p, id)
	if err != nil {
		return err
	}
	if j.State == JobRunning && j.LockedUntil != nil && j.LockedUntil.After(e.now()) {
		return &Error{Kind: KindConflict, Msg: "a worker is running this job; delete it once its lease has ended"}
	}
	err = e.st.JobDelete(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("job")
	}
	return err
}

// ListJobs lists jobs of p's subtree, newest first.
func (e *Engine) ListJobs(ctx context.Context, p Principal, queue, state string, page store.Page) ([]*store.Job, error) {
	if !Can(p.Role, PermJobs) {
		return nil, forbidden("the %s role may not list jobs", p.Role)
	}
	switch state {
	case "", JobAvailable, JobRunning, JobCompleted, JobDead:
	default:
		return nil, invalid("state", "must be available, running, completed or dead")
	}
	ids, err := e.Scope(ctx, p)
	if err != nil {
		return nil, err
	}
	return e.st.JobList(ctx, store.JobFilter{AccountIDs: ids, Queue: queue, State: state, Page: page})
}

// JobHandler runs one job in-process; an error fails the attempt.
type JobHandler func(ctx context.Context, j *store.Job) error

// HandleQueue runs h for every job of queue (in any account) on this node,
// instead of an external worker pulling them through the API. Call it before
// Start; workers run concurrently with up to n jobs at once.
func (e *Engine) HandleQueue(queue string, n int, h JobHandler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.queueHandlers = append(e.queueHandlers, queueHandler{queue: queue, n: max(n, 1), h: h})
}

type queueHandler struct {
	queue string
	n     int
	h     JobHandler
}

// runQueueHandler pulls jobs of one queue and runs them with h.
func (e *Engine) runQueueHandler(ctx context.Context, qh queueHandler) {
	defer e.bg.Done()
	wake := make(chan struct{}, 1)
	_ = e.st.Listen(ctx, []string{store.TopicJobs}, func(_, payload string) {
		if payload == qh.queue {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	})
	sem := make(chan struct{}, qh.n)
	var wg sync.WaitGroup
	defer wg.Wait()
	system := Principal{Role: "system"}
	for ctx.Err() == nil {
		now := e.now().UTC()
		j, err := e.st.JobClaim(ctx, nil, qh.queue, now, now.Add(e.cfg.Lease))
		if err != nil || j == nil {
			select {
			case <-wake:
			case <-time.After(e.cfg.PollInterval):
			case <-ctx.Done():
			}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			herr := qh.h(ctx, j)
			p := system
			p.AccountID = j.AccountID
			if herr == nil {
				_, err = e.AckJob(context.WithoutCancel(ctx), p, j.ID)
			} else {
				_, err = e.FailJob(context.WithoutCancel(ctx), p, j.ID, herr.Error(), -1)
			}
			if err != nil {
				e.log.Error("finish job", "job", j.ID, "err", err)
			}
		}()
	}
}
