package rule

import (
	"strings"
	"testing"
)

func TestPaths(t *testing.T) {
	cases := map[string]string{
		`total >= 500`: "total",
		`record.status != previous.status && record.total > 5`: "record.status,previous.status,record.total",
		`"vip" in record.tags || upper(record.name) == "ADA"`:  "record.tags,record.name",
		`record["total"] > 1 and data.items[0].sku == "A"`:     "record.total,data.items",
		`len(request.body) > 0 ? auth.role : "none"`:           "request.body,auth.role",
		`all(data.items, {.qty > 0})`:                          "data.items",
		`total >=`:                                             "",
		`1 + 2`:                                                "",
	}
	for src, want := range cases {
		if got := strings.Join(Paths(src), ","); got != want {
			t.Errorf("Paths(%q) = %q, want %q", src, got, want)
		}
	}
}
