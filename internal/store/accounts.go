package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

const insertCarrier = `INSERT INTO carriers (id, name, short_name) VALUES ($1, $2, $3)`

// require refuses an actor whose roles may never do action (ErrForbidden).
func (s *Store) require(actor domain.Actor, action domain.Action) error {
	if s.Scope(actor, action).Empty() {
		return domain.Errorf(domain.ErrForbidden, "error.forbidden")
	}
	return nil
}

// CreateCarrier adds a carrier (carrier:manage). ErrInvalid; ErrForbidden; ErrConflict
// when the name or short name is taken.
func (s *Store) CreateCarrier(ctx context.Context, actor domain.Actor, in domain.CarrierInput, idem *Idempotency) (domain.Carrier, error) {
	if err := s.require(actor, domain.ActCarrierManage); err != nil {
		return domain.Carrier{}, err
	}
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.Carrier{}, err
	}
	return create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		if _, err := tx.ExecContext(ctx, insertCarrier, id, in.Name, in.ShortName); err != nil {
			if isUnique(err, "") {
				return domain.Errorf(domain.ErrConflict, "error.carrier_taken")
			}
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "carrier.create", ObjectType: "carrier", ObjectID: &id, CarrierID: &id})
	}, func(q sqlx.QueryerContext, id uuid.UUID) (domain.Carrier, error) { return getCarrier(ctx, q, id) })
}

const selectCarriers = `SELECT id, name, short_name FROM carriers ORDER BY name`

// Carriers lists every carrier by name (there are a dozen).
func (s *Store) Carriers(ctx context.Context) ([]domain.Carrier, error) {
	out := []domain.Carrier{}
	return out, s.DB.SelectContext(ctx, &out, selectCarriers)
}

// Carrier returns one carrier; ErrNotFound.
func (s *Store) Carrier(ctx context.Context, id uuid.UUID) (domain.Carrier, error) {
	return getCarrier(ctx, s.DB, id)
}

func getCarrier(ctx context.Context, q sqlx.QueryerContext, id uuid.UUID) (domain.Carrier, error) {
	var c domain.Carrier
	err := sqlx.GetContext(ctx, q, &c, `SELECT id, name, short_name FROM carriers WHERE id = $1`, id)
	return c, notFoundIfNoRows(err)
}

const insertUser = `
INSERT INTO users (id, email, name, password_hash, languages, must_change_password) VALUES ($1, $2, $3, $4, $5, $6)`

// CreateUser adds a user (user:manage) with their first roles, in one transaction: a
// refused role leaves no account behind. The e-mail is trimmed and kept in lower case;
// the password must meet the policy and is stored as an argon2id hash. A password an
// administrator chose is one-time: the person must change it at their first sign-in
// (the command line and the seeds, acting as the installation, set final ones). ErrInvalid;
// ErrForbidden; ErrConflict when the e-mail is taken (case-insensitively).
func (s *Store) CreateUser(ctx context.Context, actor domain.Actor, in domain.UserInput, roles []domain.Membership, idem *Idempotency) (domain.User, error) {
	if err := s.require(actor, domain.ActUserManage); err != nil {
		return domain.User{}, err
	}
	if err := validEdit(&in, checkRoles(roles), s.Today()); err != nil {
		return domain.User{}, err
	}
	passwordHash, err := domain.HashPassword(ctx, in.Password)
	if err != nil {
		return domain.User{}, err
	}
	u, err := create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		if _, err := tx.ExecContext(ctx, insertUser, id, in.Email, in.Name, passwordHash, pq.Array(in.Languages), !actor.System); err != nil {
			return emailTaken(err)
		}
		if err := audit(ctx, tx, actor, Event{Action: "user.create", ObjectType: "user", ObjectID: &id}); err != nil {
			return err
		}
		if len(roles) == 0 {
			return nil
		}
		return replaceMemberships(ctx, tx, actor, id, roles)
	}, func(q sqlx.QueryerContext, id uuid.UUID) (domain.User, error) { return getUser(ctx, q, id) })
	if len(roles) > 0 {
		err = s.membershipsChanged(err)
	}
	return u, err
}

const selectUsers = `
SELECT u.id, u.email, u.name, u.languages, u.active, u.must_change_password, u.version,
       coalesce(array_agg(m.role ORDER BY m.role, m.carrier_id) FILTER (WHERE m.role IS NOT NULL), '{}') AS roles,
       coalesce(array_agg(coalesce(m.carrier_id::text, '') ORDER BY m.role, m.carrier_id) FILTER (WHERE m.role IS NOT NULL), '{}') AS role_carriers
FROM users u LEFT JOIN memberships m ON m.user_id = u.id
WHERE u.id = ANY($1::uuid[])
GROUP BY u.id
ORDER BY u.id`

// User returns a user with their role memberships; ErrNotFound.
func (s *Store) User(ctx context.Context, id uuid.UUID) (domain.User, error) {
	return getUser(ctx, s.DB, id)
}

func getUser(ctx context.Context, q sqlx.QueryerContext, id uuid.UUID) (domain.User, error) {
	us, err := getUsers(ctx, q, []uuid.UUID{id})
	if err != nil {
		return domain.User{}, err
	}
	if len(us) == 0 {
		return domain.User{}, domain.NotFound()
	}
	return us[0], nil
}

// getUsers reads users with their memberships in one query, ordered by id.
func getUsers(ctx context.Context, q sqlx.QueryerContext, ids []uuid.UUID) ([]domain.User, error) {
	rows, err := q.QueryxContext(ctx, selectUsers, pq.Array(uuidStrings(ids)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.User{}
	for rows.Next() {
		var u domain.User
		var roles, carriers []string
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, pq.Array(&u.Languages), &u.Active, &u.MustChangePassword, &u.Version, pq.Array(&roles), pq.Array(&carriers)); err != nil {
			return nil, err
		}
		u.Roles = make([]domain.Membership, len(roles))
		for i, r := range roles {
			u.Roles[i].Role = r
			if c, err := uuid.Parse(carriers[i]); err == nil {
				u.Roles[i].CarrierID = &c
			}
		}
		if u.Languages == nil {
			u.Languages = []string{}
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Credentials are what sign-in checks.
type Credentials struct {
	ID           uuid.UUID `db:"id"`
	Email        string    `db:"email"`
	PasswordHash string    `db:"password_hash"`
	Active       bool      `db:"active"`
	SessionEpoch int       `db:"session_epoch"`
	// MustChangePassword and SecondFactor decide the user's access gate (Gate).
	MustChangePassword bool `db:"must_change_password"`
	SecondFactor       bool `db:"second_factor"`
}

// selectCredentials reads Credentials; the caller adds the WHERE clause.
const selectCredentials = `SELECT id, email, password_hash, active, session_epoch, must_change_password,
       totp_enabled_at IS NOT NULL AS second_factor FROM users `

// CredentialsByEmail returns the sign-in data of the user with email; ErrNotFound.
func (s *Store) CredentialsByEmail(ctx context.Context, email string) (Credentials, error) {
	var c Credentials
	err := s.DB.GetContext(ctx, &c, selectCredentials+`WHERE lower(email) = lower($1)`, email)
	return c, notFoundIfNoRows(err)
}

// CredentialsByID returns the sign-in data of a user; ErrNotFound.
func (s *Store) CredentialsByID(ctx context.Context, id uuid.UUID) (Credentials, error) {
	var c Credentials
	err := s.DB.GetContext(ctx, &c, selectCredentials+`WHERE id = $1`, id)
	return c, notFoundIfNoRows(err)
}

const updatePassword = `
UPDATE users SET password_hash = $2, must_change_password = false, session_epoch = session_epoch + 1, updated_at = now()
WHERE id = $1
RETURNING session_epoch`

// ChangePassword changes the actor's own password: the current one must be right (wrong
// ones count as failed sign-ins and are throttled the same way, see reauthenticate),
// the new one must meet the policy and match its confirmation. Every session of the
// user ends and every API token is revoked, in the same transaction; the new session
// epoch is returned so the caller can keep its own session (and record it anew with
// StartSession). The change ends a one-time password an administrator set (the gate
// opens). ErrInvalid naming current_password, new_password (also when it is the
// current one) or new_password_confirm.
func (s *Store) ChangePassword(ctx context.Context, actor domain.Actor, in domain.PasswordChange, limits LoginLimits) (int, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return 0, err
	}
	if err := s.reauthenticate(ctx, actor, in.Current, "current_password", limits); err != nil {
		return 0, err
	}
	hash, err := domain.HashPassword(ctx, in.New)
	if err != nil {
		return 0, err
	}
	var epoch int
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &epoch, updatePassword, actor.UserID, hash); err != nil {
			return err
		}
		if err := endEverywhere(ctx, tx, actor.UserID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "auth.password_change", ObjectType: "user", ObjectID: &actor.UserID})
	})
	return epoch, wrap(err, "change password of %s", actor.UserID)
}

// MembershipChannel is the NOTIFY channel on which membership changes are announced;
// every instance listens on it and reloads its access policy.
const MembershipChannel = "lotse_memberships"

const (
	deleteMemberships = `DELETE FROM memberships WHERE user_id = $1`
	// The same role twice in one request is the same role: ON CONFLICT keeps the
	// transaction alive (a failed INSERT would abort it).
	insertMembership  = `INSERT INTO memberships (user_id, role, carrier_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	notifyMemberships = `SELECT pg_notify('` + MembershipChannel + `', $1)`
)

// SetRoles replaces the user's memberships (user:manage) and announces the change to
// every instance (the NOTIFY is delivered on commit). ErrNotFound for an unknown user;
// ErrInvalid for a carrier role without carrier, a global role with one, or an unknown
// carrier.
func (s *Store) SetRoles(ctx context.Context, actor domain.Actor, user uuid.UUID, roles []domain.Membership) (domain.User, error) {
	if err := s.require(actor, domain.ActUserManage); err != nil {
		return domain.User{}, err
	}
	if err := checkRoles(roles); err != nil {
		return domain.User{}, err
	}
	var out domain.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := getUser(ctx, tx, user); err != nil {
			return err
		}
		if err := replaceMemberships(ctx, tx, actor, user, roles); err != nil {
			return err
		}
		var err error
		out, err = getUser(ctx, tx, user)
		return err
	})
	return out, s.membershipsChanged(wrap(err, "set roles of %s", user))
}

// checkRoles validates memberships: known roles, a carrier for carrier roles and none
// for global ones, at most 50. ErrInvalid naming roles[i].role or roles[i].carrier_id.
func checkRoles(roles []domain.Membership) error {
	if len(roles) > 50 {
		return domain.Invalid("roles", "validation.max")
	}
	var p domain.Problems
	for i := range roles {
		p = append(p, domain.Tags(&roles[i], fmt.Sprintf("roles[%d].", i))...)
	}
	if len(p) > 0 {
		return p.Err()
	}
	return domain.CheckMemberships(roles)
}

// replaceMemberships writes the user's memberships anew, announces the change and
// audits it.
func replaceMemberships(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, user uuid.UUID, roles []domain.Membership) error {
	if _, err := tx.ExecContext(ctx, deleteMemberships, user); err != nil {
		return err
	}
	for i, m := range roles {
		if _, err := tx.ExecContext(ctx, insertMembership, user, m.Role, m.CarrierID); err != nil {
			if isForeignKey(err) {
				return domain.Invalid(fieldIndex("roles", i, "carrier_id"), "error.unknown_carrier")
			}
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, notifyMemberships, user.String()); err != nil {
		return err
	}
	return audit(ctx, tx, actor, Event{Action: "user.roles_change", ObjectType: "user", ObjectID: &user})
}

const (
	deactivateUser = `UPDATE users SET active = false, session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1`
	revokeTokens   = `UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`
	reactivateUser = `UPDATE users SET active = true, updated_at = now() WHERE id = $1`
)

// Deactivate ends the user's sessions and tokens (user:manage); their memberships stop
// counting everywhere (NOTIFY). ErrNotFound.
func (s *Store) Deactivate(ctx context.Context, actor domain.Actor, user uuid.UUID) (domain.User, error) {
	if err := s.require(actor, domain.ActUserManage); err != nil {
		return domain.User{}, err
	}
	var out domain.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, deactivateUser, user)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound()
		}
		if _, err := tx.ExecContext(ctx, revokeTokens, user); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, notifyMemberships, user.String()); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "user.deactivate", ObjectType: "user", ObjectID: &user}); err != nil {
			return err
		}
		out, err = getUser(ctx, tx, user)
		return err
	})
	return out, s.membershipsChanged(wrap(err, "deactivate %s", user))
}

// Reactivate lets a deactivated user sign in again (user:manage), with the roles they
// had; their old sessions and tokens stay ended. ErrNotFound.
func (s *Store) Reactivate(ctx context.Context, actor domain.Actor, user uuid.UUID) (domain.User, error) {
	if err := s.require(actor, domain.ActUserManage); err != nil {
		return domain.User{}, err
	}
	var out domain.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, reactivateUser, user)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound()
		}
		if _, err := tx.ExecContext(ctx, notifyMemberships, user.String()); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "user.reactivate", ObjectType: "user", ObjectID: &user}); err != nil {
			return err
		}
		out, err = getUser(ctx, tx, user)
		return err
	})
	return out, s.membershipsChanged(wrap(err, "reactivate %s", user))
}

const insertToken = `
INSERT INTO api_tokens (id, user_id, name, token_hash, expires_on) VALUES ($1, $2, $3, $4, $5)
RETURNING created_at`

// CreateToken stores the hash of a new personal API token of the actor and answers with
// its secret, shown this once. The actor's current password must come with it
// (in.Password, checked and throttled like a sign-in: see reauthenticate). A replay of
// the same Idempotency-Key cannot show the secret again — it is kept nowhere — and is
// refused with ErrConflict (error.token_secret_shown_once) rather than answered with a
// secret that would not work. ErrInvalid (password: error.password_wrong,
// error.throttled).
func (s *Store) CreateToken(ctx context.Context, actor domain.Actor, in domain.TokenInput, secret string, idem *Idempotency, limits LoginLimits) (domain.Token, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.Token{}, err
	}
	if err := s.reauthenticate(ctx, actor, in.Password, "password", limits); err != nil {
		return domain.Token{}, err
	}
	t := domain.Token{Name: in.Name, Token: secret, ExpiresOn: in.ExpiresOn}
	created := uuid.Nil
	var err error
	t.ID, err = create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		h := sha256.Sum256([]byte(secret))
		if err := tx.GetContext(ctx, &t.CreatedAt, insertToken, id, actor.UserID, in.Name, h[:], in.ExpiresOn); err != nil {
			return err
		}
		created = id
		return audit(ctx, tx, actor, Event{Action: "token.create", ObjectType: "api_token", ObjectID: &id})
	}, func(_ sqlx.QueryerContext, id uuid.UUID) (uuid.UUID, error) {
		if id != created { // an earlier request's token: its secret was shown then
			return uuid.Nil, domain.Errorf(domain.ErrConflict, "error.token_secret_shown_once")
		}
		return id, nil
	})
	if err != nil {
		return domain.Token{}, err
	}
	return t, nil
}

const selectTokens = `
SELECT id, name, expires_on, created_at FROM api_tokens
WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC`

// Tokens lists the user's live tokens (never their secrets).
func (s *Store) Tokens(ctx context.Context, user uuid.UUID) ([]domain.Token, error) {
	rows, err := s.DB.QueryContext(ctx, selectTokens, user)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Token{}
	for rows.Next() {
		var t domain.Token
		var exp *time.Time
		if err := rows.Scan(&t.ID, &t.Name, &exp, &t.CreatedAt); err != nil {
			return nil, err
		}
		if exp != nil {
			d := domain.NewDate(*exp)
			t.ExpiresOn = &d
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

const revokeToken = `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`

// RevokeToken ends one of the user's tokens; ErrNotFound for another's or an unknown one.
func (s *Store) RevokeToken(ctx context.Context, actor domain.Actor, id uuid.UUID) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, revokeToken, id, actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound()
		}
		return audit(ctx, tx, actor, Event{Action: "token.revoke", ObjectType: "api_token", ObjectID: &id})
	})
}

const selectTokenUser = `
SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active
  AND (t.expires_on IS NULL OR t.expires_on >= current_date)`

// TokenUser returns the user a live token belongs to; ErrNotFound.
func (s *Store) TokenUser(ctx context.Context, secret string) (uuid.UUID, error) {
	h := sha256.Sum256([]byte(secret))
	var id uuid.UUID
	err := s.DB.GetContext(ctx, &id, selectTokenUser, h[:])
	return id, notFoundIfNoRows(err)
}

const clearLoginFailures = `DELETE FROM login_attempts WHERE email = lower($1) OR at < now() - interval '1 day'`

// LoginLimits throttle password checks: after PerAccount failures for one e-mail, or
// PerAddress from one address, within Window, checks pause until the window has passed.
type LoginLimits struct {
	PerAccount int
	PerAddress int
	Window     time.Duration
}

// SignIn checks e-mail and password, and for an account with a second factor in.OTP (a
// code of the app or an unused recovery code), with throttling shared by all instances
// (beginAttempt: a wrong code counts like a wrong password), and returns the account's
// credentials (id, session epoch). Every outcome is audited; the error never says which
// part was wrong: ErrUnauthorized ("error.login_failed"), or ErrThrottled
// ("error.throttled", with RetryAfter). When the password was right but the account
// needs a code and in.OTP is empty, the answer is ErrUnauthorized
// ("error.otp_required") *with* the credentials, so that a page can ask for the code in
// a second step (SignInSecondFactor); a wrong code is ErrUnauthorized
// ("error.otp_wrong").
func (s *Store) SignIn(ctx context.Context, actor domain.Actor, in domain.SignInInput, l LoginLimits) (Credentials, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return Credentials{}, err
	}
	email, password := in.Email, in.Password
	at, err := s.beginAttempt(ctx, actor, email, l)
	if err != nil {
		return Credentials{}, err
	}
	cred, err := s.CredentialsByEmail(ctx, email)
	if err != nil && domain.ErrorCode(err) != domain.ErrNotFound {
		return Credentials{}, err
	}
	hash := cred.PasswordHash
	if err != nil {
		hash = domain.DummyHash // same work whether or not the account exists
	}
	match, herr := domain.CheckPassword(ctx, password, hash)
	if herr != nil || !match || err != nil || !cred.Active {
		// The attempt stays counted as a failure.
		var obj *uuid.UUID
		if cred.ID != uuid.Nil {
			obj = &cred.ID
		}
		_ = s.Audit(ctx, actor, Event{Action: "auth.login_failed", ObjectType: "user", ObjectID: obj, Outcome: "denied"})
		return Credentials{}, domain.Errorf(domain.ErrUnauthorized, "error.login_failed")
	}
	return s.secondStep(ctx, actor, cred, at, in.OTP)
}

// selectAdvisors: the active advisors of carrier $1 with the open cases each leads or
// co-advises there. The caseload is counted set-wise, in one pass over the carrier's
// open cases (and their co-advisors), then joined to the advisors: a count per advisor
// as a correlated subquery scanned the carrier's cases once per advisor (27 × 9,091
// rows, ≈ 1.8 s on the 100,000-founder data set, against ≈ 20 ms). A co-advisor who also
// leads the case counts it once.
const selectAdvisors = `
WITH load AS (
    SELECT l.user_id, count(*) AS active_cases
    FROM (SELECT c.lead_advisor_id AS user_id FROM cases c WHERE c.carrier_id = $1 AND c.status <> 'closed'
          UNION ALL
          SELECT a.user_id FROM case_co_advisors a JOIN cases c ON c.id = a.case_id
          WHERE c.carrier_id = $1 AND c.status <> 'closed' AND a.user_id <> c.lead_advisor_id) l
    GROUP BY l.user_id
)
SELECT u.id, u.name, u.languages, coalesce(load.active_cases, 0) AS active_cases
FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN load ON load.user_id = u.id
WHERE m.carrier_id = $1 AND m.role = 'advisor' AND u.active
ORDER BY u.name`

// Advisors lists the active advisors of a carrier with their languages and open
// caseload, for someone who reaches the carrier with carrier:advisors (its coordinators
// and administrators). ErrNotFound for an unknown carrier and one outside the scope.
func (s *Store) Advisors(ctx context.Context, actor domain.Actor, carrier uuid.UUID) ([]domain.AdvisorLoad, error) {
	if !s.Scope(actor, domain.ActCarrierAdvisors).InCarrier(carrier) {
		return nil, domain.Denied(domain.ActCarrierAdvisors, "carrier", carrier)
	}
	// A carrier that does not exist is 404, not an empty list.
	if _, err := getCarrier(ctx, s.DB, carrier); err != nil {
		return nil, err
	}
	return advisorsOf(ctx, s.DB, carrier)
}

func advisorsOf(ctx context.Context, q sqlx.QueryerContext, carrier uuid.UUID) ([]domain.AdvisorLoad, error) {
	rows, err := q.QueryContext(ctx, selectAdvisors, carrier)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.AdvisorLoad{}
	for rows.Next() {
		var a domain.AdvisorLoad
		if err := rows.Scan(&a.ID, &a.Name, pq.Array(&a.Languages), &a.ActiveCases); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ReportCarriers are the carriers a statistics answer or export of actor covers
// (stats:read): the carrier named, which must exist and lie in the scope, else the same
// 404; or every carrier of the scope (nil: all carriers, for programme managers).
func (s *Store) ReportCarriers(ctx context.Context, actor domain.Actor, carrier *uuid.UUID) ([]uuid.UUID, error) {
	carriers, err := s.Scope(actor, domain.ActStatsRead).Reach(domain.ActStatsRead, carrier)
	if err == nil && carrier != nil {
		_, err = getCarrier(ctx, s.DB, *carrier)
	}
	return carriers, err
}

// emailTaken turns the unique violation of users_email_key into the conflict an
// administrator can fix (naming the field, so forms keep the input and mark it).
func emailTaken(err error) error {
	if isUnique(err, "users_email_key") {
		return &domain.Error{Code: domain.ErrConflict, Message: "error.email_taken",
			Fields: []domain.FieldError{{Field: "email", Message: "error.email_taken"}}}
	}
	return err
}

// userSortKeys are the keyset keys of the account list's orders, each ending in the id
// and each matching an index of migration 00009 (by e-mail: users_email_key). %s is
// the table's alias.
var userSortKeys = map[string]string{
	domain.UserSortName:   `lower(%[1]s.name), %[1]s.id`,
	domain.UserSortEmail:  `lower(%[1]s.email), %[1]s.id`,
	domain.UserSortStatus: `(NOT %[1]s.active), lower(%[1]s.name), %[1]s.id`,
}

// selectUserPages are the page queries of the account list per order: the search in
// name and e-mail ($1, LIKE's wildcards escaped), folded by the function that folds the
// stored search_text (trigram index users_search), the rows after the cursor's row in
// the order ($2: the id of the last row of the page before, whose key is looked up — a
// cursor stays a plain id), at most $3.
var selectUserPages = func() map[string]string {
	out := map[string]string{}
	for sort, key := range userSortKeys {
		out[sort] = `
SELECT u.id FROM users u
WHERE ($1 = '' OR u.search_text LIKE '%' || user_search_fold($1) || '%')
  AND ($2::uuid IS NULL OR (` + fmt.Sprintf(key, "u") + `) > (SELECT ` + fmt.Sprintf(key, "c") + ` FROM users c WHERE c.id = $2))
ORDER BY ` + fmt.Sprintf(key, "u") + `
LIMIT $3`
	}
	return out
}()

// likeEscaper escapes LIKE's wildcards (and its escape character), so that a search
// for "a_b" finds "a_b" and not "axb".
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Users lists accounts for administrators (user:manage): q.Q searches name and e-mail
// (a part of either; case and accents do not matter: "celik" finds "Çelik"), in the
// order q.Sort, q.Limit a page after the account q.Cursor. Answers the page and the
// cursor of the next one ("" at the end). ErrForbidden; ErrInvalid (q, sort, limit,
// cursor).
func (s *Store) Users(ctx context.Context, actor domain.Actor, q domain.UserQuery) ([]domain.User, string, error) {
	if err := s.require(actor, domain.ActUserManage); err != nil {
		return nil, "", err
	}
	if err := domain.Validate(&q, s.Today()); err != nil {
		return nil, "", err
	}
	var after *uuid.UUID
	if q.Cursor != "" {
		id, err := uuid.Parse(q.Cursor)
		if err != nil {
			return nil, "", domain.Invalid("cursor", "error.invalid_cursor")
		}
		after = &id
	}
	var ids []uuid.UUID
	if err := s.DB.SelectContext(ctx, &ids, selectUserPages[q.Sort], likeEscaper.Replace(q.Q), after, q.Limit+1); err != nil {
		return nil, "", wrap(err, "list users")
	}
	next := ""
	if len(ids) > q.Limit {
		ids = ids[:q.Limit]
		next = ids[q.Limit-1].String()
	}
	us, err := getUsers(ctx, s.DB, ids)
	if err != nil {
		return nil, "", err
	}
	// getUsers answers by id; the page is in the order asked for.
	at := make(map[uuid.UUID]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	out := make([]domain.User, len(us))
	for _, u := range us {
		out[at[u.ID]] = u
	}
	return out, next, nil
}

const (
	selectUserEditForUpdate = `SELECT name, email, languages, version FROM users WHERE id = $1 FOR UPDATE`
	updateUser              = `
UPDATE users SET name = $2, email = $3, languages = $4, version = version + 1, updated_at = now() WHERE id = $1`
)

// UpdateUser changes an account's name, e-mail address and languages (user:manage),
// based on version: edit gets the current values under the row's lock (a PATCH merges
// its body into them, a form replaces them). Audited (user.update). ErrForbidden;
// ErrNotFound; ErrPreconditionFailed when the account changed since version;
// ErrInvalid; ErrConflict naming email when another account has the address
// (case-insensitively).
func (s *Store) UpdateUser(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, edit domain.Edit[domain.UserEdit]) (domain.User, error) {
	if err := s.require(actor, domain.ActUserManage); err != nil {
		return domain.User{}, err
	}
	var out domain.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var cur domain.UserEdit
		var v int
		err := tx.QueryRowxContext(ctx, selectUserEditForUpdate, id).Scan(&cur.Name, &cur.Email, pq.Array(&cur.Languages), &v)
		if err != nil {
			return notFoundIfNoRows(err)
		}
		if v != version {
			return errStale()
		}
		in, err := edit(cur)
		if err := validEdit(&in, err, s.Today()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, updateUser, id, in.Name, in.Email, pq.Array(in.Languages)); err != nil {
			return emailTaken(err)
		}
		if err := audit(ctx, tx, actor, Event{Action: "user.update", ObjectType: "user", ObjectID: &id}); err != nil {
			return err
		}
		out, err = getUser(ctx, tx, id)
		return err
	})
	return out, wrap(err, "update user %s", id)
}

const (
	resetPassword = `
UPDATE users SET password_hash = $2, must_change_password = true, session_epoch = session_epoch + 1, updated_at = now()
WHERE id = $1
RETURNING email`
	// Failures counted against the old password guessed at a password that is gone.
	clearAccountFailures = `DELETE FROM login_attempts WHERE email = lower($1)`
)

// ResetPassword sets a one-time password for an account (user:manage), which must meet
// the password policy: the person must change it at their next sign-in and reaches
// nothing else before (AccessGate). Every session of the account ends and every API
// token is revoked, in the same transaction, and the sign-in throttle forgets the
// account's failures (a person who was locked out can sign in with the new password;
// the limit per address stays). Audited (user.password_reset); the account
// of an administrator resetting their own password is no exception. ErrForbidden;
// ErrNotFound; ErrInvalid naming password.
func (s *Store) ResetPassword(ctx context.Context, actor domain.Actor, id uuid.UUID, in domain.PasswordReset) (domain.User, error) {
	if err := s.require(actor, domain.ActUserManage); err != nil {
		return domain.User{}, err
	}
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.User{}, err
	}
	hash, err := domain.HashPassword(ctx, in.Password)
	if err != nil {
		return domain.User{}, err
	}
	var out domain.User
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var email string
		if err := tx.GetContext(ctx, &email, resetPassword, id, hash); err != nil {
			return notFoundIfNoRows(err)
		}
		if _, err := tx.ExecContext(ctx, clearAccountFailures, email); err != nil {
			return err
		}
		if err := endEverywhere(ctx, tx, id); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "user.password_reset", ObjectType: "user", ObjectID: &id}); err != nil {
			return err
		}
		out, err = getUser(ctx, tx, id)
		return err
	})
	return out, wrap(err, "reset password of %s", id)
}

// AccessGate is what user must do before anything else is reachable (Gate); for
// callers that have no Credentials at hand (API tokens). ErrNotFound.
func (s *Store) AccessGate(ctx context.Context, user uuid.UUID) (domain.Gate, error) {
	c, err := s.CredentialsByID(ctx, user)
	if err != nil {
		return domain.GateNone, err
	}
	return s.Gate(c), nil
}

// Gate is what the user of c must do before anything else is reachable
// (domain.Gate): change a one-time password an administrator set, then set up a second
// factor their roles need (domain.SecondFactorAction).
func (s *Store) Gate(c Credentials) domain.Gate {
	switch {
	case c.MustChangePassword:
		return domain.GatePasswordChange
	case !c.SecondFactor && !s.Scope(domain.Actor{UserID: c.ID}, domain.SecondFactorAction).Empty():
		return domain.GateSecondFactor
	}
	return domain.GateNone
}
