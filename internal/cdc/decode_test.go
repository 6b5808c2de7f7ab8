package cdc

import (
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestDecodeText(t *testing.T) {
	m := pgtype.NewMap()
	cases := []struct {
		oid  uint32
		in   string
		want string // JSON
	}{
		{pgtype.BoolOID, "t", `true`},
		{pgtype.Int8OID, "9007199254740992", `9007199254740992`},
		{pgtype.Int8OID, "9007199254740993", `"9007199254740993"`},
		{pgtype.Int8OID, "-9007199254740993", `"-9007199254740993"`},
		{pgtype.Float8OID, "NaN", `"NaN"`},
		{pgtype.Float8OID, "-Infinity", `"-Infinity"`},
		{pgtype.Float8OID, "0.1", `0.1`},
		{pgtype.NumericOID, "19.99", `19.99`},
		{pgtype.NumericOID, "600.50", `600.5`},
		{pgtype.NumericOID, "0.000000000000001", `1e-15`},
		{pgtype.NumericOID, "123456789012345", `123456789012345`},
		{pgtype.NumericOID, "1234567890123456", `"1234567890123456"`},
		{pgtype.NumericOID, "1.00000000000000000001", `"1.00000000000000000001"`},
		{pgtype.NumericOID, "NaN", `"NaN"`},
		{pgtype.JSONBOID, `{"a": [1, null]}`, `{"a":[1,null]}`},
		{pgtype.TimestamptzOID, "2026-03-01 10:00:00.25+00", `"2026-03-01T10:00:00.25Z"`},
		{pgtype.TimestamptzOID, "2026-03-01 12:00:00+02", `"2026-03-01T10:00:00Z"`},
		{pgtype.TimestamptzOID, "infinity", `"infinity"`},
		{pgtype.TimestampOID, "2026-03-01 10:00:00", `"2026-03-01T10:00:00"`},
		{pgtype.DateOID, "2026-03-01", `"2026-03-01"`},
		{pgtype.Int4ArrayOID, "{1,NULL,3}", `[1,null,3]`},
		{pgtype.TextArrayOID, `{a,"b c",NULL}`, `["a","b c",null]`},
		{pgtype.NumericArrayOID, "{1.5,12345678901234567890}", `[1.5,"12345678901234567890"]`},
		{pgtype.Float8ArrayOID, "{NaN,2}", `["NaN",2]`},
		{pgtype.TimestamptzArrayOID, `{"2026-03-01 10:00:00+00"}`, `["2026-03-01T10:00:00Z"]`},
		{pgtype.DateArrayOID, `{2026-03-01}`, `["2026-03-01"]`},
		{pgtype.ByteaOID, `\x01ff`, `"\\x01ff"`},
		{pgtype.UUIDOID, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"`},
		{99999, "(1,2)", `"(1,2)"`}, // an unknown type: its text
	}
	for _, c := range cases {
		b, err := json.Marshal(decodeText(m, c.oid, []byte(c.in)))
		if err != nil || string(b) != c.want {
			t.Errorf("oid %d %q: got %s (%v), want %s", c.oid, c.in, b, err, c.want)
		}
	}
}

func TestRedactAndNames(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:s3cret@db.example:5433/shop?sslmode=require&password=x": "postgres://db.example:5433/shop",
		"host=db user=app password=s3cret dbname=shop":                          "postgres://db:5432/shop",
		"not a url ::": "postgres://…",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	if got := scrub(`password authentication failed for user "app1" (s3cret)`, "postgres://app1:s3cret@db/shop"); got != `password authentication failed for user "***" (***)` {
		t.Errorf("scrub: %q", got)
	}
	for in, want := range map[string]string{"orders": "public.orders", "sales.refunds": "sales.refunds", " _t ": "public._t", "Orders": "", "a.b.c": "", "x;drop": ""} {
		got, ok := QualifyTable(in)
		if got != want || ok != (want != "") {
			t.Errorf("QualifyTable(%q) = %q, %v", in, got, ok)
		}
	}
	if Collection("public.orders") != "orders" || Collection("sales.refunds") != "sales.refunds" {
		t.Error("Collection")
	}
	if SlotName("src_01ABC") != "hookline_src_01abc" {
		t.Error("SlotName")
	}
}
