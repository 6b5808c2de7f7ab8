package hook

import (
	"reflect"
	"slices"
	"strconv"
)

// Change is one field that differs between two definitions: Field is its
// path ("condition", "actions[0].config.url"); Old or New is nil where the
// field is absent on that side.
type Change struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// scalars reports whether a list holds no objects or lists (roles, methods,
// weekdays): such a list is shown whole when it changes.
func scalars(l []any) bool {
	for _, v := range l {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// Diff lists the fields that differ between two plain JSON values (as
// Definition returns them), leaves first in path order. Objects are compared
// key by key and arrays item by item, so a changed URL in the second action
// is reported as actions[1].config.url, not as a different actions list;
// a list of plain values (roles, methods) is reported whole.
func Diff(old, new any) []Change {
	var out []Change
	diffAt("", old, new, &out)
	return out
}

func diffAt(path string, a, b any, out *[]Change) {
	if reflect.DeepEqual(a, b) {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diffAt(p, am[k], bm[k], out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && !(scalars(al) && scalars(bl)) {
		for i := range max(len(al), len(bl)) {
			var x, y any
			if i < len(al) {
				x = al[i]
			}
			if i < len(bl) {
				y = bl[i]
			}
			diffAt(path+"["+strconv.Itoa(i)+"]", x, y, out)
		}
		return
	}
	*out = append(*out, Change{Field: path, Old: a, New: b})
}
