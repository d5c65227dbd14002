package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Casework: consultations, notes, milestones and follow-ups of a case. The caller checks
// that the case (or the object's case) is in the user's scope; these methods apply the
// rules that need the database: a closed case takes no new casework (ErrConflict,
// "error.case_closed"), only authors edit consultations and notes (ErrForbidden,
// "error.only_author_edits"), others' confidential notes do not exist (ErrNotFound).

// workCase is what casework needs to know of its case, read inside the change.
type workCase struct {
	ID            uuid.UUID    `db:"id"`
	CarrierID     uuid.UUID    `db:"carrier_id"`
	Status        string       `db:"status"`
	Phase         string       `db:"phase"`
	LeadAdvisorID uuid.UUID    `db:"lead_advisor_id"`
	FoundedOn     *domain.Date `db:"business_founded_on"`
}

// FOR SHARE keeps the case from being closed (or re-assigned) while casework is written
// into it; FOR NO KEY UPDATE is for changes that also update the case row.
const (
	selectWorkCase = `
SELECT id, carrier_id, status, phase, lead_advisor_id, business_founded_on FROM cases WHERE id = $1`
	lockShare  = ` FOR SHARE`
	lockUpdate = ` FOR NO KEY UPDATE`
)

// openCase reads and locks the case of a change: ErrNotFound, or ErrConflict when closed.
func openCase(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, lock string) (workCase, error) {
	var c workCase
	if err := tx.GetContext(ctx, &c, selectWorkCase+lock, id); err != nil {
		return c, notFoundIfNoRows(err)
	}
	if c.Status == domain.StatusClosed {
		return c, domain.Errorf(domain.ErrConflict, "error.case_closed")
	}
	return c, nil
}

func errStale() error { return domain.Errorf(domain.ErrPreconditionFailed, "error.stale_version") }

func errOnlyAuthor() error { return domain.Errorf(domain.ErrForbidden, "error.only_author_edits") }

// ---- consultations ----

// phaseAt is the case's phase at the end of day $2 (in Berlin): the last transition
// before the next day began; for a day before the first transition, the initial phase.
const phaseAt = `
SELECT coalesce(
  (SELECT to_phase FROM phase_transitions
   WHERE case_id = $1 AND at < (($2::date + 1)::timestamp AT TIME ZONE 'Europe/Berlin')
   ORDER BY at DESC, id DESC LIMIT 1),
  (SELECT to_phase FROM phase_transitions WHERE case_id = $1 ORDER BY at, id LIMIT 1))`

func casePhaseAt(ctx context.Context, tx *sqlx.Tx, c workCase, day domain.Date) (string, error) {
	var phase *string
	if err := tx.GetContext(ctx, &phase, phaseAt, c.ID, day); err != nil {
		return "", err
	}
	if phase == nil { // a case without history: its phase now is all we know
		return c.Phase, nil
	}
	return *phase, nil
}

const consultationColumns = `
SELECT id, case_id, advisor_id, date, duration_minutes, prep_minutes, mode, topics, languages,
       interpreter, summary, next_steps, follow_up_on, phase, version, created_at, updated_at
FROM consultations`

func scanConsultation(row interface{ Scan(...any) error }) (domain.Consultation, error) {
	var k domain.Consultation
	err := row.Scan(&k.ID, &k.CaseID, &k.AdvisorID, &k.Date, &k.DurationMinutes, &k.PrepMinutes,
		&k.Mode, pq.Array(&k.Topics), pq.Array(&k.Languages), &k.Interpreter, &k.Summary,
		&k.NextSteps, &k.FollowUpOn, &k.Phase, &k.Version, &k.CreatedAt, &k.UpdatedAt)
	if k.Topics == nil {
		k.Topics = []string{}
	}
	if k.Languages == nil {
		k.Languages = []string{}
	}
	return k, err
}

// Consultations lists a case's consultations, newest first.
func (s *Store) Consultations(ctx context.Context, caseID uuid.UUID) ([]domain.Consultation, error) {
	rows, err := s.DB.QueryContext(ctx, consultationColumns+` WHERE case_id = $1 ORDER BY date DESC, created_at DESC, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Consultation{}
	for rows.Next() {
		k, err := scanConsultation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Consultation returns one consultation; ErrNotFound.
func (s *Store) Consultation(ctx context.Context, id uuid.UUID) (domain.Consultation, error) {
	k, err := scanConsultation(s.DB.QueryRowContext(ctx, consultationColumns+` WHERE id = $1`, id))
	return k, notFoundIfNoRows(err)
}

const (
	insertConsultation = `
INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, prep_minutes, mode, topics,
    languages, interpreter, summary, next_steps, follow_up_on, phase)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`
	updateConsultation = `
UPDATE consultations SET date = $2, duration_minutes = $3, prep_minutes = $4, mode = $5, topics = $6,
    languages = $7, interpreter = $8, summary = $9, next_steps = $10, follow_up_on = $11, phase = $12,
    version = version + 1, updated_at = now()
WHERE id = $1`
	insertFollowUp = `
INSERT INTO follow_ups (id, case_id, consultation_id, due_on, title, assignee_id, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)`
	moveConsultationFollowUp = `
UPDATE follow_ups SET due_on = $2, version = version + 1, updated_at = now()
WHERE consultation_id = $1 AND done_at IS NULL
RETURNING id`
)

// CreateConsultation logs a consultation by the actor into a case, with the case's phase
// at its date; FollowUpOn creates a follow-up for the lead advisor in the same
// transaction. ErrNotFound; ErrConflict ("error.case_closed") for a closed case; ErrInvalid
// for a reused Idempotency-Key. The input must have passed validation and Check.
func (s *Store) CreateConsultation(ctx context.Context, actor domain.Actor, caseID uuid.UUID, in domain.ConsultationInput, idem *Idempotency) (uuid.UUID, error) {
	return s.create(ctx, actor.UserID, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		c, err := openCase(ctx, tx, caseID, lockShare)
		if err != nil {
			return err
		}
		phase, err := casePhaseAt(ctx, tx, c, in.Date)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertConsultation, id, caseID, actor.UserID, in.Date, in.DurationMinutes,
			in.PrepMinutes, in.Mode, pq.Array(in.Topics), pq.Array(nonNil(in.Languages)), in.Interpreter, in.Summary,
			in.NextSteps, in.FollowUpOn, phase); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "consultation.create", ObjectType: "consultation", ObjectID: &id, CarrierID: &c.CarrierID}); err != nil {
			return err
		}
		if in.FollowUpOn == nil {
			return nil
		}
		return addConsultationFollowUp(ctx, tx, actor, c, id, in)
	})
}

func addConsultationFollowUp(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, c workCase, consultation uuid.UUID, in domain.ConsultationInput) error {
	fid := uuid.New()
	if _, err := tx.ExecContext(ctx, insertFollowUp, fid, c.ID, consultation, *in.FollowUpOn, in.FollowUpTitle(), c.LeadAdvisorID, actor.UserID); err != nil {
		return err
	}
	return audit(ctx, tx, actor, Event{Action: "follow_up.create", ObjectType: "follow_up", ObjectID: &fid, CarrierID: &c.CarrierID})
}

// UpdateConsultation edits a consultation; only its author may. A new date fixes the
// phase at that date anew; a new follow_up_on moves the open follow-up the consultation
// made, or creates one. ErrNotFound; ErrForbidden (not the author); ErrPreconditionFailed;
// ErrConflict for a closed case.
func (s *Store) UpdateConsultation(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, in domain.ConsultationInput) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		k, err := scanConsultation(tx.QueryRowContext(ctx, consultationColumns+` WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return notFoundIfNoRows(err)
		}
		if k.AdvisorID != actor.UserID {
			return errOnlyAuthor()
		}
		if k.Version != version {
			return errStale()
		}
		c, err := openCase(ctx, tx, k.CaseID, lockShare)
		if err != nil {
			return err
		}
		phase := k.Phase
		if in.Date != k.Date {
			if phase, err = casePhaseAt(ctx, tx, c, in.Date); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, updateConsultation, id, in.Date, in.DurationMinutes, in.PrepMinutes, in.Mode,
			pq.Array(in.Topics), pq.Array(nonNil(in.Languages)), in.Interpreter, in.Summary, in.NextSteps,
			in.FollowUpOn, phase); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "consultation.update", ObjectType: "consultation", ObjectID: &id, CarrierID: &c.CarrierID}); err != nil {
			return err
		}
		if in.FollowUpOn == nil || (k.FollowUpOn != nil && *k.FollowUpOn == *in.FollowUpOn) {
			return nil
		}
		var moved []uuid.UUID
		if err := tx.SelectContext(ctx, &moved, moveConsultationFollowUp, id, *in.FollowUpOn); err != nil {
			return err
		}
		for _, fid := range moved {
			if err := audit(ctx, tx, actor, Event{Action: "follow_up.update", ObjectType: "follow_up", ObjectID: &fid, CarrierID: &c.CarrierID}); err != nil {
				return err
			}
		}
		if len(moved) > 0 {
			return nil
		}
		return addConsultationFollowUp(ctx, tx, actor, c, id, in)
	})
}

// ---- notes ----

// noteVisible is the confidentiality rule: a confidential note exists for its author only.
const noteVisible = ` (NOT confidential OR author_id = $2)`

const noteColumns = `
SELECT id, case_id, author_id, body, confidential, version, created_at, updated_at FROM notes`

// Notes lists a case's notes that viewer may read (others' confidential notes are left
// out), newest first.
func (s *Store) Notes(ctx context.Context, caseID, viewer uuid.UUID) ([]domain.Note, error) {
	out := []domain.Note{}
	err := s.DB.SelectContext(ctx, &out, noteColumns+` WHERE case_id = $1 AND`+noteVisible+` ORDER BY created_at DESC, id`, caseID, viewer)
	return out, err
}

// Note returns one note if viewer may read it; ErrNotFound for absent notes and for the
// confidential notes of others alike.
func (s *Store) Note(ctx context.Context, id, viewer uuid.UUID) (domain.Note, error) {
	var n domain.Note
	err := s.DB.GetContext(ctx, &n, noteColumns+` WHERE id = $1 AND`+noteVisible, id, viewer)
	return n, notFoundIfNoRows(err)
}

const (
	insertNote = `
INSERT INTO notes (id, case_id, author_id, body, confidential) VALUES ($1, $2, $3, $4, $5)`
	insertNoteRevision = `
INSERT INTO note_revisions (note_id, version, body, confidential, edited_at) VALUES ($1, $2, $3, $4, $5)`
	updateNote = `
UPDATE notes SET body = $2, confidential = $3, version = version + 1, updated_at = now() WHERE id = $1`
)

// CreateNote writes a note by the actor into a case. ErrNotFound; ErrConflict for a
// closed case; ErrInvalid for a reused Idempotency-Key.
func (s *Store) CreateNote(ctx context.Context, actor domain.Actor, caseID uuid.UUID, in domain.NoteInput, idem *Idempotency) (uuid.UUID, error) {
	return s.create(ctx, actor.UserID, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		c, err := openCase(ctx, tx, caseID, lockShare)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertNote, id, caseID, actor.UserID, in.Body, in.Confidential); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "note.create", ObjectType: "note", ObjectID: &id, CarrierID: &c.CarrierID})
	})
}

// UpdateNote edits a note; only its author may. The earlier text is kept as a revision.
// ErrNotFound (also for others' confidential notes); ErrForbidden (not the author);
// ErrPreconditionFailed; ErrConflict for a closed case.
func (s *Store) UpdateNote(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, in domain.NoteInput) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n domain.Note
		if err := tx.GetContext(ctx, &n, noteColumns+` WHERE id = $1 AND`+noteVisible+` FOR UPDATE`, id, actor.UserID); err != nil {
			return notFoundIfNoRows(err)
		}
		if n.AuthorID != actor.UserID {
			return errOnlyAuthor()
		}
		if n.Version != version {
			return errStale()
		}
		c, err := openCase(ctx, tx, n.CaseID, lockShare)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertNoteRevision, id, n.Version, n.Body, n.Confidential, n.UpdatedAt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, updateNote, id, in.Body, in.Confidential); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "note.update", ObjectType: "note", ObjectID: &id, CarrierID: &c.CarrierID})
	})
}

// ---- milestones ----

const milestoneColumns = `
SELECT id, case_id, type, target_on, achieved_on, note, created_by, version, created_at, updated_at FROM milestones`

// Milestones lists a case's milestones: achieved ones by date, then the open ones by target.
func (s *Store) Milestones(ctx context.Context, caseID uuid.UUID) ([]domain.Milestone, error) {
	out := []domain.Milestone{}
	err := s.DB.SelectContext(ctx, &out, milestoneColumns+` WHERE case_id = $1
ORDER BY achieved_on IS NULL, achieved_on, target_on NULLS LAST, created_at, id`, caseID)
	return out, err
}

// Milestone returns one milestone; ErrNotFound.
func (s *Store) Milestone(ctx context.Context, id uuid.UUID) (domain.Milestone, error) {
	var m domain.Milestone
	err := s.DB.GetContext(ctx, &m, milestoneColumns+` WHERE id = $1`, id)
	return m, notFoundIfNoRows(err)
}

const (
	insertMilestone = `
INSERT INTO milestones (id, case_id, type, target_on, achieved_on, note, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	updateMilestone = `
UPDATE milestones SET type = $2, target_on = $3, achieved_on = $4, note = $5, version = version + 1, updated_at = now()
WHERE id = $1`
	setFoundedOn = `
UPDATE cases SET business_founded_on = $2, version = version + 1, updated_at = now()
WHERE id = $1 AND business_founded_on IS NULL`
)

// CreateMilestone adds a milestone to a case. An achieved business_registered sets the
// case's business founded_on when it is empty (the case's version moves on).
// ErrNotFound; ErrConflict for a closed case; ErrInvalid for a reused Idempotency-Key.
func (s *Store) CreateMilestone(ctx context.Context, actor domain.Actor, caseID uuid.UUID, in domain.MilestoneInput, idem *Idempotency) (uuid.UUID, error) {
	return s.create(ctx, actor.UserID, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		c, err := openCase(ctx, tx, caseID, lockUpdate)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertMilestone, id, caseID, in.Type, in.TargetOn, in.AchievedOn, in.Note, actor.UserID); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "milestone.create", ObjectType: "milestone", ObjectID: &id, CarrierID: &c.CarrierID}); err != nil {
			return err
		}
		return foundedBy(ctx, tx, actor, c, in)
	})
}

// foundedBy records the founding date of an achieved business_registered milestone.
func foundedBy(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, c workCase, in domain.MilestoneInput) error {
	if in.Type != domain.MilestoneBusinessRegistered || in.AchievedOn == nil || c.FoundedOn != nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, setFoundedOn, c.ID, *in.AchievedOn); err != nil {
		return err
	}
	return audit(ctx, tx, actor, Event{Action: "case.update", ObjectType: "case", ObjectID: &c.ID, CarrierID: &c.CarrierID})
}

// UpdateMilestone changes a milestone; achieving business_registered sets the case's
// founded_on when empty. ErrNotFound; ErrPreconditionFailed; ErrConflict for a closed case.
func (s *Store) UpdateMilestone(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, in domain.MilestoneInput) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var m domain.Milestone
		if err := tx.GetContext(ctx, &m, milestoneColumns+` WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFoundIfNoRows(err)
		}
		if m.Version != version {
			return errStale()
		}
		c, err := openCase(ctx, tx, m.CaseID, lockUpdate)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, updateMilestone, id, in.Type, in.TargetOn, in.AchievedOn, in.Note); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "milestone.update", ObjectType: "milestone", ObjectID: &id, CarrierID: &c.CarrierID}); err != nil {
			return err
		}
		return foundedBy(ctx, tx, actor, c, in)
	})
}

// ---- follow-ups ----

const followUpColumns = `
SELECT id, case_id, consultation_id, due_on, title, assignee_id, created_by, done_at, version, created_at, updated_at
FROM follow_ups`

// FollowUps lists a case's follow-ups: open ones by due date first, then the done ones,
// latest done first.
func (s *Store) FollowUps(ctx context.Context, caseID uuid.UUID) ([]domain.FollowUp, error) {
	out := []domain.FollowUp{}
	err := s.DB.SelectContext(ctx, &out, followUpColumns+` WHERE case_id = $1
ORDER BY done_at IS NOT NULL, done_at DESC, due_on, created_at, id`, caseID)
	return out, err
}

// FollowUp returns one follow-up; ErrNotFound.
func (s *Store) FollowUp(ctx context.Context, id uuid.UUID) (domain.FollowUp, error) {
	var f domain.FollowUp
	err := s.DB.GetContext(ctx, &f, followUpColumns+` WHERE id = $1`, id)
	return f, notFoundIfNoRows(err)
}

// CreateFollowUp adds a follow-up to a case for the assignee (default: the lead
// advisor). The caller checks that the assignee may read the case (Casbin decides that,
// not the store). ErrNotFound; ErrConflict for a closed case; ErrInvalid for a reused
// Idempotency-Key.
func (s *Store) CreateFollowUp(ctx context.Context, actor domain.Actor, caseID uuid.UUID, in domain.FollowUpInput, idem *Idempotency) (uuid.UUID, error) {
	return s.create(ctx, actor.UserID, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		c, err := openCase(ctx, tx, caseID, lockShare)
		if err != nil {
			return err
		}
		assignee := c.LeadAdvisorID
		if in.AssigneeID != nil {
			assignee = *in.AssigneeID
		}
		if _, err := tx.ExecContext(ctx, insertFollowUp, id, caseID, nil, in.DueOn, in.Title, assignee, actor.UserID); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "follow_up.create", ObjectType: "follow_up", ObjectID: &id, CarrierID: &c.CarrierID})
	})
}

const updateFollowUp = `
UPDATE follow_ups SET due_on = $2, title = $3,
    done_at = CASE WHEN NOT $4 THEN NULL WHEN done_at IS NULL THEN now() ELSE done_at END,
    version = version + 1, updated_at = now()
WHERE id = $1`

// UpdateFollowUp marks a follow-up done (done_at now) or open again, reschedules or
// renames it. Unlike other casework it may be changed in a closed case, so nobody is
// left with a follow-up they cannot clear. ErrNotFound; ErrPreconditionFailed.
func (s *Store) UpdateFollowUp(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, in domain.FollowUpUpdate) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var f domain.FollowUp
		if err := tx.GetContext(ctx, &f, followUpColumns+` WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFoundIfNoRows(err)
		}
		if f.Version != version {
			return errStale()
		}
		var carrier uuid.UUID
		if err := tx.GetContext(ctx, &carrier, `SELECT carrier_id FROM cases WHERE id = $1`, f.CaseID); err != nil {
			return err
		}
		due, title, done := f.DueOn, f.Title, f.DoneAt != nil
		if in.DueOn != nil {
			due = *in.DueOn
		}
		if in.Title != nil {
			title = *in.Title
		}
		if in.Done != nil {
			done = *in.Done
		}
		if _, err := tx.ExecContext(ctx, updateFollowUp, id, due, title, done); err != nil {
			return err
		}
		return audit(ctx, tx, actor, Event{Action: "follow_up.update", ObjectType: "follow_up", ObjectID: &id, CarrierID: &carrier})
	})
}

// ---- agenda ----

// selectAgenda: the open follow-ups assigned to the scope's user ($3) in cases that are
// not closed and that lie in the user's case:read scope (caseScopeFilter, $1–$4), due up
// to $5. Someone taken off a case no longer sees its founder here.
const selectAgenda = `
SELECT fu.id, fu.case_id, fu.consultation_id, fu.due_on, fu.title, fu.assignee_id, fu.created_by,
       fu.done_at, fu.version, fu.created_at, fu.updated_at,
       f.given_name || ' ' || f.family_name AS founder_name, c.phase AS case_phase
FROM follow_ups fu
JOIN cases c ON c.id = fu.case_id
JOIN founders f ON f.id = c.founder_id
WHERE fu.assignee_id = $3 AND fu.done_at IS NULL AND fu.due_on <= $5 AND c.status <> 'closed'
  AND ` + caseScopeFilter + `
ORDER BY fu.due_on, fu.created_at, fu.id`

// Agenda returns the open follow-ups of the scope's user within that case:read scope:
// overdue (due before today), oldest first, and upcoming (due today up to
// domain.AgendaDays days ahead), soonest first.
func (s *Store) Agenda(ctx context.Context, scope domain.Scope, today domain.Date) (domain.Agenda, error) {
	a := domain.Agenda{Today: today, Overdue: []domain.AgendaItem{}, Upcoming: []domain.AgendaItem{}}
	var items []domain.AgendaItem
	if err := s.DB.SelectContext(ctx, &items, selectAgenda, pq.Array(uuidStrings(scope.Carriers)),
		pq.Array(uuidStrings(scope.Own)), scope.User, scope.All, today.AddDays(domain.AgendaDays)); err != nil {
		return a, err
	}
	for _, it := range items {
		if it.Overdue(today) {
			a.Overdue = append(a.Overdue, it)
		} else {
			a.Upcoming = append(a.Upcoming, it)
		}
	}
	return a, nil
}
