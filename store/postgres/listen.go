package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen implements store.Store. It connects and LISTENs before it returns
// (so notifications committed after it returns are delivered), then a
// goroutine holding that connection calls fn per notification until ctx
// ends or the store closes. When the connection breaks it reconnects with
// backoff and then calls fn(topic, "") once per topic: notifications may
// have been missed meanwhile, so listeners should look for work.
func (s *Store) Listen(ctx context.Context, topics []string, fn func(topic, payload string)) error {
	chans := make(map[string]string, len(topics))
	for _, t := range topics {
		chans[s.channel(t)] = t
	}
	conn, err := s.listenConn(ctx, chans)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		closeConn(conn)
		return errors.New("postgres: store closed")
	}
	s.nextID++
	id := s.nextID
	s.listeners[id] = cancel
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.listeners, id)
			s.mu.Unlock()
			cancel()
		}()
		s.listen(lctx, conn, chans, fn)
	}()
	return nil
}

func (s *Store) listenConn(ctx context.Context, chans map[string]string) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.cfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("postgres: listen: %w", err)
	}
	for ch := range chans {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			closeConn(conn)
			return nil, fmt.Errorf("postgres: listen %s: %w", ch, err)
		}
	}
	return conn, nil
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

func (s *Store) listen(ctx context.Context, conn *pgx.Conn, chans map[string]string, fn func(topic, payload string)) {
	defer func() {
		if conn != nil {
			closeConn(conn)
		}
	}()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err == nil {
			if t, ok := chans[n.Channel]; ok {
				fn(t, n.Payload)
			}
			continue
		}
		closeConn(conn)
		conn = nil
		backoff := minBackoff
		for conn == nil {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, maxBackoff)
			conn, _ = s.listenConn(ctx, chans)
		}
		for _, t := range chans {
			fn(t, "")
		}
	}
}
