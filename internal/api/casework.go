package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Casework API: consultations, notes, milestones, follow-ups, the case timeline and the
// agenda. Lists of one case are answered whole ({"items": [...], "next_cursor": null});
// the timeline is paged.

// Catalog is GET /api/v1/catalog.
func (a *API) Catalog(c *gin.Context) error {
	c.JSON(http.StatusOK, domain.Catalogue)
	return nil
}

// create runs a creating route of a case's casework: the body, the Idempotency-Key, the
// use case; 201 with the object and its ETag.
func create[T, R any](c *gin.Context, in *T, run func(caseID uuid.UUID, idem *store.Idempotency) (R, int, error)) error {
	caseID, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	if err := httpx.Bind(c, in); err != nil {
		return err
	}
	idem, err := httpx.Idempotency(c)
	if err != nil {
		return err
	}
	obj, version, err := run(caseID, idem)
	if err != nil {
		return err
	}
	httpx.SetETag(c, version)
	c.JSON(http.StatusCreated, obj)
	return nil
}

// list answers one case's list.
func list[T any](c *gin.Context, run func(caseID uuid.UUID) ([]T, error)) error {
	caseID, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	items, err := run(caseID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpx.ListOf(items, ""))
	return nil
}

// change runs a versioned change of a casework object: its id, If-Match, the body read
// (decoded by the use case onto the current values), then 200 with the object.
func change[R any](c *gin.Context, run func(id uuid.UUID, version int, body []byte) (R, int, error)) error {
	id, version, err := caseChange(c)
	if err != nil {
		return err
	}
	b, err := httpx.ReadJSON(c)
	if err != nil {
		return err
	}
	obj, v, err := run(id, version, b)
	if err != nil {
		return err
	}
	httpx.SetETag(c, v)
	c.JSON(http.StatusOK, obj)
	return nil
}

// decodeOnto is the Edit of a PATCH: the body's fields over the current values.
func decodeOnto[T any](b []byte) domain.Edit[T] {
	return func(cur T) (T, error) {
		err := httpx.DecodeJSON(b, &cur)
		return cur, err
	}
}

// CreateConsultation is POST /api/v1/cases/{id}/consultations.
func (a *API) CreateConsultation(c *gin.Context) error {
	var in domain.ConsultationInput
	return create(c, &in, func(caseID uuid.UUID, idem *store.Idempotency) (domain.Consultation, int, error) {
		k, err := a.Store.CreateConsultation(c.Request.Context(), httpx.Actor(c), caseID, in, idem)
		return k, k.Version, err
	})
}

// Consultations is GET /api/v1/cases/{id}/consultations.
func (a *API) Consultations(c *gin.Context) error {
	return list(c, func(caseID uuid.UUID) ([]domain.Consultation, error) {
		return a.Store.Consultations(c.Request.Context(), httpx.Actor(c), caseID)
	})
}

// UpdateConsultation is PATCH /api/v1/consultations/{id}, its author only.
func (a *API) UpdateConsultation(c *gin.Context) error {
	return change(c, func(id uuid.UUID, version int, b []byte) (domain.Consultation, int, error) {
		k, err := a.Store.UpdateConsultation(c.Request.Context(), httpx.Actor(c), id, version, decodeOnto[domain.ConsultationInput](b))
		return k, k.Version, err
	})
}

// CreateNote is POST /api/v1/cases/{id}/notes.
func (a *API) CreateNote(c *gin.Context) error {
	var in domain.NoteInput
	return create(c, &in, func(caseID uuid.UUID, idem *store.Idempotency) (domain.Note, int, error) {
		n, err := a.Store.CreateNote(c.Request.Context(), httpx.Actor(c), caseID, in, idem)
		return n, n.Version, err
	})
}

// Notes is GET /api/v1/cases/{id}/notes; others' confidential notes are left out.
func (a *API) Notes(c *gin.Context) error {
	return list(c, func(caseID uuid.UUID) ([]domain.Note, error) {
		return a.Store.Notes(c.Request.Context(), httpx.Actor(c), caseID)
	})
}

// UpdateNote is PATCH /api/v1/notes/{id}, its author only; the earlier text is kept.
func (a *API) UpdateNote(c *gin.Context) error {
	return change(c, func(id uuid.UUID, version int, b []byte) (domain.Note, int, error) {
		n, err := a.Store.UpdateNote(c.Request.Context(), httpx.Actor(c), id, version, decodeOnto[domain.NoteInput](b))
		return n, n.Version, err
	})
}

// CreateMilestone is POST /api/v1/cases/{id}/milestones.
func (a *API) CreateMilestone(c *gin.Context) error {
	var in domain.MilestoneInput
	return create(c, &in, func(caseID uuid.UUID, idem *store.Idempotency) (domain.Milestone, int, error) {
		m, err := a.Store.CreateMilestone(c.Request.Context(), httpx.Actor(c), caseID, in, idem)
		return m, m.Version, err
	})
}

// Milestones is GET /api/v1/cases/{id}/milestones.
func (a *API) Milestones(c *gin.Context) error {
	return list(c, func(caseID uuid.UUID) ([]domain.Milestone, error) {
		return a.Store.Milestones(c.Request.Context(), httpx.Actor(c), caseID)
	})
}

// UpdateMilestone is PATCH /api/v1/milestones/{id}.
func (a *API) UpdateMilestone(c *gin.Context) error {
	return change(c, func(id uuid.UUID, version int, b []byte) (domain.Milestone, int, error) {
		m, err := a.Store.UpdateMilestone(c.Request.Context(), httpx.Actor(c), id, version, decodeOnto[domain.MilestoneInput](b))
		return m, m.Version, err
	})
}

// CreateFollowUp is POST /api/v1/cases/{id}/follow-ups.
func (a *API) CreateFollowUp(c *gin.Context) error {
	var in domain.FollowUpInput
	return create(c, &in, func(caseID uuid.UUID, idem *store.Idempotency) (domain.FollowUp, int, error) {
		f, err := a.Store.CreateFollowUp(c.Request.Context(), httpx.Actor(c), caseID, in, idem)
		return f, f.Version, err
	})
}

// FollowUps is GET /api/v1/cases/{id}/follow-ups.
func (a *API) FollowUps(c *gin.Context) error {
	return list(c, func(caseID uuid.UUID) ([]domain.FollowUp, error) {
		return a.Store.FollowUps(c.Request.Context(), httpx.Actor(c), caseID)
	})
}

// UpdateFollowUp is PATCH /api/v1/follow-ups/{id}: done, due_on, title.
func (a *API) UpdateFollowUp(c *gin.Context) error {
	return change(c, func(id uuid.UUID, version int, b []byte) (domain.FollowUp, int, error) {
		var in domain.FollowUpUpdate
		if err := httpx.DecodeJSON(b, &in); err != nil {
			return domain.FollowUp{}, 0, err
		}
		f, err := a.Store.UpdateFollowUp(c.Request.Context(), httpx.Actor(c), id, version, in)
		return f, f.Version, err
	})
}

// Agenda is GET /api/v1/agenda: the caller's open follow-ups.
func (a *API) Agenda(c *gin.Context) error {
	ag, err := a.Store.Agenda(c.Request.Context(), httpx.Actor(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ag)
	return nil
}

type timelineQuery struct {
	Limit  int    `form:"limit"`
	Cursor string `form:"cursor"`
}

// Timeline is GET /api/v1/cases/{id}/timeline, newest first, paged.
func (a *API) Timeline(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	var q timelineQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	if q.Limit < 0 || q.Limit > 200 {
		return domain.Invalid("limit", "validation.lte")
	}
	items, next, err := a.Store.Timeline(c.Request.Context(), httpx.Actor(c), id, q.Cursor, q.Limit)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpx.ListOf(items, next))
	return nil
}
