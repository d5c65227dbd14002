package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// SignIn is POST /api/v1/session: a session cookie for e-mail and password.
func (a *API) SignIn(c *gin.Context) error {
	var in domain.SignInInput
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	cred, err := a.Store.SignIn(c.Request.Context(), httpx.Actor(c), in, a.Limits)
	if err != nil {
		return err
	}
	if err := a.StartSession(c, cred); err != nil {
		return err
	}
	u, err := a.Store.User(c.Request.Context(), cred.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"user": u})
	return nil
}

// SignOut is DELETE /api/v1/session.
func (a *API) SignOut(c *gin.Context) error {
	if err := a.Env.SignOut(c); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// Me is GET /api/v1/me.
func (a *API) Me(c *gin.Context) error {
	id, _ := httpx.CurrentUser(c)
	u, err := a.Store.User(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// ChangePassword is POST /api/v1/me/password: the caller's own password, also the
// one-time password an administrator set. Every session and token of the caller ends;
// a caller signed in with a session stays signed in with a new one (a token does not
// survive: it is revoked).
func (a *API) ChangePassword(c *gin.Context) error {
	var in domain.PasswordChange
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	epoch, err := a.Store.ChangePassword(c.Request.Context(), httpx.Actor(c), in, a.Limits)
	if err != nil {
		return err
	}
	if a.SessionToken(c) != "" {
		if err := a.RenewSession(c, epoch); err != nil {
			return err
		}
	}
	id, _ := httpx.CurrentUser(c)
	u, err := a.Store.User(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// Tokens is GET /api/v1/me/tokens: the caller's live tokens, never their secrets.
func (a *API) Tokens(c *gin.Context) error {
	id, _ := httpx.CurrentUser(c)
	ts, err := a.Store.Tokens(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpx.ListOf(ts, ""))
	return nil
}

// CreateToken is POST /api/v1/me/tokens with the caller's current password; the secret
// is in this answer only (a replay of its Idempotency-Key is 409).
func (a *API) CreateToken(c *gin.Context) error {
	var in domain.TokenInput
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	idem, err := httpx.Idempotency(c)
	if err != nil {
		return err
	}
	if idem != nil {
		idem.Body = tokenRequestHash(in)
	}
	t, err := a.Store.CreateToken(c.Request.Context(), httpx.Actor(c), in, httpx.NewTokenSecret(), idem, a.Limits)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, t)
	return nil
}

// RevokeToken is DELETE /api/v1/me/tokens/{id}.
func (a *API) RevokeToken(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	if err := a.Store.RevokeToken(c.Request.Context(), httpx.Actor(c), id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
