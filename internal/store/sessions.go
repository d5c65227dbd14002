package store

import (
	"context"
	"crypto/sha256"
	"errors"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// A person's signed-in sessions. scs keeps each session as an opaque blob under its
// token; user_sessions says whose it is, so people can list and end their own. A
// session counts only while its row exists (the authentication asks TouchSession on
// every request): a request of an ended session that was in flight, and writes scs's
// row back when it ends, is still signed out. The per-user session epoch stays what
// ends every session at once (password change, deactivation).

// sessionHash is how a session token is kept here: the token is a bearer secret and
// stays in scs's table alone. PostgreSQL computes the same as sha256(token::bytea)
// (scs tokens are base64url, which the cast keeps byte for byte).
func sessionHash(token string) []byte {
	if token == "" {
		return nil
	}
	h := sha256.Sum256([]byte(token))
	return h[:]
}

const (
	insertUserSession = `
INSERT INTO user_sessions (id, user_id, token_hash, browser, platform) VALUES ($1, $2, $3, $4, $5)`
	deleteUserSessionByHash = `DELETE FROM user_sessions WHERE token_hash = $1`
	// The row is looked up on every request; the time of use is written only when the
	// last write is a minute old, so a busy session costs one UPDATE a minute.
	touchUserSession = `
WITH hit AS (SELECT id, last_seen_at FROM user_sessions WHERE token_hash = $1 AND user_id = $2),
touched AS (UPDATE user_sessions u SET last_seen_at = now() FROM hit
            WHERE u.id = hit.id AND hit.last_seen_at < now() - interval '1 minute')
SELECT count(*) FROM hit`
	// Only sessions scs still holds and has not expired are listed.
	selectUserSessions = `
SELECT u.id, u.created_at, u.last_seen_at, u.browser, u.platform,
       coalesce(u.token_hash = $2::bytea, false) AS current
FROM user_sessions u JOIN sessions s ON sha256(s.token::bytea) = u.token_hash
WHERE u.user_id = $1 AND s.expiry > now()
ORDER BY current DESC, u.last_seen_at DESC, u.id`
	deleteOwnUserSession    = `DELETE FROM user_sessions WHERE id = $1 AND user_id = $2 RETURNING token_hash`
	deleteOtherUserSessions = `
DELETE FROM user_sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2::bytea RETURNING token_hash`
	deleteUserSessionsOf = `DELETE FROM user_sessions WHERE user_id = $1`
	deleteScsSessions    = `DELETE FROM sessions WHERE sha256(token::bytea) = ANY($1::bytea[])`
)

// StartSession records a session that has just been signed in as user under token,
// described by the client's User-Agent (reduced to a browser and a platform name; the
// header is not kept). previous is the token the browser had before sign-in renewed it
// ("" for none): its row, if any, goes.
func (s *Store) StartSession(ctx context.Context, user uuid.UUID, token, previous, userAgent string) error {
	browser, platform := domain.DescribeUserAgent(userAgent)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if previous != "" {
			if _, err := tx.ExecContext(ctx, deleteUserSessionByHash, sessionHash(previous)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, insertUserSession, uuid.New(), user, sessionHash(token), browser, platform)
		return err
	})
	return wrap(err, "start session of %s", user)
}

// TouchSession reports whether the session with token is still one of user's — false
// once it was ended, from this browser or another — and notes that it is in use (at
// most once a minute).
func (s *Store) TouchSession(ctx context.Context, user uuid.UUID, token string) (bool, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, touchUserSession, sessionHash(token), user)
	return n > 0, wrap(err, "touch session of %s", user)
}

// ForgetSession drops the row of the session with token, which has ended (signed out,
// or found stale by the authentication). Not audited here: sign-out is audited as
// auth.logout by its caller.
func (s *Store) ForgetSession(ctx context.Context, token string) error {
	_, err := s.DB.ExecContext(ctx, deleteUserSessionByHash, sessionHash(token))
	return wrap(err, "forget session")
}

// Sessions lists the actor's live sessions, the one with token current first (token ""
// when the request came with an API token: then none is current), then by last use.
func (s *Store) Sessions(ctx context.Context, actor domain.Actor, current string) ([]domain.Session, error) {
	rows, err := s.DB.QueryContext(ctx, selectUserSessions, actor.UserID, sessionHash(current))
	if err != nil {
		return nil, wrap(err, "sessions of %s", actor.UserID)
	}
	defer rows.Close()
	out := []domain.Session{}
	for rows.Next() {
		var x domain.Session
		if err := rows.Scan(&x.ID, &x.CreatedAt, &x.LastSeenAt, &x.Browser, &x.Platform, &x.Current); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// EndSession ends one of the actor's sessions (audited as auth.session_end) and reports
// whether it was the current one (token current): the caller then signs this browser
// out too. ErrNotFound for another person's session and an unknown one alike.
func (s *Store) EndSession(ctx context.Context, actor domain.Actor, id uuid.UUID, current string) (bool, error) {
	var hash []byte
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &hash, deleteOwnUserSession, id, actor.UserID); err != nil {
			return notFoundIfNoRows(err)
		}
		if _, err := tx.ExecContext(ctx, deleteScsSessions, pq.ByteaArray{hash}); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "auth.session_end", ObjectType: "session", ObjectID: &id})
	})
	if err != nil {
		return false, wrap(err, "end session %s", id)
	}
	return string(hash) == string(sessionHash(current)), nil
}

// EndOtherSessions ends every session of the actor but the one with token current
// (every one for "": a request with an API token), audited as auth.sessions_end_others,
// and answers how many ended.
func (s *Store) EndOtherSessions(ctx context.Context, actor domain.Actor, current string) (int, error) {
	var hashes [][]byte
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.SelectContext(ctx, &hashes, deleteOtherUserSessions, actor.UserID, sessionHash(current)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, deleteScsSessions, pq.ByteaArray(hashes)); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "auth.sessions_end_others", ObjectType: "user", ObjectID: &actor.UserID})
	})
	return len(hashes), wrap(err, "end other sessions of %s", actor.UserID)
}

// reauthenticate checks the actor's current password before a change a session alone
// must not make (a new API token, a new password): the session may have been left open
// or taken over. It is recheckPassword's check (also behind second-factor changes): one
// race-free counted attempt of the account, the same throttle as the sign-in, so a
// stolen session cannot guess faster than a stranger at the sign-in form; a wrong
// password is audited as auth.reauth_failed. A right one stops counting (the account's
// earlier failures stay). ErrInvalid on field: error.password_wrong or error.throttled.
func (s *Store) reauthenticate(ctx context.Context, actor domain.Actor, password, field string, limits LoginLimits) error {
	a, err := s.recheckPassword(ctx, actor, password, limits)
	if err != nil {
		return renameField(err, "current_password", field)
	}
	return s.withdraw(ctx, a)
}

// renameField returns err with the field from renamed to, for a check shared by forms
// that name the same input differently.
func renameField(err error, from, to string) error {
	var e *domain.Error
	if from == to || !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]domain.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		if f.Field == from {
			f.Field = to
		}
		out.Fields[i] = f
	}
	return &out
}

// endEverywhere, inside a password change, revokes every API token of user and drops
// every session row: the sessions themselves end by the session epoch, and the one that
// changed the password is recorded anew by its caller.
func endEverywhere(ctx context.Context, tx *sqlx.Tx, user uuid.UUID) error {
	if _, err := tx.ExecContext(ctx, revokeTokens, user); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, deleteUserSessionsOf, user)
	return err
}
