package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

const selectCase = `
SELECT c.id, c.carrier_id, c.phase, c.status, c.closing_reason, c.lead_advisor_id,
       coalesce((SELECT array_agg(a.user_id::text ORDER BY a.user_id) FROM case_co_advisors a WHERE a.case_id = c.id), '{}'),
       c.business_idea, c.business_sector, c.business_legal_form, c.business_founded_on,
       c.business_employees, c.opened_on, c.closed_on, c.version, c.created_at, c.updated_at,
       ` + founderColumns + `
FROM cases c JOIN founders f ON f.id = c.founder_id
WHERE c.id = $1`

// ReadCase returns a case with its founder if actor may read it, and audits the read
// (case.read). ErrNotFound for absent cases and cases outside the scope alike.
func (s *Store) ReadCase(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Case, error) {
	c, err := s.caseInScope(ctx, s.DB, actor, domain.ActCaseRead, id)
	if err != nil {
		return c, err
	}
	return c, s.Audit(ctx, actor, auditRead("case", c.ID, c.CarrierID))
}

// caseInScope reads a case and checks it against actor's scope for action.
func (s *Store) caseInScope(ctx context.Context, q sqlx.QueryerContext, actor domain.Actor, action domain.Action, id uuid.UUID) (domain.Case, error) {
	c, err := getCase(ctx, q, id, "")
	if err != nil {
		return c, err
	}
	return c, s.reach(actor, action, "case", id, c.CarrierID, c.Advises(actor.UserID))
}

// auditRead is the audit event of reading one object of counselling content.
func auditRead(objectType string, id, carrier uuid.UUID) Event {
	return Event{Action: objectType + ".read", ObjectType: objectType, ObjectID: &id, CarrierID: &carrier}
}

func getCase(ctx context.Context, q sqlx.QueryerContext, id uuid.UUID, suffix string) (domain.Case, error) {
	var c domain.Case
	var co []string
	dest := []any{&c.ID, &c.CarrierID, &c.Phase, &c.Status, &c.ClosingReason, &c.LeadAdvisorID,
		pq.Array(&co), &c.Business.Idea, &c.Business.Sector, &c.Business.LegalForm,
		&c.Business.FoundedOn, &c.Business.Employees, &c.OpenedOn, &c.ClosedOn, &c.Version,
		&c.CreatedAt, &c.UpdatedAt}
	err := q.QueryRowxContext(ctx, selectCase+suffix, id).Scan(append(dest, founderDest(&c.Founder)...)...)
	if err != nil {
		return c, notFoundIfNoRows(err)
	}
	normaliseFounder(&c.Founder)
	c.CoAdvisorIDs = make([]uuid.UUID, 0, len(co))
	for _, s := range co {
		c.CoAdvisorIDs = append(c.CoAdvisorIDs, uuid.MustParse(s))
	}
	return c, nil
}

// lockCase reads a case FOR UPDATE inside a change, checks it against actor's scope for
// action under the lock, and checks the expected version.
func (s *Store) lockCase(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, action domain.Action, id uuid.UUID, version int) (domain.Case, error) {
	c, err := getCase(ctx, tx, id, " FOR UPDATE OF c")
	if err != nil {
		return c, err
	}
	if err := s.reach(actor, action, "case", id, c.CarrierID, c.Advises(actor.UserID)); err != nil {
		return c, err
	}
	if c.Version != version {
		return c, domain.Errorf(domain.ErrPreconditionFailed, "error.stale_version")
	}
	if c.Founder.RestrictedAt != nil {
		return c, errRestricted()
	}
	return c, nil
}

// errRestricted refuses a change to a founder who asked for erasure, or to their case
// (Art. 18 GDPR: the data are only kept, no longer processed).
func errRestricted() error { return domain.Errorf(domain.ErrConflict, "error.founder_restricted") }

const isActiveAdvisor = `
SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
               WHERE m.user_id = $1 AND m.carrier_id = $2 AND m.role = 'advisor' AND u.active)`

func checkAdvisor(ctx context.Context, q sqlx.QueryerContext, user, carrier uuid.UUID, field string) error {
	var ok bool
	if err := sqlx.GetContext(ctx, q, &ok, isActiveAdvisor, user, carrier); err != nil {
		return err
	}
	if !ok {
		return domain.Invalid(field, "error.not_an_advisor_of_carrier")
	}
	return nil
}

const (
	insertCase = `
INSERT INTO cases (id, carrier_id, founder_id, phase, status, lead_advisor_id, business_idea,
    business_sector, business_legal_form, business_founded_on, business_employees, opened_on)
VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $10, $11)`
	insertTransition = `
INSERT INTO phase_transitions (case_id, from_phase, to_phase, by_user, reason) VALUES ($1, $2, $3, $4, nullif($5, ''))`
)

// CreateCase takes in a founder with a new case, in one transaction, and answers with
// the case. By actor's case:create scope: an advisor ("own") becomes lead; a coordinator
// ("carrier") names the lead, who must be an advisor of that carrier. A known founder
// (FounderID) must be of the carrier the case is opened in, which is theirs when none is
// named (see knownFounder).
// ErrInvalid for every rule broken, all at once where they do not depend on each other;
// ErrConflict ("error.founder_has_open_case") when the known founder has a case that is
// not closed, ("error.founder_restricted") when they were pseudonymised, and
// ("error.likely_duplicate_founder", with the Candidates) for a new founder who looks
// like known ones when the intake asks (CheckDuplicates; see noLikelyDuplicate).
func (s *Store) CreateCase(ctx context.Context, actor domain.Actor, in domain.Intake, idem *Idempotency) (domain.Case, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.Case{}, err
	}
	scope := s.Scope(actor, domain.ActCaseCreate)
	if scope.Empty() {
		return domain.Case{}, domain.Errorf(domain.ErrForbidden, "error.forbidden")
	}
	var err error
	named := in.CarrierID
	if named == nil && in.FounderID != nil { // a known founder's case is in their carrier
		if named, err = s.founderCarrier(ctx, scope, *in.FounderID); err != nil {
			return domain.Case{}, err
		}
	}
	carrier, err := intakeCarrier(scope, named)
	if err != nil {
		return domain.Case{}, err
	}
	coordinates := scope.All || slices.Contains(scope.Carriers, carrier)
	lead := actor.UserID
	switch {
	case coordinates && in.LeadAdvisorID == nil:
		return domain.Case{}, domain.Invalid("lead_advisor_id", "error.required")
	case coordinates:
		lead = *in.LeadAdvisorID
	case in.LeadAdvisorID != nil && *in.LeadAdvisorID != actor.UserID:
		return domain.Case{}, domain.Invalid("lead_advisor_id", "error.only_coordinators_name_lead")
	}
	phase := in.Phase
	if phase == "" {
		phase = domain.PhaseFounding
	}
	today := s.Today()
	return create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		if err := checkAdvisor(ctx, tx, lead, carrier, "lead_advisor_id"); err != nil {
			return err
		}
		founderID := uuid.New()
		if in.FounderID != nil {
			if err := knownFounder(ctx, tx, scope, actor.UserID, *in.FounderID, carrier); err != nil {
				return err
			}
			founderID = *in.FounderID
		} else {
			if err := s.noLikelyDuplicate(ctx, actor, carrier, in); err != nil {
				return err
			}
			if err := insertFounderRow(ctx, tx, founderID, carrier, in.Founder); err != nil {
				return err
			}
			if err := audit(ctx, tx, actor, Event{Action: "founder.create", ObjectType: "founder", ObjectID: &founderID, CarrierID: &carrier}); err != nil {
				return err
			}
		}
		b := in.Business
		if _, err := tx.ExecContext(ctx, insertCase, id, carrier, founderID, phase, lead, b.Idea,
			b.Sector, b.LegalForm, b.FoundedOn, b.Employees, today); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertTransition, id, nil, phase, actor.UserID, ""); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "case.create", ObjectType: "case", ObjectID: &id, CarrierID: &carrier})
	}, func(q sqlx.QueryerContext, id uuid.UUID) (domain.Case, error) {
		return s.caseInScope(ctx, q, actor, domain.ActCaseRead, id)
	})
}

// intakeCarrier picks the carrier of a new case: the one named, which must be in the
// caller's scope, or the caller's only carrier.
func intakeCarrier(scope domain.Scope, named *uuid.UUID) (uuid.UUID, error) {
	if named != nil {
		if !scope.InCarrier(*named) {
			return uuid.Nil, domain.Invalid("carrier_id", "error.carrier_not_yours")
		}
		return *named, nil
	}
	carriers := append(append([]uuid.UUID{}, scope.Carriers...), scope.Own...)
	if len(carriers) != 1 {
		return uuid.Nil, domain.Invalid("carrier_id", "error.carrier_required")
	}
	return carriers[0], nil
}

// The scope filter of every case list: whole carriers ($1), own cases in carriers ($2)
// for user $3, or everything ($4).
const caseScopeFilter = `
(c.carrier_id = ANY($1::uuid[])
 OR (c.carrier_id = ANY($2::uuid[]) AND (c.lead_advisor_id = $3
     OR EXISTS (SELECT 1 FROM case_co_advisors a WHERE a.case_id = c.id AND a.user_id = $3)))
 OR $4)`

// searchMatches: founder f matches the search (caseSearch, $13–$25) by one of
//   - its folded words as a part of the founder's ("aya" finds Kaya, as the search
//     always did), from three letters on ($13; shorter parts have no trigram to look up);
//   - a search of several words written as one ($14: "Al Sayed" finds Alsayed);
//   - each of its first four words ($15–$18, with their skeletons $19–$22; see search.go);
//   - the e-mail address ($23), the telephone number as digits ($24) or the postcode
//     ($25), exactly.
//
// Each is an index condition; those that do not apply to this search are empty and fold
// away when the statement is planned.
var searchMatches = `(
       ($13 <> '' AND f.search_text LIKE '%' || $13 || '%')
    OR ($14 <> '' AND f.search_text %> $14)
    OR ($15 <> '' AND ` + params(wordMatches, 15, 19) + `
        AND ` + params(wordMatches, 16, 20) + `
        AND ` + params(wordMatches, 17, 21) + `
        AND ` + params(wordMatches, 18, 22) + `)
    OR ($23 <> '' AND lower(f.email) = lower($23))
    OR ($24 <> '' AND lotse_phone(f.phone) = $24)
    OR ($25 <> '' AND f.postcode = $25))`

// caseFilters are the filters of a case list on each case c beyond its scope: phase
// ($5), status ($6), the keyset ($8, $9), stalled ($11: last contact before that day),
// overdue ($12: an open follow-up due before that day) and, when searching, the search.
// The stalled and overdue filters look at each candidate row through the indexes on
// (case_id, date) and the open follow-ups of a case, as the walk down the keyset meets
// it. The search is a plain EXISTS (not guarded by an OR on its parameters), so that
// PostgreSQL may turn it into a join and choose: walk the cases and look at each founder
// when many match, or start from the founders the trigram index finds when few do. In
// a branch that walks one carrier (carrier: the expression naming it) the founders are
// kept to that carrier, which a case's founder always belongs to, so the trigram search
// reads only the carrier's founders; elsewhere that condition would only make
// PostgreSQL expect fewer matches than there are.
func caseFilters(search bool, carrier string) string {
	s := `
      AND ($5 = '' OR c.phase = $5)
      AND ($6 = '' OR c.status = $6)
      AND ($8::date IS NULL OR (c.opened_on, c.id) < ($8, $9::uuid))
      AND ($11::date IS NULL OR (c.status = 'active' AND coalesce(
           (SELECT k.date FROM consultations k WHERE k.case_id = c.id ORDER BY k.date DESC LIMIT 1), c.opened_on) < $11))
      AND ($12::date IS NULL OR (c.status <> 'closed' AND EXISTS (SELECT 1 FROM follow_ups u
           WHERE u.case_id = c.id AND u.done_at IS NULL AND u.due_on < $12)))`
	if search {
		s += `
      AND EXISTS (SELECT 1 FROM founders f WHERE f.id = c.founder_id`
		if carrier != "" {
			s += ` AND f.carrier_id = ` + carrier
		}
		s += `
                  AND ` + searchMatches + `)`
	}
	return s + `
    ORDER BY c.opened_on DESC, c.id DESC
    LIMIT $10`
}

// caseBranchColumns are what a branch hands on to the page.
const caseBranchColumns = `c.id, c.carrier_id, c.founder_id, c.phase, c.status, c.lead_advisor_id, c.opened_on`

// The branches of a page of cases (caseSummaries), one per part of a scope.
const (
	branchAll      = 1 << iota // everything ($4): cases_opened
	branchCarriers             // each whole carrier ($1): cases_carrier_opened, one walk per carrier
	branchOwn                  // own cases ($2, user $3): led (cases_lead_carrier_opened, per carrier) and co-advised
	branchAdvisor              // the advisor filter ($7): led (per carrier of the scope, or all) and co-advised
)

// caseBranches picks the branches of scope and filter; an empty scope reads through
// branchAll, which finds nothing without $4.
func caseBranches(scope domain.Scope, f domain.CaseFilter) int {
	switch {
	case f.AdvisorID != nil:
		return branchAdvisor
	case scope.All:
		return branchAll
	}
	b := 0
	if len(scope.Carriers) > 0 {
		b |= branchCarriers
	}
	if len(scope.Own) > 0 {
		b |= branchOwn
	}
	if b == 0 {
		return branchAll
	}
	return b
}

// caseSummaries is the SQL of a page of cases from the given branches, with or without
// a search. It serves the page from indexes in keyset order (opened_on DESC, id DESC)
// whatever the scope: one filter with OR over the scope's parts made PostgreSQL read
// every case of the carrier and sort them before taking the first page, so the list
// cost followed the carrier's size. Instead each part of the scope is a branch that
// walks its own index, filters, and stops after a page; the branches are merged and cut
// to a page again. Own cases are those a person leads in each carrier of the scope
// (cases_lead_carrier_opened: with the lead alone, PostgreSQL took a lead's cases and a
// carrier's as two bitmaps, as it cannot know that a lead's cases lie in one carrier)
// and those they co-advise (case_co_advisors_user, sorted: a person's co-advised cases
// are few); the advisor filter takes the advisor's cases the same way. A case
// is in one branch only (a lead is no co-advisor of the same case; whole carriers are
// left out of the own branches). Only the branches the scope needs are in the statement,
// as each costs planning time. Founders and the last/next dates are joined for the page
// only: joining before the LIMIT made PostgreSQL hash all founders.
func caseSummaries(branches int, search bool) string {
	filters, perCarrier := caseFilters(search, ""), caseFilters(search, "sc.carrier_id")
	var parts []string
	if branches&branchAll != 0 {
		parts = append(parts, `
        (SELECT `+caseBranchColumns+` FROM cases c
         WHERE $4 AND $7::uuid IS NULL`+filters+`)`)
	}
	if branches&branchCarriers != 0 {
		parts = append(parts, `
        (SELECT b.* FROM unnest($1::uuid[]) AS sc(carrier_id) CROSS JOIN LATERAL (
             SELECT `+caseBranchColumns+` FROM cases c
             WHERE NOT $4 AND $7::uuid IS NULL AND c.carrier_id = sc.carrier_id`+perCarrier+`) b)`)
	}
	if branches&branchOwn != 0 {
		parts = append(parts, `
        (SELECT b.* FROM unnest($2::uuid[]) AS sc(carrier_id) CROSS JOIN LATERAL (
             SELECT `+caseBranchColumns+` FROM cases c
             WHERE NOT $4 AND $7::uuid IS NULL AND c.lead_advisor_id = $3 AND c.carrier_id = sc.carrier_id
               AND sc.carrier_id <> ALL($1::uuid[])`+perCarrier+`) b)`, `
        (SELECT `+caseBranchColumns+` FROM case_co_advisors a JOIN cases c ON c.id = a.case_id
         WHERE NOT $4 AND $7::uuid IS NULL AND a.user_id = $3 AND c.lead_advisor_id <> $3
           AND c.carrier_id = ANY($2::uuid[]) AND c.carrier_id <> ALL($1::uuid[])`+filters+`)`)
	}
	if branches&branchAdvisor != 0 {
		parts = append(parts, `
        (SELECT `+caseBranchColumns+` FROM cases c
         WHERE $4 AND $7::uuid IS NOT NULL AND c.lead_advisor_id = $7`+filters+`)`, `
        (SELECT b.* FROM (SELECT DISTINCT x FROM unnest($1::uuid[] || $2::uuid[]) x) AS sc(carrier_id) CROSS JOIN LATERAL (
             SELECT `+caseBranchColumns+` FROM cases c
             WHERE NOT $4 AND $7::uuid IS NOT NULL AND c.lead_advisor_id = $7 AND c.carrier_id = sc.carrier_id
               AND `+caseScopeFilter+perCarrier+`) b)`, `
        (SELECT `+caseBranchColumns+` FROM case_co_advisors a JOIN cases c ON c.id = a.case_id
         WHERE $7::uuid IS NOT NULL AND a.user_id = $7 AND c.lead_advisor_id <> $7
           AND `+caseScopeFilter+filters+`)`)
	}
	return `
SELECT c.id, c.carrier_id, f.given_name || ' ' || f.family_name AS founder_name, c.phase,
       c.status, c.lead_advisor_id, c.opened_on,
       (SELECT max(k.date) FROM consultations k WHERE k.case_id = c.id) AS last_consultation_on,
       (SELECT min(u.due_on) FROM follow_ups u WHERE u.case_id = c.id AND u.done_at IS NULL) AS next_follow_up_on
FROM (
    SELECT * FROM (` + strings.Join(parts, `
        UNION ALL`) + `
    ) page
    -- always true: gives the scope's parameters their types where no branch uses them
    WHERE num_nulls($1::uuid[], $2::uuid[], $3::uuid) < 4
    ORDER BY opened_on DESC, id DESC
    LIMIT $10
) c JOIN founders f ON f.id = c.founder_id
ORDER BY c.opened_on DESC, c.id DESC`
}

// caseQueries holds caseSummaries of every combination of branches that caseBranches
// gives, without ([0]) and with ([1]) a search.
var caseQueries = func() map[int][2]string {
	m := map[int][2]string{}
	for _, b := range []int{branchAll, branchCarriers, branchCarriers | branchOwn, branchOwn, branchAdvisor} {
		m[b] = [2]string{caseSummaries(b, false), caseSummaries(b, true)}
	}
	return m
}()

// Cases lists the cases in actor's case:read scope matching the filter, newest first,
// one page at a time; the stalled and overdue filters are judged by the store's clock
// and StalledAfterDays. The search (Query) finds founders by name parts, city, e-mail,
// phone and postcode, tolerant of accents and transliteration (searchMatches). It
// returns the cursor of the next page ("" on the last). ErrInvalid for a bad filter or
// cursor.
func (s *Store) Cases(ctx context.Context, actor domain.Actor, f domain.CaseFilter) ([]domain.CaseSummary, string, error) {
	if err := domain.Validate(&f, s.Today()); err != nil {
		return nil, "", err
	}
	f.Today, f.StalledAfterDays = s.Today(), s.StalledDays()
	query, args, limit, err := s.CasesQuery(ctx, s.Scope(actor, domain.ActCaseRead), f)
	if err != nil {
		return nil, "", err
	}
	out := []domain.CaseSummary{}
	if err := s.DB.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(last.OpenedOn, last.ID)
	}
	return out, next, nil
}

// CasesQuery is the SQL and arguments of one page of Cases; it asks for limit+1 rows to
// learn whether there is a next page. A search is folded by the database first (one
// short statement). Exported so benchmarks can run the same SQL raw.
func (s *Store) CasesQuery(ctx context.Context, scope domain.Scope, f domain.CaseFilter) (query string, args []any, limit int, err error) {
	limit = f.Limit
	if limit <= 0 {
		limit = 50
	}
	var afterDate *domain.Date
	var afterID *uuid.UUID
	if f.Cursor != "" {
		d, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return "", nil, 0, domain.Invalid("cursor", "error.invalid_cursor")
		}
		afterDate, afterID = &d, &id
	}
	var stalledBefore, overdueBefore *domain.Date
	if f.Stalled || f.Overdue {
		if f.Today.IsZero() {
			return "", nil, 0, errors.New("case list: the stalled and overdue filters need the filter's Today")
		}
		days := f.StalledAfterDays
		if days <= 0 {
			days = domain.DefaultStalledAfterDays
		}
		if f.Stalled {
			d := domain.StalledBefore(f.Today, days)
			stalledBefore = &d
		}
		if f.Overdue {
			overdueBefore = &f.Today
		}
	}
	args = []any{pq.Array(uuidStrings(scope.Carriers)), pq.Array(uuidStrings(scope.Own)),
		scope.User, scope.All, f.Phase, f.Status, f.AdvisorID, afterDate, afterID, limit + 1,
		stalledBefore, overdueBefore}
	queries := caseQueries[caseBranches(scope, f)]
	q := strings.TrimSpace(f.Query)
	if q == "" {
		return queries[0], args, limit, nil
	}
	search, err := s.searchFor(ctx, q)
	if err != nil {
		return "", nil, 0, err
	}
	return queries[1], append(args, search.args()...), limit, nil
}

// encodeCursor and decodeCursor: the keyset of case lists, (opened_on, id).
func encodeCursor(d domain.Date, id uuid.UUID) string { return encodeKeyset(d.String(), id.String()) }

func decodeCursor(s string) (domain.Date, uuid.UUID, error) {
	parts, err := decodeKeyset(s, 2)
	if err != nil {
		return domain.Date{}, uuid.Nil, err
	}
	d, err := domain.ParseDate(parts[0])
	if err != nil {
		return d, uuid.Nil, err
	}
	u, err := uuid.Parse(parts[1])
	return d, u, err
}

const (
	updateCaseBusiness = `
UPDATE cases SET business_idea = $2, business_sector = $3, business_legal_form = $4,
    business_founded_on = $5, business_employees = $6, status = $7, version = version + 1, updated_at = now()
WHERE id = $1`
	insertStatusChange = `
INSERT INTO status_changes (case_id, from_status, to_status, reason, note, by_user)
VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6)`
)

// changeCase runs one versioned change of a case: the case locked, checked against
// actor's scope for action and the expected version, then fn, then the case as it is
// now, read in the same transaction.
func (s *Store) changeCase(ctx context.Context, actor domain.Actor, action domain.Action, id uuid.UUID, version int,
	fn func(tx *sqlx.Tx, c domain.Case) error) (domain.Case, error) {
	var out domain.Case
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		c, err := s.lockCase(ctx, tx, actor, action, id, version)
		if err != nil {
			return err
		}
		if err := fn(tx, c); err != nil {
			return err
		}
		out, err = getCase(ctx, tx, id, "")
		return err
	})
	if err != nil {
		return out, wrap(err, "change case %s", id)
	}
	return out, nil
}

// UpdateCase changes business data and pauses or resumes an open case. edit gets the
// case's current business and status, under the lock, and returns the changed ones (the
// API merges a partial body into them; a page form replaces them).
// ErrNotFound; ErrPreconditionFailed (stale version); ErrInvalid; ErrConflict for a closed
// case's status.
func (s *Store) UpdateCase(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, edit domain.Edit[domain.CaseUpdate]) (domain.Case, error) {
	return s.changeCase(ctx, actor, domain.ActCaseUpdate, id, version, func(tx *sqlx.Tx, c domain.Case) error {
		b, st := c.Business, c.Status
		u, err := edit(domain.CaseUpdate{Business: &b, Status: &st})
		if err := validEdit(&u, err, s.Today()); err != nil {
			return err
		}
		if u.Business != nil {
			b = *u.Business
		}
		status := c.Status
		if u.Status != nil && *u.Status != c.Status {
			if c.Status == domain.StatusClosed {
				return domain.Errorf(domain.ErrConflict, "error.case_closed")
			}
			status = *u.Status
			if _, err := tx.ExecContext(ctx, insertStatusChange, id, c.Status, status, "", "", actor.UserID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, updateCaseBusiness, id, b.Idea, b.Sector, b.LegalForm, b.FoundedOn, b.Employees, status); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "case.update", ObjectType: "case", ObjectID: &id, CarrierID: &c.CarrierID})
	})
}

const updateCasePhase = `UPDATE cases SET phase = $2, version = version + 1, updated_at = now() WHERE id = $1`

// ChangePhase moves a case to another phase and records the transition.
// ErrNotFound; ErrPreconditionFailed; ErrConflict for a closed case; ErrInvalid when going
// back without a reason (blanks are none) or staying.
func (s *Store) ChangePhase(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, pc domain.PhaseChange) (domain.Case, error) {
	if err := domain.Validate(&pc, s.Today()); err != nil {
		return domain.Case{}, err
	}
	return s.changeCase(ctx, actor, domain.ActCaseUpdate, id, version, func(tx *sqlx.Tx, c domain.Case) error {
		if c.Status == domain.StatusClosed {
			return domain.Errorf(domain.ErrConflict, "error.case_closed")
		}
		if err := pc.CheckFrom(c.Phase); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, updateCasePhase, id, pc.Phase); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertTransition, id, c.Phase, pc.Phase, actor.UserID, pc.Reason); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "case.phase_change", ObjectType: "case", ObjectID: &id, CarrierID: &c.CarrierID})
	})
}

const (
	closeCase = `
UPDATE cases SET status = 'closed', closing_reason = $2, closed_on = $3, version = version + 1, updated_at = now()
WHERE id = $1`
	reopenCase = `
UPDATE cases SET status = 'active', closing_reason = NULL, closed_on = NULL, version = version + 1, updated_at = now()
WHERE id = $1`
)

// CloseCase closes a case with a reason. ErrNotFound; ErrPreconditionFailed; ErrInvalid;
// ErrConflict when it is closed already.
func (s *Store) CloseCase(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, cl domain.Closing) (domain.Case, error) {
	today := s.Today()
	if err := domain.Validate(&cl, today); err != nil {
		return domain.Case{}, err
	}
	return s.changeCase(ctx, actor, domain.ActCaseUpdate, id, version, func(tx *sqlx.Tx, c domain.Case) error {
		if c.Status == domain.StatusClosed {
			return domain.Errorf(domain.ErrConflict, "error.case_closed")
		}
		if _, err := tx.ExecContext(ctx, closeCase, id, cl.Reason, today); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertStatusChange, id, c.Status, domain.StatusClosed, cl.Reason, cl.Note, actor.UserID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "case.close", ObjectType: "case", ObjectID: &id, CarrierID: &c.CarrierID})
	})
}

// ReopenCase makes a closed case active again. ErrNotFound; ErrPreconditionFailed;
// ErrConflict when it is not closed, or ("error.founder_has_open_case") when another
// case of its founder is open.
func (s *Store) ReopenCase(ctx context.Context, actor domain.Actor, id uuid.UUID, version int) (domain.Case, error) {
	return s.changeCase(ctx, actor, domain.ActCaseUpdate, id, version, func(tx *sqlx.Tx, c domain.Case) error {
		if c.Status != domain.StatusClosed {
			return domain.Errorf(domain.ErrConflict, "error.case_not_closed")
		}
		if err := noOtherOpenCase(ctx, tx, c.Founder.ID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, reopenCase, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertStatusChange, id, c.Status, domain.StatusActive, "", "", actor.UserID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "case.reopen", ObjectType: "case", ObjectID: &id, CarrierID: &c.CarrierID})
	})
}

const (
	updateLead       = `UPDATE cases SET lead_advisor_id = $2, version = version + 1, updated_at = now() WHERE id = $1`
	deleteCoAdvisors = `DELETE FROM case_co_advisors WHERE case_id = $1`
	insertCoAdvisor  = `INSERT INTO case_co_advisors (case_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`
	// The open follow-ups of advisors who leave the case go to the new lead, so no
	// follow-up lands on nobody's agenda.
	handOverFollowUps = `
UPDATE follow_ups SET assignee_id = $2, version = version + 1, updated_at = now()
WHERE case_id = $1 AND done_at IS NULL AND assignee_id = ANY($3::uuid[])
RETURNING id`
)

// AssignAdvisors sets the lead and co-advisors; each must be an active advisor of the
// case's carrier. The open follow-ups of advisors taken off the case go to the new lead.
// ErrNotFound; ErrPreconditionFailed; ErrInvalid naming the bad id.
func (s *Store) AssignAdvisors(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, a domain.AdvisorAssignment) (domain.Case, error) {
	if err := domain.Validate(&a, s.Today()); err != nil {
		return domain.Case{}, err
	}
	return s.changeCase(ctx, actor, domain.ActCaseAssign, id, version, func(tx *sqlx.Tx, c domain.Case) error {
		if err := checkAdvisor(ctx, tx, a.LeadAdvisorID, c.CarrierID, "lead_advisor_id"); err != nil {
			return err
		}
		for i, co := range a.CoAdvisorIDs {
			if err := checkAdvisor(ctx, tx, co, c.CarrierID, fmt.Sprintf("co_advisor_ids[%d]", i)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, updateLead, id, a.LeadAdvisorID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, deleteCoAdvisors, id); err != nil {
			return err
		}
		for _, co := range a.CoAdvisorIDs {
			if co == a.LeadAdvisorID {
				continue
			}
			if _, err := tx.ExecContext(ctx, insertCoAdvisor, id, co); err != nil {
				return err
			}
		}
		var leaving []string
		for _, old := range append([]uuid.UUID{c.LeadAdvisorID}, c.CoAdvisorIDs...) {
			if old != a.LeadAdvisorID && !slices.Contains(a.CoAdvisorIDs, old) {
				leaving = append(leaving, old.String())
			}
		}
		var moved []uuid.UUID
		if err := tx.SelectContext(ctx, &moved, handOverFollowUps, id, a.LeadAdvisorID, pq.Array(leaving)); err != nil {
			return err
		}
		for _, fid := range moved {
			if err := audit(ctx, tx, actor, Event{Action: "follow_up.update", ObjectType: "follow_up", ObjectID: &fid, CarrierID: &c.CarrierID, CaseID: &c.ID}); err != nil {
				return err
			}
		}
		return audit(ctx, tx, actor, Event{Action: "case.assign", ObjectType: "case", ObjectID: &id, CarrierID: &c.CarrierID})
	})
}

const selectTransitions = `
SELECT from_phase, to_phase, at, by_user, reason FROM phase_transitions WHERE case_id = $1 ORDER BY at, id`

// PhaseHistory lists the phase transitions of a case actor may read, oldest first.
// ErrNotFound.
func (s *Store) PhaseHistory(ctx context.Context, actor domain.Actor, id uuid.UUID) ([]domain.PhaseTransition, error) {
	if _, err := s.caseInScope(ctx, s.DB, actor, domain.ActCaseRead, id); err != nil {
		return nil, err
	}
	out := []domain.PhaseTransition{}
	if err := s.DB.SelectContext(ctx, &out, selectTransitions, id); err != nil {
		return nil, fmt.Errorf("phase history of case %s: %w", id, err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC().Truncate(time.Second)
	}
	return out, nil
}
