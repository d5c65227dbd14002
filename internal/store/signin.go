package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Sign-in throttling that holds under concurrency and across instances.
//
// Each attempt to check a secret (a password, a second-factor code) is one atomic step
// in PostgreSQL: one transaction takes an advisory lock on the e-mail and one on the
// address, counts the failures of the window, and — only when both are under their
// limits — writes the attempt as a failure *before* the secret is checked. The locks
// end with that short transaction; the slow argon2id check runs outside them. An
// attempt whose secret turns out right deletes its own row again.
//
// Why no burst gets more checks than the limit: the count and the insert happen under
// both locks, so attempts on one e-mail (or from one address) pass that point one at a
// time, and each sees every attempt before it — finished or still being checked — as a
// failure. With N rows in the window the (N+1)-th attempt is refused without a check.
// A throttled attempt writes nothing and never reaches the hash, so even the right
// password is refused until the window frees a place. A crash between the two steps
// leaves the row as a failure: the safe side.

const (
	// Two key spaces (1: e-mail, 2: address), always taken in this order, so two
	// attempts never wait for each other crosswise.
	lockAttemptEmail   = `SELECT pg_advisory_xact_lock(1, hashtext(lower($1)))`
	lockAttemptAddress = `SELECT pg_advisory_xact_lock(2, hashtext($1))`
	countAttempts      = `
SELECT (SELECT count(*) FROM login_attempts WHERE email = lower($1) AND at > now() - $3 * interval '1 millisecond'),
       (SELECT count(*) FROM login_attempts WHERE address = $2 AND at > now() - $3 * interval '1 millisecond')`
	// When the window frees a place: the limit-th newest failure leaves it; for both
	// counts, the later of the two (greatest ignores a count under its limit: NULL).
	attemptsRetryAfter = `
SELECT coalesce(extract(epoch FROM greatest(
    (SELECT at FROM login_attempts WHERE email = lower($1) AND at > now() - $3 * interval '1 millisecond'
     ORDER BY at DESC OFFSET $4 LIMIT 1),
    (SELECT at FROM login_attempts WHERE address = $2 AND at > now() - $3 * interval '1 millisecond'
     ORDER BY at DESC OFFSET $5 LIMIT 1)) + $3 * interval '1 millisecond' - now()), 0)`
	insertAttempt = `INSERT INTO login_attempts (email, address) VALUES (lower($1), $2) RETURNING id`
	deleteAttempt = `DELETE FROM login_attempts WHERE id = $1`
)

// attempt is one counted check of a secret, written as a failure until it is settled.
type attempt struct {
	id    int64
	email string
}

// beginAttempt counts one check of a secret for email from actor's address, atomically
// with the throttle's decision (see above). ErrThrottled, with RetryAfter, when a limit
// is reached; the refusal is audited (auth.login_throttled).
func (s *Store) beginAttempt(ctx context.Context, actor domain.Actor, email string, l LoginLimits) (attempt, error) {
	a := attempt{email: email}
	var retry float64
	throttled := false
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, lockAttemptEmail, email); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, lockAttemptAddress, actor.Address); err != nil {
			return err
		}
		window := l.Window.Milliseconds()
		var byEmail, byAddr int
		if err := tx.QueryRowxContext(ctx, countAttempts, email, actor.Address, window).Scan(&byEmail, &byAddr); err != nil {
			return err
		}
		if byEmail >= l.PerAccount || byAddr >= l.PerAddress {
			throttled = true
			return tx.GetContext(ctx, &retry, attemptsRetryAfter, email, actor.Address, window,
				max(l.PerAccount-1, 0), max(l.PerAddress-1, 0))
		}
		return tx.GetContext(ctx, &a.id, insertAttempt, email, actor.Address)
	})
	if err != nil {
		return a, fmt.Errorf("count sign-in attempt: %w", err)
	}
	if !throttled {
		return a, nil
	}
	if err := s.Audit(ctx, actor, Event{Action: "auth.login_throttled", Outcome: "denied"}); err != nil {
		return a, err
	}
	wait := time.Duration(math.Ceil(retry)) * time.Second
	if wait <= 0 || wait > l.Window {
		wait = l.Window
	}
	return a, &domain.Error{Code: domain.ErrThrottled, Message: "error.throttled", RetryAfter: wait}
}

// withdraw takes back an attempt that was no failure (the password was right, but the
// second step is still to come): it stops counting, the account's other failures stay.
func (s *Store) withdraw(ctx context.Context, a attempt) error {
	_, err := s.DB.ExecContext(ctx, deleteAttempt, a.id)
	return err
}

// succeed ends an attempt that signed in: its row and the account's earlier failures
// go (a person who signed in starts afresh), and rows older than a day with them.
func (s *Store) succeed(ctx context.Context, a attempt) error {
	_, err := s.DB.ExecContext(ctx, clearLoginFailures, a.email)
	return err
}
