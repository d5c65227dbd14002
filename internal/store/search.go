package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Founders are found by folded words (migrations/00008_search.sql: lotse_fold,
// lotse_skeleton, and the stored columns search_text and search_skeleton with their
// trigram indexes). A word matches a founder when
//   - its folding is word-similar to one of the founder's folded words (given name,
//     family name, city): pg_trgm's `<%`, at pg_trgm's default threshold 0.6. At 0.6 a
//     prefix of two letters or more matches ("Öz" finds Öztürk) and spellings that fold
//     alike match fully, while a shared syllable does not ("ali" does not find Kayali:
//     0.5). The operator reads the threshold from the session (pg_trgm.
//     word_similarity_threshold), so a lower one would have to be set on every
//     connection; the folding brings the spellings together instead;
//   - or its skeleton (first letter and consonants) is word-similar to a skeleton of the
//     founder's names, when it has three letters or more (Fatima → ftm finds Fatma;
//     shorter skeletons like Lina's "ln" would find half the carrier).
// The literal parameters are folded once when the statement is planned (the functions
// are IMMUTABLE), so every condition below is an index condition on a constant.

// wordMatches is the match of one word ($W, replaced by its parameter) of a search or
// name; a word that folds to nothing (punctuation) matches everyone.
const wordMatches = `(lotse_fold($W) = ''
      OR lotse_fold($W) <% f.search_text
      OR (length(lotse_skeleton($W)) >= 3 AND lotse_skeleton($W) <% f.search_skeleton))`

// nameMatches is wordMatches for a name that may not be blank.
const nameMatches = `(lotse_fold($W) <> '' AND (lotse_fold($W) <% f.search_text
      OR (length(lotse_skeleton($W)) >= 3 AND lotse_skeleton($W) <% f.search_skeleton)))`

// phoneMatches: the same telephone number as digits, for numbers of six digits or more.
const phoneMatches = `(length(lotse_phone($W)) >= 6 AND lotse_phone(f.phone) = lotse_phone($W))`

// param puts a parameter into one of the fragments above.
func param(fragment string, n int) string {
	return strings.ReplaceAll(fragment, "$W", fmt.Sprintf("$%d", n))
}

// selectSimilarFounders: candidates come from the indexes (name words, e-mail, phone,
// and a given name only together with birth year and postcode), each kept when it is
// in the caller's case:read scope ($2: the whole carrier; else cases that $3 leads or
// co-advises) and its matching fields make it likely the same person; ranked by how
// strong the matching fields are, then names written exactly alike, then how close the
// names are.
// $1 carrier, $2 whole carrier, $3 user, $4 given name, $5 family name, $6 e-mail,
// $7 phone, $8 birth year, $9 postcode.
var selectSimilarFounders = `
SELECT m.id, m.name, m.birth_year, m.postcode, m.city, m.em, m.ph, m.fam, m.giv, m.yr, m.pc,
       (SELECT count(*) FROM cases c WHERE c.founder_id = m.id AND c.carrier_id = $1) AS case_count,
       ARRAY(SELECT c.id FROM cases c WHERE c.founder_id = m.id AND c.carrier_id = $1 AND ` + readableCase + `
             ORDER BY c.opened_on DESC, c.id DESC) AS case_ids
FROM (
    SELECT f.id, f.given_name || ' ' || f.family_name AS name, f.birth_year, f.postcode, f.city,
           coalesce(lower(f.email) = lower($6), false) AS em,
           coalesce(` + param(phoneMatches, 7) + `, false) AS ph,
           ` + param(nameMatches, 5) + ` AS fam,
           ` + param(nameMatches, 4) + ` AS giv,
           coalesce(f.birth_year = $8, false) AS yr,
           coalesce(f.postcode = $9, false) AS pc,
           lower(f.given_name) = lower($4) AND lower(f.family_name) = lower($5) AS exact,
           word_similarity(lotse_fold($4), f.search_text) + word_similarity(lotse_fold($5), f.search_text) AS sim
    FROM founders f
    WHERE f.carrier_id = $1
      AND (` + param(nameMatches, 5) + `
           OR lower(f.email) = lower($6)
           OR ` + param(phoneMatches, 7) + `
           OR (f.postcode = $9 AND f.birth_year = $8 AND ` + param(nameMatches, 4) + `))
      AND EXISTS (SELECT 1 FROM cases c WHERE c.founder_id = f.id AND c.carrier_id = $1 AND ` + readableCase + `)
) m
WHERE m.em OR m.ph OR (m.fam AND m.giv) OR (m.fam AND (m.yr OR m.pc)) OR (m.giv AND m.yr AND m.pc)
ORDER BY (CASE WHEN m.em THEN 8 ELSE 0 END + CASE WHEN m.ph THEN 8 ELSE 0 END
          + CASE WHEN m.fam AND m.giv THEN 6 WHEN m.fam THEN 3 WHEN m.giv THEN 1 ELSE 0 END
          + CASE WHEN m.yr THEN 2 ELSE 0 END + CASE WHEN m.pc THEN 1 ELSE 0 END) DESC,
         m.exact DESC, m.sim DESC, m.id
LIMIT 5`

// readableCase: case c is in the caller's case:read scope within the carrier: the whole
// carrier ($2), or a case user $3 leads or co-advises.
const readableCase = `($2 OR c.lead_advisor_id = $3
     OR EXISTS (SELECT 1 FROM case_co_advisors a WHERE a.case_id = c.id AND a.user_id = $3))`

// SimilarFounders finds the founders of carrier who may be the person in about to be
// taken in, for the intake's duplicate warning: at most five, the likeliest first.
//
// Looked at are only founders with a case actor may read (case:read scope: a
// coordinator the whole carrier, an advisor the cases they lead or co-advise), and only
// in carrier. A founder counts as likely the same person with the same e-mail or phone,
// with a similar given and family name (accents, umlaut spellings, transliteration and
// name order aside: "Jusuf Al-Sayed" finds "Yusuf Alsayed"), or with a similar family
// name and the same birth year or postcode, or a similar given name and the same birth
// year and postcode. Each match says which fields agree (domain.Match*), how many cases
// the founder has in the carrier, and which of them actor may open, newest first.
//
// Nothing is audited: the answer is what the case list shows too. ErrInvalid for an
// over-long input; ErrNotFound (a denial) when carrier lies outside actor's scope.
func (s *Store) SimilarFounders(ctx context.Context, actor domain.Actor, carrierID uuid.UUID, in domain.FounderCandidate) ([]domain.FounderMatch, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return nil, err
	}
	scope := s.Scope(actor, domain.ActCaseRead)
	if !scope.InCarrier(carrierID) {
		return nil, domain.Denied(domain.ActCaseRead, "carrier", carrierID)
	}
	out := []domain.FounderMatch{}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if in.FamilyName == "" && in.Email == nil && in.Phone == nil {
		return out, nil
	}
	whole := scope.All || slices.Contains(scope.Carriers, carrierID)
	rows, err := s.DB.QueryContext(ctx, selectSimilarFounders, carrierID, whole, scope.User,
		in.GivenName, in.FamilyName, str(in.Email), str(in.Phone), in.BirthYear, str(in.Postcode))
	if err != nil {
		return nil, fmt.Errorf("similar founders in carrier %s: %w", carrierID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m domain.FounderMatch
		var em, ph, fam, giv, by, pc bool
		var ids []string
		if err := rows.Scan(&m.FounderID, &m.Name, &m.BirthYear, &m.Postcode, &m.City, &em, &ph, &fam, &giv,
			&by, &pc, &m.CaseCount, pq.Array(&ids)); err != nil {
			return nil, fmt.Errorf("similar founders in carrier %s: %w", carrierID, err)
		}
		for _, id := range ids {
			m.CaseIDs = append(m.CaseIDs, uuid.MustParse(id))
		}
		for _, f := range []struct {
			ok   bool
			code string
		}{{em, domain.MatchEmail}, {ph, domain.MatchPhone}, {fam && giv, domain.MatchName},
			{fam && !giv, domain.MatchFamilyName}, {giv && !fam, domain.MatchGivenName},
			{by, domain.MatchBirthYear}, {pc, domain.MatchPostcode}} {
			if f.ok {
				m.Matched = append(m.Matched, f.code)
			}
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("similar founders in carrier %s: %w", carrierID, err)
	}
	return out, nil
}
