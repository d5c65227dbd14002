package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

func (s *Server) apiCreateCarrier(c *gin.Context) {
	var in domain.CarrierInput
	if err := s.bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	idem, err := idempotency(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	id, err := s.store.CreateCarrier(c.Request.Context(), actor(c), in, idem)
	if err != nil {
		s.fail(c, err)
		return
	}
	cr, err := s.store.Carrier(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, cr)
}

func (s *Server) apiCarriers(c *gin.Context) {
	cs, err := s.store.Carriers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": cs})
}

type pageQuery struct {
	Limit  int    `form:"limit" validate:"gte=0,lte=200"`
	Cursor string `form:"cursor" validate:"max=200"`
}

func (s *Server) apiUsers(c *gin.Context) {
	var q pageQuery
	if err := s.bindQuery(c, &q); err != nil {
		s.fail(c, err)
		return
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	var after *uuid.UUID
	if q.Cursor != "" {
		id, err := uuid.Parse(q.Cursor)
		if err != nil {
			s.fail(c, domain.Invalid("cursor", "error.invalid_cursor"))
			return
		}
		after = &id
	}
	us, err := s.store.Users(c.Request.Context(), after, q.Limit+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	next := ""
	if len(us) > q.Limit {
		us = us[:q.Limit]
		next = us[q.Limit-1].ID.String()
	}
	c.JSON(http.StatusOK, listOf(us, next))
}

func (s *Server) apiCreateUser(c *gin.Context) {
	var in domain.UserInput
	if err := s.bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.createUser(c, in, nil)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

// createUser hashes the password and stores the user with their first roles in one
// transaction (API: none; admin page: one); this instance's policy is reloaded at once.
func (s *Server) createUser(c *gin.Context, in domain.UserInput, roles []domain.Membership) (domain.User, error) {
	hash, err := domain.HashPassword(c.Request.Context(), in.Password)
	if err != nil {
		return domain.User{}, err
	}
	idem, err := idempotency(c)
	if err != nil {
		return domain.User{}, err
	}
	id, err := s.store.CreateUser(c.Request.Context(), actor(c), in, hash, roles, idem)
	if err != nil {
		return domain.User{}, err
	}
	if len(roles) > 0 {
		if err := s.authz.Reload(); err != nil {
			return domain.User{}, err
		}
	}
	return s.store.User(c.Request.Context(), id)
}

type rolesRequest struct {
	Roles []domain.Membership `json:"roles" validate:"required,max=50,dive"`
}

func (s *Server) apiSetRoles(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in rolesRequest
	if err := s.bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.setRoles(c, id, in.Roles)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

// setRoles replaces the memberships and reloads this instance's policy at once; the
// others follow on the NOTIFY sent at commit.
func (s *Server) setRoles(c *gin.Context, id uuid.UUID, roles []domain.Membership) (domain.User, error) {
	if err := s.store.SetRoles(c.Request.Context(), actor(c), id, roles); err != nil {
		return domain.User{}, err
	}
	if err := s.authz.Reload(); err != nil {
		return domain.User{}, err
	}
	return s.store.User(c.Request.Context(), id)
}

func (s *Server) apiDeactivate(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.deactivate(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (s *Server) deactivate(c *gin.Context, id uuid.UUID) (domain.User, error) {
	if err := s.store.Deactivate(c.Request.Context(), actor(c), id); err != nil {
		return domain.User{}, err
	}
	if err := s.authz.Reload(); err != nil {
		return domain.User{}, err
	}
	return s.store.User(c.Request.Context(), id)
}

func (s *Server) apiAdvisors(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !scopeOf(c).InCarrier(id) {
		s.fail(c, s.inScope(c, "carrier", id, id, false))
		return
	}
	// A carrier that does not exist is 404, not an empty list (api.md).
	if _, err := s.store.Carrier(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	as, err := s.store.Advisors(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": as})
}

// bindQuery binds and validates query parameters.
func (s *Server) bindQuery(c *gin.Context, dst any) error {
	if err := c.ShouldBindQuery(dst); err != nil {
		return &domain.Error{Code: domain.ErrInvalid, Message: "error.invalid",
			Fields: []domain.FieldError{{Field: "query", Message: "validation.format"}}}
	}
	return s.check(dst, "")
}
