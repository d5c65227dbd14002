package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// How long operational data that hold personal data, or grow without bound, are kept
// (README, "Retention"). Sign-in attempts hold an e-mail address and an IP address and
// only serve the throttle, which looks back 15 minutes; an Idempotency-Key only needs
// to outlive a client's retries; a token's row stays visible a while after it ended so
// its owner sees what happened to it.
const (
	LoginAttemptsKept  = 24 * time.Hour
	IdempotencyKept    = 24 * time.Hour
	EndedTokensKeptFor = 30 * 24 * time.Hour
)

// retentionLock is the advisory lock key of the retention job: one instance at a time.
const retentionLock = 0x4c6f747365 // "Lotse"

// Founders whose data the retention duty no longer covers once it has ended ($1, the
// last day of the duty): those who asked for erasure, and those whose every case was
// closed by that day (a case still open, or closed later, belongs to counselling the
// duty of a later funding period covers).
const expiredFounders = `
SELECT f.id FROM founders f
WHERE f.restricted_at IS NOT NULL
   OR NOT EXISTS (SELECT 1 FROM cases c WHERE c.founder_id = f.id
                  AND (c.status <> 'closed' OR c.closed_on > $1))
ORDER BY f.id
FOR UPDATE OF f SKIP LOCKED`

// The purges of operational data, each with how long its rows are kept after they
// ended ($1); sessions go when they expire.
var retentionPurges = []struct {
	table string
	keep  time.Duration
	query string
}{
	{"login_attempts", LoginAttemptsKept, `DELETE FROM login_attempts WHERE at < now() - $1::interval`},
	{"idempotency_keys", IdempotencyKept, `DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval`},
	{"sessions", 0, `DELETE FROM sessions WHERE expiry < now() - $1::interval`},
	// A session's row goes when scs no longer holds it as live; a row younger than a
	// minute may belong to a sign-in whose scs row is still being written.
	{"user_sessions", time.Minute, `
DELETE FROM user_sessions u WHERE u.created_at < now() - $1::interval
  AND NOT EXISTS (SELECT 1 FROM sessions s WHERE sha256(s.token::bytea) = u.token_hash AND s.expiry > now())`},
	{"api_tokens", EndedTokensKeptFor, `
DELETE FROM api_tokens WHERE revoked_at < now() - $1::interval OR expires_on < (now() - $1::interval)::date`},
}

// RetentionReport says what a retention run did, or with DryRun would do.
type RetentionReport struct {
	DryRun bool `json:"dry_run"`
	// Skipped: another instance was running the job at the same moment.
	Skipped bool `json:"skipped"`
	// RetentionUntil is the configured end of the retention duty, if any.
	RetentionUntil *domain.Date `json:"retention_until"`
	// FoundersErased counts founders deleted for good (with their cases).
	FoundersErased int `json:"founders_erased"`
	// Purged counts the rows removed per table of operational data.
	Purged map[string]int64 `json:"purged"`
}

// RunRetention runs the retention job once, as actor (the system for the command line
// and the daily run): after the retention period it erases the founders it no longer
// covers, and it purges expired operational data. One transaction, under an advisory
// lock (a second instance at the same moment skips); with dryRun everything is rolled
// back and the report says what would have been removed. Audited as retention.run, and
// each erasure as founder.erase.
func (s *Store) RunRetention(ctx context.Context, actor domain.Actor, dryRun bool) (RetentionReport, error) {
	rep := RetentionReport{DryRun: dryRun, RetentionUntil: s.RetentionUntil, Purged: map[string]int64{}}
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return rep, err
	}
	defer func() { _ = tx.Rollback() }()
	var locked bool
	if err := tx.GetContext(ctx, &locked, `SELECT pg_try_advisory_xact_lock($1)`, retentionLock); err != nil {
		return rep, wrap(err, "retention lock")
	}
	if !locked {
		rep.Skipped = true
		return rep, nil
	}
	// Erasing many founders takes a while; the server's statement timeout is for
	// requests.
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return rep, err
	}
	if s.RetentionEnded() {
		n, err := s.eraseExpired(ctx, tx, actor)
		if err != nil {
			return rep, wrap(err, "retention: erasing founders")
		}
		rep.FoundersErased = n
	}
	for _, p := range retentionPurges {
		res, err := tx.ExecContext(ctx, p.query, fmt.Sprintf("%d seconds", int64(p.keep.Seconds())))
		if err != nil {
			return rep, wrap(err, "retention: purging %s", p.table)
		}
		rep.Purged[p.table], _ = res.RowsAffected()
	}
	if dryRun {
		return rep, nil // the deferred rollback undoes it all
	}
	if err := audit(ctx, tx, actor, Event{Action: "retention.run"}); err != nil {
		return rep, err
	}
	return rep, tx.Commit()
}

func (s *Store) eraseExpired(ctx context.Context, tx *sqlx.Tx, actor domain.Actor) (int, error) {
	var ids []uuid.UUID
	if err := tx.SelectContext(ctx, &ids, expiredFounders, *s.RetentionUntil); err != nil {
		return 0, err
	}
	for _, id := range ids {
		f, _, err := getFounder(ctx, tx, id, uuid.Nil, "")
		if err != nil {
			return 0, err
		}
		if _, err := s.erase(ctx, tx, actor, f, ""); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// RetentionEvery runs the retention job at start and then every interval until ctx
// ends, as the system; report receives each outcome (for the log).
func (s *Store) RetentionEvery(ctx context.Context, interval time.Duration, report func(RetentionReport, error)) {
	t := time.NewTimer(time.Minute) // not in the middle of a start-up
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		report(s.RunRetention(ctx, domain.Actor{System: true}, false))
		t.Reset(interval)
	}
}
