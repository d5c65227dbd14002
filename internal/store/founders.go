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
f.referral_source, f.disability, f.foreign_background, f.homeless, f.version, f.created_at, f.updated_at`

// founderDest lists the scan destinations in founderColumns' order.
func founderDest(f *domain.Founder) []any {
	return []any{&f.ID, &f.CarrierID, &f.GivenName, &f.FamilyName, &f.BirthYear, &f.Gender,
		&f.Email, &f.Phone, &f.Postcode, &f.City, &f.CountryOfBirth, pq.Array(&f.Nationalities),
		pq.Array(&f.Languages), &f.GermanLevel, &f.EducationISCED, &f.EmploymentStatusAtEntry,
		&f.ArrivalYear, &f.ReferralSource, &f.Disability, &f.ForeignBackground, &f.Homeless,
		&f.Version, &f.CreatedAt, &f.UpdatedAt}
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

// Founder returns a founder and whether user advises one of the founder's cases (the
// "own" scope); ErrNotFound.
func (s *Store) Founder(ctx context.Context, id, user uuid.UUID) (domain.Founder, bool, error) {
	return getFounder(ctx, s.DB, id, user)
}

func getFounder(ctx context.Context, q sqlx.QueryerContext, id, user uuid.UUID) (domain.Founder, bool, error) {
	var f domain.Founder
	var advised bool
	err := q.QueryRowxContext(ctx, selectFounder, id, user).Scan(append(founderDest(&f), &advised)...)
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
UPDATE founders SET given_name = $3, family_name = $4, birth_year = $5, gender = $6, email = $7,
    phone = $8, postcode = $9, city = $10, country_of_birth = $11, nationalities = $12,
    languages = $13, german_level = $14, education_isced = $15, employment_status_at_entry = $16,
    arrival_year = $17, referral_source = $18, disability = $19, foreign_background = $20,
    homeless = $21, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $2
RETURNING carrier_id`

// UpdateFounder replaces the founder's data if version is still current.
// ErrNotFound; ErrPreconditionFailed for a stale version.
func (s *Store) UpdateFounder(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, d domain.FounderData) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var carrier uuid.UUID
		err := tx.GetContext(ctx, &carrier, updateFounder, id, version, d.GivenName, d.FamilyName,
			d.BirthYear, d.Gender, d.Email, d.Phone, d.Postcode, d.City, d.CountryOfBirth,
			pq.Array(nonNil(d.Nationalities)), pq.Array(nonNil(d.Languages)), d.GermanLevel,
			d.EducationISCED, d.EmploymentStatusAtEntry, d.ArrivalYear, d.ReferralSource,
			d.Disability, d.ForeignBackground, d.Homeless)
		if err != nil {
			if notFoundIfNoRows(err) != err {
				return checkVersion(ctx, tx, "founders", id)
			}
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "founder.update", ObjectType: "founder", ObjectID: &id, CarrierID: &carrier})
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
