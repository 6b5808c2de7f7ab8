package sqlite_test

import (
	"testing"

	"github.com/hookline/hookline/store/sqlite"
	"github.com/hookline/hookline/store/storetest"
)

// go test ./store/sqlite -run '^$' -bench EmitClaimSave -benchtime 20000x
func BenchmarkEmitClaimSave(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			storetest.BenchEmitClaimSave(b, open(b, sqlite.Options{Synchronous: sync}))
		})
	}
}
