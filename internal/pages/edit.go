package pages

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// Editing casework on the case page: a consultation or a note by its author, a milestone
// by anyone who may write casework in the case. Each edit form names its object and the
// case it belongs to (/cases/:id/notes/:nid) and carries the object's version; the rules
// are the API's (same validation and Check, same store methods).

// editForm runs one edit form: the object of the path parameter param must belong to
// the case of the URL (an id of another case is the same 404 as an absent one); then
// change, a use case that checks scope, author and version. Success redirects to the
// entry in the timeline with a flash message; an error the person can fix shows the
// case page again with the form, named kind:id, as submitted. A form on an older
// timeline page posts with that page's ?before=, so both answers show the same page.
func (s *Pages) editForm(c *gin.Context, kind, param, okMsg string, change func(id uuid.UUID, f url.Values, version int) error) error {
	caseID, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	id, err := httpx.ID(c, param)
	if err != nil {
		return err
	}
	if of, err := s.Store.CaseOf(c.Request.Context(), kind, id); err != nil || of != caseID {
		return domain.NotFound()
	}
	f := postedForm(c)
	version, err := formVersion(f)
	if err == nil {
		err = change(id, f, version)
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		return s.renderCase(c, p.Status, caseID, kind+":"+id.String(), f, p)
	}
	to := "/cases/" + caseID.String()
	if before := c.Query("before"); before != "" { // back to the older page the form was on
		to += "?before=" + url.QueryEscape(before)
	}
	return s.redirectFlash(c, to+"#tl-"+kind+"-"+id.String(), okMsg)
}

// formEdit is the Edit of a page form: the values the form parsed replace the current
// ones; the form's own problems (no number, no date) come along.
func formEdit[T any](in T, p domain.Problems) domain.Edit[T] {
	return func(T) (T, error) { return in, p.Err() }
}

// EditConsultation is POST /cases/{id}/consultations/{cid}: its author only.
func (s *Pages) EditConsultation(c *gin.Context) error {
	return s.editForm(c, "consultation", "cid", "flash.consultation_updated", func(id uuid.UUID, f url.Values, version int) error {
		in, p := consultationForm(f)
		_, err := s.Store.UpdateConsultation(c.Request.Context(), httpx.Actor(c), id, version, formEdit(in, p))
		return err
	})
}

// EditNote is POST /cases/{id}/notes/{nid}: text and confidentiality, its author only;
// the earlier text is kept as a revision. Others' confidential notes do not exist (404).
func (s *Pages) EditNote(c *gin.Context) error {
	return s.editForm(c, "note", "nid", "flash.note_updated", func(id uuid.UUID, f url.Values, version int) error {
		in := domain.NoteInput{Body: f.Get("body"), Confidential: f.Get("confidential") == "true"}
		_, err := s.Store.UpdateNote(c.Request.Context(), httpx.Actor(c), id, version, formEdit(in, nil))
		return err
	})
}

// EditMilestone is POST /cases/{id}/milestones/{mid}: target date, achieved date and
// note; the type stays.
func (s *Pages) EditMilestone(c *gin.Context) error {
	return s.editForm(c, "milestone", "mid", "flash.milestone_updated", func(id uuid.UUID, f url.Values, version int) error {
		_, err := s.Store.UpdateMilestone(c.Request.Context(), httpx.Actor(c), id, version, func(cur domain.MilestoneInput) (domain.MilestoneInput, error) {
			var p domain.Problems
			cur.TargetOn = optDate(&p, f, "target_on")
			cur.AchievedOn = optDate(&p, f, "achieved_on")
			cur.Note = optString(f, "note")
			return cur, p.Err()
		})
		return err
	})
}

// EditConsultation is the consultation of a timeline entry if the user may edit it here
// (their own, in a case that is not closed), else nil.
func (v caseView) EditConsultation(id string) *domain.Consultation {
	if k, ok := v.Consultations[id]; ok {
		return &k
	}
	return nil
}

// EditNote is the note of a timeline entry if the user may edit it here (their own, in
// a case that is not closed), else nil.
func (v caseView) EditNote(id string) *domain.Note {
	if n, ok := v.Notes[id]; ok && v.Can.EditNotes && n.AuthorID == v.user {
		return &n
	}
	return nil
}

// EditMilestone is the milestone of a timeline entry if the user may change it here.
func (v caseView) EditMilestone(id string) *domain.Milestone {
	if m, ok := v.Milestones[id]; ok {
		return &m
	}
	return nil
}

// EditedNote is the note of a timeline entry if it was edited after it was written.
func (v caseView) EditedNote(id string) *domain.Note {
	if n, ok := v.Notes[id]; ok && n.Version > 1 {
		return &n
	}
	return nil
}

// EditVals are the values of an edit form ("note:<id>"): as submitted when it failed,
// else the object as it is now.
func (v caseView) EditVals(form string) url.Values {
	if form == v.Form && v.Values != nil {
		return v.Values
	}
	kind, id, _ := strings.Cut(form, ":")
	f := url.Values{}
	switch kind {
	case "consultation":
		k := v.EditConsultation(id)
		if k == nil {
			return f
		}
		f.Set("date", k.Date.String())
		f.Set("duration_minutes", strconv.Itoa(k.DurationMinutes))
		if k.PrepMinutes != nil {
			f.Set("prep_minutes", strconv.Itoa(*k.PrepMinutes))
		}
		f.Set("mode", k.Mode)
		f["topics"] = k.Topics
		f.Set("languages", strings.Join(k.Languages, ", "))
		if k.Interpreter {
			f.Set("interpreter", "true")
		}
		f.Set("summary", k.Summary)
		if k.NextSteps != nil {
			f.Set("next_steps", *k.NextSteps)
		}
		if k.FollowUpOn != nil {
			f.Set("follow_up_on", k.FollowUpOn.String())
		}
	case "note":
		n := v.EditNote(id)
		if n == nil {
			return f
		}
		f.Set("body", n.Body)
		if n.Confidential {
			f.Set("confidential", "true")
		}
	case "milestone":
		m := v.EditMilestone(id)
		if m == nil {
			return f
		}
		if m.TargetOn != nil {
			f.Set("target_on", m.TargetOn.String())
		}
		if m.AchievedOn != nil {
			f.Set("achieved_on", m.AchievedOn.String())
		}
		if m.Note != nil {
			f.Set("note", *m.Note)
		}
	}
	return f
}
