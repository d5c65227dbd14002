package store

import (
	"context"

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
