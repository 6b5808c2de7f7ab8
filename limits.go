package hookline

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// rateLimiter is a token bucket per key (an account, an SDK key): rate
// tokens per second with one second of burst. Each node keeps its own
// buckets (see Engine.allowEvent for how nodes combine).
type rateLimiter struct {
	mu sync.Mutex
	b  map[string]*bucket
}

type bucket struct {
	rate   float64
	tokens float64
	last   time.Time
}

func newRateLimiter() *rateLimiter {
	return &rateLimiter{b: map[string]*bucket{}}
}

// allow takes a token of key's bucket of rate per second (rate <= 0: no
// limit); when none is left it says how long until one is.
func (l *rateLimiter) allow(key string, rate float64, now time.Time) (time.Duration, bool) {
	if rate <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	bk := l.b[key]
	if bk == nil || bk.rate != rate { // new, or its limit changed
		bk = &bucket{rate: rate, tokens: rate, last: now}
		l.b[key] = bk
	}
	bk.tokens = min(rate, bk.tokens+now.Sub(bk.last).Seconds()*rate)
	bk.last = now
	if bk.tokens < 1 {
		return time.Duration((1 - bk.tokens) / rate * float64(time.Second)), false
	}
	bk.tokens--
	return 0, true
}

// allowEvent takes one event of an account's rate: its own
// events_per_second when an admin of a parent account set one, else
// Config.EventsPerSecond (default: no limit). Each node counts the events
// it accepts itself, so that no event pays a database round trip: with n
// nodes sharing the traffic an account may reach n times its rate in
// total (the README says so). The limit itself is the same on every node:
// an account change is announced to all of them.
func (e *Engine) allowEvent(ctx context.Context, accountID string) error {
	rate := e.cfg.EventsPerSecond
	acc, err := e.accts.Get(ctx, e.st, accountID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if acc != nil && acc.Limits.EventsPerSecond != nil {
		rate = *acc.Limits.EventsPerSecond
	}
	if wait, ok := e.limiter.allow(accountID, rate, e.now()); !ok {
		return &Error{Kind: KindRateLimit, Msg: "too many events for this account; slow down", RetryAfter: int(wait.Seconds()) + 1}
	}
	return nil
}

// maxHooks is the most hooks account may own.
func (e *Engine) maxHooks(acc *hook.Account) int {
	if acc != nil && acc.Limits.MaxHooks != nil {
		return *acc.Limits.MaxHooks
	}
	return e.cfg.MaxHooksPerAccount
}

// waiters lets callers wait for an execution to finish on this node; across
// nodes waitExecution also polls.
type waiters struct {
	mu sync.Mutex
	m  map[string][]chan struct{}
}

func newWaiters() *waiters { return &waiters{m: map[string][]chan struct{}{}} }

func (w *waiters) add(id string) chan struct{} {
	ch := make(chan struct{})
	w.mu.Lock()
	w.m[id] = append(w.m[id], ch)
	w.mu.Unlock()
	return ch
}

func (w *waiters) remove(id string, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	list := w.m[id]
	for i, c := range list {
		if c == ch {
			w.m[id] = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(w.m[id]) == 0 {
		delete(w.m, id)
	}
}

func (w *waiters) done(id string) {
	w.mu.Lock()
	list := w.m[id]
	delete(w.m, id)
	w.mu.Unlock()
	for _, ch := range list {
		close(ch)
	}
}

// SDKKeyRate bounds browser SDK events per second per key (burst of one
// second), beside the per-account limit.
const SDKKeyRate = 50

// AllowSDK takes a token of p's key's SDK budget.
func (e *Engine) AllowSDK(p Principal) error {
	if !Can(p.Role, PermSDK) {
		return forbidden("the %s role may not send SDK events", p.Role)
	}
	if wait, ok := e.sdkLimiter.allow(p.KeyID, SDKKeyRate, e.now()); !ok {
		return &Error{Kind: KindRateLimit, Msg: "too many SDK events for this key; slow down", RetryAfter: int(wait.Seconds()) + 1}
	}
	return nil
}

// keyCache remembers authenticated keys (by hash) for a few seconds, so the
// hot event path does not read the key table per request. Revocations clear
// it on this node at once and on others through the accounts notification.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	p   Principal
	exp time.Time
}

const keyCacheTTL = 10 * time.Second

func newKeyCache() *keyCache { return &keyCache{m: map[string]cachedKey{}} }

func (c *keyCache) get(hash string, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[hash]
	if !ok || now.After(k.exp) {
		return Principal{}, false
	}
	return k.p, true
}

func (c *keyCache) put(hash string, p Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) > 10000 {
		c.m = map[string]cachedKey{}
	}
	c.m[hash] = cachedKey{p, now.Add(keyCacheTTL)}
}

func (c *keyCache) invalidate() {
	c.mu.Lock()
	c.m = map[string]cachedKey{}
	c.mu.Unlock()
}
