package server

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Editing casework on the case page: a consultation or a note by its author, a milestone
// by anyone who may write casework in the case. Each edit form names its object and the
// case it belongs to (/cases/:id/notes/:nid) and carries the object's version; the rules
// are the API's (same validation and Check, same store methods).

// editForm runs one edit form: the case of the URL within the route's scope, then the
// object of the path parameter param, which must belong to that very case (an id of
// another case is the same 404 as an absent one), the author rule (when load names an
// author), the hidden version, then change. Success redirects to the entry in the
// timeline with a flash message; an error the person can fix shows the case page again
// with the form, named kind:id, as submitted. A form on an older timeline page posts
// with that page's ?before=, so both answers show the same page again.
func (s *Server) editForm(c *gin.Context, kind, param, okMsg string,
	load func(ctx context.Context, id uuid.UUID) (caseID uuid.UUID, author *uuid.UUID, err error),
	change func(id uuid.UUID, f url.Values, version int) error) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	id, err := uuid.Parse(c.Param(param))
	if err != nil {
		s.fail(c, domain.NotFound())
		return
	}
	caseID, author, err := load(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if caseID != cs.ID {
		s.auditDenied(c, kind+":case", &kind, &id)
		s.fail(c, domain.NotFound())
		return
	}
	if user, _ := currentUser(c); author != nil && *author != user {
		s.fail(c, domain.Errorf(domain.ErrForbidden, "error.only_author_edits"))
		return
	}
	f := postedForm(c)
	version, err := formVersion(f)
	if err == nil {
		err = change(id, f, version)
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.renderCase(c, p.Status, cs.ID, kind+":"+id.String(), f, p)
		return
	}
	to := "/cases/" + cs.ID.String()
	if before := c.Query("before"); before != "" { // back to the older page the form was on
		to += "?before=" + url.QueryEscape(before)
	}
	s.redirectFlash(c, to+"#tl-"+kind+"-"+id.String(), okMsg)
}

// pageEditConsultation changes a consultation (its author only), with the API's rules:
// an unchanged follow-up date may lie in the past by now; a new one must not.
func (s *Server) pageEditConsultation(c *gin.Context) {
	var before domain.Consultation
	s.editForm(c, "consultation", "cid", "flash.consultation_updated",
		func(ctx context.Context, id uuid.UUID) (uuid.UUID, *uuid.UUID, error) {
			k, err := s.store.Consultation(ctx, id)
			before = k
			return k.CaseID, &k.AdvisorID, err
		},
		func(id uuid.UUID, f url.Values, version int) error {
			in, p := consultationForm(f)
			p = allProblems(p, s.check(&in, ""))
			in.CheckChange(&p, before.Input(), domain.Today())
			if err := p.Err(); err != nil {
				return err
			}
			return s.store.UpdateConsultation(c.Request.Context(), actor(c), id, version, in)
		})
}

// pageEditNote changes a note's text and confidentiality (its author only); the store
// keeps the earlier text as a revision. Others' confidential notes do not exist (404).
func (s *Server) pageEditNote(c *gin.Context) {
	user, _ := currentUser(c)
	s.editForm(c, "note", "nid", "flash.note_updated",
		func(ctx context.Context, id uuid.UUID) (uuid.UUID, *uuid.UUID, error) {
			n, err := s.store.Note(ctx, id, user)
			return n.CaseID, &n.AuthorID, err
		},
		func(id uuid.UUID, f url.Values, version int) error {
			in := domain.NoteInput{Body: strings.TrimSpace(f.Get("body")), Confidential: f.Get("confidential") == "true"}
			p := allProblems(nil, s.check(&in, ""))
			in.Check(&p)
			if err := p.Err(); err != nil {
				return err
			}
			return s.store.UpdateNote(c.Request.Context(), actor(c), id, version, in)
		})
}

// pageEditMilestone changes a milestone's target date, achieved date and note; its type
// stays. Achieving business_registered sets the business's founding date when empty.
func (s *Server) pageEditMilestone(c *gin.Context) {
	var m domain.Milestone
	s.editForm(c, "milestone", "mid", "flash.milestone_updated",
		func(ctx context.Context, id uuid.UUID) (uuid.UUID, *uuid.UUID, error) {
			var err error
			m, err = s.store.Milestone(ctx, id)
			return m.CaseID, nil, err
		},
		func(id uuid.UUID, f url.Values, version int) error {
			var p domain.Problems
			in := m.Input()
			in.TargetOn = optDate(&p, f, "target_on")
			in.AchievedOn = optDate(&p, f, "achieved_on")
			in.Note = optString(f, "note")
			p = allProblems(p, s.check(&in, ""))
			in.Check(&p, domain.Today())
			if err := p.Err(); err != nil {
				return err
			}
			return s.store.UpdateMilestone(c.Request.Context(), actor(c), id, version, in)
		})
}

// EditConsultation is the consultation of a timeline entry if the user may edit it here
// (their own, in a case that is not closed), else nil.
func (v caseView) EditConsultation(id string) *domain.Consultation {
	if k, ok := v.Work.consultations[id]; ok {
		return &k
	}
	return nil
}

// EditNote is the note of a timeline entry if the user may edit it here (their own, in
// a case that is not closed), else nil.
func (v caseView) EditNote(id string) *domain.Note {
	if n, ok := v.Work.notes[id]; ok && v.Work.editNotes && n.AuthorID == v.Work.user {
		return &n
	}
	return nil
}

// EditMilestone is the milestone of a timeline entry if the user may change it here.
func (v caseView) EditMilestone(id string) *domain.Milestone {
	if m, ok := v.Work.milestones[id]; ok {
		return &m
	}
	return nil
}

// EditedNote is the note of a timeline entry if it was edited after it was written.
func (v caseView) EditedNote(id string) *domain.Note {
	if n, ok := v.Work.notes[id]; ok && n.Version > 1 {
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
