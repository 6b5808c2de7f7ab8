package httpapi

// route is one REST route: how it is served and how /openapi.json describes
// it. The mux and the OpenAPI document are both built from this table, so
// they cannot disagree.
type route struct {
	method, path string
	h            handlerFunc
	summary      string
	tag          string
	req          string // schema name of the JSON body, "" for none
	status       int    // success status
	resp         string // schema name of the success body, "" for none
	query        []string
}

func (s *Server) apiRoutes() []route {
	page := []string{"limit", "cursor"}
	return []route{
		{"POST", "/api/v1/accounts", s.createAccount, "Create a child account", "accounts", "AccountInput", 201, "Account", nil},
		{"GET", "/api/v1/accounts", s.listAccounts, "List the accounts of your subtree", "accounts", "", 200, "AccountList", page},
		{"GET", "/api/v1/accounts/{id}", s.getAccount, "Get an account", "accounts", "", 200, "Account", nil},
		{"PATCH", "/api/v1/accounts/{id}", s.updateAccount, "Rename an account; an admin of a parent account also sets its limits", "accounts", "AccountInput", 200, "Account", nil},
		{"DELETE", "/api/v1/accounts/{id}", s.deleteAccount, "Delete an account and all it owns", "accounts", "", 204, "", nil},
		{"POST", "/api/v1/accounts/{id}/keys", s.createKey, "Create an API key (the key is shown once)", "keys", "KeyInput", 201, "KeyCreated", nil},
		{"GET", "/api/v1/accounts/{id}/keys", s.listKeys, "List an account's API keys", "keys", "", 200, "KeyList", page},
		{"DELETE", "/api/v1/keys/{id}", s.deleteKey, "Revoke an API key", "keys", "", 204, "", nil},
		{"GET", "/api/v1/accounts/{id}/signing-secret", s.getSigningSecret, "Get the outbound signing secret", "accounts", "", 200, "SigningSecret", nil},
		{"POST", "/api/v1/accounts/{id}/signing-secret/rotate", s.rotateSigningSecret, "Rotate the signing secret (the old one signs for 24 h more)", "accounts", "", 200, "SigningSecret", nil},

		{"POST", "/api/v1/hooks", s.createHook, "Create a hook", "hooks", "Hook", 201, "Hook", nil},
		{"GET", "/api/v1/hooks", s.listHooks, "List hooks", "hooks", "", 200, "HookList", append([]string{"account_id", "trigger_type", "enabled", "q", "key"}, page...)},
		{"GET", "/api/v1/hooks/{id}", s.getHook, "Get a hook (with its next five runs)", "hooks", "", 200, "Hook", nil},
		{"PUT", "/api/v1/hooks/{id}", s.replaceHook, "Replace a hook", "hooks", "Hook", 200, "Hook", nil},
		{"PATCH", "/api/v1/hooks/{id}", s.patchHook, "Change some fields of a hook (JSON merge patch), e.g. {\"enabled\": false}", "hooks", "HookPatch", 200, "Hook", nil},
		{"DELETE", "/api/v1/hooks/{id}", s.deleteHook, "Delete a hook", "hooks", "", 204, "", nil},
		{"POST", "/api/v1/hooks/{id}/duplicate", s.duplicateHook, "Copy a hook (disabled, named \"<name> (copy)\")", "hooks", "", 201, "Hook", nil},
		{"POST", "/api/v1/hooks/{id}/trigger", s.triggerHook, "Fire a hook now; ?wait=30s waits and returns the execution", "hooks", "DataBody", 202, "ExecutionID", []string{"wait"}},
		{"POST", "/api/v1/hooks/{id}/test", s.testHook, "Dry run: condition, cases and rendered configs; no side effects, nothing logged", "hooks", "DataBody", 200, "TestResult", nil},
		{"GET", "/api/v1/hooks/{id}/versions", s.listHookVersions, "A hook's versions, newest first (every create and change makes one)", "hooks", "", 200, "HookVersionList", page},
		{"GET", "/api/v1/hooks/{id}/versions/{n}", s.getHookVersion, "One version of a hook", "hooks", "", 200, "HookVersion", nil},
		{"POST", "/api/v1/hooks/{id}/versions/{n}/restore", s.restoreHookVersion, "Make a new version equal to version n (nothing changes when the hook is that already)", "hooks", "", 200, "Hook", nil},
		{"GET", "/api/v1/hooks/{id}/executions", s.hookExecutions, "A hook's executions, newest first", "executions", "", 200, "ExecutionList", append([]string{"status", "trigger_type", "since", "until", "exhausted"}, page...)},

		{"GET", "/api/v1/executions", s.listExecutions, "Executions, newest first", "executions", "", 200, "ExecutionList", append([]string{"hook_id", "status", "trigger_type", "since", "until", "exhausted"}, page...)},
		{"GET", "/api/v1/executions/{id}", s.getExecution, "Get an execution with its per-action results", "executions", "", 200, "Execution", nil},
		{"POST", "/api/v1/executions/replay", s.bulkReplay, "Replay every execution matching {filter} (at most 500), e.g. the dead letters", "executions", "BulkReplay", 202, "ExecutionIDs", nil},
		{"POST", "/api/v1/executions/{id}/replay", s.replayExecution, "Run the hook again on the recorded context; {\"from\": \"failed_action\"} resumes; {\"version\": \"original\"} runs the version the execution ran", "executions", "ReplayOptions", 202, "ExecutionID", nil},

		{"POST", "/api/v1/apply", s.apply, "Hooks as code: make the account's keyed hooks, hookable events and collections match {documents} in one transaction (prune: delete keyed hooks not named; dry_run: change nothing) and answer the plan", "hooks", "ApplyRequest", 200, "Plan", nil},
		{"GET", "/api/v1/export", s.export, "The account's hooks, hookable events and collections as documents for apply (format=json: {documents}; format=yaml: a YAML file)", "hooks", "", 200, "ApplyRequest", []string{"account_id", "hook_id", "format"}},

		{"POST", "/api/v1/event-types", s.createEventTypes, "Register hookable events (one object or an array)", "events", "EventType", 201, "EventType", nil},
		{"GET", "/api/v1/event-types", s.listEventTypes, "List hookable events (a shop's include those its organization registered); builtin=true adds the built-in types (records.*, auth.*, and the system events execution.failed and hook.disabled) with builtin: true", "events", "", 200, "EventTypeList", append(page, "builtin")},
		{"DELETE", "/api/v1/event-types/{id}", s.deleteEventType, "Remove a hookable event", "events", "", 204, "", []string{"account_id"}},
		{"POST", "/api/v1/events", s.postEvents, "Send events (one object or an array); idempotency_key dedups", "events", "EventInput", 202, "EventIDs", nil},

		{"POST", "/api/v1/secrets", s.putSecret, "Store a secret (write-only; use as {{secret.NAME}})", "secrets", "SecretInput", 201, "Secret", nil},
		{"GET", "/api/v1/secrets", s.listSecrets, "List secret names", "secrets", "", 200, "SecretList", append([]string{"account_id"}, page...)},
		{"DELETE", "/api/v1/secrets/{name}", s.deleteSecret, "Delete a secret", "secrets", "", 204, "", []string{"account_id"}},

		{"POST", "/api/v1/collections", s.createCollection, "Create a collection", "records", "CollectionInput", 201, "Collection", nil},
		{"GET", "/api/v1/collections", s.listCollections, "List collections", "records", "", 200, "CollectionList", append([]string{"account_id"}, page...)},
		{"GET", "/api/v1/collections/{name}", s.getCollection, "Get a collection", "records", "", 200, "Collection", []string{"account_id"}},
		{"PATCH", "/api/v1/collections/{name}", s.updateCollection, "Replace a collection's schema ({\"schema\": {...}}, or null for none): records written from then on are checked against it, those stored before are kept as they are", "records", "CollectionPatch", 200, "Collection", []string{"account_id"}},
		{"DELETE", "/api/v1/collections/{name}", s.deleteCollection, "Delete a collection and its records", "records", "", 204, "", []string{"account_id"}},
		{"POST", "/api/v1/collections/{name}/records", s.createRecord, "Create a record (emits records.create)", "records", "Record", 201, "Record", []string{"account_id"}},
		{"GET", "/api/v1/collections/{name}/records", s.listRecords, "List records", "records", "", 200, "RecordList", append([]string{"account_id"}, page...)},
		{"GET", "/api/v1/collections/{name}/records/{id}", s.getRecord, "Get a record", "records", "", 200, "Record", []string{"account_id"}},
		{"PATCH", "/api/v1/collections/{name}/records/{id}", s.updateRecord, "Change a record's fields (emits records.update with previous)", "records", "Record", 200, "Record", []string{"account_id"}},
		{"DELETE", "/api/v1/collections/{name}/records/{id}", s.deleteRecord, "Delete a record (emits records.delete)", "records", "", 204, "", []string{"account_id"}},

		{"POST", "/api/v1/sources", s.createSource, "Follow tables of your own PostgreSQL (change capture): creates a publication and a replication slot there", "sources", "SourceInput", 201, "Source", nil},
		{"GET", "/api/v1/sources", s.listSources, "List change-capture sources with their state and lag", "sources", "", 200, "SourceList", []string{"account_id"}},
		{"GET", "/api/v1/sources/{id}", s.getSource, "Get a source: state, lag, last error", "sources", "", 200, "Source", nil},
		{"DELETE", "/api/v1/sources/{id}", s.deleteSource, "Stop following and drop the slot and publication in the database (?force=true forgets the source even when the database cannot be reached)", "sources", "", 204, "", []string{"force"}},

		{"GET", "/api/v1/nodes", s.listNodes, "The nodes sharing the database (root admins): last heartbeat, alive or not (a node whose liveness runs out loses its running executions to the others), executions each runs now", "cluster", "", 200, "NodeList", nil},

		{"POST", "/api/v1/jobs/claim", s.claimJob, "Lease the next job of a queue ({queue, lease}); 204 when empty", "jobs", "JobClaim", 200, "ClaimedJob", nil},
		{"POST", "/api/v1/jobs/{id}/ack", s.ackJob, "Complete a job", "jobs", "", 200, "Job", nil},
		{"POST", "/api/v1/jobs/{id}/fail", s.failJob, "Fail a job attempt; retried with backoff until max attempts, then dead", "jobs", "JobFail", 200, "Job", nil},
		{"GET", "/api/v1/jobs", s.listJobs, "List jobs (dead ones with state=dead)", "jobs", "", 200, "JobList", append([]string{"queue", "state"}, page...)},
	}
}
