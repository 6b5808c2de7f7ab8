package sqlstore

// HotQueries are the statements that look executions up by a column with a
// partial index, for TestHotQueriesUseIndexes.
var HotQueries = map[string]string{
	"release waits": releaseWaitsSQL,
	"pass on waits": passOnWaitsSQL,
	"ordering tail": orderingTailSQL,
	"supersede":     supersedeSQL,
}

// HotQueriesPostgres are more of them, in PostgreSQL's dialect only.
var HotQueriesPostgres = map[string]string{
	"save and release": `WITH saved AS (UPDATE executions SET status = 'succeeded' WHERE id = ? RETURNING id),
		freed AS (UPDATE executions SET after_exec = CASE WHEN after_exec = ? THEN '' ELSE after_exec END,
			after_key = CASE WHEN after_key = ? THEN '' ELSE after_key END
			` + waitersOf + ` AND EXISTS (SELECT 1 FROM saved)
			RETURNING id)
		SELECT id FROM freed`,
}

// Rebind is the PostgreSQL form of a query of this package.
func Rebind(query string) string { return (&Dialect{Dollar: true}).rebind(query) }
