package rule

import (
	"encoding/json"
	"sync"
)

// DefaultCacheSize is the number of entries a Cache keeps when NewCache is
// given max <= 0.
const DefaultCacheSize = 10000

// Cache compiles each distinct expression or template once. It keeps at
// most max programs and max templates (failures included, so a bad
// expression is not recompiled on every event); when full, an arbitrary
// entry is dropped. Safe for concurrent use.
type Cache struct {
	lim   Limits
	max   int
	mu    sync.Mutex
	progs map[string]cacheEntry[*Program]
	tmpls map[string]cacheEntry[*Template]
}

type cacheEntry[T any] struct {
	val T
	err *Error
}

// NewCache returns a cache compiling with lim and holding up to max entries
// of each kind.
func NewCache(lim Limits, max int) *Cache {
	if max <= 0 {
		max = DefaultCacheSize
	}
	return &Cache{
		lim:   lim.WithDefaults(),
		max:   max,
		progs: make(map[string]cacheEntry[*Program]),
		tmpls: make(map[string]cacheEntry[*Template]),
	}
}

// Program returns the compiled src, compiling it on first use.
func (c *Cache) Program(src string) (*Program, error) {
	return lookup(c, c.progs, src, func() (*Program, error) { return Compile(src, c.lim) })
}

// Template returns the compiled template v, keyed by the canonical JSON of
// v. A value that has no JSON form is compiled without caching.
func (c *Cache) Template(v any) (*Template, error) {
	key, err := json.Marshal(v)
	if err != nil {
		return CompileTemplate(v, c.lim)
	}
	return lookup(c, c.tmpls, string(key), func() (*Template, error) { return CompileTemplate(v, c.lim) })
}

func lookup[T any](c *Cache, m map[string]cacheEntry[T], key string, compile func() (T, error)) (T, error) {
	c.mu.Lock()
	e, ok := m[key]
	c.mu.Unlock()
	if !ok {
		// Compile outside the lock; two callers may race to compile the
		// same key, which is harmless.
		val, err := compile()
		e = cacheEntry[T]{val: val}
		if err != nil {
			e.err = err.(*Error)
		}
		c.mu.Lock()
		if len(m) >= c.max {
			for k := range m {
				delete(m, k)
				break
			}
		}
		m[key] = e
		c.mu.Unlock()
	}
	if e.err != nil {
		var zero T
		cp := *e.err // callers may annotate their error
		return zero, &cp
	}
	return e.val, nil
}
