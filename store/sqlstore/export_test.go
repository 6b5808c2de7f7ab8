package sqlstore

import (
	"time"

	"github.com/hookline/hookline/hook"
)

// HotQuery is a statement that looks rows up by a column with a partial
// index, and the indexes its plan must use (or other text it must hold).
type HotQuery struct {
	SQL     string
	Indexes []string
}

// ReadsWholeIndex names the hot queries that read the whole of their
// partial index by design.
var ReadsWholeIndex = map[string]bool{"running by node": true}

var waitIndexes = []string{"executions_after_exec", "executions_after_key"}

// HotQueries are checked by TestHotQueriesUseIndexes on both databases.
var HotQueries = map[string]HotQuery{
	"release and lease": {releaseSQL, waitIndexes},
	"pass on waits":     {passOnWaitsSQL, waitIndexes},
	"behind the tail":   {behindTailSQL, []string{"executions_ordering", "executions_after_key"}},
	"supersede":         {supersedeSQL, []string{"executions_debounce"}},
	"event by key":      {eventByKeySQL, []string{"events_idempotency"}},
	"latest event":      {latestEventSQL, []string{"events_account_type"}},
	// The hourly prune reads old executions only.
	"prune executions": {pruneExecutionsSQL + ` LIMIT ?)`, []string{"executions_created"}},
	// and old events only, by their ids.
	"prune events": {pruneEventsSQL + ` LIMIT ?)`, nil},
	// The admin's list of nodes counts their running executions.
	"running by node": {runningByNodeSQL, []string{"executions_leases"}},
	// Every final save keeps its hook's health: by primary keys only.
	"health after a success": {healthOf(hook.StatusSuccess), nil},
	"health after a failure": {healthOf(hook.StatusFailed), nil},
}

func healthOf(status string) string {
	q, _ := healthSQL(&hook.Execution{Status: status})
	return q
}

// HotQueriesPostgres are more of them, in PostgreSQL's dialect only.
var HotQueriesPostgres = map[string]HotQuery{
	"save and release": {saveFinalSQL(`UPDATE executions SET status = 'succeeded' WHERE id = ? AND lease_token = ?`, "", true), waitIndexes},
	// The final save of an execution nothing can wait for.
	"save alone": {saveFinalSQL(`UPDATE executions SET status = 'succeeded' WHERE id = ? AND lease_token = ?`, "", false), nil},
	// PostgreSQL reads the events through their primary key even without
	// the id bound (sequential scans are priced out): the bound must be
	// the index's condition, or it reads them all.
	"prune events": {pruneEventsSQL + ` LIMIT ?)`, []string{"Index Cond: (id < $1)"}},
	// The heartbeat looks its executions up by primary key.
	"extend leases": {extendSQL, []string{"executions_pkey"}},
}

// RescueSQL is PostgreSQL's rescue of expired leases, in its dialect.
var RescueSQL = Rebind(rescueSQL)

// Rebind is the PostgreSQL form of a query of this package.
func Rebind(query string) string { return (&Dialect{Dollar: true}).rebind(query) }

// ClaimSQL is ExecutionClaim's statement in PostgreSQL's dialect, with
// its arguments.
func ClaimSQL(node string, now, leaseUntil time.Time, limit int) (string, []any, error) {
	q, args, err := claimSQL(true, node, now, leaseUntil, limit, nil)
	return Rebind(q), args, err
}

// ClaimSQLite is the claim statement in SQLite's form, skipping accounts.
func ClaimSQLite(skip []string) (string, []any, error) {
	return claimSQL(false, "n", time.Now(), time.Now(), 32, skip)
}
