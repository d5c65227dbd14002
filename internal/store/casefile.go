package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// CaseFile reads everything the case page shows of a case actor may read, in one
// read-only transaction so its parts agree: the case, its carrier and phase history,
// what actor may do with it, one page of the timeline (starting at cursor before, or the
// newest), the open follow-ups, the objects behind this page's timeline entries that
// actor may edit, the advisors a coordinator may assign, the founder's consents (for
// those with founder:consent), and the names of the people named. The read is audited
// as case.read, as the API's. ErrNotFound; ErrInvalid for a bad cursor.
func (s *Store) CaseFile(ctx context.Context, actor domain.Actor, id uuid.UUID, before string) (domain.CaseFile, error) {
	var f domain.CaseFile
	tx, err := s.DB.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return f, err
	}
	defer func() { _ = tx.Rollback() }()
	if f.Case, err = s.caseInScope(ctx, tx, actor, domain.ActCaseRead, id); err != nil {
		return f, err
	}
	if err := s.readCaseFile(ctx, tx, actor, &f, before); err != nil {
		return f, wrap(err, "case file %s", id)
	}
	if err := tx.Commit(); err != nil {
		return f, err
	}
	return f, s.Audit(ctx, actor, auditRead("case", id, f.Case.CarrierID))
}

func (s *Store) readCaseFile(ctx context.Context, tx *sqlx.Tx, actor domain.Actor, f *domain.CaseFile, before string) error {
	c, user := f.Case, actor.UserID
	advises := c.Advises(user)
	may := func(a domain.Action) bool { return s.Scope(actor, a).Allows(c.CarrierID, advises) }
	open := c.Status != domain.StatusClosed
	f.Can = domain.CaseRights{Update: may(domain.ActCaseUpdate), Assign: may(domain.ActCaseAssign),
		Casework: may(domain.ActCaseworkWrite), Note: may(domain.ActNoteWrite), ReadNotes: may(domain.ActNoteRead),
		EditConsultations: open && may(domain.ActConsultationEdit), EditNotes: open && may(domain.ActNoteEdit)}
	f.Can.EditMilestones = open && f.Can.Casework
	f.Can.Privacy = may(domain.ActFounderPrivacy)
	if c.Founder.RestrictedAt != nil { // pseudonymised on request: kept, never changed
		f.Can = domain.CaseRights{ReadNotes: f.Can.ReadNotes, Privacy: f.Can.Privacy}
	}
	f.Can.Audit = may(domain.ActAuditRead)
	var err error
	// Consents belong to the founder: shown to those who may record them.
	if s.Scope(actor, domain.ActFounderConsent).Allows(c.Founder.CarrierID, advises) {
		cs, err := founderConsents(ctx, tx, c.Founder.ID)
		if err != nil {
			return err
		}
		f.Consents = &cs
	}
	if f.Carrier, err = getCarrier(ctx, tx, c.CarrierID); err != nil {
		return err
	}
	f.Phases = []domain.PhaseTransition{}
	if err := tx.SelectContext(ctx, &f.Phases, selectTransitions, c.ID); err != nil {
		return err
	}
	if f.Can.Assign {
		if f.Advisors, err = advisorsOf(ctx, tx, c.CarrierID); err != nil {
			return err
		}
	}
	f.Before = before
	items, next, err := timeline(ctx, tx, c.ID, user, before, domain.TimelinePage)
	if err != nil {
		return err
	}
	f.Next = next
	var consultations, notes, milestones []uuid.UUID
	for _, it := range items {
		if it.Kind == domain.TimelineNote && !f.Can.ReadNotes {
			continue
		}
		f.Timeline = append(f.Timeline, it)
		id, _ := uuid.Parse(it.ID)
		switch it.Kind {
		case domain.TimelineConsultation:
			consultations = append(consultations, id)
		case domain.TimelineNote:
			notes = append(notes, id)
		case domain.TimelineMilestone:
			milestones = append(milestones, id)
		}
	}
	// Only the objects of this page's entries: a case with 2,000 entries reads 50.
	f.Consultations = map[string]domain.Consultation{}
	if f.Can.EditConsultations && len(consultations) > 0 {
		rows, err := tx.QueryxContext(ctx, consultationColumns+` WHERE id = ANY($1::uuid[]) AND advisor_id = $2`, uuidArray(consultations), user)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			k, err := scanConsultation(rows)
			if err != nil {
				return err
			}
			f.Consultations[k.ID.String()] = k
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	f.Notes = map[string]domain.Note{}
	if len(notes) > 0 {
		var ns []domain.Note
		if err := tx.SelectContext(ctx, &ns, noteColumns+` WHERE id = ANY($1::uuid[]) AND`+noteVisible, uuidArray(notes), user); err != nil {
			return err
		}
		var edited []uuid.UUID
		for _, n := range ns {
			f.Notes[n.ID.String()] = n
			if n.Version > 1 {
				edited = append(edited, n.ID)
			}
		}
		if err := noteRevisions(ctx, tx, f, edited, user); err != nil {
			return err
		}
	}
	f.Milestones = map[string]domain.Milestone{}
	if f.Can.EditMilestones && len(milestones) > 0 {
		var ms []domain.Milestone
		if err := tx.SelectContext(ctx, &ms, milestoneColumns+` WHERE id = ANY($1::uuid[])`, uuidArray(milestones)); err != nil {
			return err
		}
		for _, m := range ms {
			f.Milestones[m.ID.String()] = m
		}
	}
	if err := tx.SelectContext(ctx, &f.FollowUps, followUpColumns+` WHERE case_id = $1 AND done_at IS NULL ORDER BY due_on, created_at, id`, c.ID); err != nil {
		return err
	}
	ids := append([]uuid.UUID{c.LeadAdvisorID}, c.CoAdvisorIDs...)
	for _, t := range f.Phases {
		if t.By != nil {
			ids = append(ids, *t.By)
		}
	}
	for _, t := range f.Timeline {
		if t.ActorID != nil {
			ids = append(ids, *t.ActorID)
		}
		if t.AssigneeID != nil {
			ids = append(ids, *t.AssigneeID)
		}
	}
	for _, fu := range f.FollowUps {
		ids = append(ids, fu.AssigneeID)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	f.Names, err = userNames(ctx, tx, slices.Compact(ids))
	if err != nil {
		return fmt.Errorf("names: %w", err)
	}
	return nil
}

// An earlier text that was confidential stays the author's, even when the note is no
// longer confidential.
const selectNoteRevisions = `
SELECT r.note_id, r.version, r.body, r.confidential, r.edited_at
FROM note_revisions r JOIN notes n ON n.id = r.note_id
WHERE r.note_id = ANY($1::uuid[]) AND (NOT r.confidential OR n.author_id = $2)
ORDER BY r.note_id, r.version DESC`

// noteRevisions reads the earlier texts of the edited notes ids into f.
func noteRevisions(ctx context.Context, tx *sqlx.Tx, f *domain.CaseFile, ids []uuid.UUID, viewer uuid.UUID) error {
	f.NoteRevisions = map[string][]domain.NoteRevision{}
	if len(ids) == 0 {
		return nil
	}
	var rs []domain.NoteRevision
	if err := tx.SelectContext(ctx, &rs, selectNoteRevisions, uuidArray(ids), viewer); err != nil {
		return err
	}
	for _, r := range rs {
		k := r.NoteID.String()
		f.NoteRevisions[k] = append(f.NoteRevisions[k], r)
	}
	return nil
}
