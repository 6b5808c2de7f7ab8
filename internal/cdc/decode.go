package cdc

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// maxSafeInt is the largest integer a JSON number (a float64) holds exactly.
const maxSafeInt = 1 << 53

// decodeText maps a column's value, in PostgreSQL's text format, to a JSON
// value, close to what PostgreSQL's own to_jsonb shows:
//
//   - boolean → true/false; NULL → null
//   - smallint, integer, bigint → number (a bigint beyond ±2^53 → string, as
//     a JSON number would lose digits)
//   - real, double precision → number (NaN and ±Infinity → string)
//   - numeric → number when it has at most 15 significant digits (exact in
//     a float64), else the exact decimal as a string; NaN/Infinity → string
//   - json, jsonb → the JSON value itself
//   - timestamptz → RFC 3339 in UTC ("2026-03-01T12:00:00.5Z");
//     timestamp → "2026-03-01T12:00:00.5" (no zone, as stored); date →
//     "2026-03-01"; time, interval → PostgreSQL's text
//   - bytea → "\\x…" (hex, as PostgreSQL shows it)
//   - arrays of the above → JSON arrays (NULL elements → null)
//   - anything else (text, varchar, uuid, enums, inet, …) → its text
func decodeText(m *pgtype.Map, oid uint32, data []byte) any {
	s := string(data)
	switch oid {
	case pgtype.BoolOID:
		return s == "t"
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > maxSafeInt || n < -maxSafeInt {
			return s
		}
		return float64(n)
	case pgtype.Float4OID, pgtype.Float8OID:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return s
		}
		return f
	case pgtype.NumericOID:
		return numeric(s)
	case pgtype.JSONOID, pgtype.JSONBOID:
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return s
		}
		return v
	case pgtype.TimestamptzOID:
		t, err := time.Parse("2006-01-02 15:04:05.999999999Z07", s)
		if err != nil {
			t, err = time.Parse("2006-01-02 15:04:05.999999999Z07:00", s)
		}
		if err != nil {
			return s // infinity, BC dates
		}
		return t.UTC().Format(time.RFC3339Nano)
	case pgtype.TimestampOID:
		if len(s) > 10 && s[10] == ' ' {
			return s[:10] + "T" + s[11:]
		}
		return s
	}
	if typ, ok := m.TypeForOID(oid); ok {
		if ac, ok := typ.Codec.(*pgtype.ArrayCodec); ok {
			v, err := ac.DecodeValue(m, oid, pgtype.TextFormatCode, data)
			if err == nil {
				return arrayValue(ac.ElementType.OID, v)
			}
		}
	}
	return s
}

// numeric maps a numeric's text to a number when a float64 holds it exactly
// enough (15 significant digits), else keeps the exact decimal string.
func numeric(s string) any {
	digits := 0
	leading := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'e' || c == 'E' {
			break
		}
		if c < '0' || c > '9' {
			continue
		}
		if leading && c == '0' {
			continue
		}
		leading = false
		digits++
	}
	// Trailing zeros after the point carry no precision.
	if i := strings.IndexByte(s, '.'); i >= 0 {
		for j := len(s) - 1; j > i && s[j] == '0'; j-- {
			digits--
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || digits > 15 {
		return s
	}
	return f
}

// arrayValue maps what pgtype decoded for an array to JSON values.
func arrayValue(elemOID uint32, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = arrayValue(elemOID, e)
		}
		return out
	case bool, string:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		if x > maxSafeInt || x < -maxSafeInt {
			return strconv.FormatInt(x, 10)
		}
		return float64(x)
	case float32:
		return arrayValue(elemOID, float64(x))
	case pgtype.Numeric:
		b, err := x.MarshalJSON()
		if err != nil {
			return nil
		}
		return numeric(strings.Trim(string(b), `"`))
	case time.Time:
		switch elemOID {
		case pgtype.DateOID:
			return x.Format("2006-01-02")
		case pgtype.TimestampOID:
			return x.Format("2006-01-02T15:04:05.999999999")
		}
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case [16]byte: // uuid
		u := hex.EncodeToString(x[:])
		return u[:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:]
	case map[string]any:
		return x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return string(b)
	}
	return out
}
