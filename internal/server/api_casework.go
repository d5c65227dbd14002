package server

import (
	"context"
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

// createIn runs the common part of a creating route: the case in scope, the body, the
// Idempotency-Key, then create; it answers 201 with the object read back by get.
func createIn[T, R any](s *Server, c *gin.Context, in *T, check func(p *domain.Problems),
	create func(cs domain.Case, idem *store.Idempotency) (uuid.UUID, error),
	get func(id uuid.UUID) (R, int, error)) {
	cs, err := s.loadCase(c)
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
	cs, err := s.loadCase(c)
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
	return cs, s.inScope(c, objectType, objectID, cs.CarrierID, cs.Advises(user))
}

// mayRead reports whether user (not necessarily the caller) may read the case: a
// follow-up's assignee must, since the agenda shows them the founder's name.
func (s *Server) mayRead(user uuid.UUID, cs domain.Case) bool {
	return s.authz.Scope(user, "case:read").Allows(cs.CarrierID, cs.Advises(user))
}

// changeObject runs one versioned change of a casework object: the object of :id, its
// case within the route's scope, the author rule (when author returns an id), If-Match;
// then change, and the answer with the object read back and its ETag.
func changeObject[T any](s *Server, c *gin.Context, kind string,
	load func(ctx context.Context, id uuid.UUID) (T, error),
	meta func(T) (caseID uuid.UUID, author *uuid.UUID, version int),
	change func(obj T, version int) error) {
	ctx := c.Request.Context()
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	obj, err := load(ctx, id)
	if err == nil {
		caseID, author, _ := meta(obj)
		_, err = s.objectCase(c, kind, id, caseID)
		if user, _ := currentUser(c); err == nil && author != nil && *author != user {
			err = domain.Errorf(domain.ErrForbidden, "error.only_author_edits")
		}
	}
	var version int
	if err == nil {
		version, err = ifMatch(c)
	}
	if err == nil {
		err = change(obj, version)
	}
	if err == nil {
		obj, err = load(ctx, id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	_, _, v := meta(obj)
	setETag(c, v)
	c.JSON(http.StatusOK, obj)
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
	changeObject(s, c, "consultation", s.store.Consultation,
		func(k domain.Consultation) (uuid.UUID, *uuid.UUID, int) { return k.CaseID, &k.AdvisorID, k.Version },
		func(k domain.Consultation, version int) error {
			in := k.Input()
			err := s.decodeChecked(c, &in, func(p *domain.Problems) { in.CheckChange(p, k.Input(), domain.Today()) })
			if err != nil {
				return err
			}
			return s.store.UpdateConsultation(c.Request.Context(), actor(c), k.ID, version, in)
		})
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
	user, _ := currentUser(c)
	changeObject(s, c, "note",
		func(ctx context.Context, id uuid.UUID) (domain.Note, error) {
			return s.store.Note(ctx, id, user) // others' confidential notes: 404
		},
		func(n domain.Note) (uuid.UUID, *uuid.UUID, int) { return n.CaseID, &n.AuthorID, n.Version },
		func(n domain.Note, version int) error {
			in := domain.NoteInput{Body: n.Body, Confidential: n.Confidential}
			if err := s.decodeChecked(c, &in, in.Check); err != nil {
				return err
			}
			return s.store.UpdateNote(c.Request.Context(), actor(c), n.ID, version, in)
		})
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
	changeObject(s, c, "milestone", s.store.Milestone,
		func(m domain.Milestone) (uuid.UUID, *uuid.UUID, int) { return m.CaseID, nil, m.Version },
		func(m domain.Milestone, version int) error {
			in := m.Input()
			if err := s.decodeChecked(c, &in, func(p *domain.Problems) { in.Check(p, domain.Today()) }); err != nil {
				return err
			}
			return s.store.UpdateMilestone(c.Request.Context(), actor(c), m.ID, version, in)
		})
}

// ---- follow-ups ----

func (s *Server) apiCreateFollowUp(c *gin.Context) {
	var in domain.FollowUpInput
	createIn(s, c, &in, func(p *domain.Problems) { in.Check(p, domain.Today()) },
		func(cs domain.Case, idem *store.Idempotency) (uuid.UUID, error) {
			if in.AssigneeID != nil && !s.mayRead(*in.AssigneeID, cs) {
				return uuid.Nil, domain.Invalid("assignee_id", "error.assignee_not_on_case")
			}
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
	changeObject(s, c, "follow_up", s.store.FollowUp,
		func(f domain.FollowUp) (uuid.UUID, *uuid.UUID, int) { return f.CaseID, nil, f.Version },
		func(f domain.FollowUp, version int) error {
			var in domain.FollowUpUpdate
			err := s.decodeChecked(c, &in, func(p *domain.Problems) {
				if in.DueOn != nil && *in.DueOn == f.DueOn {
					in.DueOn = nil // unchanged, even if it lies in the past by now
				}
				in.Check(p, domain.Today())
			})
			if err != nil {
				return err
			}
			return s.store.UpdateFollowUp(c.Request.Context(), actor(c), f.ID, version, in)
		})
}

// ---- agenda and timeline ----

func (s *Server) apiAgenda(c *gin.Context) {
	a, err := s.store.Agenda(c.Request.Context(), scopeOf(c), domain.Today())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

func (s *Server) apiTimeline(c *gin.Context) {
	cs, err := s.loadCase(c)
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
