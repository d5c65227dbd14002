package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// FuzzCursor: a cursor from outside either decodes to a valid position or is refused;
// every cursor we hand out decodes to the position it was made from.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(domain.DayOf(time.Now()), uuid.New()))
	for _, seed := range []string{"", "x", "MjAyNi0xMS0yNHw", "fHw", "%%%"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		d, id, err := decodeCursor(cursor)
		if err != nil && cursor != "" { // "" is the first page
			if _, _, _, qerr := (&Store{}).CasesQuery(context.Background(), domain.Scope{}, domain.CaseFilter{Cursor: cursor}); domain.ErrorCode(qerr) != domain.ErrInvalid {
				t.Fatalf("bad cursor %q not refused as invalid: %v", cursor, qerr)
			}
			return
		}
		if err != nil {
			return
		}
		d2, id2, err := decodeCursor(encodeCursor(d, id))
		if err != nil || d2 != d || id2 != id {
			t.Fatalf("cursor %q does not round-trip", cursor)
		}
	})
}

// FuzzDate: "YYYY-MM-DD" parsing never panics and round-trips what it accepts.
func FuzzDate(f *testing.F) {
	for _, seed := range []string{"2026-11-24", "2026-02-30", "24.11.2026", "", "9999-12-31", "0000-01-01"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var d domain.Date
		if err := d.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil {
			return
		}
		b, _ := d.MarshalJSON()
		var back domain.Date
		if err := back.UnmarshalJSON(b); err != nil || back != d {
			t.Fatalf("%q does not round-trip: %s", s, b)
		}
	})
}
