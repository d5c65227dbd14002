// Package store keeps Lotse's data in PostgreSQL and is where each use case lives: the
// JSON API, the pages, the command line and the jobs all call its methods. Each exported
// method is one transaction that validates its input (domain.Validate: tags, rules,
// normalisation), checks the actor's scope on the rows it locks, applies the author and
// assignee rules, writes, and records the audit event — so no channel can skip a rule.
// The SQL stands as constants next to the code that runs it. Methods return
// *domain.Error for the outcomes a caller handles (invalid, not found, conflict, stale
// version) and errors wrapped with the operation for everything else.
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Store is the PostgreSQL store.
type Store struct {
	DB *sqlx.DB
	// Authorize answers which objects user reaches with action (Casbin, via authz);
	// nil reaches nothing, so a store without it refuses every scoped use case.
	Authorize func(user uuid.UUID, action domain.Action) domain.Scope
	// Now is the clock; tests set it to check the date rules at midnight.
	Now func() time.Time
	// MembershipsChanged, when set, runs after a change of roles or an account's
	// deactivation has committed: this instance reloads its access policy at once (the
	// others follow the NOTIFY sent by the same transaction).
	MembershipsChanged func() error
	// StalledAfterDays: an active case without a consultation for this many days is
	// stalled (caseload review, case list filter); 0 means
	// domain.DefaultStalledAfterDays.
	StalledAfterDays int
	// RetentionUntil is the last day of the retention duty for counselling data (e.g.
	// 31 December five years after the programme's last payment): until then an
	// erasure request pseudonymises, after it the data are deleted. nil: no end known,
	// everything is kept.
	RetentionUntil *domain.Date
	// Replica, when set (LOTSE_REPLICA_URL), serves read-only reporting (Reporting).
	Replica *Replica
}

// membershipsChanged tells this instance that memberships changed (after commit).
func (s *Store) membershipsChanged(err error) error {
	if err != nil || s.MembershipsChanged == nil {
		return err
	}
	return s.MembershipsChanged()
}

// Today is the current day in Berlin by the store's clock.
func (s *Store) Today() domain.Date { return domain.DayOf(s.Now()) }

// Scope is what actor reaches with action: everything for the installation itself
// (command line, seeds, jobs), else what Authorize says.
func (s *Store) Scope(actor domain.Actor, action domain.Action) domain.Scope {
	switch {
	case actor.System:
		return domain.Scope{User: actor.UserID, All: true}
	case s.Authorize == nil:
		return domain.Scope{User: actor.UserID}
	}
	return s.Authorize(actor.UserID, action)
}

// reach checks one object against actor's scope for action: outside it, the answer is
// the same 404 as for an absent object (with the refusal attached for the audit).
func (s *Store) reach(actor domain.Actor, action domain.Action, objectType string, id, carrier uuid.UUID, advises bool) error {
	if s.Scope(actor, action).Allows(carrier, advises) {
		return nil
	}
	return domain.Denied(action, objectType, id)
}

// MaxConns is the default size of the connection pool: enough for the requests one
// instance serves at once (16 concurrent writers measured in bench/), all of them kept
// open when idle, so a burst does not open new connections (a connection costs a
// backend start, several milliseconds) and close them again afterwards. LOTSE_DB_MAX_CONNS
// changes it (SetPool).
const MaxConns = 20

// Open connects to databaseURL with a statement timeout, so a runaway query cannot hold
// a connection for ever, and without JIT compilation (see withSessionSettings).
func Open(databaseURL string) (*Store, error) {
	u, err := withSessionSettings(databaseURL, 15*time.Second)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		return nil, fmt.Errorf("opening database: %w", err)
	}
	st := &Store{DB: db, Now: time.Now}
	st.SetPool(MaxConns)
	return st, nil
}

// SetPool sizes the connection pool to n connections, every one kept when idle (for
// five minutes).
func (s *Store) SetPool(n int) {
	s.DB.SetMaxOpenConns(n)
	s.DB.SetMaxIdleConns(n)
	s.DB.SetConnMaxIdleTime(5 * time.Minute)
}

// withSessionSettings adds the settings of every connection to a postgres:// URL (lib/pq
// sends unknown parameters as run-time settings at connection start), unless the URL
// sets them: statement_timeout d, jit=off, and lib/pq's binary_parameters=yes, which
// sends a statement with arguments in one round trip (Parse, Bind, Execute together)
// instead of two (Parse and Describe first, to learn the parameter types); the
// arguments go as text as before, only []byte as binary, which suits the bytea columns
// it is used for (hashes, session data). Lotse's statements are short (a page of
// a list, one case, figures of one carrier); JIT compilation, which PostgreSQL starts
// by estimated cost (jit_above_cost), took ≈ 250 ms of a caseload query that runs in
// milliseconds, and whether it started flipped with table statistics. It is switched off
// here, for the application's connections, whatever login role they use: a setting
// given to the group role lotse_app (ALTER ROLE … SET) would not apply, as role settings
// are not inherited by members. Nothing Lotse runs is long enough to gain from JIT.
func withSessionSettings(databaseURL string, d time.Duration) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("DATABASE_URL must be a postgres:// URL")
	}
	q := u.Query()
	if q.Get("statement_timeout") == "" {
		q.Set("statement_timeout", fmt.Sprint(d.Milliseconds()))
	}
	if q.Get("jit") == "" {
		q.Set("jit", "off")
	}
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.DB.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// inTx runs fn in one transaction and commits when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

const insertAudit = `
INSERT INTO audit_events (actor_id, action, object_type, object_id, carrier_id, case_id, request_id, outcome)
VALUES ($1, $2, nullif($3, ''), $4, $5, $6, nullif($7, ''), $8)`

// Event is an audit event to record: never personal data, only who, what, which object.
type Event struct {
	Action     string
	ObjectType string
	ObjectID   *uuid.UUID
	CarrierID  *uuid.UUID
	// CaseID names the case an event on a case's part (a consultation, a note) belongs
	// to; for events on a case it is the case itself (audit sets it).
	CaseID  *uuid.UUID
	Outcome string // "success" unless set
}

func audit(ctx context.Context, q sqlx.ExecerContext, actor domain.Actor, ev Event) error {
	if ev.Outcome == "" {
		ev.Outcome = "success"
	}
	if ev.ObjectType == "case" && ev.CaseID == nil {
		ev.CaseID = ev.ObjectID
	}
	var actorID *uuid.UUID
	if actor.UserID != uuid.Nil {
		actorID = &actor.UserID
	}
	_, err := q.ExecContext(ctx, insertAudit, actorID, ev.Action, ev.ObjectType, ev.ObjectID, ev.CarrierID, ev.CaseID, actor.RequestID, ev.Outcome)
	if err != nil {
		return fmt.Errorf("audit %s: %w", ev.Action, err)
	}
	return nil
}

// Audit records an event outside any other change (sign-ins, denials, reads).
func (s *Store) Audit(ctx context.Context, actor domain.Actor, ev Event) error {
	return audit(ctx, s.DB, actor, ev)
}

// Idempotency identifies a creating request by the caller's key and a hash of its body.
type Idempotency struct {
	Key   string
	Route string
	Body  []byte
}

// A key is honoured for IdempotencyKept; after that it is free again (and the
// retention job purges it), so a late reuse creates instead of answering an old object.
const claimIdempotency = `
INSERT INTO idempotency_keys (user_id, key, route, request_hash, resource_id)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id, key) DO UPDATE
SET route = excluded.route, request_hash = excluded.request_hash,
    resource_id = excluded.resource_id, created_at = now()
WHERE idempotency_keys.created_at < now() - $6::interval`

const selectIdempotency = `
SELECT route, request_hash, resource_id FROM idempotency_keys WHERE user_id = $1 AND key = $2`

// errReplay carries the id of the object an earlier request with the same key created.
type errReplay struct{ id uuid.UUID }

func (e errReplay) Error() string { return "idempotent replay of " + e.id.String() }

// claim records key → id inside the creating transaction. A concurrent request with the
// same key waits on the row lock until this one ends, so exactly one of them creates.
// When the key was used before, claim returns errReplay (same request) or ErrInvalid.
func claim(ctx context.Context, tx *sqlx.Tx, user uuid.UUID, idem *Idempotency, id uuid.UUID) error {
	if idem == nil || idem.Key == "" {
		return nil
	}
	hash := sha256.Sum256(append([]byte(idem.Route+"\n"), idem.Body...))
	res, err := tx.ExecContext(ctx, claimIdempotency, user, idem.Key, idem.Route, hash[:], id,
		fmt.Sprintf("%d seconds", int64(IdempotencyKept.Seconds())))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var prev struct {
		Route string    `db:"route"`
		Hash  []byte    `db:"request_hash"`
		ID    uuid.UUID `db:"resource_id"`
	}
	if err := tx.GetContext(ctx, &prev, selectIdempotency, user, idem.Key); err != nil {
		return err
	}
	if string(prev.Hash) != string(hash[:]) {
		return domain.Invalid("Idempotency-Key", "error.idempotency_key_reused")
	}
	return errReplay{prev.ID}
}

// create runs fn in a transaction guarded by an idempotency key and answers with the
// object read by read: in the same transaction for a new object, and for an earlier
// request's object (a replay) through read's scope check as the caller is now — someone
// who lost access meanwhile gets 404, not the object.
func create[T any](ctx context.Context, s *Store, actor domain.Actor, idem *Idempotency,
	fn func(tx *sqlx.Tx, id uuid.UUID) error, read func(q sqlx.QueryerContext, id uuid.UUID) (T, error)) (T, error) {
	id := uuid.New()
	var out T
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := claim(ctx, tx, actor.UserID, idem, id); err != nil {
			return err
		}
		if err := fn(tx, id); err != nil {
			return err
		}
		var err error
		out, err = read(tx, id)
		return err
	})
	var replay errReplay
	if errors.As(err, &replay) {
		return read(s.DB, replay.id)
	}
	return out, err
}

// isUnique reports whether err is a unique violation, optionally of the named constraint.
func isUnique(err error, constraint string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505" &&
		(constraint == "" || strings.Contains(pqErr.Constraint, constraint))
}

// notFoundIfNoRows turns sql.ErrNoRows into the domain's not-found error.
func notFoundIfNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.NotFound()
	}
	return err
}

// encodeKeyset makes a list cursor of the sort key of a page's last row; the parts hold
// no "|" (dates, times, ids, kinds).
func encodeKeyset(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
}

// decodeKeyset splits a cursor into its n parts. Every cursor handed out holds printable
// ASCII only (days, timestamps, ids, kinds, numbers), so anything else — a NUL, invalid
// UTF-8 — is refused here, before it could reach a query as text.
func decodeKeyset(s string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return nil, fmt.Errorf("cursor with byte %#x", c)
		}
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != n {
		return nil, fmt.Errorf("cursor with %d parts, want %d", len(parts), n)
	}
	return parts, nil
}

// uuidArray passes ids as a uuid[] parameter.
func uuidArray(ids []uuid.UUID) any { return pq.Array(uuidStrings(ids)) }

// uuidStrings converts ids for pq.Array.
func uuidStrings(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func isForeignKey(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23503"
}

// fieldIndex names a field of a list element, e.g. roles[1].carrier_id.
func fieldIndex(list string, i int, field string) string {
	return fmt.Sprintf("%s[%d].%s", list, i, field)
}

// wrap names the operation and its ids (never personal data) on an unexpected error;
// the application's own errors pass unchanged, so callers still see their codes.
func wrap(err error, format string, args ...any) error {
	var e *domain.Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// validEdit validates the result of an edit callback: the callback's own field problems
// (e.g. a number that is none) and the input's are reported together.
func validEdit(in any, err error, today domain.Date) error {
	var p domain.Problems
	if err != nil {
		var e *domain.Error
		if !errors.As(err, &e) || e.Code != domain.ErrInvalid {
			return err
		}
		p = append(p, e.Fields...)
	}
	if verr := domain.Validate(in, today); verr != nil {
		var e *domain.Error
		errors.As(verr, &e)
		p = append(p, e.Fields...)
	}
	return p.Err()
}
