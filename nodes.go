package hookline

import (
	"context"
	"slices"
	"strings"
	"time"
)

// NodeStatus is one node of the cluster as its operator sees it.
type NodeStatus struct {
	ID string `json:"id"`
	// Self is the node answering.
	Self bool `json:"self"`
	// Alive: its liveness has not run out. A node whose liveness ran out
	// is taken over by the others within a second: its running executions
	// go back to pending. A node that keeps no liveness here (an older
	// version) counts as not alive; its leases are rescued when they end.
	Alive bool `json:"alive"`
	// SeenAt is its last heartbeat; AliveUntil when its liveness ends
	// unless it beats again (every lease/3). Null for a node that keeps
	// none (on SQLite, the one node).
	SeenAt     *time.Time `json:"seen_at"`
	AliveUntil *time.Time `json:"alive_until"`
	// RunningExecutions are the executions leased to it now.
	RunningExecutions int `json:"running_executions"`
}

// Nodes lists the nodes sharing the database, this one included, by id:
// root admins only. On SQLite the one process is the one node.
func (e *Engine) Nodes(ctx context.Context, p Principal) ([]NodeStatus, error) {
	if _, err := e.operator(ctx, p); err != nil {
		return nil, err
	}
	infos, err := e.st.NodeList(ctx)
	if err != nil {
		return nil, err
	}
	now := e.now().UTC()
	out := make([]NodeStatus, 0, len(infos)+1)
	self := false
	for _, n := range infos {
		s := NodeStatus{ID: n.ID, Self: n.ID == e.cfg.NodeID, SeenAt: utc(n.SeenAt), AliveUntil: utc(n.AliveUntil),
			RunningExecutions: n.Running}
		if n.AliveUntil != nil {
			s.Alive = n.AliveUntil.After(now)
		} else {
			s.Alive = s.Self
		}
		self = self || s.Self
		out = append(out, s)
	}
	if !self { // it keeps no row here (SQLite), or not yet
		at, _ := slices.BinarySearchFunc(out, e.cfg.NodeID, func(n NodeStatus, id string) int { return strings.Compare(n.ID, id) })
		out = slices.Insert(out, at, NodeStatus{ID: e.cfg.NodeID, Self: true, Alive: true})
	}
	return out, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
