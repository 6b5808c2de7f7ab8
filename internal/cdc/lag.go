package cdc

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// lagReader reads how far behind a source's slot is, on a plain connection
// of its own (reconnected after an error).
type lagReader struct {
	f    *follower
	conn *pgx.Conn
}

func (l *lagReader) close() {
	if l.conn != nil {
		_ = l.conn.Close(context.Background())
		l.conn = nil
	}
}

// read updates the follower's LagBytes and Warning. Errors only leave
// the last figures in place (the stream reports its own).
func (l *lagReader) read(ctx context.Context) {
	f := l.f
	if l.conn == nil {
		raw, err := f.m.cfg.URL(f.src)
		if err != nil {
			return
		}
		if l.conn, err = connect(ctx, raw); err != nil {
			return
		}
	}
	var (
		behind, retained *int64
		walStatus        *string
	)
	err := l.conn.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,
		pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, wal_status
		FROM pg_replication_slots WHERE slot_name = $1`, f.src.Slot).Scan(&behind, &retained, &walStatus)
	if err != nil {
		l.close()
		return
	}
	warn := ""
	warnBytes := f.m.cfg.LagWarnBytes
	switch {
	case walStatus != nil && *walStatus == "lost":
		warn = "the database removed WAL the replication slot still needed (wal_status=lost, max_slot_wal_keep_size): changes were lost; delete the source and create it again"
	case walStatus != nil && *walStatus == "unreserved":
		warn = "the replication slot is about to lose WAL it needs (wal_status=unreserved): hookline is far behind"
	case retained != nil && *retained > warnBytes:
		warn = fmt.Sprintf("the replication slot holds %d MiB of WAL in the source database (more than %d MiB): hookline is behind; watch the database's disk", *retained>>20, warnBytes>>20)
	}
	f.mu.Lock()
	if behind != nil {
		f.st.LagBytes = max(0, *behind)
	}
	was := f.st.Warning
	f.st.Warning = warn
	f.mu.Unlock()
	if warn != "" && warn != was {
		f.m.cfg.Logger.Warn("change capture: "+warn, "source", f.src.ID)
	}
}
