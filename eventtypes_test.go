package hookline

import (
	"strconv"
	"testing"
)

func TestCheckEventTypeID(t *testing.T) {
	for id, ok := range map[string]bool{
		"30501": true, "30599": true, "70201": true, "70399": true,
		"30500": false, "30100": false, "3055": false, "305551": false, "30a55": false, "": false, "70401": false,
	} {
		if got := CheckEventTypeID(id) == ""; got != ok {
			t.Errorf("%q: valid=%v, want %v (%s)", id, got, ok, CheckEventTypeID(id))
		}
	}
}

func FuzzCheckEventTypeID(f *testing.F) {
	for _, s := range []string{"30552", "70300", "x", "", "999999", "7020１"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		valid := CheckEventTypeID(id) == ""
		n, err := strconv.Atoi(id)
		want := err == nil && len(id) == 5 && id[0] != '+' && id[0] != '-' &&
			(n/100 == 305 || n/100 == 702 || n/100 == 703) && n%100 != 0
		if valid != want {
			t.Fatalf("%q: valid=%v, want %v", id, valid, want)
		}
	})
}
