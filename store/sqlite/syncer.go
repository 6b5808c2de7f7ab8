package sqlite

import (
	"fmt"
	"os"
)

// syncer makes committed groups durable before their callers hear back.
//
// With synchronous FULL the writer connection runs with PRAGMA synchronous
// = NORMAL: COMMIT appends the group's frames to the WAL without waiting for
// the disk, and the writer goes on with the next group while this goroutine
// fsyncs the WAL file. One fsync covers every group committed before it
// (the WAL is append-only and recovery replays it up to the last complete
// commit frame), so a slow disk makes fsyncs cover more groups instead of
// stalling the writer. Callers and listeners hear of a group only after its
// fsync: an acknowledged Tx is on disk, exactly as with SQLite's own FULL.
// Checkpoints sync the WAL and the database themselves in NORMAL mode.
//
// Other connections (the read pool) may see a group a moment before its
// fsync ends; a power loss then may forget it, but no caller was told it
// was committed. A failed fsync breaks the store: the page cache can no
// longer be trusted, so every later transaction fails.
func (s *Store) syncer() {
	defer close(s.syncerOut)
	var groups [][]*request
	for g := range s.syncq {
		groups = append(groups[:0], g)
	more:
		for {
			select {
			case g, ok := <-s.syncq:
				if !ok {
					break more
				}
				groups = append(groups, g)
			default:
				break more
			}
		}
		var err error
		if b := s.broken.Load(); b != nil {
			err = *b
		} else if err = s.syncWAL(); err != nil {
			err = fmt.Errorf("sqlite: fsync of the WAL failed, store unusable: %w", err)
			s.broken.CompareAndSwap(nil, &err)
		}
		for _, g := range groups {
			answer(&s.bus, g, err)
		}
	}
	if s.wal != nil {
		_ = s.wal.Close()
	}
}

// syncWAL flushes the -wal file to disk, reopening it if SQLite replaced it.
func (s *Store) syncWAL() error {
	name := s.path + "-wal"
	if s.wal != nil {
		fi, err := os.Stat(name)
		cur, err2 := s.wal.Stat()
		if err != nil || err2 != nil || !os.SameFile(fi, cur) {
			_ = s.wal.Close()
			s.wal = nil
		}
	}
	if s.wal == nil {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		s.wal = f
	}
	return datasync(s.wal)
}
