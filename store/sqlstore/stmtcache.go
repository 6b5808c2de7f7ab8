package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// Preparer runs and prepares statements: *sql.DB or *sql.Conn.
type Preparer interface {
	DB
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// StmtCache is a DB that prepares each distinct query once and reuses the
// statement. Drivers without a statement cache of their own (modernc SQLite
// prepares on every call) use it; pgx caches by itself.
type StmtCache struct {
	p   Preparer
	max int

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// NewStmtCache caches up to max statements of p; queries past that run
// unprepared (the common queries come first and stay).
func NewStmtCache(p Preparer, max int) *StmtCache {
	if max <= 0 {
		max = 256
	}
	return &StmtCache{p: p, max: max, stmts: make(map[string]*sql.Stmt)}
}

// stmt returns the cached statement of query, nil when it is not cached
// (the cache is full, or preparing failed: running it unprepared reports
// the error).
func (c *StmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s
	}
	if len(c.stmts) >= c.max {
		return nil
	}
	s, err := c.p.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts[query] = s
	return s
}

// ExecContext implements DB.
func (c *StmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := c.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return c.p.ExecContext(ctx, query, args...)
}

// QueryContext implements DB.
func (c *StmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := c.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return c.p.QueryContext(ctx, query, args...)
}

// QueryRowContext implements DB.
func (c *StmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := c.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return c.p.QueryRowContext(ctx, query, args...)
}

// Close closes every cached statement.
func (c *StmtCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, s := range c.stmts {
		_ = s.Close()
		delete(c.stmts, k)
	}
	return nil
}
