package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// ListSessions is GET /api/v1/me/sessions: the caller's signed-in sessions, the current one
// marked (none when the caller uses an API token).
func (a *API) ListSessions(c *gin.Context) error {
	ss, err := a.Store.Sessions(c.Request.Context(), httpx.Actor(c), a.SessionToken(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpx.ListOf(ss, ""))
	return nil
}

// EndSession is DELETE /api/v1/me/sessions/{id}; ending the current session signs the
// caller out.
func (a *API) EndSession(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	current, err := a.Store.EndSession(c.Request.Context(), httpx.Actor(c), id, a.SessionToken(c))
	if err != nil {
		return err
	}
	if current {
		if err := a.Sessions.Destroy(c.Request.Context()); err != nil {
			return err
		}
	}
	c.Status(http.StatusNoContent)
	return nil
}

// EndOtherSessions is POST /api/v1/me/sessions/sign-out-others: every session of the
// caller but the current one ends (with an API token: every session).
func (a *API) EndOtherSessions(c *gin.Context) error {
	n, err := a.Store.EndOtherSessions(c.Request.Context(), httpx.Actor(c), a.SessionToken(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"ended": n})
	return nil
}

// tokenRequestHash is what an Idempotency-Key of a token creation is compared by: the
// token's name and expiry, not the password that came with them — a fast hash of a
// password must not be stored, and a retry is the same request whatever was typed.
func tokenRequestHash(in domain.TokenInput) []byte {
	b, _ := json.Marshal(struct {
		Name      string       `json:"name"`
		ExpiresOn *domain.Date `json:"expires_on"`
	}{in.Name, in.ExpiresOn})
	return b
}
