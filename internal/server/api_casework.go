package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Casework API: consultations, notes, milestones, follow-ups, the case timeline and the
// agenda. Creating routes load the case within the route's scope (404 outside it) and
// take an Idempotency-Key; editing routes load the object, check its case against the
// route's scope and need If-Match. Lists of one case are answered whole
// ({"items": [...], "next_cursor": null}); the timeline is paged.

func (s *Server) apiCatalog(c *gin.Context) { c.JSON(http.StatusOK, domain.Catalogue) }

// decodeChecked decodes the JSON body into dst (which may hold the current values, so
// fields left out keep them), validates its tags and runs check, reporting every field
// problem at once.
func (s *Server) decodeChecked(c *gin.Context, dst any, check func(p *domain.Problems)) error {
	b, err := readJSON(c)
	if err != nil {
		return err
	}
	if err := decodeJSON(b, dst); err != nil {
		return err
	}
	var p domain.Problems
	if err := s.check(dst, ""); err != nil {
		p = append(p, fieldsOf(err)...)
	}
	if check != nil {
		check(&p)
	}
	return p.Err()
}

// createIn runs the common part of a creating route: the case in scope, the body, the
// Idempotency-Key, then create; it answers 201 with the object read back by get.
func createIn[T, R any](s *Server, c *gin.Context, in *T, check func(p *domain.Problems),
	create func(cs domain.Case, idem *store.Idempotency) (uuid.UUID, error),
	get func(id uuid.UUID) (R, int, error)) {
	cs, err := s.routeCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.decodeChecked(c, in, check); err != nil {
		s.fail(c, err)
		return
	}
	idem, err := idempotency(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	id, err := create(cs, idem)
	if err != nil {
		s.fail(c, err)
		return
	}
	obj, version, err := get(id)
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, version)
	c.JSON(http.StatusCreated, obj)
}

// caseList answers one case's list within the route's scope; reading it is audited.
func caseList[T any](s *Server, c *gin.Context, action string, list func(cs domain.Case) ([]T, error)) {
	cs, err := s.routeCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := list(cs)
	if err == nil {
		err = s.store.Audit(c.Request.Context(), actor(c), store.Event{Action: action, ObjectType: "case", ObjectID: &cs.ID, CarrierID: &cs.CarrierID})
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, ""))
}

// objectCase loads the case of an object and checks it against the route's scope: an
// object in a case outside the scope is the same 404 as an absent one.
func (s *Server) objectCase(c *gin.Context, objectType string, objectID, caseID uuid.UUID) (domain.Case, error) {
	cs, err := s.store.Case(c.Request.Context(), caseID)
	if err != nil {
		return cs, err
	}
	user, _ := currentUser(c)
	if !scopeOf(c).Allows(cs.CarrierID, cs.Advises(user)) {
		s.auditDenied(c, objectType+":scope", &objectType, &objectID)
		return cs, domain.NotFound()
	}
	return cs, nil
}

// routeCase is loadCase for the casework routes: the case of :id within the route's
// scope. Store calls get c.Request.Context(), never c itself: database/sql watches the
// context from a goroutine that may outlive the handler, and gin reuses its contexts.
func (s *Server) routeCase(c *gin.Context) (domain.Case, error) {
	id, err := pathID(c)
	if err != nil {
		return domain.Case{}, err
	}
	return s.objectCase(c, "case", id, id)
}

// ---- consultations ----

func (s *Server) apiCreateConsultation(c *gin.Context) {
	var in domain.ConsultationInput
	createIn(s, c, &in, func(p *domain.Problems) { in.Check(p, domain.Today()) },
		func(cs domain.Case, idem *store.Idempotency) (uuid.UUID, error) {
			return s.store.CreateConsultation(c.Request.Context(), actor(c), cs.ID, in, idem)
		},
		func(id uuid.UUID) (domain.Consultation, int, error) {
			k, err := s.store.Consultation(c.Request.Context(), id)
			return k, k.Version, err
		})
}

func (s *Server) apiConsultations(c *gin.Context) {
	caseList(s, c, "consultation.list", func(cs domain.Case) ([]domain.Consultation, error) {
		return s.store.Consultations(c.Request.Context(), cs.ID)
	})
}

func (s *Server) apiUpdateConsultation(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	k, err := s.store.Consultation(c.Request.Context(), id)
	if err == nil {
		_, err = s.objectCase(c, "consultation", k.ID, k.CaseID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if user, _ := currentUser(c); user != k.AdvisorID {
		s.fail(c, domain.Errorf(domain.ErrForbidden, "error.only_author_edits"))
		return
	}
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	before := k.Input()
	in := k.Input()
	err = s.decodeChecked(c, &in, func(p *domain.Problems) {
		// An unchanged follow-up date may lie in the past by now; only a new one must not.
		if in.FollowUpOn != nil && before.FollowUpOn != nil && *in.FollowUpOn == *before.FollowUpOn {
			keep := in.FollowUpOn
			in.FollowUpOn = nil
			in.Check(p, domain.Today())
			in.FollowUpOn = keep
			return
		}
		in.Check(p, domain.Today())
	})
	if err == nil {
		err = s.store.UpdateConsultation(c.Request.Context(), actor(c), id, version, in)
	}
	if err == nil {
		k, err = s.store.Consultation(c.Request.Context(), id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, k.Version)
	c.JSON(http.StatusOK, k)
}

// ---- notes ----

func (s *Server) apiCreateNote(c *gin.Context) {
	var in domain.NoteInput
	user, _ := currentUser(c)
	createIn(s, c, &in, in.Check,
		func(cs domain.Case, idem *store.Idempotency) (uuid.UUID, error) {
			return s.store.CreateNote(c.Request.Context(), actor(c), cs.ID, in, idem)
		},
		func(id uuid.UUID) (domain.Note, int, error) {
			n, err := s.store.Note(c.Request.Context(), id, user)
			return n, n.Version, err
		})
}

func (s *Server) apiNotes(c *gin.Context) {
	user, _ := currentUser(c)
	caseList(s, c, "note.list", func(cs domain.Case) ([]domain.Note, error) {
		return s.store.Notes(c.Request.Context(), cs.ID, user)
	})
}

func (s *Server) apiUpdateNote(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	user, _ := currentUser(c)
	n, err := s.store.Note(c.Request.Context(), id, user) // others' confidential notes: 404
	if err == nil {
		_, err = s.objectCase(c, "note", n.ID, n.CaseID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if n.AuthorID != user {
		s.fail(c, domain.Errorf(domain.ErrForbidden, "error.only_author_edits"))
		return
	}
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	in := domain.NoteInput{Body: n.Body, Confidential: n.Confidential}
	err = s.decodeChecked(c, &in, in.Check)
	if err == nil {
		err = s.store.UpdateNote(c.Request.Context(), actor(c), id, version, in)
	}
	if err == nil {
		n, err = s.store.Note(c.Request.Context(), id, user)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, n.Version)
	c.JSON(http.StatusOK, n)
}

// ---- milestones ----

func (s *Server) apiCreateMilestone(c *gin.Context) {
	var in domain.MilestoneInput
	createIn(s, c, &in, func(p *domain.Problems) { in.Check(p, domain.Today()) },
		func(cs domain.Case, idem *store.Idempotency) (uuid.UUID, error) {
			return s.store.CreateMilestone(c.Request.Context(), actor(c), cs.ID, in, idem)
		},
		func(id uuid.UUID) (domain.Milestone, int, error) {
			m, err := s.store.Milestone(c.Request.Context(), id)
			return m, m.Version, err
		})
}

func (s *Server) apiMilestones(c *gin.Context) {
	caseList(s, c, "milestone.list", func(cs domain.Case) ([]domain.Milestone, error) {
		return s.store.Milestones(c.Request.Context(), cs.ID)
	})
}

func (s *Server) apiUpdateMilestone(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	m, err := s.store.Milestone(c.Request.Context(), id)
	if err == nil {
		_, err = s.objectCase(c, "milestone", m.ID, m.CaseID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	in := m.Input()
	err = s.decodeChecked(c, &in, func(p *domain.Problems) { in.Check(p, domain.Today()) })
	if err == nil {
		err = s.store.UpdateMilestone(c.Request.Context(), actor(c), id, version, in)
	}
	if err == nil {
		m, err = s.store.Milestone(c.Request.Context(), id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, m.Version)
	c.JSON(http.StatusOK, m)
}

// ---- follow-ups ----

func (s *Server) apiCreateFollowUp(c *gin.Context) {
	var in domain.FollowUpInput
	createIn(s, c, &in, func(p *domain.Problems) { in.Check(p, domain.Today()) },
		func(cs domain.Case, idem *store.Idempotency) (uuid.UUID, error) {
			return s.store.CreateFollowUp(c.Request.Context(), actor(c), cs.ID, in, idem)
		},
		func(id uuid.UUID) (domain.FollowUp, int, error) {
			f, err := s.store.FollowUp(c.Request.Context(), id)
			return f, f.Version, err
		})
}

func (s *Server) apiFollowUps(c *gin.Context) {
	caseList(s, c, "follow_up.list", func(cs domain.Case) ([]domain.FollowUp, error) {
		return s.store.FollowUps(c.Request.Context(), cs.ID)
	})
}

func (s *Server) apiUpdateFollowUp(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.store.FollowUp(c.Request.Context(), id)
	if err == nil {
		_, err = s.objectCase(c, "follow_up", f.ID, f.CaseID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in domain.FollowUpUpdate
	err = s.decodeChecked(c, &in, func(p *domain.Problems) {
		if in.DueOn != nil && *in.DueOn == f.DueOn {
			in.DueOn = nil // unchanged, even if it lies in the past by now
		}
		in.Check(p, domain.Today())
	})
	if err == nil {
		err = s.store.UpdateFollowUp(c.Request.Context(), actor(c), id, version, in)
	}
	if err == nil {
		f, err = s.store.FollowUp(c.Request.Context(), id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, f.Version)
	c.JSON(http.StatusOK, f)
}

// ---- agenda and timeline ----

func (s *Server) apiAgenda(c *gin.Context) {
	user, _ := currentUser(c)
	a, err := s.store.Agenda(c.Request.Context(), user, domain.Today())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

func (s *Server) apiTimeline(c *gin.Context) {
	cs, err := s.routeCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var q pageQuery
	if err := s.bindQuery(c, &q); err != nil {
		s.fail(c, err)
		return
	}
	user, _ := currentUser(c)
	items, next, err := s.store.Timeline(c.Request.Context(), cs.ID, user, q.Cursor, q.Limit)
	if err == nil {
		err = s.store.Audit(c.Request.Context(), actor(c), store.Event{Action: "case.timeline", ObjectType: "case", ObjectID: &cs.ID, CarrierID: &cs.CarrierID})
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, next))
}
