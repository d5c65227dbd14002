package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Oversight: the caseload review, the team agenda, the advisors a carrier's case list is
// filtered by, and the open cases a person still leads.

// StalledDays is the number of days an active case may go without a consultation
// before it is stalled (it is after more than that): the setting StalledAfterDays, or
// domain.DefaultStalledAfterDays.
func (s *Store) StalledDays() int {
	if s.StalledAfterDays > 0 {
		return s.StalledAfterDays
	}
	return domain.DefaultStalledAfterDays
}

// carrierPeople are the people of carrier $1 whom the oversight shows: its active
// advisors, and whoever still leads a case there that is not closed — deactivated
// accounts and people who are no advisors there any more, so their cases are found and
// reassigned. "active" is false for the latter. (A membership is unique per user, role
// and carrier, so the join adds no rows.)
const carrierPeople = `
SELECT u.id, u.name, (u.active AND m.user_id IS NOT NULL) AS active
FROM users u
LEFT JOIN memberships m ON m.user_id = u.id AND m.carrier_id = $1 AND m.role = 'advisor'
WHERE ((u.active AND m.user_id IS NOT NULL)
       OR EXISTS (SELECT 1 FROM cases c WHERE c.lead_advisor_id = u.id AND c.carrier_id = $1 AND c.status <> 'closed'))`

// selectCaseloadFigures computes every row of a caseload review in one statement, one
// GROUP BY per figure over the carrier's ($1) cases: led (active cases per phase of
// their lead, and which of them are stalled: last contact before $3), work
// (consultations each person logged from $4 to today $2) and overdue (open follow-ups
// due before $2 in open cases, per assignee). $5, when set, keeps one person (an
// advisor's own figures). Measured on the 100,000-founder data set, its largest
// carrier (9,091 cases, 27 advisors):
//   - the last contact of a case is one probe of the index on consultations (case_id,
//     date DESC); grouping the carrier's consultations by case instead read all
//     1,000,000 consultations (≈ 560 ms against ≈ 110 ms for 6,400 active cases);
//   - work and overdue look the people up as one array in the indexes on (advisor_id,
//     date) and the open follow-ups' (assignee_id, due_on): joining people instead let
//     PostgreSQL read every carrier's consultations of the month (125,000 rows, ≈ 250 ms
//     against ≈ 40 ms).
const selectCaseloadFigures = `
WITH people AS (` + carrierPeople + `
      AND ($5::uuid IS NULL OR u.id = $5)
),
led AS (
    SELECT c.lead_advisor_id AS user_id,
           count(*) FILTER (WHERE c.phase = 'founding') AS founding,
           count(*) FILTER (WHERE c.phase = 'consolidation') AS consolidation,
           count(*) FILTER (WHERE c.phase = 'handover') AS handover,
           count(*) FILTER (WHERE coalesce(l.last_on, c.opened_on) < $3) AS stalled
    FROM cases c
    LEFT JOIN LATERAL (SELECT k.date AS last_on FROM consultations k WHERE k.case_id = c.id
                       ORDER BY k.date DESC LIMIT 1) l ON true
    WHERE c.carrier_id = $1 AND c.status = 'active' AND ($5::uuid IS NULL OR c.lead_advisor_id = $5)
    GROUP BY c.lead_advisor_id
),
work AS (
    SELECT k.advisor_id AS user_id, count(*) AS consultations, sum(k.duration_minutes) AS minutes
    FROM consultations k JOIN cases c ON c.id = k.case_id
    WHERE k.advisor_id = ANY (ARRAY(SELECT id FROM people)) AND k.date BETWEEN $4 AND $2 AND c.carrier_id = $1
    GROUP BY k.advisor_id
),
overdue AS (
    SELECT fu.assignee_id AS user_id, count(*) AS follow_ups
    FROM follow_ups fu JOIN cases c ON c.id = fu.case_id
    WHERE fu.assignee_id = ANY (ARRAY(SELECT id FROM people)) AND fu.done_at IS NULL AND fu.due_on < $2
      AND c.carrier_id = $1 AND c.status <> 'closed'
    GROUP BY fu.assignee_id
)
SELECT p.id, p.name, p.active,
       coalesce(led.founding, 0), coalesce(led.consolidation, 0), coalesce(led.handover, 0),
       coalesce(work.consultations, 0), coalesce(work.minutes, 0),
       coalesce(led.stalled, 0), coalesce(overdue.follow_ups, 0)
FROM people p
LEFT JOIN led ON led.user_id = p.id
LEFT JOIN work ON work.user_id = p.id
LEFT JOIN overdue ON overdue.user_id = p.id
ORDER BY p.name, p.id`

// selectStalledCases lists the stalled cases of carrier $1 (last contact before $2),
// led by $3 when set, the longest without contact first, $4 of them; founders and the
// next follow-up are joined for that page only.
const selectStalledCases = `
SELECT c.id, c.carrier_id, f.given_name || ' ' || f.family_name AS founder_name, c.phase, c.status,
       c.lead_advisor_id, c.opened_on, c.last_on AS last_consultation_on,
       (SELECT min(u.due_on) FROM follow_ups u WHERE u.case_id = c.id AND u.done_at IS NULL) AS next_follow_up_on
FROM (
    SELECT c.id, c.carrier_id, c.founder_id, c.phase, c.status, c.lead_advisor_id, c.opened_on, l.last_on
    FROM cases c
    LEFT JOIN LATERAL (SELECT k.date AS last_on FROM consultations k WHERE k.case_id = c.id
                       ORDER BY k.date DESC LIMIT 1) l ON true
    WHERE c.carrier_id = $1 AND c.status = 'active' AND ($3::uuid IS NULL OR c.lead_advisor_id = $3)
      AND coalesce(l.last_on, c.opened_on) < $2
    ORDER BY coalesce(l.last_on, c.opened_on), c.id
    LIMIT $4
) c JOIN founders f ON f.id = c.founder_id
ORDER BY coalesce(c.last_on, c.opened_on), c.id`

// Caseload reviews the caseload of a carrier (caseload:read): per advisor the active
// cases they lead by phase, their consultations and minutes within domain.CaseloadDays,
// their stalled cases and overdue follow-ups, plus the stalled cases themselves (at most
// domain.StalledListLimit). A coordinator ("carrier") sees every advisor of the carrier,
// an advisor ("self") their own row and the stalled cases they lead. carrierID may be
// nil when actor works in one carrier only. The read is audited (caseload.read), since
// it names founders. ErrForbidden for a role that may never; ErrInvalid naming
// carrier_id when it is needed; ErrNotFound for a carrier outside the scope or unknown.
func (s *Store) Caseload(ctx context.Context, actor domain.Actor, carrierID *uuid.UUID) (domain.Caseload, error) {
	out := domain.Caseload{Advisors: []domain.AdvisorCaseload{}, Stalled: []domain.CaseSummary{}, StalledAfterDays: s.StalledDays()}
	scope := s.Scope(actor, domain.ActCaseloadRead)
	if scope.Empty() {
		return out, domain.Errorf(domain.ErrForbidden, "error.forbidden")
	}
	carrier, err := caseloadCarrier(scope, carrierID)
	if err != nil {
		return out, err
	}
	out.CarrierID = carrier
	var only *uuid.UUID // "self": the advisor's own figures
	if !scope.All && !slices.Contains(scope.Carriers, carrier) {
		only = &actor.UserID
	}
	today := s.Today()
	stalledBefore := domain.StalledBefore(today, out.StalledAfterDays)
	// One snapshot, so the figures and the stalled list agree.
	tx, err := s.DB.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return out, err
	}
	defer func() { _ = tx.Rollback() }()
	if scope.All { // the installation itself names any carrier: it must exist
		if _, err := getCarrier(ctx, tx, carrier); err != nil {
			return out, err
		}
	}
	rows, err := tx.QueryContext(ctx, selectCaseloadFigures, carrier, today, stalledBefore, domain.CaseloadFrom(today), only)
	if err != nil {
		return out, fmt.Errorf("caseload of %s: %w", carrier, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a domain.AdvisorCaseload
		if err := rows.Scan(&a.AdvisorID, &a.Name, &a.Active, &a.ActiveCases.Founding, &a.ActiveCases.Consolidation,
			&a.ActiveCases.Handover, &a.Consultations30d, &a.Minutes30d, &a.StalledCases, &a.OverdueFollowUps); err != nil {
			return out, err
		}
		out.Advisors = append(out.Advisors, a)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("caseload of %s: %w", carrier, err)
	}
	if err := tx.SelectContext(ctx, &out.Stalled, selectStalledCases, carrier, stalledBefore, only, domain.StalledListLimit); err != nil {
		return out, fmt.Errorf("stalled cases of %s: %w", carrier, err)
	}
	if err := tx.Commit(); err != nil {
		return out, err
	}
	return out, s.Audit(ctx, actor, Event{Action: "caseload.read", ObjectType: "carrier", ObjectID: &carrier, CarrierID: &carrier})
}

// caseloadCarrier picks the carrier of a caseload review: the one named, which must lie
// in the scope (else the 404 of an unknown carrier), or the only one the actor works in.
func caseloadCarrier(scope domain.Scope, named *uuid.UUID) (uuid.UUID, error) {
	if named != nil {
		if !scope.InCarrier(*named) {
			return uuid.Nil, domain.Denied(domain.ActCaseloadRead, "carrier", *named)
		}
		return *named, nil
	}
	carriers := append(append([]uuid.UUID{}, scope.Carriers...), scope.Own...)
	if scope.All || len(carriers) != 1 {
		return uuid.Nil, domain.Invalid("carrier_id", "error.carrier_required")
	}
	return carriers[0], nil
}

// selectTeamAgenda: every open follow-up in the open cases of carriers $1 (or of all,
// $2), with founder and assignee, by assignee's name and then due date, so the overdue
// ones lead each group.
const selectTeamAgenda = `
SELECT fu.id, fu.case_id, fu.consultation_id, fu.due_on, fu.title, fu.assignee_id, fu.created_by,
       fu.done_at, fu.version, fu.created_at, fu.updated_at,
       f.given_name || ' ' || f.family_name AS founder_name, c.phase AS case_phase,
       u.name AS assignee_name, u.active AS assignee_active
FROM follow_ups fu
JOIN cases c ON c.id = fu.case_id
JOIN founders f ON f.id = c.founder_id
JOIN users u ON u.id = fu.assignee_id
WHERE fu.done_at IS NULL AND c.status <> 'closed' AND (c.carrier_id = ANY($1::uuid[]) OR $2)
ORDER BY u.name, fu.assignee_id, fu.due_on, fu.created_at, fu.id`

// TeamAgenda lists every open follow-up in the open cases of the carriers where actor
// reviews the team (agenda:team, the carrier's coordinators), grouped by assignee
// (sorted by name), each group due date first, so its overdue follow-ups lead. The read
// is audited per carrier (agenda.team_read). ErrForbidden for a role that may never.
func (s *Store) TeamAgenda(ctx context.Context, actor domain.Actor) (domain.TeamAgenda, error) {
	today := s.Today()
	out := domain.TeamAgenda{Today: today, Assignees: []domain.TeamAgendaGroup{}}
	scope := s.Scope(actor, domain.ActAgendaTeam)
	if scope.Empty() {
		return out, domain.Errorf(domain.ErrForbidden, "error.forbidden")
	}
	// Only whole carriers count: the team agenda has no "own" reading.
	rows, err := s.DB.QueryxContext(ctx, selectTeamAgenda, uuidArray(scope.Carriers), scope.All)
	if err != nil {
		return out, fmt.Errorf("team agenda: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it struct {
			domain.AgendaItem
			AssigneeName   string `db:"assignee_name"`
			AssigneeActive bool   `db:"assignee_active"`
		}
		if err := rows.StructScan(&it); err != nil {
			return out, err
		}
		n := len(out.Assignees)
		if n == 0 || out.Assignees[n-1].AssigneeID != it.AssigneeID {
			out.Assignees = append(out.Assignees, domain.TeamAgendaGroup{AssigneeID: it.AssigneeID,
				Name: it.AssigneeName, Active: it.AssigneeActive, Items: []domain.AgendaItem{}})
			n++
		}
		g := &out.Assignees[n-1]
		g.Items = append(g.Items, it.AgendaItem)
		if it.Overdue(today) {
			g.Overdue++
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("team agenda: %w", err)
	}
	if scope.All {
		return out, s.Audit(ctx, actor, Event{Action: "agenda.team_read"})
	}
	for _, carrier := range scope.Carriers {
		if err := s.Audit(ctx, actor, Event{Action: "agenda.team_read", ObjectType: "carrier", ObjectID: &carrier, CarrierID: &carrier}); err != nil {
			return out, err
		}
	}
	return out, nil
}

const selectCaseAdvisors = carrierPeople + `
ORDER BY u.name, u.id`

// CaseAdvisors lists the people a case list of carrier can be filtered by, by name: its
// active advisors and whoever still leads an open case there (Active false). For someone
// who reads the whole carrier's cases (case:read "carrier"); ErrNotFound otherwise.
func (s *Store) CaseAdvisors(ctx context.Context, actor domain.Actor, carrier uuid.UUID) ([]domain.AdvisorOption, error) {
	scope := s.Scope(actor, domain.ActCaseRead)
	if !scope.All && !slices.Contains(scope.Carriers, carrier) {
		return nil, domain.Denied(domain.ActCaseRead, "carrier", carrier)
	}
	out := []domain.AdvisorOption{}
	if err := s.DB.SelectContext(ctx, &out, selectCaseAdvisors, carrier); err != nil {
		return nil, fmt.Errorf("advisors of %s: %w", carrier, err)
	}
	return out, nil
}

const selectLedCases = `
SELECT c.carrier_id, cr.name AS carrier_name, count(*) AS count
FROM cases c JOIN carriers cr ON cr.id = c.carrier_id
WHERE c.lead_advisor_id = $1 AND c.status <> 'closed'
GROUP BY c.carrier_id, cr.name
ORDER BY cr.name, c.carrier_id`

// LedCases counts the cases user still leads that are not closed, per carrier (by
// name), for the administrators deactivating an account (user:manage): numbers only,
// no founder and no case, as administrators read no counselling content. A user who
// leads none, or does not exist, gets an empty list. ErrForbidden.
func (s *Store) LedCases(ctx context.Context, actor domain.Actor, user uuid.UUID) ([]domain.CarrierCount, error) {
	if err := s.require(actor, domain.ActUserManage); err != nil {
		return nil, err
	}
	out := []domain.CarrierCount{}
	if err := s.DB.SelectContext(ctx, &out, selectLedCases, user); err != nil {
		return nil, fmt.Errorf("cases led by %s: %w", user, err)
	}
	return out, nil
}
