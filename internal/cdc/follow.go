package cdc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// follower streams one source's changes while this node holds its lease.
type follower struct {
	m      *Manager
	src    *hook.Source
	cancel context.CancelFunc
	done   chan struct{}

	mu sync.Mutex
	st hook.SourceStatus
	// lastCommit is the commit time of the newest transaction committed in
	// hookline; caughtUp says the server had nothing more to send then.
	lastCommit time.Time
	caughtUp   bool
}

func (f *follower) stop() { f.cancel() }

// errRetryNow: the cause was mended (a missing slot created, a stale
// walsender ended); connect again at once.
var errRetryNow = errors.New("retry now")

func (f *follower) run(ctx context.Context) {
	cfg := f.m.cfg
	f.mu.Lock()
	f.st = f.src.Status
	f.st.State, f.st.Node = hook.SourceStarting, cfg.Node
	f.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.keep(ctx)
	}()
	backoff := time.Second
	for ctx.Err() == nil {
		began := cfg.Now()
		err := f.stream(ctx)
		if ctx.Err() != nil {
			break
		}
		wait := 200 * time.Millisecond
		if !errors.Is(err, errRetryNow) {
			f.fail(err)
			cfg.Logger.Warn("change capture: following a source failed; retrying", "source", f.src.ID, "err", err, "in", backoff)
			if cfg.Now().Sub(began) > time.Minute {
				backoff = time.Second
			}
			wait = backoff
			backoff = min(2*backoff, cfg.MaxBackoff)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
	wg.Wait()
}

// fail records an error in the status.
func (f *follower) fail(err error) {
	now := f.m.cfg.Now().UTC()
	f.mu.Lock()
	f.st.State, f.st.LastError, f.st.LastErrorAt = hook.SourceError, err.Error(), &now
	f.mu.Unlock()
}

// stream connects, starts replication from the slot's confirmed position and
// hands changes to Emit until an error or ctx ends.
func (f *follower) stream(ctx context.Context) error {
	cfg := f.m.cfg
	raw, err := cfg.URL(f.src)
	if err != nil {
		return err
	}
	pcfg, err := pgconn.ParseConfig(raw)
	if err != nil {
		return fmt.Errorf("parse the source URL: %s", scrub(err.Error(), raw))
	}
	pcfg.RuntimeParams["replication"] = "database"
	pcfg.RuntimeParams["TimeZone"] = "UTC"
	pcfg.RuntimeParams["DateStyle"] = "ISO, YMD"
	pcfg.RuntimeParams["IntervalStyle"] = "postgres"
	pcfg.RuntimeParams["extra_float_digits"] = "3"
	if pcfg.ConnectTimeout == 0 {
		pcfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgconn.ConnectConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("connect: %s", scrub(err.Error(), raw))
	}
	defer conn.Close(context.Background())
	err = pglogrepl.StartReplication(ctx, conn, f.src.Slot, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names '" + f.src.Slot + "'"},
	})
	var pe *pgconn.PgError
	switch {
	case err == nil:
	case errors.As(err, &pe) && pe.Code == "42704": // the slot does not exist
		return f.recreate(ctx, raw)
	case errors.As(err, &pe) && pe.Code == "55006": // the slot is active elsewhere
		return f.endStale(ctx, raw)
	default:
		return fmt.Errorf("start replication: %s", scrub(err.Error(), raw))
	}
	f.mu.Lock()
	f.st.State = hook.SourceFollowing
	f.mu.Unlock()
	cfg.Logger.Info("change capture: following", "source", f.src.ID, "slot", f.src.Slot)
	s := &session{f: f, conn: conn, types: pgtype.NewMap(), rels: map[uint32]*relation{}}
	return s.loop(ctx)
}

// recreate creates a slot that is missing (hookline stopped between
// storing the source and creating it, or someone dropped it), if this node
// still holds the source.
func (f *follower) recreate(ctx context.Context, raw string) error {
	cfg := f.m.cfg
	now := cfg.Now()
	ok, err := cfg.Store.SourceLease(ctx, f.src.ID, cfg.Node, now, now.Add(cfg.Lease), false)
	if err != nil {
		return err
	}
	if !ok {
		f.stop()
		return errRetryNow
	}
	if _, err := Ensure(ctx, raw, f.src.Slot, f.src.Tables); err != nil {
		return err
	}
	cfg.Logger.Warn("change capture: the replication slot was missing and is created again; changes made while it was missing are not captured", "source", f.src.ID, "slot", f.src.Slot)
	f.fail(fmt.Errorf("the replication slot %s was missing (dropped outside hookline?) and was created again at %s: changes made while it was missing are not captured", f.src.Slot, now.UTC().Format(time.RFC3339)))
	return errRetryNow
}

// endStale terminates the walsender of a previous holder of the slot (a
// node whose lease ran out but whose connection the server still keeps).
func (f *follower) endStale(ctx context.Context, raw string) error {
	conn, err := connect(ctx, raw)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
		WHERE slot_name = $1 AND active_pid IS NOT NULL`, f.src.Slot); err != nil {
		return fmt.Errorf("the replication slot %s is in use by another connection, which cannot be ended: %s", f.src.Slot, scrub(err.Error(), raw))
	}
	return errRetryNow
}

// sendStatus tells the server the confirmed position (write = flush =
// apply: hookline has committed everything before it).
func (s *session) sendStatus(reply bool) error {
	err := pglogrepl.SendStandbyStatusUpdate(context.Background(), s.conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: s.confirmed, WALFlushPosition: s.confirmed, WALApplyPosition: s.confirmed,
		ClientTime: time.Now(), ReplyRequested: reply,
	})
	if err != nil {
		return fmt.Errorf("send position: %w", err)
	}
	s.nextStatus = s.f.m.cfg.Now().Add(statusEvery)
	return nil
}

// keep renews the lease and writes the status (with the lag read from the
// source) every StatusInterval until ctx ends; a lost lease stops the
// follower.
func (f *follower) keep(ctx context.Context) {
	cfg := f.m.cfg
	t := time.NewTicker(cfg.StatusInterval)
	defer t.Stop()
	lag := &lagReader{f: f}
	defer lag.close()
	lastRenew := cfg.Now()
	var lastEvents int64
	lastAt := cfg.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := cfg.Now()
		if now.Sub(lastRenew) >= cfg.Lease/3 {
			ok, err := cfg.Store.SourceLease(ctx, f.src.ID, cfg.Node, now, now.Add(cfg.Lease), false)
			switch {
			case err == nil && ok:
				lastRenew = now
			case err == nil:
				cfg.Logger.Warn("change capture: another node holds the source now; stopping", "source", f.src.ID)
				f.stop()
				return
			case now.Sub(lastRenew) > cfg.Lease*2/3:
				cfg.Logger.Warn("change capture: cannot renew the lease; stopping before it runs out", "source", f.src.ID, "err", err)
				f.stop()
				return
			}
		}
		lag.read(ctx)
		f.mu.Lock()
		st := f.st
		if f.caughtUp {
			st.LagSeconds = 0
			f.st.LagSeconds = 0
		}
		st.EventsPerSecond = float64(st.Events-lastEvents) / max(now.Sub(lastAt).Seconds(), 0.001)
		lastEvents, lastAt = st.Events, now
		if st.State == hook.SourceFollowing || st.State == hook.SourceLagging {
			st.State = hook.SourceFollowing
			if st.Warning != "" {
				st.State = hook.SourceLagging
			}
		}
		u := now.UTC()
		st.UpdatedAt = &u
		st.ReplicaIdentity = copyMap(st.ReplicaIdentity)
		f.mu.Unlock()
		err := cfg.Store.SourceSetStatus(ctx, f.src.ID, cfg.Node, st)
		if errors.Is(err, store.ErrLeaseLost) || errors.Is(err, store.ErrNotFound) {
			f.stop()
			return
		}
		if cfg.OnStatus != nil {
			cfg.OnStatus(f.src, st)
		}
	}
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
