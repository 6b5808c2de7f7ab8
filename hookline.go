// Package hookline is the embeddable hooks & actions engine: events in,
// hooks matched in a defined order, actions run durably with retries and a
// full execution log. cmd/hookline wraps it in a server; embedders use it
// directly:
//
//	st, _ := sqlite.Open(ctx, "hookline.db", sqlite.Options{})
//	eng, _ := hookline.Open(ctx, hookline.Config{Store: st, SecretKey: key})
//	eng.Start(ctx)
//	defer eng.Stop(ctx)
//	eng.Emit(ctx, &hook.Event{Type: "records.create", AccountID: acc, Data: ...})
package hookline

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/action/chain"
	"github.com/hookline/hookline/action/email"
	"github.com/hookline/hookline/action/job"
	"github.com/hookline/hookline/action/record"
	"github.com/hookline/hookline/action/sms"
	"github.com/hookline/hookline/action/wait"
	"github.com/hookline/hookline/action/webhook"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/cdc"
	"github.com/hookline/hookline/internal/dispatch"
	"github.com/hookline/hookline/internal/netguard"
	"github.com/hookline/hookline/internal/queue"
	"github.com/hookline/hookline/internal/runner"
	"github.com/hookline/hookline/internal/scheduler"
	"github.com/hookline/hookline/internal/snapshot"
	"github.com/hookline/hookline/rule"
	"github.com/hookline/hookline/store"
)

// Engine is a running hookline: storage, the queue, the runner and the
// scheduler. Open one per process (or several in tests: nothing is global).
type Engine struct {
	cfg     Config
	st      store.Store
	log     *slog.Logger
	now     func() time.Time
	ids     *idGen
	rules   *rule.Cache
	actions *action.Registry
	// dispatch turns every firing into executions; hooks and accts are
	// its caches of enabled hooks and of the account tree.
	dispatch *dispatch.Dispatcher
	hooks    dispatch.Hooks
	accts    dispatch.Accounts
	// eventTypes is the hookable-event registry, checked on every emit.
	eventTypes *snapshot.Of[eventTypeSet]
	// collections are the collections records were written to lately.
	collections *collectionCache
	secrets     *secretCache
	schemas     *schemaCache
	keys        *keyCache
	aead        cipher.AEAD
	limiter     *rateLimiter
	// sdkLimiter bounds browser SDK events per publishable key.
	sdkLimiter *rateLimiter
	waiters    *waiters
	probe      probeCache // Ready's last probe, for StorageError
	runs       *runTally
	Metrics    *Metrics

	queue  *queue.Queue
	runner *runner.Runner
	sched  *scheduler.Scheduler
	cdc    *cdc.Manager

	mu            sync.Mutex
	started       bool
	queueHandlers []queueHandler
	cancel        context.CancelFunc
	bg            sync.WaitGroup
}

// Open validates cfg, migrates the database and returns an Engine that is
// ready for API calls; Start begins running executions.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("hookline: invalid config: %w", err)
	}
	if cfg.NodeID == "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		cfg.NodeID = "node-" + hex.EncodeToString(b)
	}
	aead, err := newAEAD(cfg.SecretKey)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg: cfg, st: cfg.Store, log: cfg.Logger, now: cfg.Now,
		ids:         newIDGen(),
		rules:       rule.NewCache(cfg.Expr, 10000),
		eventTypes:  snapshot.New(loadEventTypeSet),
		collections: newCollectionCache(),
		secrets:     newSecretCache(),
		schemas:     newSchemaCache(),
		keys:        newKeyCache(),
		aead:        aead,
		limiter:     newRateLimiter(),
		sdkLimiter:  newRateLimiter(),
		waiters:     newWaiters(),
		runs:        newRunTally(),
		Metrics:     newMetrics(cfg.Store),
	}
	if err := e.st.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("hookline: migrate: %w", err)
	}
	if err := e.checkSecretKey(ctx); err != nil {
		return nil, err
	}
	e.actions = cfg.Actions
	if e.actions == nil {
		e.actions = e.defaultActions()
	}
	hold := cfg.OrderHold
	if hold < 0 {
		hold = 0
	}
	// One account holds at most three quarters of this node's workers
	// while other accounts have work here.
	shares := runner.NewShares(cfg.Workers-cfg.Workers/4, e.now)
	e.queue = queue.New(queue.Config{
		Store: e.st, Node: cfg.NodeID, Workers: cfg.Workers, Batch: cfg.ClaimBatch,
		Lease: cfg.Lease, Poll: cfg.PollInterval, Rescue: cfg.RescueInterval, OrderHold: hold,
		Now: e.now, Logger: e.log,
		Handler: func(ctx context.Context, x *hook.Execution, handoff func() *store.Lease) *hook.Execution {
			return e.runner.Run(ctx, x, handoff)
		},
		OnClaim:  func(n int) { e.Metrics.claimed.Add(float64(n)) },
		OnRescue: func(n int) { e.Metrics.rescued.Add(float64(n)) },
		Skip:     shares.Full,
	})
	shares.WakeOnFree(e.queue.Wake)
	e.dispatch = dispatch.New(dispatch.Config{
		Store: e.st, Queue: e.queue, Rules: e.rules, IDs: e.ids.next, Now: e.now, MaxDepth: cfg.MaxDepth,
		Shares: shares,
	})
	e.hooks, e.accts = e.dispatch.Hooks, e.dispatch.Accounts
	e.runner = runner.New(runner.Deps{
		Store: e.st, Actions: e.actions, Rules: e.rules, Now: e.now, Logger: e.log,
		Host:        &host{e: e},
		Lookup:      e.dispatch,
		Shares:      shares,
		HookVersion: e.hookVersionForRun,
		Secrets:     e.secretValues,
		OnDone:      e.executionSaved,
		OnAction:    e.Metrics.action,
		Failed:      failedRuns{e},
	})
	e.sched = scheduler.New(scheduler.Config{
		Now: e.now, Logger: e.log, Interval: cfg.ScheduleInterval, Fire: e.fireDue,
	})
	e.cdc = cdc.New(cdc.Config{
		Store: e.st, Node: cfg.NodeID, Logger: e.log, Now: e.now,
		URL: e.sourceURL, Emit: e.emitChanges,
		OnStatus: e.Metrics.sourceStatus, OnStop: e.Metrics.sourceStopped,
		Lease: cfg.SourceLease, LagWarnBytes: cfg.SourceLagWarnBytes,
	})
	return e, nil
}

// outboundClient is the SSRF-guarded HTTP client actions use.
func (e *Engine) outboundClient() *http.Client {
	if e.cfg.HTTPClient != nil {
		return e.cfg.HTTPClient
	}
	return netguard.NewClient(netguard.Options{Allow: e.cfg.AllowNet, Timeout: 60 * time.Second, IdleConnsPerHost: e.cfg.Workers})
}

func (e *Engine) defaultActions() *action.Registry {
	client := e.outboundClient()
	c := e.cfg
	return action.NewRegistry(
		webhook.New(webhook.Options{Client: client, Now: e.now, Secrets: e.signingSecrets, MaxPerDestination: max(0, c.MaxPerDestination)}),
		email.New(email.Options{Host: c.SMTP.Host, Port: c.SMTP.Port, Username: c.SMTP.Username, Password: c.SMTP.Password, From: c.SMTP.From, TLS: c.SMTP.TLS}),
		// The SMS provider's URL is the operator's, not a hook author's, so it
		// is not subject to the SSRF guard.
		sms.New(sms.Options{BaseURL: c.SMS.URL, AccountSID: c.SMS.AccountSID, AuthToken: c.SMS.AuthToken, From: c.SMS.From, Now: e.now}),
		record.NewCreate(record.Options{}), record.NewUpdate(record.Options{}), record.NewDelete(record.Options{}),
		job.New(job.Options{Now: e.now}),
		chain.New(chain.Options{}),
		wait.New(wait.Options{Now: e.now}),
	)
}

// signingSecrets are the secrets that sign an account's webhooks now: the
// current one and, within 24 h of a rotation, the previous one.
func (e *Engine) signingSecrets(a *hook.Account, now time.Time) []string {
	if a == nil || a.SigningSecret == "" {
		return nil
	}
	out := []string{a.SigningSecret}
	if a.PrevSigningSecret != "" && a.PrevSecretExpiresAt != nil && now.Before(*a.PrevSecretExpiresAt) {
		out = append(out, a.PrevSigningSecret)
	}
	return out
}

// Start runs the queue, the rescuer, the cache listeners and the pruner.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return errors.New("hookline: already started")
	}
	ctx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	topics := []string{store.TopicHooks, store.TopicAccounts, store.TopicEventTypes, store.TopicCollections, store.TopicSources}
	err := e.st.Listen(ctx, topics, func(topic, _ string) {
		switch topic {
		case store.TopicSources:
			e.cdc.Wake()
		case store.TopicHooks:
			e.hooks.Invalidate()
		case store.TopicEventTypes:
			e.eventTypes.Invalidate()
		case store.TopicCollections:
			e.collections.invalidate()
		case store.TopicAccounts:
			e.accts.Invalidate()
			e.collections.invalidate()
			e.secrets.invalidate()
			e.keys.invalidate()
		}
	})
	if err != nil {
		e.cancel()
		return fmt.Errorf("hookline: listen: %w", err)
	}
	// Take back what this node's previous process (a crash) left running,
	// instead of waiting for its leases to end: on a single-node database
	// everything running; on a shared one what is leased to this node id.
	var n int
	if e.st.Shared() {
		n, err = e.st.ExecutionReleaseNode(ctx, e.cfg.NodeID, e.now())
	} else {
		n, err = e.st.ExecutionRescue(ctx, e.now().Add(100*365*24*time.Hour), "")
	}
	if err != nil {
		e.cancel()
		return fmt.Errorf("hookline: take back executions: %w", err)
	}
	if n > 0 {
		e.Metrics.rescued.Add(float64(n))
		e.log.Warn("took back executions a previous run of this node left unfinished", "count", n, "node", e.cfg.NodeID)
	}
	if err := e.queue.Start(ctx); err != nil {
		e.cancel()
		return fmt.Errorf("hookline: start queue: %w", err)
	}
	e.sched.Start(ctx)
	e.cdc.Start(ctx)
	for _, qh := range e.queueHandlers {
		e.bg.Add(1)
		go e.runQueueHandler(ctx, qh)
	}
	e.bg.Add(2)
	go e.pruneLoop(ctx)
	go e.runCountLoop(ctx)
	e.started = true
	return nil
}

// Stop stops taking new work and waits for running executions until ctx ends.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started {
		return nil
	}
	e.sched.Stop()
	e.cdc.Stop()
	err := e.queue.Stop(ctx)
	e.cancel()
	e.bg.Wait()
	e.started = false
	return err
}

// Store returns the engine's storage driver.
func (e *Engine) Store() store.Store { return e.st }

// Config returns the effective configuration.
func (e *Engine) Config() Config { return e.cfg }

// Actions lists the registered action types.
func (e *Engine) Actions() []string { return e.actions.Types() }

func (e *Engine) pruneLoop(ctx context.Context) {
	defer e.bg.Done()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		before := e.now().Add(-e.cfg.Retention)
		n, err := e.st.ExecutionPrune(ctx, before, idFloor(prefixEvent, before))
		if err != nil && ctx.Err() == nil {
			e.log.Error("prune executions", "err", err)
		} else if n > 0 {
			e.log.Info("pruned executions past retention", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Engine) executionSaved(x *hook.Execution) {
	e.Metrics.observe(x, e.now())
	if x.Done() {
		e.countRun(x)
		e.waiters.done(x.ID)
	}
	if x.Status == hook.StatusPending {
		e.queue.Wake()
	}
}
