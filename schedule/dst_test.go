package schedule

import (
	"testing"
	"time"
)

// DST cases as data. Expected values follow the ISC cron rule (a skipped slot
// fires once at the first valid instant after it; a repeated one fires once, at
// its first occurrence) and were cross-checked with an independent brute-force
// oracle on Python's zoneinfo.
var dstCases = []struct {
	name     string
	zone     string
	cron     string
	weekdays []string
	times    []string
	after    string
	want     []string
}{
	// Europe/Berlin: last Sunday of March 02:00 -> 03:00, last Sunday of October 03:00 -> 02:00.
	{"berlin spring skipped 02:30", "Europe/Berlin", "30 2 * * *", nil, nil, "2018-03-24T12:00:00Z",
		[]string{"2018-03-25T03:00:00+02:00", "2018-03-26T02:30:00+02:00"}},
	{"berlin fall repeated 02:30", "Europe/Berlin", "30 2 * * *", nil, nil, "2018-10-27T12:00:00Z",
		[]string{"2018-10-28T02:30:00+02:00", "2018-10-29T02:30:00+01:00"}},
	{"berlin hourly over fall back", "Europe/Berlin", "0 * * * *", nil, nil, "2018-10-27T23:30:00Z",
		[]string{"2018-10-28T02:00:00+02:00", "2018-10-28T03:00:00+01:00", "2018-10-28T04:00:00+01:00"}},
	{"berlin hourly after first 02:30", "Europe/Berlin", "@hourly", nil, nil, "2018-10-28T00:30:00Z",
		[]string{"2018-10-28T03:00:00+01:00", "2018-10-28T04:00:00+01:00"}},
	{"berlin hourly inside second 02:xx", "Europe/Berlin", "0 * * * *", nil, nil, "2018-10-28T01:30:00Z",
		[]string{"2018-10-28T03:00:00+01:00", "2018-10-28T04:00:00+01:00"}},
	{"berlin two skipped slots fire once", "Europe/Berlin", "*/30 2 * * *", nil, nil, "2021-03-27T12:00:00Z",
		[]string{"2021-03-28T03:00:00+02:00", "2021-03-29T02:00:00+02:00"}},
	{"berlin skipped slots merge with 03:00", "Europe/Berlin", "0,30 2,3 * * *", nil, nil, "2021-03-27T12:00:00Z",
		[]string{"2021-03-28T03:00:00+02:00", "2021-03-28T03:30:00+02:00", "2021-03-29T02:00:00+02:00"}},
	{"berlin 2035 monday", "Europe/Berlin", "0 9 * * MON", nil, nil, "2035-03-20T00:00:00Z",
		[]string{"2035-03-26T09:00:00+02:00", "2035-04-02T09:00:00+02:00"}},
	{"berlin 2035 sunday 02:30 skipped", "Europe/Berlin", "30 2 * * 0", nil, nil, "2035-03-20T00:00:00Z",
		[]string{"2035-03-25T03:00:00+02:00", "2035-04-01T02:30:00+02:00"}},
	// America/New_York: second Sunday of March 02:00 -> 03:00, first Sunday of November 02:00 -> 01:00.
	{"new york fall repeated 01:30", "America/New_York", "30 1 * * *", nil, nil, "2024-11-02T12:00:00Z",
		[]string{"2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"}},
	{"new york fall steps fire once", "America/New_York", "*/20 1 * * *", nil, nil, "2024-11-03T04:00:00Z",
		[]string{"2024-11-03T01:00:00-04:00", "2024-11-03T01:20:00-04:00", "2024-11-03T01:40:00-04:00", "2024-11-04T01:00:00-05:00"}},
	{"new york spring skipped 02:30", "America/New_York", "30 2 * * *", nil, nil, "2024-03-09T12:00:00Z",
		[]string{"2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"}},
	{"new york 2033 skipped 02:00", "America/New_York", "0 2 * * *", nil, nil, "2033-03-12T12:00:00Z",
		[]string{"2033-03-13T03:00:00-04:00", "2033-03-14T02:00:00-04:00"}},
	{"new york card spring", "America/New_York", "", []string{"sun"}, []string{"02:30", "03:00"}, "2024-03-09T00:00:00Z",
		[]string{"2024-03-10T03:00:00-04:00", "2024-03-17T02:30:00-04:00", "2024-03-17T03:00:00-04:00"}},
	{"new york card fall", "America/New_York", "", []string{"Sunday"}, []string{"01:30"}, "2024-11-02T12:00:00Z",
		[]string{"2024-11-03T01:30:00-04:00", "2024-11-10T01:30:00-05:00"}},
	// America/Sao_Paulo 2018/19: DST began at midnight (00:00 -> 01:00) and ended 00:00 -> 23:00.
	{"sao paulo midnight gap", "America/Sao_Paulo", "@daily", nil, nil, "2018-11-03T12:00:00Z",
		[]string{"2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00"}},
	{"sao paulo 00:30 in gap", "America/Sao_Paulo", "30 0 * * *", nil, nil, "2018-11-03T12:00:00Z",
		[]string{"2018-11-04T01:00:00-02:00", "2018-11-05T00:30:00-02:00"}},
	{"sao paulo repeated 23:30", "America/Sao_Paulo", "30 23 * * *", nil, nil, "2019-02-16T12:00:00Z",
		[]string{"2019-02-16T23:30:00-02:00", "2019-02-17T23:30:00-03:00"}},
	{"sao paulo no DST since 2019", "America/Sao_Paulo", "0 0 * * *", nil, nil, "2019-11-02T12:00:00Z",
		[]string{"2019-11-03T00:00:00-03:00", "2019-11-04T00:00:00-03:00"}},
	{"sao paulo card midnight gap", "America/Sao_Paulo", "", []string{"sun", "mon"}, []string{"00:00"}, "2018-11-03T12:00:00Z",
		[]string{"2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00"}},
	// Australia/Lord_Howe: 30-minute shifts at 02:00.
	{"lord howe skipped 02:15", "Australia/Lord_Howe", "15 2 * * *", nil, nil, "2018-10-06T00:00:00Z",
		[]string{"2018-10-07T02:30:00+11:00", "2018-10-08T02:15:00+11:00"}},
	{"lord howe repeated 01:45", "Australia/Lord_Howe", "45 1 * * *", nil, nil, "2019-04-06T00:00:00Z",
		[]string{"2019-04-07T01:45:00+11:00", "2019-04-08T01:45:00+10:30"}},
	{"lord howe repeated half hour", "Australia/Lord_Howe", "*/15 1,2 * * *", nil, nil, "2019-04-06T14:00:00Z",
		[]string{"2019-04-07T01:15:00+11:00", "2019-04-07T01:30:00+11:00", "2019-04-07T01:45:00+11:00",
			"2019-04-07T02:00:00+10:30", "2019-04-07T02:15:00+10:30", "2019-04-07T02:30:00+10:30"}},
	// Asia/Kolkata: no DST, +05:30.
	{"kolkata daily", "Asia/Kolkata", "0 9 * * *", nil, nil, "2030-06-01T00:00:00Z",
		[]string{"2030-06-01T09:00:00+05:30", "2030-06-02T09:00:00+05:30"}},
	{"kolkata hourly on the half UTC hour", "Asia/Kolkata", "0 * * * *", nil, nil, "2030-06-01T00:00:00Z",
		[]string{"2030-06-01T06:00:00+05:30", "2030-06-01T07:00:00+05:30"}},
	{"kolkata 02:30 exists", "Asia/Kolkata", "30 2 * * *", nil, nil, "2018-03-24T12:00:00Z",
		[]string{"2018-03-25T02:30:00+05:30", "2018-03-26T02:30:00+05:30"}},
	// Southern hemisphere.
	{"auckland spring", "Pacific/Auckland", "30 2 * * *", nil, nil, "2025-09-27T00:00:00Z",
		[]string{"2025-09-28T03:00:00+13:00", "2025-09-29T02:30:00+13:00"}},
	{"auckland fall", "Pacific/Auckland", "30 2 * * *", nil, nil, "2025-04-05T00:00:00Z",
		[]string{"2025-04-06T02:30:00+13:00", "2025-04-07T02:30:00+12:00"}},
	{"sydney spring", "Australia/Sydney", "30 2 * * *", nil, nil, "2029-10-06T00:00:00Z",
		[]string{"2029-10-07T03:00:00+11:00", "2029-10-08T02:30:00+11:00"}},
	{"sydney fall", "Australia/Sydney", "30 2 * * *", nil, nil, "2029-03-31T00:00:00Z",
		[]string{"2029-04-01T02:30:00+11:00", "2029-04-02T02:30:00+10:00"}},
	{"sydney fall 03:00", "Australia/Sydney", "0 3 * * *", nil, nil, "2029-03-31T00:00:00Z",
		[]string{"2029-04-01T03:00:00+10:00", "2029-04-02T03:00:00+10:00"}},
	// America/Santiago and Asia/Tehran: changes at midnight.
	{"santiago 2018 midnight gap", "America/Santiago", "0 0 * * *", nil, nil, "2018-08-11T12:00:00Z",
		[]string{"2018-08-12T01:00:00-03:00", "2018-08-13T00:00:00-03:00"}},
	{"santiago 2023 midnight gap", "America/Santiago", "@midnight", nil, nil, "2023-09-02T12:00:00Z",
		[]string{"2023-09-03T01:00:00-03:00", "2023-09-04T00:00:00-03:00"}},
	{"santiago repeated 23:30", "America/Santiago", "30 23 * * *", nil, nil, "2023-04-01T12:00:00Z",
		[]string{"2023-04-01T23:30:00-03:00", "2023-04-02T23:30:00-04:00"}},
	{"tehran midnight gap", "Asia/Tehran", "0 0 * * *", nil, nil, "2020-03-20T12:00:00Z",
		[]string{"2020-03-21T01:00:00+04:30", "2020-03-22T00:00:00+04:30"}},
	{"tehran repeated 23:30", "Asia/Tehran", "30 23 * * *", nil, nil, "2020-09-20T12:00:00Z",
		[]string{"2020-09-20T23:30:00+04:30", "2020-09-21T23:30:00+03:30"}},
}

func TestDST(t *testing.T) {
	for _, tc := range dstCases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(Input{Cron: tc.cron, Weekdays: tc.weekdays, Times: tc.times, Timezone: tc.zone})
			if err != nil {
				t.Fatal(err)
			}
			after := mustTime(t, tc.after)
			got := s.NextN(after, len(tc.want))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d slots %v, want %v", len(got), got, tc.want)
			}
			for i, g := range got {
				if g.Format(time.RFC3339) != tc.want[i] {
					t.Errorf("slot %d = %s, want %s", i, g.Format(time.RFC3339), tc.want[i])
				}
			}
		})
	}
}

func mustTime(t testing.TB, v string) time.Time {
	t.Helper()
	tt, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatal(err)
	}
	return tt
}
