package store

import (
	"testing"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// FuzzKeyset: whatever a cursor holds, what decodeKeyset takes is printable ASCII only
// — no NUL, no invalid UTF-8 ever reaches a query as text — and every keyset handed
// out of printable parts decodes to them.
func FuzzKeyset(f *testing.F) {
	for _, s := range []string{encodeKeyset("2026-01-01", "x"), encodeKeyset("a\x00b", "c"), encodeKeyset("\xff", "x"),
		encodeKeyset("1"), "", "%%%", "AA", "fHw"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, cursor string, n int) {
		if n < 1 || n > 4 {
			return
		}
		parts, err := decodeKeyset(cursor, n)
		if err != nil {
			return
		}
		if len(parts) != n {
			t.Fatalf("%q: %d parts, want %d", cursor, len(parts), n)
		}
		for _, p := range parts {
			for i := 0; i < len(p); i++ {
				if p[i] < 0x20 || p[i] > 0x7e {
					t.Fatalf("%q: part %q holds %#x", cursor, p, p[i])
				}
			}
		}
		back, err := decodeKeyset(encodeKeyset(parts...), n)
		if err != nil || len(back) != n {
			t.Fatalf("%q does not round-trip: %v", cursor, err)
		}
	})
}

// FuzzTimelineCursor: a timeline cursor is taken only with a time in the years a date
// may have (PostgreSQL refuses year 0) and printable parts; every cursor handed out
// decodes to what it was made of.
func FuzzTimelineCursor(f *testing.F) {
	f.Add(encodeTimelineCursor(time.Date(2026, 11, 24, 10, 0, 0, 5, time.UTC), "note", "5b6f0d0e-0000-4000-8000-000000000000"))
	for _, s := range []string{encodeKeyset("0000-01-01T00:00:00Z", "note", "x"), encodeKeyset("2026-01-01T00:00:00Z", "note", "x\x00"),
		encodeKeyset("2026-01-01T00:00:00Z", "n\xff", "x"), encodeKeyset("9999-12-31T23:59:59Z", "note", "x"), "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		at, kind, id, err := decodeTimelineCursor(cursor)
		if err != nil {
			return
		}
		if y := at.UTC().Year(); y < domain.FirstYear || y > domain.LastYear {
			t.Fatalf("%q taken with %v", cursor, at)
		}
		at2, kind2, id2, err := decodeTimelineCursor(encodeTimelineCursor(at, kind, id))
		if err != nil || !at2.Equal(at) || kind2 != kind || id2 != id {
			t.Fatalf("%q does not round-trip: %v", cursor, err)
		}
	})
}
