package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// The audit trail people can read: a coordinator the events on their carriers' objects
// (audit:read, "carrier"), an administrator the security events (audit:security).

// auditFilters narrows one branch of selectAuditEvents; the caller's scope stands
// beside it in each branch. $5 object (the object itself, or a case and the events on
// its parts), $6 actor, $7 action, [$8, $9) the period, $10 the id of the last event of
// the page before, $11 the page size (+1). With the values bound, PostgreSQL plans the
// unused filters away (lib/pq sends an unnamed statement, planned with its parameters).
const auditFilters = `
          AND ($5::uuid IS NULL OR e.object_id = $5 OR e.case_id = $5)
          AND ($6::uuid IS NULL OR e.actor_id = $6)
          AND ($7 = '' OR e.action = $7)
          AND ($8::timestamptz IS NULL OR e.at >= $8)
          AND ($9::timestamptz IS NULL OR e.at < $9)
          AND ($10::bigint IS NULL OR e.id < $10)`

const auditColumns = `e.id, e.at, e.actor_id, e.action, e.object_type, e.object_id, e.case_id, e.carrier_id, e.request_id, e.outcome`

// selectAuditEvents reads one page of the events a reader may see, newest first, in
// one statement with the scope as parameters: the events of carriers $1 (every
// carrier with $2) that are no security events (action LIKE ANY $3), and the security
// events when $4 lists them. Each branch walks an index newest first and stops at the
// page size: a carrier's events one carrier at a time in (carrier_id, id), the security
// events one action at a time in (action, id). The equality is written as a range, and
// the order names the column too: inside the lateral subquery the carrier (the action)
// is a parameter of unknown frequency, and with a plain "=" PostgreSQL walked the
// primary key backwards with a filter instead — through the whole table for a carrier
// or an action with few events (277 ms against 3 ms on 200,000 events). A filter on
// object, actor or action lets PostgreSQL take that column's index instead (EXPLAIN
// notes in the README, "Performance").
const selectAuditEvents = `
WITH carrier_events AS (
    SELECT e.*
    FROM unnest(CASE WHEN $2 THEN ARRAY(SELECT id FROM carriers) ELSE $1::uuid[] END) AS c(id)
    CROSS JOIN LATERAL (
        SELECT ` + auditColumns + `
        FROM audit_events e
        WHERE e.carrier_id >= c.id AND e.carrier_id <= c.id AND NOT (e.action LIKE ANY ($3::text[]))` + auditFilters + `
        ORDER BY e.carrier_id DESC, e.id DESC
        LIMIT $11
    ) e
),
security_events AS (
    SELECT e.*
    FROM unnest($4::text[]) AS a(action)
    CROSS JOIN LATERAL (
        SELECT ` + auditColumns + `
        FROM audit_events e
        WHERE e.action >= a.action AND e.action <= a.action` + auditFilters + `
        ORDER BY e.action DESC, e.id DESC
        LIMIT $11
    ) e
),
page AS (
    SELECT * FROM carrier_events
    UNION ALL
    SELECT * FROM security_events
    ORDER BY id DESC
    LIMIT $11
)
SELECT p.id, p.at, p.actor_id, u.name AS actor_name, p.action, p.object_type, p.object_id,
       p.case_id, p.carrier_id, p.request_id, p.outcome
FROM page p
LEFT JOIN users u ON u.id = p.actor_id
ORDER BY p.id DESC`

// AuditEvents reads one page of the audit trail that actor may see, newest first: the
// events on the objects of the carriers where actor reads the audit trail (audit:read)
// — cases, their consultations, notes, milestones and follow-ups, founders, a carrier's
// caseload —, and the security events (sign-ins and their failures, accounts, roles,
// tokens, refusals, carriers) when actor may read those (audit:security). f narrows
// them (see domain.AuditFilter). It returns the cursor of the next page ("" on the
// last). The read is audited once (audit.read). ErrInvalid naming the field for a bad
// filter (limit, period, cursor), before anything is read or written; ErrForbidden for
// someone who may read neither.
func (s *Store) AuditEvents(ctx context.Context, actor domain.Actor, f domain.AuditFilter) ([]domain.AuditEvent, string, error) {
	if err := domain.Validate(&f, s.Today()); err != nil {
		return nil, "", err
	}
	var before *int64
	if f.Cursor != "" {
		id, err := decodeAuditCursor(f.Cursor)
		if err != nil {
			return nil, "", domain.Invalid("cursor", "error.invalid_cursor")
		}
		before = &id
	}
	carriers, security := s.Scope(actor, domain.ActAuditRead), s.Scope(actor, domain.ActAuditSecurity)
	if carriers.Empty() && security.Empty() {
		return nil, "", domain.Errorf(domain.ErrForbidden, "error.forbidden")
	}
	var securityActions []string
	if !security.Empty() {
		securityActions = domain.SecurityActions()
	}
	prefixes := make([]string, len(domain.SecurityActionPrefixes))
	for i, p := range domain.SecurityActionPrefixes {
		prefixes[i] = p + "%" // the prefixes hold no LIKE wildcards
	}
	limit := f.Limit
	if limit <= 0 {
		limit = domain.AuditPage
	}
	out := []domain.AuditEvent{}
	// Only whole carriers count: audit:read has no "own" reading.
	err := s.DB.SelectContext(ctx, &out, selectAuditEvents, uuidArray(carriers.Carriers), carriers.All,
		pq.Array(prefixes), pq.Array(securityActions), f.ObjectID, f.ActorID, f.Action, f.Since(), f.Until(),
		before, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("audit events: %w", err)
	}
	for i := range out {
		out[i].At = out[i].At.UTC() // the API answers timestamps in UTC, whatever the session's time zone
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = encodeKeyset(strconv.FormatInt(out[limit-1].ID, 10))
	}
	return out, next, s.Audit(ctx, actor, Event{Action: "audit.read"})
}

// decodeAuditCursor reads the id of the last event of a page.
func decodeAuditCursor(cursor string) (int64, error) {
	parts, err := decodeKeyset(cursor, 1)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("audit cursor %q", parts[0])
	}
	return id, nil
}

// selectAuditActors: the accounts holding a role in carriers $1 (in any carrier with
// $2), or every account with $3, by name.
const selectAuditActors = `
SELECT u.id, u.name, u.active
FROM users u
WHERE $3 OR EXISTS (SELECT 1 FROM memberships m
                    WHERE m.user_id = u.id AND m.carrier_id IS NOT NULL AND ($2 OR m.carrier_id = ANY ($1::uuid[])))
ORDER BY u.name, u.id`

// AuditActors lists the people actor may filter the audit trail by, by name: the
// staff of the carriers where actor reads the audit trail, and every account for
// someone who reads the security events. ErrForbidden for someone who may read neither.
func (s *Store) AuditActors(ctx context.Context, actor domain.Actor) ([]domain.AuditActor, error) {
	carriers, security := s.Scope(actor, domain.ActAuditRead), s.Scope(actor, domain.ActAuditSecurity)
	if carriers.Empty() && security.Empty() {
		return nil, domain.Errorf(domain.ErrForbidden, "error.forbidden")
	}
	out := []domain.AuditActor{}
	if err := s.DB.SelectContext(ctx, &out, selectAuditActors, uuidArray(carriers.Carriers), carriers.All, !security.Empty()); err != nil {
		return nil, fmt.Errorf("audit actors: %w", err)
	}
	return out, nil
}
