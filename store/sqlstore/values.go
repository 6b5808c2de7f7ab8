package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// us is t as unix microseconds.
func us(t time.Time) int64 { return t.UnixMicro() }

// usPtr is t as unix microseconds, NULL when nil.
func usPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// fromUS turns unix microseconds back into a UTC time.
func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullUS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromUS(v.Int64)
	return &t
}

// nullStr stores "" as NULL.
func nullStr(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// toJSON encodes v as TEXT.
func toJSON(what string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", what, err)
	}
	return string(b), nil
}

// fromJSON decodes TEXT into dst; an empty or NULL column leaves dst alone.
func fromJSON(what, s string, dst any) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), dst); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// jsonEnc collects encoding errors so a row's fields encode in one go.
type jsonEnc struct{ err error }

func (e *jsonEnc) str(what string, v any) string {
	if e.err != nil {
		return ""
	}
	s, err := toJSON(what, v)
	e.err = err
	return s
}

// jsonDec collects decoding errors.
type jsonDec struct{ err error }

func (d *jsonDec) val(what, s string, dst any) {
	if d.err == nil {
		d.err = fromJSON(what, s, dst)
	}
}
