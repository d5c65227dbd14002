package pages

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// CreateConsultation is POST /cases/{id}/consultations; a follow_up_on date also creates
// a follow-up for the lead advisor (in the same transaction).
func (s *Pages) CreateConsultation(c *gin.Context) error {
	return s.caseForm(c, "consultation", "timeline", "flash.consultation_logged", func(id uuid.UUID, f url.Values) error {
		in, p := consultationForm(f)
		if err := s.inputProblems(p, &in); err != nil {
			return err
		}
		idem, err := formOnce(c, f)
		if err != nil {
			return err
		}
		_, err = s.Store.CreateConsultation(c.Request.Context(), httpx.Actor(c), id, in, idem)
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
		Summary:     f.Get("summary"),
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

// CreateNote is POST /cases/{id}/notes.
func (s *Pages) CreateNote(c *gin.Context) error {
	return s.caseForm(c, "note", "timeline", "flash.note_written", func(id uuid.UUID, f url.Values) error {
		in := domain.NoteInput{Body: f.Get("body"), Confidential: f.Get("confidential") == "true"}
		idem, err := formOnce(c, f)
		if err != nil {
			return err
		}
		_, err = s.Store.CreateNote(c.Request.Context(), httpx.Actor(c), id, in, idem)
		return err
	})
}

// CreateMilestone is POST /cases/{id}/milestones.
func (s *Pages) CreateMilestone(c *gin.Context) error {
	return s.caseForm(c, "milestone", "timeline", "flash.milestone_added", func(id uuid.UUID, f url.Values) error {
		var p domain.Problems
		in := domain.MilestoneInput{Type: f.Get("type"), TargetOn: optDate(&p, f, "target_on"),
			AchievedOn: optDate(&p, f, "achieved_on"), Note: optString(f, "note")}
		if err := s.inputProblems(p, &in); err != nil {
			return err
		}
		idem, err := formOnce(c, f)
		if err != nil {
			return err
		}
		_, err = s.Store.CreateMilestone(c.Request.Context(), httpx.Actor(c), id, in, idem)
		return err
	})
}

// CreateFollowUp is POST /cases/{id}/follow-ups.
func (s *Pages) CreateFollowUp(c *gin.Context) error {
	return s.caseForm(c, "follow_up", "follow-ups", "flash.follow_up_added", func(id uuid.UUID, f url.Values) error {
		var p domain.Problems
		in := domain.FollowUpInput{Title: f.Get("title")}
		if d := optDate(&p, f, "due_on"); d != nil {
			in.DueOn = *d
		}
		if err := s.inputProblems(p, &in); err != nil {
			return err
		}
		idem, err := formOnce(c, f)
		if err != nil {
			return err
		}
		_, err = s.Store.CreateFollowUp(c.Request.Context(), httpx.Actor(c), id, in, idem)
		return err
	})
}

// FollowUpDone is POST /follow-ups/{id}/done, from the case page, the agenda
// (back=agenda) or the team agenda (back=team). "Done" by mistake is one click from
// open again: the next page offers the undo.
func (s *Pages) FollowUpDone(c *gin.Context) error {
	return s.markFollowUp(c, true, "flash.follow_up_done")
}

// FollowUpOpen is POST /follow-ups/{id}/open: undoes "done".
func (s *Pages) FollowUpOpen(c *gin.Context) error {
	return s.markFollowUp(c, false, "flash.follow_up_open_again")
}

// markFollowUp marks a follow-up done or open again with the form's version and
// returns to where the form came from. A stale version shows the case page again with
// the follow-up as it is.
func (s *Pages) markFollowUp(c *gin.Context, done bool, okMsg string) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	f := postedForm(c)
	version, err := formVersion(f)
	var fu domain.FollowUp
	if err == nil {
		fu, err = s.Store.UpdateFollowUp(c.Request.Context(), httpx.Actor(c), id, version, domain.FollowUpUpdate{Done: &done})
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		caseID, cerr := s.Store.CaseOf(c.Request.Context(), "follow_up", id)
		if cerr != nil {
			return cerr
		}
		return s.renderCase(c, p.Status, caseID, "follow_up_done", nil, p)
	}
	if done {
		s.Sessions.Put(c.Request.Context(), httpx.SessUndo,
			fmt.Sprintf("/follow-ups/%s/open|%d|%s", fu.ID, fu.Version, f.Get("back")))
	}
	return s.redirectFlash(c, followUpBack(f.Get("back"), fu.CaseID), okMsg)
}

// followUpBack is where a follow-up form returns: the agenda it was sent from, or the
// follow-ups of its case.
func followUpBack(back string, caseID uuid.UUID) string {
	switch back {
	case "agenda":
		return "/agenda"
	case "team":
		return "/agenda/team"
	}
	return "/cases/" + caseID.String() + "#follow-ups"
}

// agendaView is the data of the agenda page.
type agendaView struct {
	Agenda domain.Agenda
}

// Agenda is GET /agenda: the user's open follow-ups, overdue first, then today and the
// next days, each one click from its case.
func (s *Pages) Agenda(c *gin.Context) error {
	httpx.SetLang(c)
	a, err := s.Store.Agenda(c.Request.Context(), httpx.Actor(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "agenda", "agenda.title", agendaView{Agenda: a})
}
