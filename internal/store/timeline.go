package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// dayAt places an event that carries a calendar day (a consultation's date, a
// milestone's achievement) in time: when it was recorded, unless that was after the
// day ended (backdated), then at the day's last moment in Berlin.
func dayAt(day, recorded string) string {
	return `least(` + recorded + `, ((` + day + ` + 1)::timestamp AT TIME ZONE 'Europe/Berlin') - interval '1 microsecond')`
}

// selectTimeline is the case's history in one UNION ALL, newest first, one page after
// the keyset ($3 at, $4 kind, $5 id). Notes follow the confidentiality rule ($2 viewer).
// Columns a kind does not use are NULL.
var selectTimeline = `
SELECT kind, at, id, actor_id, date, duration_minutes, mode, topics, summary, phase, body, confidential,
       type, target_on, achieved_on, note, from_value, to_value, reason, due_on, title, assignee_id, done_at,
       next_steps, languages, interpreter
FROM (
  SELECT 'consultation' AS kind, ` + dayAt("k.date", "k.created_at") + ` AS at, k.id::text AS id,
         k.advisor_id AS actor_id, k.date, k.duration_minutes, k.mode, k.topics, k.summary, k.phase,
         NULL::text AS body, NULL::boolean AS confidential, NULL::text AS type, NULL::date AS target_on,
         NULL::date AS achieved_on, NULL::text AS note, NULL::text AS from_value, NULL::text AS to_value, NULL::text AS reason,
         NULL::date AS due_on, NULL::text AS title, NULL::uuid AS assignee_id, NULL::timestamptz AS done_at,
         k.next_steps, k.languages, k.interpreter
  FROM consultations k WHERE k.case_id = $1
  UNION ALL
  SELECT 'note', n.created_at, n.id::text, n.author_id, NULL, NULL, NULL, NULL, NULL, NULL,
         n.body, n.confidential, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM notes n WHERE n.case_id = $1 AND (NOT n.confidential OR n.author_id = $2)
  UNION ALL
  SELECT 'milestone', CASE WHEN m.achieved_on IS NULL THEN m.created_at ELSE ` + dayAt("m.achieved_on", "m.updated_at") + ` END,
         m.id::text, m.created_by, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         m.type, m.target_on, m.achieved_on, m.note, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM milestones m WHERE m.case_id = $1
  UNION ALL
  SELECT 'phase', p.at, p.id::text, p.by_user, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, p.from_phase, p.to_phase, p.reason, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM phase_transitions p WHERE p.case_id = $1
  UNION ALL
  SELECT 'status', s.at, s.id::text, s.by_user, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, s.note, s.from_status, s.to_status, s.reason, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM status_changes s WHERE s.case_id = $1
  UNION ALL
  SELECT 'follow_up', f.created_at, f.id::text, f.created_by, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, f.due_on, f.title, f.assignee_id, f.done_at, NULL, NULL, NULL
  FROM follow_ups f WHERE f.case_id = $1
) t
WHERE $3::timestamptz IS NULL OR (t.at, t.kind, t.id) < ($3::timestamptz, $4::text, $5::text)
ORDER BY t.at DESC, t.kind DESC, t.id DESC
LIMIT $6`

type timelineRow struct {
	Kind            string         `db:"kind"`
	At              time.Time      `db:"at"`
	ID              string         `db:"id"`
	ActorID         *uuid.UUID     `db:"actor_id"`
	Date            *domain.Date   `db:"date"`
	DurationMinutes *int           `db:"duration_minutes"`
	Mode            *string        `db:"mode"`
	Topics          pq.StringArray `db:"topics"`
	Summary         *string        `db:"summary"`
	Phase           *string        `db:"phase"`
	Body            *string        `db:"body"`
	Confidential    *bool          `db:"confidential"`
	Type            *string        `db:"type"`
	TargetOn        *domain.Date   `db:"target_on"`
	AchievedOn      *domain.Date   `db:"achieved_on"`
	Note            *string        `db:"note"`
	From            *string        `db:"from_value"`
	To              *string        `db:"to_value"`
	Reason          *string        `db:"reason"`
	DueOn           *domain.Date   `db:"due_on"`
	Title           *string        `db:"title"`
	AssigneeID      *uuid.UUID     `db:"assignee_id"`
	DoneAt          *time.Time     `db:"done_at"`
	NextSteps       *string        `db:"next_steps"`
	Languages       pq.StringArray `db:"languages"`
	Interpreter     *bool          `db:"interpreter"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (r timelineRow) item() domain.TimelineItem {
	it := domain.TimelineItem{Kind: r.Kind, At: r.At.UTC(), ID: r.ID, ActorID: r.ActorID,
		Date: r.Date, DurationMinutes: r.DurationMinutes, Mode: str(r.Mode), Summary: str(r.Summary),
		Phase: str(r.Phase), Body: str(r.Body), Confidential: r.Confidential, Type: str(r.Type),
		TargetOn: r.TargetOn, AchievedOn: r.AchievedOn, Note: r.Note, From: r.From, To: str(r.To), Reason: r.Reason,
		DueOn: r.DueOn, Title: str(r.Title), AssigneeID: r.AssigneeID, DoneAt: r.DoneAt,
		NextSteps: r.NextSteps, Interpreter: r.Interpreter}
	if r.Topics != nil {
		it.Topics = []string(r.Topics)
	}
	if r.Languages != nil {
		it.Languages = []string(r.Languages)
	}
	if it.DoneAt != nil {
		t := it.DoneAt.UTC()
		it.DoneAt = &t
	}
	return it
}

// Timeline returns one page of the history of a case actor may read, newest first:
// consultations, the notes actor may read, milestones, phase and status changes and
// follow-ups; the read is audited (case.timeline). limit is 1–200 (50 when 0); cursor is
// "" or the next cursor of the page before. It returns the cursor of the next page (""
// on the last). ErrNotFound; ErrInvalid for a bad cursor.
func (s *Store) Timeline(ctx context.Context, actor domain.Actor, caseID uuid.UUID, cursor string, limit int) ([]domain.TimelineItem, string, error) {
	c, err := s.workCaseInScope(ctx, s.DB, actor, domain.ActCaseRead, caseID, "", "case", caseID)
	if err != nil {
		return nil, "", err
	}
	items, next, err := timeline(ctx, s.DB, caseID, actor.UserID, cursor, limit)
	if err != nil {
		return nil, "", err
	}
	return items, next, s.Audit(ctx, actor, Event{Action: "case.timeline", ObjectType: "case", ObjectID: &caseID, CarrierID: &c.CarrierID})
}

func timeline(ctx context.Context, q sqlx.QueryerContext, caseID, viewer uuid.UUID, cursor string, limit int) ([]domain.TimelineItem, string, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	var at *time.Time
	var kind, id string
	if cursor != "" {
		t, k, i, err := decodeTimelineCursor(cursor)
		if err != nil {
			return nil, "", domain.Invalid("cursor", "error.invalid_cursor")
		}
		at, kind, id = &t, k, i
	}
	var rows []timelineRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectTimeline, caseID, viewer, at, kind, id, limit+1); err != nil {
		return nil, "", fmt.Errorf("timeline of case %s: %w", caseID, err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeTimelineCursor(last.At, last.Kind, last.ID)
	}
	out := make([]domain.TimelineItem, len(rows))
	for i, r := range rows {
		out[i] = r.item()
	}
	return out, next, nil
}

// encodeTimelineCursor and decodeTimelineCursor: the keyset of the timeline, (at, kind, id).
func encodeTimelineCursor(at time.Time, kind, id string) string {
	return encodeKeyset(at.UTC().Format(time.RFC3339Nano), kind, id)
}

func decodeTimelineCursor(s string) (time.Time, string, string, error) {
	parts, err := decodeKeyset(s, 3)
	if err != nil {
		return time.Time{}, "", "", err
	}
	t, err := time.Parse(time.RFC3339Nano, parts[0])
	if y := t.UTC().Year(); err == nil && (y < domain.FirstYear || y > domain.LastYear) {
		err = domain.ErrDateRange // PostgreSQL refuses some of these (year 0)
	}
	return t, parts[1], parts[2], err
}
