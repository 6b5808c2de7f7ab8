package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/store"
)

// NodeAlive implements store.Querier.
func (q *Q) NodeAlive(ctx context.Context, node string, now, until time.Time) error {
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO nodes (id, seen_at, alive_until) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, alive_until = excluded.alive_until`,
			node, us(now), us(until))
		return q.fail("node heartbeat", err)
	})
}

// ExecutionRescueDead implements store.Querier. The nodes table is small
// (a row per live node, and the dead until a node takes them over), so a
// pass that finds none dead reads nothing else: no lease index, none of the
// entries final saves left in it. Taking over a node is one transaction:
// its row goes (one taker wins) with the release of its executions.
func (q *Q) ExecutionRescueDead(ctx context.Context, now time.Time, except string) ([]string, int, error) {
	dead, err := collect(ctx, q, "find dead nodes", func(r rowScanner) (id string, err error) {
		err = r.Scan(&id)
		return id, err
	}, `SELECT id FROM nodes WHERE alive_until < ? AND id <> ? ORDER BY id`, us(now), except)
	if err != nil {
		return nil, 0, err
	}
	var taken []string
	total := 0
	for _, node := range dead {
		var took bool
		var n int64
		err := q.write(ctx, func(q *Q) error {
			took, n = false, 0
			k, err := q.execN(ctx, `DELETE FROM nodes WHERE id = ? AND alive_until < ?`, node, us(now))
			if err != nil || k == 0 { // another node took it over, or it came back
				return q.fail("take over node "+node, err)
			}
			took = true
			n, err = q.execN(ctx, `UPDATE executions SET status = 'pending', run_at = ?, locked_by = '',
				locked_until = NULL, lease_token = '' WHERE status = 'running' AND locked_by = ?`, us(now), node)
			return q.fail("rescue executions of node "+node, err)
		})
		if err != nil {
			return taken, total, err
		}
		if took {
			taken = append(taken, node)
			total += int(n)
		}
	}
	return taken, total, nil
}

// runningByNodeSQL counts the running executions by node, through the
// partial index on running leases (the settings page must not read the
// whole table).
const runningByNodeSQL = `SELECT locked_by, COUNT(*) FROM executions WHERE status = 'running' GROUP BY locked_by`

// NodeList implements store.Querier: the nodes table, and the running
// executions by node (through the partial index on leases).
func (q *Q) NodeList(ctx context.Context) ([]store.NodeInfo, error) {
	nodes, err := collect(ctx, q, "list nodes", func(r rowScanner) (store.NodeInfo, error) {
		var n store.NodeInfo
		var seen, until int64
		err := r.Scan(&n.ID, &seen, &until)
		s, u := fromUS(seen), fromUS(until)
		n.SeenAt, n.AliveUntil = &s, &u
		return n, err
	}, `SELECT id, seen_at, alive_until FROM nodes`)
	if err != nil {
		return nil, err
	}
	running, err := collect(ctx, q, "count running executions by node", func(r rowScanner) (n store.NodeInfo, err error) {
		err = r.Scan(&n.ID, &n.Running)
		return n, err
	}, runningByNodeSQL)
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(nodes))
	for i, n := range nodes {
		at[n.ID] = i
	}
	for _, h := range running {
		if i, ok := at[h.ID]; ok {
			nodes[i].Running = h.Running
		} else { // holds executions but keeps no liveness here
			nodes = append(nodes, h)
		}
	}
	slices.SortFunc(nodes, func(a, b store.NodeInfo) int { return strings.Compare(a.ID, b.ID) })
	return nodes, nil
}
