package admin

// diffRow is one row of a side-by-side diff: a line on the left (the older
// version), on the right, or both. LeftNo and RightNo are 1-based line
// numbers, 0 where that side has no line.
type diffRow struct {
	Kind            string // same, change, del, add
	LeftNo, RightNo int
	Left, Right     string
}

// maxDiffCells bounds the longest-common-subsequence table; longer inputs
// are shown as all removed and all added.
const maxDiffCells = 4_000_000

// lineDiff lines up a and b side by side (longest common subsequence of
// lines); removed and added lines between two common ones share rows as
// changes.
func lineDiff(a, b []string) []diffRow {
	n, m := len(a), len(b)
	type op struct {
		kind byte // '=', '-', '+'
		i, j int
	}
	var ops []op
	if n*m <= maxDiffCells {
		// lcs[i][j] is the LCS length of a[i:] and b[j:].
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if a[i] == b[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n && j < m {
			switch {
			case a[i] == b[j]:
				ops = append(ops, op{'=', i, j})
				i, j = i+1, j+1
			case lcs[i+1][j] >= lcs[i][j+1]:
				ops = append(ops, op{'-', i, 0})
				i++
			default:
				ops = append(ops, op{'+', 0, j})
				j++
			}
		}
		for ; i < n; i++ {
			ops = append(ops, op{'-', i, 0})
		}
		for ; j < m; j++ {
			ops = append(ops, op{'+', 0, j})
		}
	} else {
		for i := range a {
			ops = append(ops, op{'-', i, 0})
		}
		for j := range b {
			ops = append(ops, op{'+', 0, j})
		}
	}
	var rows []diffRow
	var dels, adds []int
	flush := func() {
		for k := range max(len(dels), len(adds)) {
			r := diffRow{Kind: "change"}
			if k < len(dels) {
				r.LeftNo, r.Left = dels[k]+1, a[dels[k]]
			}
			if k < len(adds) {
				r.RightNo, r.Right = adds[k]+1, b[adds[k]]
			}
			switch {
			case r.LeftNo == 0:
				r.Kind = "add"
			case r.RightNo == 0:
				r.Kind = "del"
			}
			rows = append(rows, r)
		}
		dels, adds = dels[:0], adds[:0]
	}
	for _, o := range ops {
		switch o.kind {
		case '=':
			flush()
			rows = append(rows, diffRow{Kind: "same", LeftNo: o.i + 1, RightNo: o.j + 1, Left: a[o.i], Right: b[o.j]})
		case '-':
			dels = append(dels, o.i)
		case '+':
			adds = append(adds, o.j)
		}
	}
	flush()
	return rows
}
