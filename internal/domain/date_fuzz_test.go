package domain

import (
	"errors"
	"testing"
	"time"
)

// FuzzParseDate: ParseDate never panics; a day it takes lies in FirstYear–LastYear and
// is written back as it was read; a well-formed day outside is ErrDateRange, reported
// as validation.date_range.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-24", "1900-01-01", "2100-12-31", "1899-12-31", "2101-01-01", "0000-01-01",
		"9999-12-31", "10000-01-01", "-001-01-01", "2026-02-30", "24.11.2026", "", "2026-1-1", "2026-01-01\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if t0, perr := time.Parse(DateLayout, s); perr == nil && (t0.Year() < FirstYear || t0.Year() > LastYear) {
				if !errors.Is(err, ErrDateRange) || DateProblem(err) != "validation.date_range" {
					t.Fatalf("%q: %v, want ErrDateRange", s, err)
				}
			} else if DateProblem(err) != "validation.format" {
				t.Fatalf("%q: %v reported as %s", s, err, DateProblem(err))
			}
			return
		}
		if d.Year() < FirstYear || d.Year() > LastYear {
			t.Fatalf("%q taken as %v", s, d)
		}
		if d.String() != s {
			t.Fatalf("%q written back as %q", s, d.String())
		}
		var back Date
		if err := back.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil || back != d {
			t.Fatalf("%q: JSON gives %v, %v", s, back, err)
		}
	})
}
