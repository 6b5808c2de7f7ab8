package postgres_test

import (
	"testing"

	"github.com/hookline/hookline/store/postgres"
	"github.com/hookline/hookline/store/storetest"
)

// HOOKLINE_TEST_POSTGRES_URL=… go test ./store/postgres -run '^$' -bench EmitClaimSave -benchtime 20000x
func BenchmarkEmitClaimSave(b *testing.B) {
	storetest.BenchEmitClaimSave(b, open(b, postgres.Options{}))
}
