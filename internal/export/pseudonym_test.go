package export

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/google/uuid"
)

func TestPseudonyms(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	id := uuid.MustParse("3b241101-e2bb-4255-8caf-4136c566a962")
	cases := newPseudonymiser(key, CasePrefix, casePurpose)
	advisors := newPseudonymiser(key, AdvisorPrefix, advisorPurpose)

	t.Run("unchanged scheme", func(t *testing.T) {
		// Carriers keep these numbers in their records: a change of the scheme renames
		// every case. Python computes the same: hmac.new(key, purpose + id.bytes, sha256),
		// the first 50 bits in Crockford base32.
		if got := cases.of(id); got != "F-6R2MMHSK0F" {
			t.Errorf("case %q", got)
		}
		if got := advisors.of(id); got != "B-GQFSK7N76Q" {
			t.Errorf("advisor %q", got)
		}
	})
	t.Run("form", func(t *testing.T) {
		re := regexp.MustCompile(`^[FB]-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{10}$`)
		for range 1000 {
			id := uuid.New()
			if c := cases.code(id).(string); !re.MatchString(c) {
				t.Fatalf("case code %q", c)
			}
			if c := advisors.code(id).(string); !re.MatchString(c) {
				t.Fatalf("advisor code %q", c)
			}
		}
	})
	t.Run("cached codes are the computed ones", func(t *testing.T) {
		if cases.code(id) != cases.code(id) || cases.code(id).(string) != cases.of(id) {
			t.Error("cache differs")
		}
	})
	t.Run("another key, other codes", func(t *testing.T) {
		other := newPseudonymiser(bytes.Repeat([]byte{2}, 32), CasePrefix, casePurpose)
		if other.of(id) == cases.of(id) {
			t.Error("same code under another key")
		}
	})
	t.Run("the cache is bounded", func(t *testing.T) {
		p := newPseudonymiser(key, CasePrefix, casePurpose)
		for range maxCachedPseudonyms + 10 {
			p.code(uuid.New())
		}
		if len(p.cache) > maxCachedPseudonyms {
			t.Errorf("%d cached", len(p.cache))
		}
	})
}
