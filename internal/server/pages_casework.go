package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// caseWork is the casework part of the case page: one page of the timeline, the open
// follow-ups, and the objects behind the timeline entries that the page offers to edit.
type caseWork struct {
	Timeline  []domain.TimelineItem
	Before    string // the cursor this page of the timeline starts at ("" for the newest)
	Next      string // the cursor of the older entries ("" when there are none)
	FollowUps []domain.FollowUp
	// By id: the user's own consultations they may edit, the milestones they may change,
	// and every note shown (to mark the edited ones; editNotes says whether the user's
	// own may be edited). A closed case takes no changes: it offers none of them.
	consultations map[string]domain.Consultation
	notes         map[string]domain.Note
	milestones    map[string]domain.Milestone
	editNotes     bool
	user          uuid.UUID
}

// timelinePage is how many timeline entries the case page shows at once.
const timelinePage = 50

// people are the users the casework names (authors, assignees).
func (w caseWork) people() []uuid.UUID {
	var ids []uuid.UUID
	for _, t := range w.Timeline {
		if t.ActorID != nil {
			ids = append(ids, *t.ActorID)
		}
		if t.AssigneeID != nil {
			ids = append(ids, *t.AssigneeID)
		}
	}
	for _, f := range w.FollowUps {
		ids = append(ids, f.AssigneeID)
	}
	return ids
}

// caseWork reads the casework of a case as user may see it: the store leaves out others'
// confidential notes; a role without note:read here sees no notes at all. The timeline
// page starts at the cursor ?before= (older entries), or at the newest entry.
func (s *Server) caseWork(c *gin.Context, cs domain.Case, user uuid.UUID) (caseWork, error) {
	ctx := c.Request.Context()
	w := caseWork{Before: c.Query("before"), user: user}
	items, next, err := s.store.Timeline(ctx, cs.ID, user, w.Before, timelinePage)
	if err != nil {
		return w, err
	}
	advises := cs.Advises(user)
	may := func(action string) bool { return s.authz.Scope(user, action).Allows(cs.CarrierID, advises) }
	readsNotes := may("note:read")
	hasKind := map[string]bool{}
	for _, it := range items {
		if it.Kind == domain.TimelineNote && !readsNotes {
			continue
		}
		hasKind[it.Kind] = true
		w.Timeline = append(w.Timeline, it)
	}
	w.Next = next
	open := cs.Status != domain.StatusClosed
	if hasKind[domain.TimelineConsultation] && open && may("consultation:edit") {
		ks, err := s.store.Consultations(ctx, cs.ID)
		if err != nil {
			return w, err
		}
		w.consultations = map[string]domain.Consultation{}
		for _, k := range ks {
			if k.AdvisorID == user {
				w.consultations[k.ID.String()] = k
			}
		}
	}
	if hasKind[domain.TimelineNote] {
		ns, err := s.store.Notes(ctx, cs.ID, user)
		if err != nil {
			return w, err
		}
		w.notes = map[string]domain.Note{}
		for _, n := range ns {
			w.notes[n.ID.String()] = n
		}
		w.editNotes = open && may("note:edit")
	}
	if hasKind[domain.TimelineMilestone] && open && may("casework:write") {
		ms, err := s.store.Milestones(ctx, cs.ID)
		if err != nil {
			return w, err
		}
		w.milestones = map[string]domain.Milestone{}
		for _, m := range ms {
			w.milestones[m.ID.String()] = m
		}
	}
	fus, err := s.store.FollowUps(ctx, cs.ID)
	if err != nil {
		return w, err
	}
	for _, f := range fus {
		if f.DoneAt == nil {
			w.FollowUps = append(w.FollowUps, f)
		}
	}
	return w, nil
}

// pageCreateConsultation logs a consultation; a follow_up_on date also creates a
// follow-up for the lead advisor (done by the store in the same transaction).
func (s *Server) pageCreateConsultation(c *gin.Context) {
	s.caseForm(c, "consultation", "timeline", "flash.consultation_logged", func(cs domain.Case, f url.Values) error {
		in, p := consultationForm(f)
		p = allProblems(p, s.check(&in, ""))
		in.Check(&p, domain.Today())
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.store.CreateConsultation(c.Request.Context(), actor(c), cs.ID, in, nil)
		return err
	})
}

// consultationForm reads the fields of a consultation form (logging or editing) into an
// input, with the problems of fields that are no number or date; the caller validates.
func consultationForm(f url.Values) (domain.ConsultationInput, domain.Problems) {
	var p domain.Problems
	in := domain.ConsultationInput{
		Mode:        f.Get("mode"),
		Topics:      f["topics"],
		Languages:   codeList(f, "languages", false),
		Interpreter: f.Get("interpreter") == "true",
		Summary:     strings.TrimSpace(f.Get("summary")),
		NextSteps:   optString(f, "next_steps"),
		PrepMinutes: optInt(&p, f, "prep_minutes"),
		FollowUpOn:  optDate(&p, f, "follow_up_on"),
	}
	if in.Topics == nil {
		in.Topics = []string{}
	}
	if d := optDate(&p, f, "date"); d != nil {
		in.Date = *d
	}
	if n := optInt(&p, f, "duration_minutes"); n != nil {
		in.DurationMinutes = *n
	}
	return in, p
}

func (s *Server) pageCreateNote(c *gin.Context) {
	s.caseForm(c, "note", "timeline", "flash.note_written", func(cs domain.Case, f url.Values) error {
		in := domain.NoteInput{Body: strings.TrimSpace(f.Get("body")), Confidential: f.Get("confidential") == "true"}
		p := allProblems(nil, s.check(&in, ""))
		in.Check(&p)
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.store.CreateNote(c.Request.Context(), actor(c), cs.ID, in, nil)
		return err
	})
}

func (s *Server) pageCreateMilestone(c *gin.Context) {
	s.caseForm(c, "milestone", "timeline", "flash.milestone_added", func(cs domain.Case, f url.Values) error {
		var p domain.Problems
		in := domain.MilestoneInput{Type: f.Get("type"), TargetOn: optDate(&p, f, "target_on"),
			AchievedOn: optDate(&p, f, "achieved_on"), Note: optString(f, "note")}
		p = allProblems(p, s.check(&in, ""))
		in.Check(&p, domain.Today())
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.store.CreateMilestone(c.Request.Context(), actor(c), cs.ID, in, nil)
		return err
	})
}

func (s *Server) pageCreateFollowUp(c *gin.Context) {
	s.caseForm(c, "follow_up", "follow-ups", "flash.follow_up_added", func(cs domain.Case, f url.Values) error {
		var p domain.Problems
		in := domain.FollowUpInput{Title: strings.TrimSpace(f.Get("title"))}
		if d := optDate(&p, f, "due_on"); d != nil {
			in.DueOn = *d
		}
		p = allProblems(p, s.check(&in, ""))
		if !in.DueOn.IsZero() {
			in.Check(&p, domain.Today())
		}
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.store.CreateFollowUp(c.Request.Context(), actor(c), cs.ID, in, nil)
		return err
	})
}

// pageFollowUpDone marks a follow-up done, from the case page or the agenda (back=agenda).
// A stale version shows the case page again with the follow-up as it is now.
func (s *Server) pageFollowUpDone(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	fu, err := s.store.FollowUp(c.Request.Context(), id)
	var cs domain.Case
	if err == nil {
		cs, err = s.objectCase(c, "follow_up", fu.ID, fu.CaseID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	f := postedForm(c)
	version, err := formVersion(f)
	if err == nil {
		done := true
		err = s.store.UpdateFollowUp(c.Request.Context(), actor(c), id, version, domain.FollowUpUpdate{Done: &done})
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.renderCase(c, p.Status, cs.ID, "follow_up_done", nil, p)
		return
	}
	to := "/cases/" + cs.ID.String() + "#follow-ups"
	if f.Get("back") == "agenda" {
		to = "/agenda"
	}
	s.redirectFlash(c, to, "flash.follow_up_done")
}

// agendaView is the data of the agenda page.
type agendaView struct {
	Agenda domain.Agenda
}

// pageAgenda shows the user's open follow-ups: overdue first, then today and the next
// days, each one click from its case.
func (s *Server) pageAgenda(c *gin.Context) {
	setLang(c)
	a, err := s.store.Agenda(c.Request.Context(), scopeOf(c), domain.Today())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "agenda", "agenda.title", agendaView{Agenda: a})
}
