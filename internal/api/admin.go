package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// CreateCarrier is POST /api/v1/carriers.
func (a *API) CreateCarrier(c *gin.Context) error {
	var in domain.CarrierInput
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	idem, err := httpx.Idempotency(c)
	if err != nil {
		return err
	}
	cr, err := a.Store.CreateCarrier(c.Request.Context(), httpx.Actor(c), in, idem)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, cr)
	return nil
}

// Carriers is GET /api/v1/carriers: every carrier, for any signed-in user.
func (a *API) Carriers(c *gin.Context) error {
	cs, err := a.Store.Carriers(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": cs})
	return nil
}

type pageQuery struct {
	Limit  int    `form:"limit"`
	Cursor string `form:"cursor"`
}

// Users is GET /api/v1/users: the accounts, keyset-paginated by id.
func (a *API) Users(c *gin.Context) error {
	var q pageQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	if q.Limit < 0 || q.Limit > 200 {
		return domain.Invalid("limit", "validation.lte")
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	var after *uuid.UUID
	if q.Cursor != "" {
		id, err := uuid.Parse(q.Cursor)
		if err != nil {
			return domain.Invalid("cursor", "error.invalid_cursor")
		}
		after = &id
	}
	us, err := a.Store.Users(c.Request.Context(), after, q.Limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(us) > q.Limit {
		us = us[:q.Limit]
		next = us[q.Limit-1].ID.String()
	}
	c.JSON(http.StatusOK, httpx.ListOf(us, next))
	return nil
}

// CreateUser is POST /api/v1/users: an account without roles.
func (a *API) CreateUser(c *gin.Context) error {
	var in domain.UserInput
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	idem, err := httpx.Idempotency(c)
	if err != nil {
		return err
	}
	u, err := a.Store.CreateUser(c.Request.Context(), httpx.Actor(c), in, nil, idem)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, u)
	return nil
}

type rolesRequest struct {
	Roles []domain.Membership `json:"roles"`
}

// SetRoles is PUT /api/v1/users/{id}/roles; the change counts on the next request, on
// every instance (the store reloads this one's policy and notifies the others).
func (a *API) SetRoles(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	var in rolesRequest
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	if in.Roles == nil {
		return domain.Invalid("roles", "validation.required")
	}
	u, err := a.Store.SetRoles(c.Request.Context(), httpx.Actor(c), id, in.Roles)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// Deactivate is POST /api/v1/users/{id}/deactivate.
func (a *API) Deactivate(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	u, err := a.Store.Deactivate(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// Reactivate is POST /api/v1/users/{id}/reactivate.
func (a *API) Reactivate(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	u, err := a.Store.Reactivate(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// Advisors is GET /api/v1/carriers/{id}/advisors.
func (a *API) Advisors(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	as, err := a.Store.Advisors(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": as})
	return nil
}
