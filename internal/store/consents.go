package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Consents of founders: each act (granted or withdrawn) is a row that is never changed,
// the newest per purpose is the current state. What a state changes elsewhere:
//   - counselling withdrawn: no new casework in any case of the founder (openCase);
//   - esf_reporting withdrawn: the special categories of personal data (disability,
//     foreign background, homelessness; Art. 9 GDPR) are reset to not_stated when it is
//     withdrawn and cannot be set while it stays withdrawn (UpdateFounder);
//   - referral, follow_up_survey: recorded and shown only; Lotse itself refers to no
//     one and surveys no one.
// A purpose without any recorded act blocks nothing: the consent may exist on paper.

const consentColumns = `
SELECT k.id, k.founder_id, k.purpose, k.granted, k.at, k.text_version, k.language, k.recorded_by,
       u.name AS recorded_by_name
FROM consents k LEFT JOIN users u ON u.id = k.recorded_by`

// consentOrder is newest first; "at" is taken under the founder's row lock
// (clock_timestamp, not the transaction's start), so it follows the order of recording.
const consentOrder = ` ORDER BY k.at DESC, k.id DESC`

const (
	insertConsent = `
INSERT INTO consents (id, founder_id, purpose, granted, at, text_version, language, recorded_by)
VALUES ($1, $2, $3, $4, clock_timestamp(), $5, $6, $7)`
	// resetSpecialCategories clears what ESF+ monitoring may only hold with consent;
	// it changes (and versions) the founder only when something was stated.
	resetSpecialCategories = `
UPDATE founders SET disability = 'not_stated', foreign_background = 'not_stated', homeless = 'not_stated',
    version = version + 1, updated_at = now()
WHERE id = $1 AND (disability <> 'not_stated' OR foreign_background <> 'not_stated' OR homeless <> 'not_stated')`
	// latestWithdrawn: whether the newest act of the founder ($1) for purpose ($2) is a
	// withdrawal (false when there is none).
	latestWithdrawn = `
SELECT coalesce((SELECT NOT k.granted FROM consents k WHERE k.founder_id = $1 AND k.purpose = $2` + consentOrder + ` LIMIT 1), false)`
	// counsellingWithdrawnOfCase is latestWithdrawn for counselling, for the founder of case $1.
	counsellingWithdrawnOfCase = `
SELECT coalesce((SELECT NOT k.granted FROM consents k
                 WHERE k.founder_id = (SELECT founder_id FROM cases WHERE id = $1) AND k.purpose = 'counselling'` +
		consentOrder + ` LIMIT 1), false)`
)

// RecordConsent records that the founder granted or withdrew (in.Granted false) the
// consent to a purpose, by actor, who needs founder:consent on the founder (an advisor
// of one of the founder's cases, a coordinator of the founder's carrier). Withdrawing
// esf_reporting resets the founder's special categories to not_stated in the same
// transaction. ErrInvalid (also for a reused Idempotency-Key); ErrNotFound; ErrConflict
// for a founder restricted after an erasure request.
func (s *Store) RecordConsent(ctx context.Context, actor domain.Actor, founderID uuid.UUID, in domain.ConsentInput, idem *Idempotency) (domain.Consent, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.Consent{}, err
	}
	var by *uuid.UUID
	if actor.UserID != uuid.Nil {
		by = &actor.UserID
	}
	k, err := create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		// The lock orders the acts on one founder, and the checks of casework and founder
		// changes see a withdrawal once it is committed.
		f, err := s.founderInScope(ctx, tx, actor, domain.ActFounderConsent, founderID, " FOR UPDATE OF f")
		if err != nil {
			return err
		}
		if f.RestrictedAt != nil {
			return errRestricted()
		}
		if _, err := tx.ExecContext(ctx, insertConsent, id, founderID, in.Purpose, *in.Granted, in.TextVersion, in.Language, by); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "consent.record", ObjectType: "founder", ObjectID: &founderID, CarrierID: &f.CarrierID}); err != nil {
			return err
		}
		if in.Purpose != domain.PurposeESFReporting || *in.Granted {
			return nil
		}
		res, err := tx.ExecContext(ctx, resetSpecialCategories, founderID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return audit(ctx, tx, actor, Event{Action: "founder.update", ObjectType: "founder", ObjectID: &founderID, CarrierID: &f.CarrierID})
	}, func(q sqlx.QueryerContext, id uuid.UUID) (domain.Consent, error) {
		return s.consentInScope(ctx, q, actor, id)
	})
	return k, wrap(err, "record consent of founder %s", founderID)
}

// consentInScope reads one consent whose founder actor reaches with founder:consent.
func (s *Store) consentInScope(ctx context.Context, q sqlx.QueryerContext, actor domain.Actor, id uuid.UUID) (domain.Consent, error) {
	var k domain.Consent
	if err := sqlx.GetContext(ctx, q, &k, consentColumns+` WHERE k.id = $1`, id); err != nil {
		return k, notFoundIfNoRows(err)
	}
	k.At = k.At.UTC()
	_, err := s.founderInScope(ctx, q, actor, domain.ActFounderConsent, k.FounderID, "")
	return k, err
}

// Consents returns the founder's consents — the current state per purpose and every
// act, newest first, with who recorded it — to actor with founder:consent on the
// founder; the read is audited (consent.read). ErrNotFound.
func (s *Store) Consents(ctx context.Context, actor domain.Actor, founderID uuid.UUID) (domain.Consents, error) {
	f, err := s.founderInScope(ctx, s.DB, actor, domain.ActFounderConsent, founderID, "")
	if err != nil {
		return domain.Consents{}, err
	}
	cs, err := founderConsents(ctx, s.DB, founderID)
	if err != nil {
		return cs, fmt.Errorf("consents of founder %s: %w", founderID, err)
	}
	return cs, s.Audit(ctx, actor, Event{Action: "consent.read", ObjectType: "founder", ObjectID: &founderID, CarrierID: &f.CarrierID})
}

func founderConsents(ctx context.Context, q sqlx.QueryerContext, founderID uuid.UUID) (domain.Consents, error) {
	var history []domain.Consent
	if err := sqlx.SelectContext(ctx, q, &history, consentColumns+` WHERE k.founder_id = $1`+consentOrder, founderID); err != nil {
		return domain.Consents{}, err
	}
	for i := range history {
		history[i].At = history[i].At.UTC()
	}
	return domain.NewConsents(history), nil
}

// CaseFounder returns the founder of a case actor may read (the case page records
// consents through it; RecordConsent checks founder:consent itself). Only ids are
// read, so it is not audited. ErrNotFound.
func (s *Store) CaseFounder(ctx context.Context, actor domain.Actor, caseID uuid.UUID) (uuid.UUID, error) {
	var founderID uuid.UUID
	if err := s.DB.GetContext(ctx, &founderID, `SELECT founder_id FROM cases WHERE id = $1`, caseID); err != nil {
		return founderID, notFoundIfNoRows(err)
	}
	_, err := s.workCaseInScope(ctx, s.DB, actor, domain.ActCaseRead, caseID, "", "case", caseID)
	return founderID, err
}

// counsellingAllowed refuses casework in a case whose founder withdrew the consent to
// counselling: ErrConflict ("error.consent_withdrawn"). What was written before stays
// (it is kept for the retention period), and so do reading, closing and changing phase.
func counsellingAllowed(ctx context.Context, q sqlx.QueryerContext, caseID uuid.UUID) error {
	var withdrawn bool
	if err := sqlx.GetContext(ctx, q, &withdrawn, counsellingWithdrawnOfCase, caseID); err != nil {
		return err
	}
	if withdrawn {
		return errConsentWithdrawn()
	}
	return nil
}

func errConsentWithdrawn() error { return domain.Errorf(domain.ErrConflict, "error.consent_withdrawn") }

// specialCategoriesAllowed refuses to state a special category of personal data
// (disability, foreign background, homelessness: anything but not_stated) of a founder
// whose consent to ESF+ reporting is withdrawn: ErrInvalid ("error.consent_required")
// on each such field.
func specialCategoriesAllowed(ctx context.Context, q sqlx.QueryerContext, founderID uuid.UUID, d domain.FounderData) error {
	const notStated = "not_stated"
	if d.Disability == notStated && d.ForeignBackground == notStated && d.Homeless == notStated {
		return nil
	}
	var withdrawn bool
	if err := sqlx.GetContext(ctx, q, &withdrawn, latestWithdrawn, founderID, domain.PurposeESFReporting); err != nil {
		return err
	}
	if !withdrawn {
		return nil
	}
	var p domain.Problems
	for _, f := range []struct{ name, value string }{{"disability", d.Disability},
		{"foreign_background", d.ForeignBackground}, {"homeless", d.Homeless}} {
		if f.value != notStated {
			p.Add(f.name, "error.consent_required")
		}
	}
	return p.Err()
}
