// Package cdc follows tables of a user's PostgreSQL by logical replication
// (the pgoutput plugin, through github.com/jackc/pglogrepl) and hands their
// committed changes to the engine in batches. The position confirmed to the
// replication slot advances only once the engine has committed the changes
// before it, so a crash anywhere resumes where it stopped (at least once;
// each change carries a key derived from its transaction's commit LSN, so
// the engine drops changes it has seen). One node follows a source at a
// time: it holds the source's lease in hookline's store and renews it; when
// it dies, the lease runs out and another node takes the source over.
package cdc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// Operations of a Change.
const (
	OpInsert = "insert"
	OpUpdate = "update"
	OpDelete = "delete"
)

// Change is one committed row change.
type Change struct {
	Op string
	// Collection is the table's name, schema-qualified unless in public.
	Collection string
	// Row is the new row (insert, update) or the old one as far as the
	// replica identity gives it (delete).
	Row map[string]any
	// Old is the whole old row of an update, when the table's replica
	// identity is FULL; else nil.
	Old map[string]any
	// CommitLSN and Seq identify the change: the commit position of its
	// transaction and its place in it (0, 1, …); a change delivered again
	// after a crash has the same pair.
	CommitLSN  string
	Seq        int
	CommitTime time.Time
}

// Config configures a Manager. Zero durations take their defaults.
type Config struct {
	Store  store.Store
	Node   string
	Logger *slog.Logger
	Now    func() time.Time
	// URL opens (decrypts) a source's connection URL.
	URL func(s *hook.Source) (string, error)
	// Emit commits changes of a source as events; it returns only when they
	// are durable (or with an error: they are delivered again). The batch
	// before may still be committing: Emit follows its Turn (see there), so
	// batches commit in order, and one is written while the one before
	// commits.
	Emit func(ctx context.Context, s *hook.Source, changes []Change, turn Turn) error
	// OnStatus is told each status a node writes for a source it follows
	// (metrics); OnStop when it stops following one.
	OnStatus func(s *hook.Source, st hook.SourceStatus)
	OnStop   func(s *hook.Source)

	// Lease is how long a node holds a source without renewing; another
	// node takes over within Lease + Scan of the holder's death. Default 15s.
	Lease time.Duration
	// Scan is how often free sources are looked for. Default 5s.
	Scan time.Duration
	// Batch bounds the changes handed to Emit at once. Default 1000.
	Batch int
	// Overlap is how many batches may be committing at once (each in its
	// own transaction, committed in order). Default 2.
	Overlap int
	// FlushInterval is the longest a received change waits for a fuller
	// batch. Default 10ms.
	FlushInterval time.Duration
	// StatusInterval is how often status, lag and events/s are updated. Default 2s.
	StatusInterval time.Duration
	// LagWarnBytes: above this much WAL held by the slot the source is
	// "lagging" with a warning. Default 1 GiB.
	LagWarnBytes int64
	// MaxBackoff bounds the wait between attempts after an error. Default 30s.
	MaxBackoff time.Duration
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Lease <= 0 {
		c.Lease = 15 * time.Second
	}
	if c.Scan <= 0 {
		c.Scan = 5 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 1000
	}
	if c.Overlap <= 0 {
		c.Overlap = 2
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 10 * time.Millisecond
	}
	if c.StatusInterval <= 0 {
		c.StatusInterval = 2 * time.Second
	}
	if c.LagWarnBytes <= 0 {
		c.LagWarnBytes = 1 << 30
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 30 * time.Second
	}
	return c
}

// Manager runs the followers of the sources this node holds.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	wake   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[string]*follower
}

// New returns a Manager; Start runs it.
func New(cfg Config) *Manager {
	cfg = cfg.withDefaults()
	return &Manager{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), running: map[string]*follower{}}
}

// Start looks for sources to follow now, every Scan interval and at each
// Wake (the engine calls it on store.TopicSources), until Stop.
func (m *Manager) Start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	m.wg.Add(1)
	go m.loop(ctx)
}

// Stop stops every follower (releasing their leases) and waits for them.
func (m *Manager) Stop() {
	if m.cancel == nil {
		return
	}
	m.cancel()
	m.wg.Wait()
}

// Wake makes the manager look at the sources now.
func (m *Manager) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *Manager) loop(ctx context.Context) {
	defer m.wg.Done()
	// On a database no other node shares, leases still held were left by
	// this node's previous process: take them at once.
	force := !m.cfg.Store.Shared()
	t := time.NewTicker(m.cfg.Scan)
	defer t.Stop()
	for {
		if err := m.scan(ctx, force); err != nil && ctx.Err() == nil {
			m.log.Warn("change capture: look for sources", "err", err)
		} else {
			force = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

// scan starts following the sources this node can lease and stops the
// followers of sources that are gone or taken.
func (m *Manager) scan(ctx context.Context, force bool) error {
	list, err := m.cfg.Store.SourceList(ctx, nil)
	if err != nil {
		return err
	}
	now := m.cfg.Now()
	seen := map[string]bool{}
	for _, s := range list {
		seen[s.ID] = true
		m.mu.Lock()
		f := m.running[s.ID]
		m.mu.Unlock()
		if f != nil {
			if s.LeaseNode != m.cfg.Node && s.LeaseNode != "" {
				f.stop() // taken (a deletion, or we were too slow to renew)
			}
			continue
		}
		if s.LeaseNode != "" && s.LeaseNode != m.cfg.Node && !force && s.LeaseUntil != nil && s.LeaseUntil.After(now) {
			continue // someone else's
		}
		if force && isHeld(s.LeaseNode) {
			continue
		}
		ok, err := m.cfg.Store.SourceLease(ctx, s.ID, m.cfg.Node, now, now.Add(m.cfg.Lease), force)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		m.start(ctx, s)
	}
	m.mu.Lock()
	for id, f := range m.running {
		if !seen[id] {
			f.stop()
		}
	}
	m.mu.Unlock()
	return nil
}

// HoldNode is the lease holder name a node uses while an API call creates
// or deletes a source, so that no follower starts on it meanwhile.
func HoldNode(node string) string { return "held:" + node }

func isHeld(node string) bool { return strings.HasPrefix(node, "held:") }

func (m *Manager) start(ctx context.Context, s *hook.Source) {
	fctx, cancel := context.WithCancel(ctx)
	f := &follower{m: m, src: s, cancel: cancel, done: make(chan struct{})}
	m.mu.Lock()
	m.running[s.ID] = f
	m.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(f.done)
		f.run(fctx)
		m.mu.Lock()
		if m.running[s.ID] == f {
			delete(m.running, s.ID)
		}
		m.mu.Unlock()
		// Give the source up at once, so another node need not wait for
		// the lease to run out (a crash cannot do this; the lease can).
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = m.cfg.Store.SourceRelease(rctx, s.ID, m.cfg.Node)
		rcancel()
		if m.cfg.OnStop != nil {
			m.cfg.OnStop(s)
		}
		m.Wake()
	}()
}

// StopFollowing stops this node's follower of a source (if any) and waits
// until it has closed its replication connection.
func (m *Manager) StopFollowing(id string) {
	m.mu.Lock()
	f := m.running[id]
	m.mu.Unlock()
	if f != nil {
		f.stop()
		<-f.done
	}
}

// Following lists the ids of the sources this node follows.
func (m *Manager) Following() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.running))
	for id := range m.running {
		out = append(out, id)
	}
	return out
}

// Turn is a batch's place in the order in which batches commit. Emit
// begins its transaction only after BeforeBegan, calls Began once it has
// (it holds its connection then), and commits only after Prior said the
// batch before committed; what reads what that batch stored (ordering and
// debounce keys) comes after Prior too. Beginning in order means a
// transaction that waits for the one before never holds the connection
// that one still needs.
type Turn struct {
	ctx          context.Context
	before, self *turn // before is nil for the first batch
}

type turn struct {
	began, done chan struct{}
	beganOnce   sync.Once
	err         error // the batch's outcome, set before done closes
}

func newTurn() *turn { return &turn{began: make(chan struct{}), done: make(chan struct{})} }

func (t *turn) begin() { t.beganOnce.Do(func() { close(t.began) }) }

// BeforeBegan waits until the batch before has begun its transaction (or
// is over).
func (t Turn) BeforeBegan() error {
	if t.before == nil {
		return nil
	}
	select {
	case <-t.before.began:
	case <-t.before.done:
	case <-t.ctx.Done():
		return t.ctx.Err()
	}
	return nil
}

// Began says this batch's transaction has begun.
func (t Turn) Began() {
	if t.self != nil {
		t.self.begin()
	}
}

// Prior waits until the batch before is over, and says whether it
// committed.
func (t Turn) Prior() error {
	if t.before == nil {
		return nil
	}
	select {
	case <-t.before.done:
		if t.before.err != nil {
			return fmt.Errorf("the batch before failed: %w", t.before.err)
		}
		return nil
	case <-t.ctx.Done():
		return t.ctx.Err()
	}
}
