package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Casework: consultations, notes, milestones and follow-ups of a case. Each method checks
// the case (or the object's case) against the actor's scope under its lock, and applies
// the rules: a closed case takes no new casework (ErrConflict, "error.case_closed"), nor
// does a case whose founder withdrew the consent to counselling (ErrConflict,
// "error.consent_withdrawn"; see consents.go), only authors edit consultations and notes
// (ErrForbidden, "error.only_author_edits"), others' confidential notes do not exist
// (ErrNotFound), a follow-up's assignee may read the case.

// workCase is what casework needs to know of its case, read inside the change.
type workCase struct {
	ID            uuid.UUID    `db:"id"`
	CarrierID     uuid.UUID    `db:"carrier_id"`
	Status        string       `db:"status"`
	Phase         string       `db:"phase"`
	LeadAdvisorID uuid.UUID    `db:"lead_advisor_id"`
	FoundedOn     *domain.Date `db:"business_founded_on"`
	Advises       bool         `db:"advises"` // the actor leads or co-advises it
}

// FOR SHARE keeps the case from being closed (or re-assigned) while casework is written
// into it; FOR NO KEY UPDATE is for changes that also update the case row.
const (
	selectWorkCase = `
SELECT c.id, c.carrier_id, c.status, c.phase, c.lead_advisor_id, c.business_founded_on,
       (c.lead_advisor_id = $2 OR EXISTS (SELECT 1 FROM case_co_advisors a WHERE a.case_id = c.id AND a.user_id = $2)) AS advises
FROM cases c WHERE c.id = $1`
	lockShare  = ` FOR SHARE`
	lockUpdate = ` FOR NO KEY UPDATE`
)

// workCaseInScope reads (and with lock, locks) the case of casework and checks it
// against actor's scope for action; objectType and id name what is refused.
func (s *Store) workCaseInScope(ctx context.Context, q sqlx.QueryerContext, actor domain.Actor, action domain.Action,
	caseID uuid.UUID, lock, objectType string, id uuid.UUID) (workCase, error) {
	var c workCase
	if err := sqlx.GetContext(ctx, q, &c, selectWorkCase+lock, caseID, actor.UserID); err != nil {
		return c, notFoundIfNoRows(err)
	}
	return c, s.reach(actor, action, objectType, id, c.CarrierID, c.Advises)
}

// openCase reads and locks the case of a change within actor's scope for action:
// ErrNotFound, or ErrConflict when it is closed or its founder withdrew the consent to
// counselling ("error.consent_withdrawn").
func (s *Store) openCase(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, action domain.Action, caseID uuid.UUID, lock, objectType string, id uuid.UUID) (workCase, error) {
	c, err := s.workCaseInScope(ctx, tx, actor, action, caseID, lock, objectType, id)
	if err == nil && c.Status == domain.StatusClosed {
		err = errCaseClosed()
	}
	if err == nil {
		err = counsellingAllowed(ctx, tx, caseID)
	}
	return c, err
}

// caseList reads one case's list for actor (case:read, or note:read for notes) and
// audits the read as action.
func caseList[T any](ctx context.Context, s *Store, actor domain.Actor, perm domain.Action, caseID uuid.UUID, auditAction string,
	list func() ([]T, error)) ([]T, error) {
	c, err := s.workCaseInScope(ctx, s.DB, actor, perm, caseID, "", "case", caseID)
	if err != nil {
		return nil, err
	}
	out, err := list()
	if err != nil {
		return nil, fmt.Errorf("%s of case %s: %w", auditAction, caseID, err)
	}
	return out, s.Audit(ctx, actor, Event{Action: auditAction, ObjectType: "case", ObjectID: &caseID, CarrierID: &c.CarrierID})
}

func errStale() error { return domain.Errorf(domain.ErrPreconditionFailed, "error.stale_version") }

func errOnlyAuthor() error { return domain.Errorf(domain.ErrForbidden, "error.only_author_edits") }

func errCaseClosed() error { return domain.Errorf(domain.ErrConflict, "error.case_closed") }

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

// Consultations lists the consultations of a case actor may read, newest first; the read
// is audited. ErrNotFound.
func (s *Store) Consultations(ctx context.Context, actor domain.Actor, caseID uuid.UUID) ([]domain.Consultation, error) {
	return caseList(ctx, s, actor, domain.ActCaseRead, caseID, "consultation.list", func() ([]domain.Consultation, error) {
		return listConsultations(ctx, s.DB, caseID)
	})
}

func listConsultations(ctx context.Context, q sqlx.QueryerContext, caseID uuid.UUID) ([]domain.Consultation, error) {
	rows, err := q.QueryContext(ctx, consultationColumns+` WHERE case_id = $1 ORDER BY date DESC, created_at DESC, id`, caseID)
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

// consultationInScope reads a consultation whose case actor reaches with action.
func (s *Store) consultationInScope(ctx context.Context, q sqlx.QueryerContext, actor domain.Actor, action domain.Action, id uuid.UUID, lock string) (domain.Consultation, workCase, error) {
	k, err := scanConsultation(q.QueryRowxContext(ctx, consultationColumns+` WHERE id = $1`+lock, id))
	if err != nil {
		return k, workCase{}, notFoundIfNoRows(err)
	}
	c, err := s.workCaseInScope(ctx, q, actor, action, k.CaseID, "", "consultation", id)
	return k, c, err
}

// A new consultation takes two statements (plus BEGIN and COMMIT), each one round trip
// (binary_parameters, see withSessionSettings): selectConsultationCase reads and locks
// its case with everything the checks need, where openCase and casePhaseAt took three
// statements; insertConsultation writes it and its audit event and returns it, where an
// INSERT, the audit's INSERT and reading it back (with its case again) took four.
const (
	// selectConsultationCase: case $1 FOR SHARE (see lockShare), whether actor $3 leads or
	// co-advises it, whether its founder withdrew the consent to counselling, and its
	// phase at the end of day $2 (phaseAt; NULL for a case without history).
	selectConsultationCase = `
SELECT c.id, c.carrier_id, c.status, c.phase, c.lead_advisor_id, c.business_founded_on,
       (c.lead_advisor_id = $3 OR EXISTS (SELECT 1 FROM case_co_advisors a WHERE a.case_id = c.id AND a.user_id = $3)) AS advises,
       (` + counsellingWithdrawnOfCase + `) AS withdrawn,
       (` + phaseAt + `) AS phase_at
FROM cases c WHERE c.id = $1 FOR SHARE`
	// insertConsultation writes the consultation and its audit event (consultation.create
	// by $3, in carrier $15, request $16) and returns it as consultationColumns.
	insertConsultation = `
WITH k AS (
    INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, prep_minutes, mode, topics,
        languages, interpreter, summary, next_steps, follow_up_on, phase)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    RETURNING id, case_id, advisor_id, date, duration_minutes, prep_minutes, mode, topics, languages,
              interpreter, summary, next_steps, follow_up_on, phase, version, created_at, updated_at
), audited AS (
    INSERT INTO audit_events (actor_id, action, object_type, object_id, carrier_id, case_id, request_id, outcome)
    SELECT k.advisor_id, 'consultation.create', 'consultation', k.id, $15, k.case_id, nullif($16, ''), 'success' FROM k
)
SELECT * FROM k`
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

// CreateConsultation logs a consultation by the actor into a case (casework:write), with
// the case's phase at its date; FollowUpOn creates a follow-up for the lead advisor in
// the same transaction. ErrInvalid; ErrNotFound; ErrConflict ("error.case_closed") for a
// closed case, "error.consent_withdrawn" when the founder withdrew the consent to
// counselling; ErrInvalid for a reused Idempotency-Key.
func (s *Store) CreateConsultation(ctx context.Context, actor domain.Actor, caseID uuid.UUID, in domain.ConsultationInput, idem *Idempotency) (domain.Consultation, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.Consultation{}, err
	}
	var created domain.Consultation
	return create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		var c struct {
			workCase
			Withdrawn bool    `db:"withdrawn"`
			PhaseAt   *string `db:"phase_at"`
		}
		if err := tx.GetContext(ctx, &c, selectConsultationCase, caseID, in.Date, actor.UserID); err != nil {
			return notFoundIfNoRows(err)
		}
		// the checks of openCase, in its order
		if err := s.reach(actor, domain.ActCaseworkWrite, "case", caseID, c.CarrierID, c.Advises); err != nil {
			return err
		}
		if c.Status == domain.StatusClosed {
			return errCaseClosed()
		}
		if c.Withdrawn {
			return errConsentWithdrawn()
		}
		phase := c.Phase // a case without history: its phase now is all we know
		if c.PhaseAt != nil {
			phase = *c.PhaseAt
		}
		var err error
		created, err = scanConsultation(tx.QueryRowxContext(ctx, insertConsultation, id, caseID, actor.UserID, in.Date,
			in.DurationMinutes, in.PrepMinutes, in.Mode, pq.Array(in.Topics), pq.Array(nonNil(in.Languages)), in.Interpreter,
			in.Summary, in.NextSteps, in.FollowUpOn, phase, c.CarrierID, actor.RequestID))
		if err != nil {
			return fmt.Errorf("insert consultation into case %s: %w", caseID, err)
		}
		if in.FollowUpOn == nil {
			return nil
		}
		return addConsultationFollowUp(ctx, tx, actor, c.workCase, id, in)
	}, func(q sqlx.QueryerContext, id uuid.UUID) (domain.Consultation, error) {
		if created.ID == id { // written just now, in this transaction
			return created, nil
		}
		k, _, err := s.consultationInScope(ctx, q, actor, domain.ActCaseRead, id, "")
		return k, err
	})
}

func addConsultationFollowUp(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, c workCase, consultation uuid.UUID, in domain.ConsultationInput) error {
	fid := uuid.New()
	if _, err := tx.ExecContext(ctx, insertFollowUp, fid, c.ID, consultation, *in.FollowUpOn, in.FollowUpTitle(), c.LeadAdvisorID, actor.UserID); err != nil {
		return err
	}
	return audit(ctx, tx, actor, Event{Action: "follow_up.create", ObjectType: "follow_up", ObjectID: &fid, CarrierID: &c.CarrierID, CaseID: &c.ID})
}

// UpdateConsultation edits a consultation; only its author may (consultation:edit on its
// case). edit gets the current values. A new date fixes the phase at that date anew; a
// new follow_up_on moves the open follow-up the consultation made, or creates one; an
// unchanged follow-up date may lie in the past by now. ErrNotFound; ErrForbidden (not
// the author); ErrPreconditionFailed; ErrInvalid; ErrConflict for a closed case.
func (s *Store) UpdateConsultation(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, edit domain.Edit[domain.ConsultationInput]) (domain.Consultation, error) {
	var out domain.Consultation
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		k, c, err := s.consultationInScope(ctx, tx, actor, domain.ActConsultationEdit, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if k.AdvisorID != actor.UserID {
			return errOnlyAuthor()
		}
		if k.Version != version {
			return errStale()
		}
		if c.Status == domain.StatusClosed {
			return errCaseClosed()
		}
		in, err := edit(k.Input())
		keep := in.FollowUpOn
		if keep != nil && k.FollowUpOn != nil && *keep == *k.FollowUpOn {
			in.FollowUpOn = nil // unchanged: it may lie in the past by now
		}
		err = validEdit(&in, err, s.Today())
		in.FollowUpOn = keep
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
		if err := audit(ctx, tx, actor, Event{Action: "consultation.update", ObjectType: "consultation", ObjectID: &id, CarrierID: &c.CarrierID, CaseID: &c.ID}); err != nil {
			return err
		}
		if err := moveFollowUp(ctx, tx, actor, c, k, in); err != nil {
			return err
		}
		out, _, err = s.consultationInScope(ctx, tx, actor, domain.ActCaseRead, id, "")
		return err
	})
	return out, wrap(err, "update consultation %s", id)
}

// moveFollowUp follows a consultation's changed follow_up_on: the open follow-up it made
// moves, or a new one is created.
func moveFollowUp(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, c workCase, k domain.Consultation, in domain.ConsultationInput) error {
	if in.FollowUpOn == nil || (k.FollowUpOn != nil && *k.FollowUpOn == *in.FollowUpOn) {
		return nil
	}
	var moved []uuid.UUID
	if err := tx.SelectContext(ctx, &moved, moveConsultationFollowUp, k.ID, *in.FollowUpOn); err != nil {
		return err
	}
	for _, fid := range moved {
		if err := audit(ctx, tx, actor, Event{Action: "follow_up.update", ObjectType: "follow_up", ObjectID: &fid, CarrierID: &c.CarrierID, CaseID: &c.ID}); err != nil {
			return err
		}
	}
	if len(moved) > 0 {
		return nil
	}
	return addConsultationFollowUp(ctx, tx, actor, c, k.ID, in)
}

// ---- notes ----

// noteVisible is the confidentiality rule: a confidential note exists for its author only.
const noteVisible = ` (NOT confidential OR author_id = $2)`

const noteColumns = `
SELECT id, case_id, author_id, body, confidential, version, created_at, updated_at FROM notes`

// Notes lists the notes of a case actor may read (note:read), leaving out others'
// confidential notes, newest first; the read is audited. ErrNotFound.
func (s *Store) Notes(ctx context.Context, actor domain.Actor, caseID uuid.UUID) ([]domain.Note, error) {
	return caseList(ctx, s, actor, domain.ActNoteRead, caseID, "note.list", func() ([]domain.Note, error) {
		return listNotes(ctx, s.DB, caseID, actor.UserID)
	})
}

func listNotes(ctx context.Context, q sqlx.QueryerContext, caseID, viewer uuid.UUID) ([]domain.Note, error) {
	out := []domain.Note{}
	err := sqlx.SelectContext(ctx, q, &out, noteColumns+` WHERE case_id = $1 AND`+noteVisible+` ORDER BY created_at DESC, id`, caseID, viewer)
	return out, err
}

// noteInScope reads a note actor may see in a case actor reaches with action: absent
// notes and others' confidential notes are the same ErrNotFound.
func (s *Store) noteInScope(ctx context.Context, q sqlx.QueryerContext, actor domain.Actor, action domain.Action, id uuid.UUID, lock string) (domain.Note, workCase, error) {
	var n domain.Note
	if err := sqlx.GetContext(ctx, q, &n, noteColumns+` WHERE id = $1 AND`+noteVisible+lock, id, actor.UserID); err != nil {
		return n, workCase{}, notFoundIfNoRows(err)
	}
	c, err := s.workCaseInScope(ctx, q, actor, action, n.CaseID, "", "note", id)
	return n, c, err
}

const (
	insertNote = `
INSERT INTO notes (id, case_id, author_id, body, confidential) VALUES ($1, $2, $3, $4, $5)`
	insertNoteRevision = `
INSERT INTO note_revisions (note_id, version, body, confidential, edited_at) VALUES ($1, $2, $3, $4, $5)`
	updateNote = `
UPDATE notes SET body = $2, confidential = $3, version = version + 1, updated_at = now() WHERE id = $1`
)

// CreateNote writes a note by the actor into a case (note:write). ErrInvalid;
// ErrNotFound; ErrConflict for a closed case or a withdrawn consent to counselling;
// ErrInvalid for a reused Idempotency-Key.
func (s *Store) CreateNote(ctx context.Context, actor domain.Actor, caseID uuid.UUID, in domain.NoteInput, idem *Idempotency) (domain.Note, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.Note{}, err
	}
	return create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		c, err := s.openCase(ctx, tx, actor, domain.ActNoteWrite, caseID, lockShare, "case", caseID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertNote, id, caseID, actor.UserID, in.Body, in.Confidential); err != nil {
			return fmt.Errorf("insert note into case %s: %w", caseID, err)
		}
		return audit(ctx, tx, actor, Event{Action: "note.create", ObjectType: "note", ObjectID: &id, CarrierID: &c.CarrierID, CaseID: &c.ID})
	}, func(q sqlx.QueryerContext, id uuid.UUID) (domain.Note, error) {
		n, _, err := s.noteInScope(ctx, q, actor, domain.ActNoteRead, id, "")
		return n, err
	})
}

// UpdateNote edits a note; only its author may (note:edit). The earlier text is kept as
// a revision. ErrNotFound (also for others' confidential notes); ErrForbidden (not the
// author); ErrPreconditionFailed; ErrInvalid; ErrConflict for a closed case.
func (s *Store) UpdateNote(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, edit domain.Edit[domain.NoteInput]) (domain.Note, error) {
	var out domain.Note
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		n, c, err := s.noteInScope(ctx, tx, actor, domain.ActNoteEdit, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if n.AuthorID != actor.UserID {
			return errOnlyAuthor()
		}
		if n.Version != version {
			return errStale()
		}
		if c.Status == domain.StatusClosed {
			return errCaseClosed()
		}
		in, err := edit(domain.NoteInput{Body: n.Body, Confidential: n.Confidential})
		if err := validEdit(&in, err, s.Today()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertNoteRevision, id, n.Version, n.Body, n.Confidential, n.UpdatedAt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, updateNote, id, in.Body, in.Confidential); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "note.update", ObjectType: "note", ObjectID: &id, CarrierID: &c.CarrierID, CaseID: &c.ID}); err != nil {
			return err
		}
		out, _, err = s.noteInScope(ctx, tx, actor, domain.ActNoteRead, id, "")
		return err
	})
	return out, wrap(err, "update note %s", id)
}

// ---- milestones ----

const milestoneColumns = `
SELECT id, case_id, type, target_on, achieved_on, note, created_by, version, created_at, updated_at FROM milestones`

// Milestones lists the milestones of a case actor may read: achieved ones by date, then
// the open ones by target; the read is audited. ErrNotFound.
func (s *Store) Milestones(ctx context.Context, actor domain.Actor, caseID uuid.UUID) ([]domain.Milestone, error) {
	return caseList(ctx, s, actor, domain.ActCaseRead, caseID, "milestone.list", func() ([]domain.Milestone, error) {
		return listMilestones(ctx, s.DB, caseID)
	})
}

func listMilestones(ctx context.Context, q sqlx.QueryerContext, caseID uuid.UUID) ([]domain.Milestone, error) {
	out := []domain.Milestone{}
	err := sqlx.SelectContext(ctx, q, &out, milestoneColumns+` WHERE case_id = $1
ORDER BY achieved_on IS NULL, achieved_on, target_on NULLS LAST, created_at, id`, caseID)
	return out, err
}

func (s *Store) milestoneInScope(ctx context.Context, q sqlx.QueryerContext, actor domain.Actor, action domain.Action, id uuid.UUID, lock string) (domain.Milestone, workCase, error) {
	var m domain.Milestone
	if err := sqlx.GetContext(ctx, q, &m, milestoneColumns+` WHERE id = $1`+lock, id); err != nil {
		return m, workCase{}, notFoundIfNoRows(err)
	}
	c, err := s.workCaseInScope(ctx, q, actor, action, m.CaseID, "", "milestone", id)
	return m, c, err
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

// CreateMilestone adds a milestone to a case (casework:write). An achieved
// business_registered sets the case's business founded_on when it is empty (the case's
// version moves on). ErrInvalid; ErrNotFound; ErrConflict for a closed case or a
// withdrawn consent to counselling.
func (s *Store) CreateMilestone(ctx context.Context, actor domain.Actor, caseID uuid.UUID, in domain.MilestoneInput, idem *Idempotency) (domain.Milestone, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.Milestone{}, err
	}
	return create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		c, err := s.openCase(ctx, tx, actor, domain.ActCaseworkWrite, caseID, lockUpdate, "case", caseID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertMilestone, id, caseID, in.Type, in.TargetOn, in.AchievedOn, in.Note, actor.UserID); err != nil {
			return fmt.Errorf("insert milestone into case %s: %w", caseID, err)
		}
		if err := audit(ctx, tx, actor, Event{Action: "milestone.create", ObjectType: "milestone", ObjectID: &id, CarrierID: &c.CarrierID, CaseID: &c.ID}); err != nil {
			return err
		}
		return foundedBy(ctx, tx, actor, c, in)
	}, func(q sqlx.QueryerContext, id uuid.UUID) (domain.Milestone, error) {
		m, _, err := s.milestoneInScope(ctx, q, actor, domain.ActCaseRead, id, "")
		return m, err
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

// UpdateMilestone changes a milestone (casework:write); edit gets the current values;
// achieving business_registered sets the case's founded_on when empty. ErrNotFound;
// ErrPreconditionFailed; ErrInvalid; ErrConflict for a closed case or a withdrawn
// consent to counselling.
func (s *Store) UpdateMilestone(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, edit domain.Edit[domain.MilestoneInput]) (domain.Milestone, error) {
	var out domain.Milestone
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		m, _, err := s.milestoneInScope(ctx, tx, actor, domain.ActCaseworkWrite, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if m.Version != version {
			return errStale()
		}
		c, err := s.openCase(ctx, tx, actor, domain.ActCaseworkWrite, m.CaseID, lockUpdate, "milestone", id)
		if err != nil {
			return err
		}
		in, err := edit(m.Input())
		if err := validEdit(&in, err, s.Today()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, updateMilestone, id, in.Type, in.TargetOn, in.AchievedOn, in.Note); err != nil {
			return err
		}
		if err := audit(ctx, tx, actor, Event{Action: "milestone.update", ObjectType: "milestone", ObjectID: &id, CarrierID: &c.CarrierID, CaseID: &c.ID}); err != nil {
			return err
		}
		if err := foundedBy(ctx, tx, actor, c, in); err != nil {
			return err
		}
		out, _, err = s.milestoneInScope(ctx, tx, actor, domain.ActCaseRead, id, "")
		return err
	})
	return out, wrap(err, "update milestone %s", id)
}

// ---- follow-ups ----

const followUpColumns = `
SELECT id, case_id, consultation_id, due_on, title, assignee_id, created_by, done_at, version, created_at, updated_at
FROM follow_ups`

// FollowUps lists the follow-ups of a case actor may read: open ones by due date first,
// then the done ones, latest done first; the read is audited. ErrNotFound.
func (s *Store) FollowUps(ctx context.Context, actor domain.Actor, caseID uuid.UUID) ([]domain.FollowUp, error) {
	return caseList(ctx, s, actor, domain.ActCaseRead, caseID, "follow_up.list", func() ([]domain.FollowUp, error) {
		return listFollowUps(ctx, s.DB, caseID)
	})
}

func listFollowUps(ctx context.Context, q sqlx.QueryerContext, caseID uuid.UUID) ([]domain.FollowUp, error) {
	out := []domain.FollowUp{}
	err := sqlx.SelectContext(ctx, q, &out, followUpColumns+` WHERE case_id = $1
ORDER BY done_at IS NOT NULL, done_at DESC, due_on, created_at, id`, caseID)
	return out, err
}

func (s *Store) followUpInScope(ctx context.Context, q sqlx.QueryerContext, actor domain.Actor, action domain.Action, id uuid.UUID, lock string) (domain.FollowUp, workCase, error) {
	var f domain.FollowUp
	if err := sqlx.GetContext(ctx, q, &f, followUpColumns+` WHERE id = $1`+lock, id); err != nil {
		return f, workCase{}, notFoundIfNoRows(err)
	}
	c, err := s.workCaseInScope(ctx, q, actor, action, f.CaseID, "", "follow_up", id)
	return f, c, err
}

const advisesCase = `
SELECT EXISTS (SELECT 1 FROM cases c WHERE c.id = $1 AND (c.lead_advisor_id = $2
    OR EXISTS (SELECT 1 FROM case_co_advisors a WHERE a.case_id = c.id AND a.user_id = $2)))`

// mayRead reports whether user (not necessarily the actor) may read the case: a
// follow-up's assignee must, since the agenda shows them the founder's name. Casbin
// decides it, as for every other access; without an authorizer only the case's
// advisors qualify.
func (s *Store) mayRead(ctx context.Context, tx *sqlx.Tx, user uuid.UUID, c workCase) (bool, error) {
	var advises bool
	if err := tx.GetContext(ctx, &advises, advisesCase, c.ID, user); err != nil {
		return false, err
	}
	if s.Authorize == nil {
		return advises, nil
	}
	return s.Authorize(user, domain.ActCaseRead).Allows(c.CarrierID, advises), nil
}

// CreateFollowUp adds a follow-up to a case (casework:write) for the assignee (default:
// the lead advisor), who must be someone who may read the case. ErrInvalid; ErrNotFound;
// ErrConflict for a closed case or a withdrawn consent to counselling; ErrInvalid for a
// reused Idempotency-Key.
func (s *Store) CreateFollowUp(ctx context.Context, actor domain.Actor, caseID uuid.UUID, in domain.FollowUpInput, idem *Idempotency) (domain.FollowUp, error) {
	if err := domain.Validate(&in, s.Today()); err != nil {
		return domain.FollowUp{}, err
	}
	return create(ctx, s, actor, idem, func(tx *sqlx.Tx, id uuid.UUID) error {
		c, err := s.openCase(ctx, tx, actor, domain.ActCaseworkWrite, caseID, lockShare, "case", caseID)
		if err != nil {
			return err
		}
		assignee := c.LeadAdvisorID
		if in.AssigneeID != nil {
			assignee = *in.AssigneeID
			ok, err := s.mayRead(ctx, tx, assignee, c)
			if err != nil {
				return err
			}
			if !ok {
				return domain.Invalid("assignee_id", "error.assignee_not_on_case")
			}
		}
		if _, err := tx.ExecContext(ctx, insertFollowUp, id, caseID, nil, in.DueOn, in.Title, assignee, actor.UserID); err != nil {
			return fmt.Errorf("insert follow-up into case %s: %w", caseID, err)
		}
		return audit(ctx, tx, actor, Event{Action: "follow_up.create", ObjectType: "follow_up", ObjectID: &id, CarrierID: &c.CarrierID, CaseID: &c.ID})
	}, func(q sqlx.QueryerContext, id uuid.UUID) (domain.FollowUp, error) {
		f, _, err := s.followUpInScope(ctx, q, actor, domain.ActCaseRead, id, "")
		return f, err
	})
}

const updateFollowUp = `
UPDATE follow_ups SET due_on = $2, title = $3,
    done_at = CASE WHEN NOT $4 THEN NULL WHEN done_at IS NULL THEN now() ELSE done_at END,
    version = version + 1, updated_at = now()
WHERE id = $1`

// UpdateFollowUp marks a follow-up done (done_at now) or open again, reschedules or
// renames it (casework:write). Unlike other casework it may be changed in a closed case,
// so nobody is left with a follow-up they cannot clear. ErrNotFound;
// ErrPreconditionFailed; ErrInvalid.
func (s *Store) UpdateFollowUp(ctx context.Context, actor domain.Actor, id uuid.UUID, version int, in domain.FollowUpUpdate) (domain.FollowUp, error) {
	var out domain.FollowUp
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		f, c, err := s.followUpInScope(ctx, tx, actor, domain.ActCaseworkWrite, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		if f.Version != version {
			return errStale()
		}
		in.Before = f.DueOn
		if err := domain.Validate(&in, s.Today()); err != nil {
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
		if err := audit(ctx, tx, actor, Event{Action: "follow_up.update", ObjectType: "follow_up", ObjectID: &id, CarrierID: &c.CarrierID, CaseID: &c.ID}); err != nil {
			return err
		}
		out, _, err = s.followUpInScope(ctx, tx, actor, domain.ActCaseRead, id, "")
		return err
	})
	return out, wrap(err, "update follow-up %s", id)
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

// Agenda returns actor's open follow-ups within their case:read scope: overdue (due
// before today), oldest first, and upcoming (due today up to domain.AgendaDays days
// ahead), soonest first.
func (s *Store) Agenda(ctx context.Context, actor domain.Actor) (domain.Agenda, error) {
	today := s.Today()
	scope := s.Scope(actor, domain.ActCaseRead)
	a := domain.Agenda{Today: today, Overdue: []domain.AgendaItem{}, Upcoming: []domain.AgendaItem{}}
	var items []domain.AgendaItem
	if err := s.DB.SelectContext(ctx, &items, selectAgenda, pq.Array(uuidStrings(scope.Carriers)),
		pq.Array(uuidStrings(scope.Own)), actor.UserID, scope.All, today.AddDays(domain.AgendaDays)); err != nil {
		return a, fmt.Errorf("agenda: %w", err)
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

// CaseOf returns the case a casework object (kind consultation, note, milestone or
// follow_up) belongs to, without a scope check: pages use it only to compare with the
// case in their URL or to show that case again, and every use case and read checks the
// scope itself. ErrNotFound.
func (s *Store) CaseOf(ctx context.Context, kind string, id uuid.UUID) (uuid.UUID, error) {
	tables := map[string]string{"consultation": "consultations", "note": "notes", "milestone": "milestones", "follow_up": "follow_ups"}
	table, ok := tables[kind]
	if !ok {
		return uuid.Nil, domain.NotFound()
	}
	var caseID uuid.UUID
	// table is one of the constants above, never input.
	err := s.DB.GetContext(ctx, &caseID, `SELECT case_id FROM `+table+` WHERE id = $1`, id)
	return caseID, notFoundIfNoRows(err)
}

// Consultation returns one consultation of a case actor may read. ErrNotFound.
func (s *Store) Consultation(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Consultation, error) {
	k, _, err := s.consultationInScope(ctx, s.DB, actor, domain.ActCaseRead, id, "")
	return k, err
}

// Note returns one note actor may read; others' confidential notes are ErrNotFound.
func (s *Store) Note(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Note, error) {
	n, _, err := s.noteInScope(ctx, s.DB, actor, domain.ActNoteRead, id, "")
	return n, err
}

// Milestone returns one milestone of a case actor may read. ErrNotFound.
func (s *Store) Milestone(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Milestone, error) {
	m, _, err := s.milestoneInScope(ctx, s.DB, actor, domain.ActCaseRead, id, "")
	return m, err
}
