package admin

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/hookline/hookline/store"
)

// The records table's columns, order, filter and typed inputs.

func hasCol(cols []recordCol, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

func opLabel(op string) string {
	for _, o := range filterOps {
		if o[0] == op {
			return o[1]
		}
	}
	return op
}

func validOp(op string) bool {
	for _, o := range filterOps {
		if o[0] == op {
			return true
		}
	}
	return false
}

// recordColumns are the schema's properties (required ones first), else
// the fields of the records, the most common first.
func recordColumns(schema map[string]any, recs []*store.Record) []recordCol {
	var cols []recordCol
	if props, ok := schema["properties"].(map[string]any); ok {
		req := map[string]bool{}
		if rs, ok := schema["required"].([]any); ok {
			for _, x := range rs {
				if s, ok := x.(string); ok {
					req[s] = true
				}
			}
		}
		for name, p := range props {
			ps, _ := p.(map[string]any)
			col := recordCol{Name: name, Kind: schemaKind(ps), Required: req[name]}
			if en, ok := ps["enum"].([]any); ok && col.Kind == "string" {
				for _, x := range en {
					if s, ok := x.(string); ok {
						col.Enum = append(col.Enum, s)
					}
				}
			}
			cols = append(cols, col)
		}
		sort.Slice(cols, func(i, j int) bool {
			if cols[i].Required != cols[j].Required {
				return cols[i].Required
			}
			return cols[i].Name < cols[j].Name
		})
		return cols
	}
	count := map[string]int{}
	kinds := map[string]string{}
	for _, r := range recs {
		for k, x := range r.Data {
			count[k]++
			kd := valueKind(x)
			switch old, seen := kinds[k]; {
			case !seen || old == "":
				kinds[k] = kd
			case kd != "" && old != kd:
				kinds[k] = "json"
			}
		}
	}
	for k := range count {
		kd := kinds[k]
		if kd == "" {
			kd = "json"
		}
		cols = append(cols, recordCol{Name: k, Kind: kd})
	}
	sort.Slice(cols, func(i, j int) bool {
		a, b := count[cols[i].Name], count[cols[j].Name]
		if a != b {
			return a > b
		}
		return cols[i].Name < cols[j].Name
	})
	return cols
}

// schemaKind is the input kind of a JSON Schema property.
func schemaKind(p map[string]any) string {
	var t string
	switch ty := p["type"].(type) {
	case string:
		t = ty
	case []any:
		for _, x := range ty {
			if s, _ := x.(string); s != "" && s != "null" {
				t = s
				break
			}
		}
	}
	switch t {
	case "string", "number", "integer", "boolean":
		return t
	}
	return "json"
}

// valueKind is the input kind of a stored value ("" for null).
func valueKind(x any) string {
	switch k := jsonKind(x); k {
	case "string", "number", "boolean":
		return k
	case "null":
		return ""
	}
	return "json"
}

func cellText(x any) string {
	if s, ok := x.(string); ok {
		return s
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// compareValues orders two values of a column: numbers as numbers, text
// without regard to case, false before true; a missing value sorts last
// either way (see sortRecords).
func compareValues(a, b any) int {
	af, aNum := a.(float64)
	bf, bNum := b.(float64)
	switch {
	case aNum && bNum:
		switch {
		case af < bf:
			return -1
		case af > bf:
			return 1
		}
		return 0
	case aNum != bNum: // numbers before text
		if aNum {
			return -1
		}
		return 1
	}
	return strings.Compare(strings.ToLower(cellText(a)), strings.ToLower(cellText(b)))
}

func sortRecords(list []*store.Record, field string, asc bool) {
	get := func(r *store.Record) (any, bool) {
		switch field {
		case "id":
			return r.ID, true
		case "updated_at":
			return float64(r.UpdatedAt.UnixMicro()), true
		}
		x, ok := r.Data[field]
		return x, ok && x != nil
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, aok := get(list[i])
		b, bok := get(list[j])
		if aok != bok {
			return aok // missing last
		}
		if !aok {
			return false
		}
		c := compareValues(a, b)
		if asc {
			return c < 0
		}
		return c > 0
	})
}

// matchRecord applies the table's filter; field "" is any field.
func matchRecord(r *store.Record, field, op, value string) bool {
	if field == "" { // contains or equals, in any field
		hit := func(text string) bool {
			if op == "eq" {
				return strings.EqualFold(text, value)
			}
			return strings.Contains(strings.ToLower(text), strings.ToLower(value))
		}
		if hit(r.ID) {
			return true
		}
		for _, x := range r.Data {
			if hit(cellText(x)) {
				return true
			}
		}
		return false
	}
	x, ok := r.Data[field]
	if field == "id" {
		x, ok = r.ID, true
	}
	ok = ok && x != nil
	switch op {
	case "set":
		return ok
	case "missing":
		return !ok
	}
	if !ok {
		return op == "ne"
	}
	var want any = value
	if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
		if _, isNum := x.(float64); isNum {
			want = f
		}
	}
	if _, isBool := x.(bool); isBool && (value == "true" || value == "false") {
		want = value == "true"
	}
	switch op {
	case "contains":
		return strings.Contains(strings.ToLower(cellText(x)), strings.ToLower(value))
	case "eq":
		return compareValues(x, want) == 0
	case "ne":
		return compareValues(x, want) != 0
	case "gt":
		return compareValues(x, want) > 0
	case "lt":
		return compareValues(x, want) < 0
	}
	return false
}

func inputsFor(cols []recordCol, data map[string]any) []recordInput {
	out := make([]recordInput, len(cols))
	for i, c := range cols {
		out[i] = recordInput{recordCol: c}
		if x, ok := data[c.Name]; ok && x != nil {
			if c.Kind == "json" {
				out[i].Value = pretty(x)
			} else {
				out[i].Value = cellText(x)
			}
		}
	}
	return out
}

// typedData reads the typed inputs (f.<field>, their kinds in k.<field>)
// and the extra JSON object. An empty input is left out, or with clear set
// (an edit) becomes null, which removes the field.
func typedData(form url.Values, clear bool) (map[string]any, []recordInput, string, error) {
	data := map[string]any{}
	var inputs []recordInput
	for key, vals := range form {
		name, ok := strings.CutPrefix(key, "f.")
		if !ok || name == "" {
			continue
		}
		kind := form.Get("k." + name)
		raw := vals[0]
		inputs = append(inputs, recordInput{recordCol: recordCol{Name: name, Kind: kind}, Value: raw})
		if strings.TrimSpace(raw) == "" {
			if clear {
				data[name] = nil
			}
			continue
		}
		switch kind {
		case "number", "integer":
			n, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
			if err != nil || (kind == "integer" && n != float64(int64(n))) {
				return nil, inputs, "", fmt.Errorf("%s must be a %s", name, recordCol{Kind: kind}.Hint())
			}
			data[name] = n
		case "boolean":
			data[name] = raw == "true"
		case "string":
			data[name] = raw
		default:
			var x any
			if err := json.Unmarshal([]byte(raw), &x); err != nil {
				return nil, inputs, "", fmt.Errorf("%s is not valid JSON: %s", name, jsonErrMsg(err))
			}
			data[name] = x
		}
	}
	extra := form.Get("data")
	if strings.TrimSpace(extra) != "" {
		var errs []fieldErr
		more := parseObject(extra, "data", &errs)
		if len(errs) > 0 {
			return nil, inputs, extra, fmt.Errorf("other fields %s", errs[0].Message)
		}
		for k, x := range more {
			data[k] = x
		}
	}
	return data, inputs, extra, nil
}
