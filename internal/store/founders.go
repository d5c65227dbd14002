package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

const founderColumns = `f.id, f.carrier_id, f.given_name, f.family_name, f.birth_year, f.gender,
f.email, f.phone, f.postcode, f.city, f.country_of_birth, f.nationalities, f.languages,
f.german_level, f.education_isced, f.employment_status_at_entry, f.arrival_year,
f.referral_source, f.disability, f.foreign_background, f.homeless, f.restricted_at, f.version,
f.created_at, f.updated_at`

// founderDest lists the scan destinations in founderColumns' order.
func founderDest(f *domain.Founder) []any {
	return []any{&f.ID, &f.CarrierID, &f.GivenName, &f.FamilyName, &f.BirthYear, &f.Gender,
		&f.Email, &f.Phone, &f.Postcode, &f.City, &f.CountryOfBirth, pq.Array(&f.Nationalities),
		pq.Array(&f.Languages), &f.GermanLevel, &f.EducationISCED, &f.EmploymentStatusAtEntry,
		&f.ArrivalYear, &f.ReferralSource, &f.Disability, &f.ForeignBackground, &f.Homeless,
		&f.RestrictedAt, &f.Version, &f.CreatedAt, &f.UpdatedAt}
}

func normaliseFounder(f *domain.Founder) {
	if f.Nationalities == nil {
		f.Nationalities = []string{}
	}
	if f.Languages == nil {
		f.Languages = []string{}
	}
}

const selectFounder = `
SELECT ` + founderColumns + `,
       EXISTS (SELECT 1 FROM cases c WHERE c.founder_id = f.id AND (c.lead_advisor_id = $2
               OR EXISTS (SELECT 1 FROM case_co_advisors a WHERE a.case_id = c.id AND a.user_id = $2))) AS advised
FROM founders f WHERE f.id = $1`

// ReadFounder returns a founder actor may read (case:read: a coordinator of the
// founder's carrier, or an advisor of one of the founder's cases) and audits the read
// (founder.read). ErrNotFound for absent founders and founders outside the scope alike.
func (s *Store) ReadFounder(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Founder, error) {
	f, err := s.founderInScope(ctx, s.DB, actor, domain.ActCaseRead, id, "")
	if err != nil {
		return f, err
	}
	return f, s.Audit(ctx, actor, auditRead("founder", f.ID, f.CarrierID))
}

// founderInScope reads a founder and checks it against actor's scope for action: "own"
// reaches the founders of the cases the actor advises.
func (s *Store) founderInScope(ctx context.Context, q sqlx.QueryerContext, actor domain.Actor, action domain.Action, id uuid.UUID, lock string) (domain.Founder, error) {
	f, advised, err := getFounder(ctx, q, id, actor.UserID, lock)
	if err != nil {
		return f, err
	}
	return f, s.reach(actor, action, "founder", id, f.CarrierID, advised)
}

func getFounder(ctx context.Context, q sqlx.QueryerContext, id, user uuid.UUID, lock string) (domain.Founder, bool, error) {
	var f domain.Founder
	var advised bool
	err := q.QueryRowxContext(ctx, selectFounder+lock, id, user).Scan(append(founderDest(&f), &advised)...)
	normaliseFounder(&f)
	return f, advised, notFoundIfNoRows(err)
}

const insertFounder = `
INSERT INTO founders (id, carrier_id, given_name, family_name, birth_year, gender, email, phone,
    postcode, city, country_of_birth, nationalities, languages, german_level, education_isced,
    employment_status_at_entry, arrival_year, referral_source, disability, foreign_background, homeless)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`

func insertFounderRow(ctx context.Context, tx *sqlx.Tx, id, carrier uuid.UUID, d *domain.FounderData) error {
	_, err := tx.ExecContext(ctx, insertFounder, id, carrier, d.GivenName, d.FamilyName, d.BirthYear,
		d.Gender, d.Email, d.Phone, d.Postcode, d.City, d.CountryOfBirth, pq.Array(nonNil(d.Nationalities)),
		pq.Array(nonNil(d.Languages)), d.GermanLevel, d.EducationISCED, d.EmploymentStatusAtEntry,
		d.ArrivalYear, d.ReferralSource, d.Disability, d.ForeignBackground, d.Homeless)
	return err
}

const updateFounder = `
UPDATE founders SET given_name = $2, family_name = $3, birth_year = $4, gender = $5, email = $6,
    phone = $7, postcode = $8, city = $9, country_of_birth = $10, nationalities = $11,
    languages = $12, german_level = $13, education_isced = $14, employment_status_at_entry = $15,
    arrival_year = $16, referral_source = $17, disability = $18, foreign_background = $19,
    homeless = $20, version = version + 1, updated_at = now()
WHERE id = $1`

// UpdateFounder changes a founder's data: edit gets the current data under the lock and
// returns the new (the API merges a partial body into it). Needs case:update on the
// founder. ErrNotFound; ErrPreconditionFailed for a stale version; ErrInvalid, also
// ("error.consent_required") for a special category stated while the consent to ESF+
// reporting is withdrawn.
func (s *Store) UpdateFounder(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, edit domain.Edit[domain.FounderData]) (domain.Founder, error) {
	var out domain.Founder
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		f, err := s.founderInScope(ctx, tx, actor, domain.ActCaseUpdate, id, " FOR UPDATE OF f")
		if err != nil {
			return err
		}
		if f.Version != version {
			return errStale()
		}
		if f.RestrictedAt != nil {
			return errRestricted()
		}
		d, err := edit(f.FounderData)
		if err := validEdit(&d, err, s.Today()); err != nil {
			return err
		}
		if err := specialCategoriesAllowed(ctx, tx, id, d); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, updateFounder, id, d.GivenName, d.FamilyName,
			d.BirthYear, d.Gender, d.Email, d.Phone, d.Postcode, d.City, d.CountryOfBirth,
			pq.Array(nonNil(d.Nationalities)), pq.Array(nonNil(d.Languages)), d.GermanLevel,
			d.EducationISCED, d.EmploymentStatusAtEntry, d.ArrivalYear, d.ReferralSource,
			d.Disability, d.ForeignBackground, d.Homeless); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "founder.update", ObjectType: "founder", ObjectID: &id, CarrierID: &f.CarrierID}); err != nil {
			return err
		}
		out, err = s.founderInScope(ctx, tx, actor, domain.ActCaseRead, id, "")
		return err
	})
	return out, wrap(err, "update founder %s", id)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// selectFounderCases lists a founder's cases ($5) with the lead's name, newest first,
// and whether each lies in the reader's case:read scope (caseScopeFilter, $1–$4): a
// founder has a handful of cases, read through the index on cases (founder_id).
const selectFounderCases = `
SELECT c.id, c.phase, c.status, c.lead_advisor_id, u.name AS lead_advisor_name, c.opened_on,
       c.closed_on, c.business_idea, c.closing_reason, ` + caseScopeFilter + ` AS readable
FROM cases c JOIN users u ON u.id = c.lead_advisor_id
WHERE c.founder_id = $5
ORDER BY c.opened_on DESC, c.created_at DESC, c.id DESC`

// FounderFile reads what the founder page shows of a founder actor may read
// (case:read, as ReadFounder): the founder, their carrier, the cases actor may open
// (phase, status, lead's name, opened on) and the number of the others, what actor may
// do, and for coordinators the advisors who may lead a new case. In one read-only
// transaction, audited as founder.read. ErrNotFound for absent founders and founders
// outside the scope alike.
func (s *Store) FounderFile(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.FounderFile, error) {
	var f domain.FounderFile
	tx, err := s.DB.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return f, err
	}
	defer func() { _ = tx.Rollback() }()
	founder, advised, err := getFounder(ctx, tx, id, actor.UserID, "")
	if err != nil {
		return f, err
	}
	if err := s.reach(actor, domain.ActCaseRead, "founder", id, founder.CarrierID, advised); err != nil {
		return f, err
	}
	f.Founder = founder
	if err := s.readFounderFile(ctx, tx, actor, &f, advised); err != nil {
		return f, wrap(err, "founder file %s", id)
	}
	if err := tx.Commit(); err != nil {
		return f, err
	}
	return f, s.Audit(ctx, actor, auditRead("founder", id, founder.CarrierID))
}

func (s *Store) readFounderFile(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, f *domain.FounderFile, advised bool) error {
	carrier := f.Founder.CarrierID
	var err error
	if f.Carrier, err = getCarrier(ctx, tx, carrier); err != nil {
		return err
	}
	read := s.Scope(actor, domain.ActCaseRead)
	var all []domain.FounderCase
	if err := tx.SelectContext(ctx, &all, selectFounderCases, pq.Array(uuidStrings(read.Carriers)),
		pq.Array(uuidStrings(read.Own)), read.User, read.All, f.Founder.ID); err != nil {
		return err
	}
	f.Cases = []domain.FounderCase{}
	for _, c := range all {
		f.HasOpenCase = f.HasOpenCase || c.Status != domain.StatusClosed
		if c.Readable {
			f.Cases = append(f.Cases, c)
		} else {
			f.HiddenCases++
		}
	}
	if f.Founder.RestrictedAt != nil { // pseudonymised on request: kept, never changed
		return nil
	}
	create := s.Scope(actor, domain.ActCaseCreate)
	f.Can = domain.FounderRights{
		Update:   s.Scope(actor, domain.ActCaseUpdate).Allows(carrier, advised),
		OpenCase: !f.HasOpenCase && create.Allows(carrier, advised),
		NameLead: create.All || slices.Contains(create.Carriers, carrier),
	}
	if create.InCarrier(carrier) && f.Can.NameLead {
		f.Advisors, err = advisorsOf(ctx, tx, carrier)
	}
	return err
}

// A founder has at most one case open (active or paused) at a time: a founder may come
// back after a handover or a break, with a new case, but two open cases of one person
// split their casework between two leads and count them twice in the statistics —
// almost always an intake by mistake. The rule is checked under a transaction-level
// advisory lock on the founder, taken by every path that opens a case for a known
// founder or reopens one (CreateCase, ReopenCase), so two of them cannot both pass.
const (
	lockFounderCases = `SELECT pg_advisory_xact_lock(1280263244, hashtext($1::text))`
	founderOpenCase  = `SELECT EXISTS (SELECT 1 FROM cases WHERE founder_id = $1 AND status <> 'closed' AND id <> $2)`
)

// noOtherOpenCase locks the founder's cases against being opened concurrently and
// refuses (ErrConflict "error.founder_has_open_case") when a case of the founder other
// than except is open.
func noOtherOpenCase(ctx context.Context, tx *sqlx.Tx, founder, except uuid.UUID) error {
	if _, err := tx.ExecContext(ctx, lockFounderCases, founder); err != nil {
		return err
	}
	var open bool
	if err := tx.GetContext(ctx, &open, founderOpenCase, founder, except); err != nil {
		return err
	}
	if open {
		return domain.Errorf(domain.ErrConflict, "error.founder_has_open_case")
	}
	return nil
}

// knownFounder checks the founder of a new case taken in for an existing founder: one
// the caller reaches with case:create (an advisor: a founder of a case they advise; a
// coordinator: the carrier's), of the carrier the case is opened in, not pseudonymised,
// without an open case. A founder who comes back to another advisor is taken in by the
// coordinator, who names that advisor as lead. ErrInvalid ("error.unknown_founder") for
// an absent founder and one out of reach alike; ErrConflict otherwise.
func knownFounder(ctx context.Context, tx *sqlx.Tx, scope domain.Scope, user, id, carrier uuid.UUID) error {
	f, advised, err := getFounder(ctx, tx, id, user, " FOR SHARE OF f")
	if domain.ErrorCode(err) == domain.ErrNotFound || (err == nil && (f.CarrierID != carrier || !scope.Allows(carrier, advised))) {
		return domain.Invalid("founder_id", "error.unknown_founder")
	}
	if err != nil {
		return err
	}
	if f.RestrictedAt != nil {
		return errRestricted()
	}
	return noOtherOpenCase(ctx, tx, id, uuid.Nil)
}

// founderCarrier is the carrier of a known founder the caller takes in again, when it
// lies in the case:create scope; ErrInvalid ("error.unknown_founder") for an absent
// founder and one of another carrier alike.
func (s *Store) founderCarrier(ctx context.Context, scope domain.Scope, id uuid.UUID) (*uuid.UUID, error) {
	var carrier uuid.UUID
	err := s.DB.GetContext(ctx, &carrier, `SELECT carrier_id FROM founders WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !scope.InCarrier(carrier)) {
		return nil, domain.Invalid("founder_id", "error.unknown_founder")
	}
	return &carrier, err
}

// noLikelyDuplicate is the rule of founders kept once, for every channel's intake that
// asks for it (Intake.CheckDuplicates): a new founder who looks like known founders of
// the carrier (SimilarFounders: the same e-mail or phone, a similar name, a similar
// family name with the same birth year or postcode — among the founders the caller may
// read) is refused with ErrConflict ("error.likely_duplicate_founder") carrying those
// founders. The caller then opens the case for the existing founder (FounderID) or
// sends the intake again without the check, as a deliberate new founder. It runs after
// the idempotency claim, so a form or request sent twice finds its first answer, not
// its own founder.
func (s *Store) noLikelyDuplicate(ctx context.Context, actor domain.Actor, carrier uuid.UUID, in domain.Intake) error {
	if !in.CheckDuplicates || in.Founder == nil {
		return nil
	}
	ms, err := s.SimilarFounders(ctx, actor, carrier, in.Founder.Candidate())
	if err != nil || len(ms) == 0 {
		return err
	}
	return &domain.Error{Code: domain.ErrConflict, Message: "error.likely_duplicate_founder", Candidates: ms}
}
