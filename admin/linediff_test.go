package admin

import (
	"fmt"
	"strings"
	"testing"
)

func TestLineDiff(t *testing.T) {
	a := strings.Split("key: k\nname: A\ncondition: x > 1\nactions:\n  - type: t", "\n")
	b := strings.Split("key: k\nname: B\nactions:\n  - type: t\n  - type: u", "\n")
	var got []string
	for _, r := range lineDiff(a, b) {
		got = append(got, fmt.Sprintf("%s %d:%s | %d:%s", r.Kind, r.LeftNo, r.Left, r.RightNo, r.Right))
	}
	want := []string{
		"same 1:key: k | 1:key: k",
		"change 2:name: A | 2:name: B",
		"del 3:condition: x > 1 | 0:",
		"same 4:actions: | 3:actions:",
		"same 5:  - type: t | 4:  - type: t",
		"add 0: | 5:  - type: u",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rows := lineDiff(a, a); len(rows) != len(a) || rows[0].Kind != "same" {
		t.Fatalf("identical: %v", rows)
	}
}
