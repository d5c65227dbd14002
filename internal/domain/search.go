package domain

import (
	"strings"

	"github.com/google/uuid"
)

// FounderCandidate is what an intake knows of a founder so far, to look for the same
// person among the carrier's founders (store.SimilarFounders). Every field is optional;
// a candidate without family name, e-mail and phone finds nobody.
type FounderCandidate struct {
	GivenName  string  `json:"given_name" validate:"max=100"`
	FamilyName string  `json:"family_name" validate:"max=100"`
	BirthYear  *int    `json:"birth_year" validate:"omitempty,gte=1900,lte=2100"`
	Email      *string `json:"email" validate:"omitempty,max=254"`
	Phone      *string `json:"phone" validate:"omitempty,max=50"`
	Postcode   *string `json:"postcode" validate:"omitempty,max=10"`
}

// Candidate is the part of an intake's founder data that SimilarFounders compares.
func (f FounderData) Candidate() FounderCandidate {
	return FounderCandidate{GivenName: f.GivenName, FamilyName: f.FamilyName, BirthYear: f.BirthYear,
		Email: f.Email, Phone: f.Phone, Postcode: f.Postcode}
}

// Normalise trims the names and contact data; blank optional fields become none.
func (c *FounderCandidate) Normalise() {
	c.GivenName = strings.TrimSpace(c.GivenName)
	c.FamilyName = strings.TrimSpace(c.FamilyName)
	for _, s := range []**string{&c.Email, &c.Phone, &c.Postcode} {
		*s = trimOpt(*s)
	}
}

// The fields of a FounderMatch.Matched, strongest first.
const (
	MatchEmail      = "email"       // the same e-mail address, case aside
	MatchPhone      = "phone"       // the same telephone number, as digits (+49 = 0)
	MatchName       = "name"        // given and family name alike (folded, transliterated)
	MatchFamilyName = "family_name" // only the family name alike
	MatchGivenName  = "given_name"  // only the given name alike
	MatchBirthYear  = "birth_year"  // the same birth year
	MatchPostcode   = "postcode"    // the same postcode
)

// FounderMatch is a founder of the carrier who may be the candidate: who, and why.
type FounderMatch struct {
	FounderID uuid.UUID `json:"founder_id"`
	Name      string    `json:"name"`
	BirthYear *int      `json:"birth_year"`
	Postcode  *string   `json:"postcode"`
	City      *string   `json:"city"`
	// CaseCount counts all the founder's cases in the carrier; CaseIDs are those the
	// caller may open, newest first.
	CaseCount int         `json:"case_count"`
	CaseIDs   []uuid.UUID `json:"case_ids"`
	// Matched lists the fields that agree, as Match* codes in the order above.
	Matched []string `json:"matched"`
}
