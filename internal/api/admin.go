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

// Users is GET /api/v1/users: the accounts, searchable (q: part of name or e-mail
// address, case and accents do not matter) and sorted (sort: name, email, status),
// keyset-paginated.
func (a *API) Users(c *gin.Context) error {
	var q domain.UserQuery
	if err := httpx.BindQuery(c, &q); err != nil {
		return err
	}
	us, next, err := a.Store.Users(c.Request.Context(), httpx.Actor(c), q)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpx.ListOf(us, next))
	return nil
}

// User is GET /api/v1/users/{id}, with its version as ETag.
func (a *API) User(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	u, err := a.Store.User(c.Request.Context(), id)
	if err != nil {
		return err
	}
	httpx.SetETag(c, u.Version)
	c.JSON(http.StatusOK, u)
	return nil
}

// UpdateUser is PATCH /api/v1/users/{id} with If-Match: name, email and languages;
// fields left out keep their value.
func (a *API) UpdateUser(c *gin.Context) error {
	return change(c, func(id uuid.UUID, version int, b []byte) (domain.User, int, error) {
		u, err := a.Store.UpdateUser(c.Request.Context(), httpx.Actor(c), id, version, decodeOnto[domain.UserEdit](b))
		return u, u.Version, err
	})
}

// ResetPassword is POST /api/v1/users/{id}/password: a one-time password the person
// must change at their next sign-in; their sessions and tokens end.
func (a *API) ResetPassword(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	var in domain.PasswordReset
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	u, err := a.Store.ResetPassword(c.Request.Context(), httpx.Actor(c), id, in)
	if err != nil {
		return err
	}
	httpx.SetETag(c, u.Version)
	c.JSON(http.StatusOK, u)
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
