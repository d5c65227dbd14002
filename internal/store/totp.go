package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// The second factor: a TOTP secret per account (users.totp_secret, switched on at
// totp_enabled_at, each code once: totp_last_step) and recovery codes kept as SHA-256
// hashes (recovery_codes), each usable once. The secret is stored as it is: whoever can
// read the users table can make codes (as they could try the password hashes), so the
// database and its backups must be protected like the passwords.

// factor is what a presented second-factor code turned out to be.
type factor int

const (
	factorNone     factor = iota // the account has no second factor
	factorMissing                // it has one, and no code came
	factorWrong                  // a code came and is no current, unused code
	factorTOTP                   // a code of the app, now used up
	factorRecovery               // a recovery code, now used up
)

const (
	selectTOTPForUpdate = `
SELECT totp_secret, coalesce(totp_last_step, 0) FROM users WHERE id = $1 AND totp_secret IS NOT NULL FOR UPDATE`
	updateTOTPStep     = `UPDATE users SET totp_last_step = $2 WHERE id = $1`
	deleteRecoveryCode = `DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2`
)

// useSecondFactor checks code against user's second factor and uses it up: a code of
// the app only for a later time step than the last one accepted, a recovery code by
// deleting it. The user's row is locked, so two requests with the same code cannot both
// succeed.
func (s *Store) useSecondFactor(ctx context.Context, tx *sqlx.Tx, user uuid.UUID, code string) (factor, error) {
	var secret string
	var last int64
	err := tx.QueryRowxContext(ctx, selectTOTPForUpdate, user).Scan(&secret, &last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return factorNone, nil
	case err != nil:
		return 0, err
	}
	code = domain.NormaliseCode(code)
	switch {
	case code == "":
		return factorMissing, nil
	case domain.IsTOTPCode(code):
		step, ok := domain.TOTPStep(secret, code, s.Now(), last)
		if !ok {
			return factorWrong, nil
		}
		_, err := tx.ExecContext(ctx, updateTOTPStep, user, step)
		return factorTOTP, err
	}
	res, err := tx.ExecContext(ctx, deleteRecoveryCode, user, domain.RecoveryCodeHash(code))
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return factorWrong, nil
	}
	return factorRecovery, nil
}

// secondStep finishes a sign-in whose password was right (its attempt a still counted
// as a failure): without a second factor, or with a right code, the account is signed
// in (auth.login; auth.recovery_code_used for a recovery code); without a code the
// attempt is withdrawn — the password was no failure — and the credentials come back
// with ErrUnauthorized ("error.otp_required"); a wrong code stays counted as a failure
// (auth.login_failed, "denied:second_factor") and is ErrUnauthorized ("error.otp_wrong").
func (s *Store) secondStep(ctx context.Context, actor domain.Actor, cred Credentials, a attempt, code string) (Credentials, error) {
	var used factor
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		used, err = s.useSecondFactor(ctx, tx, cred.ID, code)
		return err
	})
	if err != nil {
		return Credentials{}, wrap(err, "second factor of %s", cred.ID)
	}
	switch used {
	case factorMissing:
		if err := s.withdraw(ctx, a); err != nil {
			return Credentials{}, err
		}
		return cred, domain.Errorf(domain.ErrUnauthorized, "error.otp_required")
	case factorWrong:
		_ = s.Audit(ctx, actor, Event{Action: "auth.login_failed", ObjectType: "user", ObjectID: &cred.ID, Outcome: "denied:second_factor"})
		return Credentials{}, domain.Errorf(domain.ErrUnauthorized, "error.otp_wrong")
	}
	if err := s.succeed(ctx, a); err != nil {
		return Credentials{}, err
	}
	actor.UserID = cred.ID
	if used == factorRecovery {
		if err := s.Audit(ctx, actor, Event{Action: "auth.recovery_code_used", ObjectType: "user", ObjectID: &cred.ID}); err != nil {
			return Credentials{}, err
		}
	}
	return cred, s.Audit(ctx, actor, Event{Action: "auth.login", ObjectType: "user", ObjectID: &cred.ID})
}

// SignInSecondFactor is the second step of a sign-in whose password was right
// (SignIn answered "error.otp_required" with the credentials, at session epoch epoch):
// code is a code of the app or an unused recovery code, checked and throttled like a
// password. ErrUnauthorized ("error.login_failed") when the account was deactivated or
// its password changed since the first step, ("error.otp_wrong") for a wrong code;
// ErrInvalid ("code") without a code; ErrThrottled.
func (s *Store) SignInSecondFactor(ctx context.Context, actor domain.Actor, user uuid.UUID, epoch int, code string, l LoginLimits) (Credentials, error) {
	if strings.TrimSpace(code) == "" {
		return Credentials{}, domain.Invalid("code", "error.otp_required")
	}
	if len(code) > 64 {
		return Credentials{}, domain.Invalid("code", "error.otp_wrong")
	}
	cred, err := s.CredentialsByID(ctx, user)
	if err != nil && domain.ErrorCode(err) != domain.ErrNotFound {
		return Credentials{}, err
	}
	if err != nil || !cred.Active || cred.SessionEpoch != epoch {
		return Credentials{}, domain.Errorf(domain.ErrUnauthorized, "error.login_failed")
	}
	a, err := s.beginAttempt(ctx, actor, cred.Email, l)
	if err != nil {
		return Credentials{}, err
	}
	return s.secondStep(ctx, actor, cred, a, code)
}

const selectSecondFactor = `
SELECT u.email, u.totp_enabled_at, (SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id)
FROM users u WHERE u.id = $1`

// SecondFactor is the state of the actor's own second factor. ErrNotFound.
func (s *Store) SecondFactor(ctx context.Context, actor domain.Actor) (domain.SecondFactor, error) {
	_, sf, err := secondFactorOf(ctx, s.DB, actor.UserID)
	sf.Required = !s.Scope(actor, domain.SecondFactorAction).Empty()
	return sf, err
}

func secondFactorOf(ctx context.Context, q sqlx.QueryerContext, user uuid.UUID) (string, domain.SecondFactor, error) {
	var email string
	var sf domain.SecondFactor
	err := q.QueryRowxContext(ctx, selectSecondFactor, user).Scan(&email, &sf.EnabledAt, &sf.RecoveryCodesLeft)
	sf.Enabled = sf.EnabledAt != nil
	return email, sf, notFoundIfNoRows(err)
}

// BeginSecondFactor makes a new secret for the actor's account, for the caller to show
// (QR code and text) and to keep until the person confirms a code made from it
// (EnableSecondFactor). Nothing is stored yet. ErrConflict ("error.second_factor_on")
// when the account has a second factor already.
func (s *Store) BeginSecondFactor(ctx context.Context, actor domain.Actor) (domain.Enrolment, error) {
	email, sf, err := secondFactorOf(ctx, s.DB, actor.UserID)
	if err != nil {
		return domain.Enrolment{}, err
	}
	if sf.Enabled {
		return domain.Enrolment{}, domain.Errorf(domain.ErrConflict, "error.second_factor_on")
	}
	return domain.NewEnrolment(email)
}

// Enrolment is the enrolment of secret for the actor's account (to show it again while
// the person has not confirmed it). ErrInvalid for a secret that is no base32.
func (s *Store) Enrolment(ctx context.Context, actor domain.Actor, secret string) (domain.Enrolment, error) {
	email, _, err := secondFactorOf(ctx, s.DB, actor.UserID)
	if err != nil {
		return domain.Enrolment{}, err
	}
	return domain.EnrolmentOf(secret, email)
}

// recheckPassword checks the actor's current password before a change of their second
// factor, as one counted attempt (beginAttempt: race-free, like a sign-in); the attempt
// stays counted as a failure until the caller withdraws it. A wrong password is audited
// as auth.reauth_failed. ErrInvalid on current_password: error.password_wrong or
// error.throttled (as every re-authentication answers).
func (s *Store) recheckPassword(ctx context.Context, actor domain.Actor, password string, l LoginLimits) (attempt, error) {
	cred, err := s.CredentialsByID(ctx, actor.UserID)
	if err != nil {
		return attempt{}, err
	}
	a, err := s.beginAttempt(ctx, actor, cred.Email, l)
	if domain.ErrorCode(err) == domain.ErrThrottled {
		return a, domain.Invalid("current_password", "error.throttled")
	}
	if err != nil {
		return a, err
	}
	if ok, err := domain.CheckPassword(ctx, password, cred.PasswordHash); err != nil || !ok {
		if err != nil {
			return a, err
		}
		if err := s.Audit(ctx, actor, Event{Action: "auth.reauth_failed", ObjectType: "user", ObjectID: &actor.UserID, Outcome: "denied"}); err != nil {
			return a, err
		}
		return a, domain.Invalid("current_password", "error.password_wrong")
	}
	return a, nil
}

// needCode is the validation of a second-factor change that needs a code.
func needCode(in *domain.SecondFactorInput, today domain.Date) error {
	var p domain.Problems
	if err := domain.Validate(in, today); err != nil {
		var e *domain.Error
		if !errors.As(err, &e) {
			return err
		}
		p = e.Fields
	}
	if strings.TrimSpace(in.Code) == "" {
		p.Add("code", "validation.required")
	}
	return p.Err()
}

const (
	enableTOTP = `
UPDATE users SET totp_secret = $2, totp_enabled_at = now(), totp_last_step = $3, updated_at = now()
WHERE id = $1 AND totp_enabled_at IS NULL`
	disableTOTP = `
UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = now()
WHERE id = $1`
	deleteRecoveryCodes = `DELETE FROM recovery_codes WHERE user_id = $1`
	insertRecoveryCode  = `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`
)

// EnableSecondFactor switches the actor's second factor on with secret (from
// BeginSecondFactor, kept by the caller): the current password must be right (a wrong
// one counts as a failed sign-in) and in.Code must be a current code of secret. Answers
// RecoveryCodeCount new recovery codes, shown this once (stored as hashes). Audited
// (auth.second_factor_enabled). ErrInvalid naming current_password or code
// ("error.enrolment_expired" without a secret); ErrConflict ("error.second_factor_on");
// ErrThrottled.
func (s *Store) EnableSecondFactor(ctx context.Context, actor domain.Actor, secret string, in domain.SecondFactorInput, l LoginLimits) ([]string, error) {
	if err := needCode(&in, s.Today()); err != nil {
		return nil, err
	}
	if err := domain.CheckSecret(secret); err != nil {
		return nil, err
	}
	a, err := s.recheckPassword(ctx, actor, in.Password, l)
	if err != nil {
		return nil, err
	}
	// The password was right; a mistyped code against a secret not yet in use is no
	// guess at anything, so it does not count as a failure.
	if err := s.withdraw(ctx, a); err != nil {
		return nil, err
	}
	step, ok := domain.TOTPStep(secret, in.Code, s.Now(), 0)
	if !ok {
		return nil, domain.Invalid("code", "error.otp_wrong")
	}
	codes := domain.NewRecoveryCodes()
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, enableTOTP, actor.UserID, strings.ToUpper(secret), step)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.Errorf(domain.ErrConflict, "error.second_factor_on")
		}
		if err := replaceRecoveryCodes(ctx, tx, actor.UserID, codes); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "auth.second_factor_enabled", ObjectType: "user", ObjectID: &actor.UserID})
	})
	return codes, wrap(err, "enable second factor of %s", actor.UserID)
}

// DisableSecondFactor switches the actor's second factor off and deletes their recovery
// codes: the current password and a current code (or an unused recovery code) must be
// right, each counted and throttled like a sign-in. Audited
// (auth.second_factor_disabled). Administrators may do it too (to move to a new phone)
// and then reach nothing but the enrolment again. ErrInvalid naming current_password
// or code; ErrConflict ("error.second_factor_off"); ErrThrottled.
func (s *Store) DisableSecondFactor(ctx context.Context, actor domain.Actor, in domain.SecondFactorInput, l LoginLimits) error {
	if err := needCode(&in, s.Today()); err != nil {
		return err
	}
	a, err := s.recheckPassword(ctx, actor, in.Password, l)
	if err != nil {
		return err
	}
	var used factor
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if used, err = s.useSecondFactor(ctx, tx, actor.UserID, in.Code); err != nil || (used != factorTOTP && used != factorRecovery) {
			return err
		}
		if _, err := tx.ExecContext(ctx, disableTOTP, actor.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, deleteRecoveryCodes, actor.UserID); err != nil {
			return err
		}
		if used == factorRecovery {
			if err := audit(ctx, tx, actor, Event{Action: "auth.recovery_code_used", ObjectType: "user", ObjectID: &actor.UserID}); err != nil {
				return err
			}
		}
		return audit(ctx, tx, actor, Event{Action: "auth.second_factor_disabled", ObjectType: "user", ObjectID: &actor.UserID})
	})
	if err != nil {
		return wrap(err, "disable second factor of %s", actor.UserID)
	}
	switch used {
	case factorWrong, factorMissing: // stays counted
		_ = s.Audit(ctx, actor, Event{Action: "auth.login_failed", ObjectType: "user", ObjectID: &actor.UserID, Outcome: "denied:second_factor"})
		return domain.Invalid("code", "error.otp_wrong")
	case factorNone:
		err = domain.Errorf(domain.ErrConflict, "error.second_factor_off")
	}
	if werr := s.withdraw(ctx, a); werr != nil {
		return werr
	}
	return err
}

// RenewRecoveryCodes replaces the actor's recovery codes with RecoveryCodeCount new
// ones, shown this once: the current password must be right (counted and throttled
// like a sign-in). Audited (auth.recovery_codes_renewed). ErrInvalid naming
// current_password; ErrConflict ("error.second_factor_off"); ErrThrottled.
func (s *Store) RenewRecoveryCodes(ctx context.Context, actor domain.Actor, in domain.SecondFactorInput, l LoginLimits) ([]string, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return nil, err
	}
	a, err := s.recheckPassword(ctx, actor, in.Password, l)
	if err != nil {
		return nil, err
	}
	if err := s.withdraw(ctx, a); err != nil {
		return nil, err
	}
	codes := domain.NewRecoveryCodes()
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var on bool
		if err := tx.GetContext(ctx, &on, `SELECT totp_enabled_at IS NOT NULL FROM users WHERE id = $1 FOR UPDATE`, actor.UserID); err != nil {
			return err
		}
		if !on {
			return domain.Errorf(domain.ErrConflict, "error.second_factor_off")
		}
		if err := replaceRecoveryCodes(ctx, tx, actor.UserID, codes); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "auth.recovery_codes_renewed", ObjectType: "user", ObjectID: &actor.UserID})
	})
	return codes, wrap(err, "renew recovery codes of %s", actor.UserID)
}

func replaceRecoveryCodes(ctx context.Context, tx *sqlx.Tx, user uuid.UUID, codes []string) error {
	if _, err := tx.ExecContext(ctx, deleteRecoveryCodes, user); err != nil {
		return err
	}
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, insertRecoveryCode, user, domain.RecoveryCodeHash(c)); err != nil {
			return err
		}
	}
	return nil
}
