package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// caseWork is the casework part of the case page: the timeline and the open follow-ups.
type caseWork struct {
	Timeline  []domain.TimelineItem
	More      bool // the timeline has older entries than the page shows
	FollowUps []domain.FollowUp
}

// timelinePage is how many timeline entries the case page shows.
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
// confidential notes; a role without note:read here sees no notes at all.
func (s *Server) caseWork(c *gin.Context, cs domain.Case, user uuid.UUID) (caseWork, error) {
	var w caseWork
	items, next, err := s.store.Timeline(c.Request.Context(), cs.ID, user, "", timelinePage)
	if err != nil {
		return w, err
	}
	readsNotes := s.authz.Scope(user, "note:read").Allows(cs.CarrierID, cs.Advises(user))
	for _, it := range items {
		if it.Kind == domain.TimelineNote && !readsNotes {
			continue
		}
		w.Timeline = append(w.Timeline, it)
	}
	w.More = next != ""
	fus, err := s.store.FollowUps(c.Request.Context(), cs.ID)
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
		p = allProblems(p, s.check(&in, ""))
		in.Check(&p, domain.Today())
		if err := p.Err(); err != nil {
			return err
		}
		_, err := s.store.CreateConsultation(c.Request.Context(), actor(c), cs.ID, in, nil)
		return err
	})
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
	user, _ := currentUser(c)
	a, err := s.store.Agenda(c.Request.Context(), user, domain.Today())
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "agenda", "agenda.title", agendaView{Agenda: a})
}
