package store

import (
	"context"
	"fmt"
	"regexp"
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
//     0.5; "Fatih" not Fatma: 0.5). The operator reads the threshold from the session
//     (pg_trgm.word_similarity_threshold), so another one would have to be set on every
//     connection; the folding brings the spellings together instead;
//   - or its skeleton (first letter and consonants) is word-similar to a skeleton of the
//     founder's names, when it has three letters or more (Fatima → ftm finds Fatma;
//     shorter skeletons like Lina's "ln" would find many unrelated names).
//
// The words are folded by the database in a statement of their own (fold) and reach
// the search as constants: folding inside the search would run the folding functions
// once per mention while planning (about 0.15 ms each, 30–160 ms per list), and
// constants let the planner drop what does not apply and use the trigram statistics.

// wordMatches is the match of a folded word ($W) with its skeleton ($S, empty when too
// short); an empty word matches everyone. `text %> word` is `word <% text` written the
// way the index condition is, so PostgreSQL does not check it a second time after the
// index's own recheck.
const wordMatches = `($W = '' OR f.search_text %> $W OR ($S <> '' AND f.search_skeleton %> $S))`

// nameMatches is wordMatches for a name that may not be empty.
const nameMatches = `($W <> '' AND (f.search_text %> $W OR ($S <> '' AND f.search_skeleton %> $S)))`

// params puts parameters w and s into one of the fragments above.
func params(fragment string, w, s int) string {
	return strings.NewReplacer("$W", fmt.Sprintf("$%d", w), "$S", fmt.Sprintf("$%d", s)).Replace(fragment)
}

// folded is a text as the search columns hold it.
type folded struct {
	Text     string // lotse_fold
	Skeleton string // lotse_skeleton, "" when shorter than three letters
	Phone    string // lotse_phone
}

const foldTexts = `
SELECT lotse_fold(t.x), lotse_skeleton(t.x), lotse_phone(t.x)
FROM unnest($1::text[]) WITH ORDINALITY AS t(x, n) ORDER BY t.n`

// fold folds texts the way the database folds founders' names.
func (s *Store) fold(ctx context.Context, texts ...string) ([]folded, error) {
	rows, err := s.DB.QueryContext(ctx, foldTexts, pq.Array(texts))
	if err != nil {
		return nil, fmt.Errorf("fold search: %w", err)
	}
	defer rows.Close()
	out := make([]folded, 0, len(texts))
	for rows.Next() {
		var f folded
		if err := rows.Scan(&f.Text, &f.Skeleton, &f.Phone); err != nil {
			return nil, fmt.Errorf("fold search: %w", err)
		}
		if len(f.Skeleton) < 3 { // folded text is ASCII
			f.Skeleton = ""
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// searchWords is how many words of a search must each match (searchMatches); further
// words count only in the search as a whole.
const searchWords = 4

var (
	phoneLike    = regexp.MustCompile(`^[-+0-9 ()/.]+$`)
	postcodeLike = regexp.MustCompile(`^[0-9A-Za-z-]{3,10}$`)
)

// caseSearch are the parameters of a case list's search (searchMatches), in order.
type caseSearch struct {
	part     string // the folded words as a part of the founder's ("" under 3 letters)
	joined   string // a search of several words folded as one word
	words    [searchWords]string
	skeleton [searchWords]string
	email    string
	phone    string
	postcode string
}

func (c caseSearch) args() []any {
	out := []any{c.part, c.joined}
	for _, w := range c.words {
		out = append(out, w)
	}
	for _, s := range c.skeleton {
		out = append(out, s)
	}
	return append(out, c.email, c.phone, c.postcode)
}

// searchFor folds the search q (trimmed, not empty) into its parameters.
func (s *Store) searchFor(ctx context.Context, q string) (caseSearch, error) {
	var c caseSearch
	fs, err := s.fold(ctx, append([]string{q}, strings.Fields(q)...)...)
	if err != nil {
		return c, err
	}
	var words []folded
	for _, w := range fs[1:] {
		if w.Text != "" { // punctuation alone
			words = append(words, w)
		}
	}
	var texts []string
	for i, w := range words {
		texts = append(texts, w.Text)
		if i < searchWords {
			c.words[i], c.skeleton[i] = w.Text, w.Skeleton
		}
	}
	if part := strings.Join(texts, " "); len(part) >= 3 {
		c.part = part
	}
	if len(words) > 1 {
		c.joined = fs[0].Text
	}
	if strings.Contains(q, "@") {
		c.email = q
	}
	if phoneLike.MatchString(q) && len(fs[0].Phone) >= 6 {
		c.phone = fs[0].Phone
	}
	if postcodeLike.MatchString(q) && strings.ContainsAny(q, "0123456789") {
		c.postcode = q
	}
	return c, nil
}

// selectSimilarFounders: candidates come from the indexes (name words, e-mail, phone,
// and a given name only together with birth year and postcode), each kept when it is
// in the caller's case:read scope ($2: the whole carrier; else cases that $3 leads or
// co-advises) and its matching fields make it likely the same person; ranked by how
// strong the matching fields are, then names written exactly alike, then how close the
// names are.
// $1 carrier, $2 whole carrier, $3 user, $4/$5 given name folded and its skeleton,
// $6/$7 family name folded and its skeleton, $8 e-mail, $9 phone digits, $10 birth year,
// $11 postcode, $12 given name, $13 family name.
var selectSimilarFounders = `
SELECT m.id, m.name, m.birth_year, m.postcode, m.city, m.em, m.ph, m.fam, m.giv, m.yr, m.pc,
       (SELECT count(*) FROM cases c WHERE c.founder_id = m.id AND c.carrier_id = $1) AS case_count,
       ARRAY(SELECT c.id FROM cases c WHERE c.founder_id = m.id AND c.carrier_id = $1 AND ` + readableCase + `
             ORDER BY c.opened_on DESC, c.id DESC) AS case_ids
FROM (
    SELECT f.id, f.given_name || ' ' || f.family_name AS name, f.birth_year, f.postcode, f.city,
           coalesce(lower(f.email) = lower($8), false) AS em,
           coalesce(lotse_phone(f.phone) = $9, false) AS ph,
           ` + params(nameMatches, 6, 7) + ` AS fam,
           ` + params(nameMatches, 4, 5) + ` AS giv,
           coalesce(f.birth_year = $10, false) AS yr,
           coalesce(f.postcode = $11, false) AS pc,
           lower(f.given_name) = lower($12) AND lower(f.family_name) = lower($13) AS exact,
           word_similarity($4, f.search_text) + word_similarity($6, f.search_text) AS sim
    FROM founders f
    WHERE f.carrier_id = $1
      AND (` + params(nameMatches, 6, 7) + `
           OR ($8 <> '' AND lower(f.email) = lower($8))
           OR ($9 <> '' AND lotse_phone(f.phone) = $9)
           OR (f.postcode = $11 AND f.birth_year = $10 AND ` + params(nameMatches, 4, 5) + `))
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

// SimilarFounders finds the founders of carrier who may be the person about to be
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
	fs, err := s.fold(ctx, in.GivenName, in.FamilyName, str(in.Phone))
	if err != nil {
		return nil, err
	}
	phone := fs[2].Phone
	if len(phone) < 6 {
		phone = ""
	}
	whole := scope.All || slices.Contains(scope.Carriers, carrierID)
	rows, err := s.DB.QueryContext(ctx, selectSimilarFounders, carrierID, whole, scope.User,
		fs[0].Text, fs[0].Skeleton, fs[1].Text, fs[1].Skeleton, str(in.Email), phone, in.BirthYear,
		str(in.Postcode), in.GivenName, in.FamilyName)
	if err != nil {
		return nil, fmt.Errorf("similar founders in carrier %s: %w", carrierID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var m domain.FounderMatch
		var em, ph, fam, giv, yr, pc bool
		var ids []string
		if err := rows.Scan(&m.FounderID, &m.Name, &m.BirthYear, &m.Postcode, &m.City, &em, &ph, &fam, &giv,
			&yr, &pc, &m.CaseCount, pq.Array(&ids)); err != nil {
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
			{yr, domain.MatchBirthYear}, {pc, domain.MatchPostcode}} {
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
