package store

import (
	"strconv"
	"testing"
)

// FuzzAuditCursor: a cursor from outside either names an event id (at least 1) or is
// refused; every cursor handed out decodes to the id it was made from.
func FuzzAuditCursor(f *testing.F) {
	for _, seed := range []string{encodeKeyset("42"), "", "x", "MA", "LTE", "%%%", encodeKeyset("1|2")} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		id, err := decodeAuditCursor(cursor)
		if err != nil {
			return
		}
		if id < 1 {
			t.Fatalf("cursor %q names the id %d", cursor, id)
		}
		back, err := decodeAuditCursor(encodeKeyset(strconv.FormatInt(id, 10)))
		if err != nil || back != id {
			t.Fatalf("cursor %q does not round-trip", cursor)
		}
	})
}
