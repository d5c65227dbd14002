package export

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Pseudonyms stand for case and advisor ids in exports: a prefix and ten characters of
// Crockford's base32 (no I, L, O, U: nothing to misread), e.g. "F-7K3Q9M2XAB", taken
// from HMAC-SHA256 of the id under the installation's key (table pseudonym_key). The
// same id gives the same code in every export; without the key the code cannot be
// traced back. Ten characters are 50 bits: that some two of 100,000 cases share a code
// has a probability of about 1 in 225,000, for a million cases 1 in 2,250 (with eight
// characters 1 in 220 and 1 in 3).

// Prefixes of the pseudonyms: F for Fall (case), B for Beratung (advisor).
const (
	CasePrefix    = "F-"
	AdvisorPrefix = "B-"
)

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// pseudonymKeySQL reads the installation's key, made by migration 00004.
const pseudonymKeySQL = `SELECT key FROM pseudonym_key`

// loadPseudonymKey reads the key; q is the export's transaction or the database.
func loadPseudonymKey(ctx context.Context, q sqlx.QueryerContext) ([]byte, error) {
	var key []byte
	if err := sqlx.GetContext(ctx, q, &key, pseudonymKeySQL); err != nil {
		return nil, fmt.Errorf("reading the pseudonym key: %w", err)
	}
	return key, nil
}

// maxCachedPseudonyms bounds a pseudonymiser's cache (about 100 bytes an entry): a
// case has about ten consultations in an export, so most codes are found in it.
const maxCachedPseudonyms = 200_000

// pseudonymiser computes the codes of one kind of id for one export and remembers
// them.
type pseudonymiser struct {
	prefix  string
	purpose []byte // written before the id, so a case and a user with one id differ
	mac     hash.Hash
	sum     []byte
	cache   map[uuid.UUID]Cell
}

func newPseudonymiser(key []byte, prefix, purpose string) *pseudonymiser {
	return &pseudonymiser{prefix: prefix, purpose: []byte(purpose), mac: hmac.New(sha256.New, key),
		cache: make(map[uuid.UUID]Cell)}
}

// code returns the pseudonym of id as a cell.
func (p *pseudonymiser) code(id uuid.UUID) Cell {
	if c, ok := p.cache[id]; ok {
		return c
	}
	c := Cell(p.of(id))
	if len(p.cache) >= maxCachedPseudonyms {
		clear(p.cache)
	}
	p.cache[id] = c
	return c
}

// of computes the pseudonym of id.
func (p *pseudonymiser) of(id uuid.UUID) string {
	p.mac.Reset()
	p.mac.Write(p.purpose)
	p.mac.Write(id[:])
	p.sum = p.mac.Sum(p.sum[:0])
	v := binary.BigEndian.Uint64(p.sum) >> (64 - 50)
	b := make([]byte, len(p.prefix)+10)
	copy(b, p.prefix)
	for i := len(b) - 1; i >= len(p.prefix); i-- {
		b[i] = crockford[v&31]
		v >>= 5
	}
	return string(b)
}

// The HMAC purposes of the two kinds of pseudonym.
const (
	casePurpose    = "lotse export case\x00"
	advisorPurpose = "lotse export advisor\x00"
)

// CaseNumber is the pseudonym of a case in exports (as WriteActivity writes it), for
// a page that shows a case's number or finds a case by it. It returns an error when
// the key cannot be read.
func CaseNumber(ctx context.Context, db sqlx.QueryerContext, caseID uuid.UUID) (string, error) {
	key, err := loadPseudonymKey(ctx, db)
	if err != nil {
		return "", err
	}
	return newPseudonymiser(key, CasePrefix, casePurpose).of(caseID), nil
}

// CaseNumbers are the pseudonyms of several cases, as CaseNumber gives them, with the
// key read once (a page listing many cases).
func CaseNumbers(ctx context.Context, db sqlx.QueryerContext, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	key, err := loadPseudonymKey(ctx, db)
	if err != nil {
		return nil, err
	}
	p := newPseudonymiser(key, CasePrefix, casePurpose)
	for _, id := range ids {
		out[id] = p.of(id)
	}
	return out, nil
}
