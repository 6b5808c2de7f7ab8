package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// Preparer runs and prepares statements: *sql.DB or *sql.Conn.
type Preparer interface {
	SQLDB
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// StmtCache is a DB over database/sql that prepares each distinct query once and reuses the
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

// Exec implements DB.
func (c *StmtCache) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if s := c.stmt(ctx, query); s != nil {
		return sqlExec(s.ExecContext(ctx, args...))
	}
	return sqlExec(c.p.ExecContext(ctx, query, args...))
}

// Query implements DB.
func (c *StmtCache) Query(ctx context.Context, query string, args ...any) (Rows, error) {
	if s := c.stmt(ctx, query); s != nil {
		return sqlQuery(s.QueryContext(ctx, args...))
	}
	return sqlQuery(c.p.QueryContext(ctx, query, args...))
}

// QueryRow implements DB.
func (c *StmtCache) QueryRow(ctx context.Context, query string, args ...any) Row {
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
