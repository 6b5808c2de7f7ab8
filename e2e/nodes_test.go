package e2e

import (
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// nodes lists GET /api/v1/nodes by id.
func (s *server) nodes() map[string]map[string]any {
	s.t.Helper()
	out := map[string]map[string]any{}
	for _, n := range s.must(200, "GET", "/api/v1/nodes", nil)["items"].([]any) {
		m := n.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

// TestNodesSQLite: on SQLite the one process is the one node; it shows the
// executions it runs, and only root admins see it.
func TestNodesSQLite(t *testing.T) {
	s := start(t, mustSQLite(t), func(c *hookline.Config) { c.NodeID = "solo" })
	slow := newSlowServer(t, "127.0.0.1", 2*time.Second)
	s.must(201, "POST", "/api/v1/event-types", map[string]any{"id": "70291", "label": "slow"})
	s.must(201, "POST", "/api/v1/hooks", eventHook("slow", "70291", slow.URL, map[string]any{"a": 1}))
	s.must(202, "POST", "/api/v1/events", map[string]any{"type": "70291", "data": map[string]any{}})
	for deadline := time.Now().Add(10 * time.Second); slow.inflight.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the webhook never arrived")
		}
	}
	nodes := s.nodes()
	solo := nodes["solo"]
	if len(nodes) != 1 || solo["self"] != true || solo["alive"] != true || solo["seen_at"] != nil || solo["running_executions"] != 1.0 {
		t.Fatalf("nodes while one execution runs: %v", nodes)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.nodes()["solo"]["running_executions"] != 0.0 {
		if time.Now().After(deadline) {
			t.Fatalf("still running: %v", s.nodes())
		}
		time.Sleep(50 * time.Millisecond)
	}

	mgr := s.must(201, "POST", "/api/v1/accounts/"+s.Root+"/keys", map[string]any{"name": "m", "role": "manager"})["key"].(string)
	if r := s.do("GET", "/api/v1/nodes", mgr, nil); r.Status != 403 {
		t.Errorf("a manager lists the nodes: %d %s", r.Status, r.Raw)
	}
	child := s.must(201, "POST", "/api/v1/accounts", map[string]any{"name": "tenant"})["id"].(string)
	childAdmin := s.must(201, "POST", "/api/v1/accounts/"+child+"/keys", map[string]any{"name": "a", "role": "admin"})["key"].(string)
	if r := s.do("GET", "/api/v1/nodes", childAdmin, nil); r.Status != 403 {
		t.Errorf("a tenant's admin lists the nodes: %d %s", r.Status, r.Raw)
	}
}

// TestNodesPostgres: two nodes on one database see each other alive; once
// one stops, its liveness runs out and the other takes it over: it leaves
// the list.
func TestNodesPostgres(t *testing.T) {
	url := pgURL(t)
	lease := func(id string) option {
		return func(c *hookline.Config) { c.NodeID, c.Lease = id, 2*time.Second }
	}
	s1 := start(t, openPG(t, url), lease("node-1"))
	s2 := start(t, openPG(t, url), lease("node-2"))
	nodes := s1.nodes()
	if len(nodes) != 2 {
		t.Fatalf("nodes: %v", nodes)
	}
	for id, n := range nodes {
		if n["alive"] != true || n["seen_at"] == nil || n["alive_until"] == nil || n["self"] != (id == "node-1") {
			t.Errorf("node %s: %v", id, n)
		}
	}
	if err := s2.Eng.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		nodes = s1.nodes()
		if _, there := nodes["node-2"]; !there {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stopped node is still listed 15s later: %v", nodes)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n := nodes["node-1"]; len(nodes) != 1 || n["alive"] != true {
		t.Fatalf("nodes after the takeover: %v", nodes)
	}
}
