package cdc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// relation is a table as the stream described it.
type relation struct {
	collection string
	names      []string
	oids       []uint32
}

// session is one replication connection's state. Reading the stream and
// committing batches overlap: the session hands a full batch to its
// emitter goroutine and reads on; batches are committed one at a time, in
// order, and a position is confirmed once the emitter reports its batch
// committed.
type session struct {
	f     *follower
	conn  *pgconn.PgConn
	types *pgtype.Map
	rels  map[uint32]*relation

	confirmed pglogrepl.LSN // told to the server: everything before is committed here
	// The transaction being received.
	inTxn      bool
	txnLSN     pglogrepl.LSN
	txnTime    time.Time
	seq        int
	pending    []Change
	pendingAt  time.Time
	committed  pglogrepl.LSN // end of the last transaction wholly received
	commitTime time.Time
	handed     pglogrepl.LSN // the last committed position handed to the emitter
	nextStatus time.Time

	work     chan batch  // to the emitter
	results  chan result // from it, in order
	inflight int         // batches handed over, not yet reported
}

// batch is changes to commit; end, when set, is the end of the last
// transaction wholly in this batch or before it.
type batch struct {
	changes []Change
	end     pglogrepl.LSN
	at      time.Time // commit time of that transaction
}

type result struct {
	batch
	err error
}

// statusEvery is how often the position is sent to the server even
// without news (well inside wal_sender_timeout, 60 s by default).
const statusEvery = 5 * time.Second

func (s *session) loop(ctx context.Context) error {
	cfg := s.f.m.cfg
	s.nextStatus = cfg.Now().Add(statusEvery)
	s.work, s.results = make(chan batch, 1), make(chan result, cfg.Overlap)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.emit(ctx, quit)
	}()
	defer func() {
		close(s.work)
		close(quit)
		wg.Wait() // no batch of this session commits after it ends
	}()
	for {
		if err := s.collect(); err != nil {
			return err
		}
		deadline := s.nextStatus
		if len(s.pending) > 0 || s.committed > s.handed {
			deadline = s.pendingAt.Add(cfg.FlushInterval)
		}
		if soon := cfg.Now().Add(2 * time.Millisecond); s.inflight > 0 && soon.Before(deadline) {
			deadline = soon // look for the emitter's report soon
		}
		if !cfg.Now().Before(deadline) {
			if err := s.tick(ctx); err != nil {
				return err
			}
			continue
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		msg, err := s.conn.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("receive: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if err := s.copyData(ctx, m.Data); err != nil {
				return err
			}
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("the server ended replication: %s (%s)", m.Message, m.Code)
		case *pgproto3.CopyDone:
			return errors.New("the server ended replication")
		}
	}
}

// emit commits the batches handed over, each in a transaction of its own:
// up to Overlap at once, each committing only after the one before it did
// (a batch whose predecessor failed fails too), and reports them in order
// until quit. After a failure it drops what comes: the session ends, and
// the next one reads those changes again.
func (s *session) emit(ctx context.Context, quit <-chan struct{}) {
	cfg := s.f.m.cfg
	slots := make(chan struct{}, cfg.Overlap)
	var running sync.WaitGroup
	defer running.Wait()
	var prev *turn // the batch before's, over once reported
	var failed atomic.Bool
	for b := range s.work {
		if failed.Load() {
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-quit:
			return
		}
		t := Turn{ctx: ctx, before: prev, self: newTurn()}
		prev = t.self
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() { <-slots }()
			var err error
			if len(b.changes) > 0 {
				err = cfg.Emit(ctx, s.f.src, b.changes, t)
			}
			t.self.begin()
			if perr := t.Prior(); err == nil {
				err = perr // reported after the batch before, in order
			}
			t.self.err = err
			if err != nil {
				failed.Store(true)
			}
			select {
			case s.results <- result{batch: b, err: err}:
			case <-quit:
			}
			close(t.self.done)
		}()
	}
}

// tick flushes what is pending once its time is up, and sends the position.
func (s *session) tick(ctx context.Context) error {
	if len(s.pending) > 0 || s.committed > s.handed {
		if err := s.flush(ctx); err != nil {
			return err
		}
	}
	if !s.f.m.cfg.Now().Before(s.nextStatus) {
		return s.sendStatus(true)
	}
	return nil
}

func (s *session) copyData(ctx context.Context, data []byte) error {
	if len(data) == 0 {
		return nil
	}
	switch data[0] {
	case pglogrepl.PrimaryKeepaliveMessageByteID:
		k, err := pglogrepl.ParsePrimaryKeepaliveMessage(data[1:])
		if err != nil {
			return err
		}
		// Everything the server sent before this message is handled: when
		// none of it waits to be committed here, its position is ours too.
		if !s.inTxn && len(s.pending) == 0 && s.inflight == 0 && s.committed <= s.confirmed && k.ServerWALEnd > s.confirmed {
			s.confirmed = k.ServerWALEnd
			s.f.mu.Lock()
			s.f.caughtUp = true
			s.f.st.ConfirmedLSN = s.confirmed.String()
			s.f.mu.Unlock()
		}
		if k.ReplyRequested {
			return s.sendStatus(false)
		}
	case pglogrepl.XLogDataByteID:
		x, err := pglogrepl.ParseXLogData(data[1:])
		if err != nil {
			return err
		}
		return s.logical(ctx, x.WALData)
	}
	return nil
}

// logical handles one pgoutput message.
func (s *session) logical(ctx context.Context, data []byte) error {
	msg, err := pglogrepl.Parse(data)
	if err != nil {
		return fmt.Errorf("decode pgoutput message: %w", err)
	}
	switch m := msg.(type) {
	case *pglogrepl.RelationMessage:
		r := &relation{collection: Collection(m.Namespace + "." + m.RelationName)}
		for _, c := range m.Columns {
			r.names = append(r.names, c.Name)
			r.oids = append(r.oids, c.DataType)
		}
		s.rels[m.RelationID] = r
		s.f.mu.Lock()
		if s.f.st.ReplicaIdentity == nil {
			s.f.st.ReplicaIdentity = map[string]string{}
		}
		s.f.st.ReplicaIdentity[m.Namespace+"."+m.RelationName] = identityName(string(rune(m.ReplicaIdentity)))
		s.f.mu.Unlock()
	case *pglogrepl.BeginMessage:
		s.inTxn, s.txnLSN, s.txnTime, s.seq = true, m.FinalLSN, m.CommitTime, 0
		s.f.mu.Lock()
		s.f.caughtUp = false
		s.f.mu.Unlock()
	case *pglogrepl.InsertMessage:
		return s.add(ctx, m.RelationID, OpInsert, m.Tuple, nil)
	case *pglogrepl.UpdateMessage:
		var old *pglogrepl.TupleData
		if m.OldTupleType == pglogrepl.UpdateMessageTupleTypeOld {
			old = m.OldTuple
		}
		return s.add(ctx, m.RelationID, OpUpdate, m.NewTuple, old)
	case *pglogrepl.DeleteMessage:
		return s.add(ctx, m.RelationID, OpDelete, m.OldTuple, nil)
	case *pglogrepl.CommitMessage:
		s.inTxn = false
		s.committed, s.commitTime = m.TransactionEndLSN, m.CommitTime
		if len(s.pending) == 0 {
			s.pendingAt = s.f.m.cfg.Now()
		}
	case *pglogrepl.TruncateMessage:
		s.f.m.cfg.Logger.Info("change capture: a followed table was truncated; TRUNCATE makes no events", "source", s.f.src.ID)
	}
	return nil
}

// add queues one row change, flushing when the batch is full.
func (s *session) add(ctx context.Context, relID uint32, op string, tuple, old *pglogrepl.TupleData) error {
	r := s.rels[relID]
	if r == nil {
		return fmt.Errorf("a change of relation %d came before its description", relID)
	}
	c := Change{Op: op, Collection: r.collection, CommitLSN: s.txnLSN.String(), Seq: s.seq, CommitTime: s.txnTime}
	s.seq++
	if old != nil {
		c.Old = s.row(r, old, nil)
	}
	c.Row = s.row(r, tuple, c.Old)
	if len(s.pending) == 0 {
		s.pendingAt = s.f.m.cfg.Now()
	}
	s.pending = append(s.pending, c)
	if len(s.pending) >= s.f.m.cfg.Batch {
		return s.flush(ctx)
	}
	return nil
}

// row maps a tuple to JSON values. An unchanged TOASTed value (not sent)
// is taken from old when it has it, else left out.
func (s *session) row(r *relation, t *pglogrepl.TupleData, old map[string]any) map[string]any {
	out := make(map[string]any, len(t.Columns))
	for i, c := range t.Columns {
		if i >= len(r.names) {
			break
		}
		name := r.names[i]
		switch c.DataType {
		case pglogrepl.TupleDataTypeNull:
			out[name] = nil
		case pglogrepl.TupleDataTypeToast:
			if v, ok := old[name]; ok {
				out[name] = v
			}
		case pglogrepl.TupleDataTypeText:
			out[name] = decodeText(s.types, r.oids[i], c.Data)
		case pglogrepl.TupleDataTypeBinary:
			out[name] = string(c.Data)
		}
	}
	return out
}

// flush hands the pending changes (and the end of the last transaction
// wholly received) to the emitter; while it still commits the batch before,
// this waits (back-pressure: the slot holds what is not read).
func (s *session) flush(ctx context.Context) error {
	b := batch{changes: s.pending}
	if s.committed > s.handed {
		b.end, b.at = s.committed, s.commitTime
	}
	if len(b.changes) == 0 && b.end == 0 {
		return nil
	}
	for {
		select {
		case s.work <- b:
			s.inflight++
			s.pending = make([]Change, 0, max(len(b.changes), 16))
			if b.end > s.handed {
				s.handed = b.end
			}
			return nil
		case r := <-s.results:
			if err := s.apply(r); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// collect applies the emitter's reports that are there.
func (s *session) collect() error {
	for s.inflight > 0 {
		select {
		case r := <-s.results:
			if err := s.apply(r); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// apply takes one committed batch into account: counts its events and
// confirms the end of its last transaction to the server.
func (s *session) apply(r result) error {
	s.inflight--
	if r.err != nil {
		return fmt.Errorf("commit changes in hookline: %w", r.err)
	}
	f := s.f
	f.mu.Lock()
	f.st.Events += int64(len(r.changes))
	f.mu.Unlock()
	if r.end > s.confirmed {
		s.confirmed = r.end
		now := f.m.cfg.Now()
		f.mu.Lock()
		f.st.ConfirmedLSN = s.confirmed.String()
		f.lastCommit = r.at
		f.st.LagSeconds = max(0, now.Sub(r.at).Seconds())
		f.mu.Unlock()
		return s.sendStatus(false)
	}
	return nil
}
