package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// Consents is GET /api/v1/founders/{id}/consents: the current state per purpose and the
// history, newest first.
func (a *API) Consents(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	cs, err := a.Store.Consents(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, cs)
	return nil
}

// RecordConsent is POST /api/v1/founders/{id}/consents: a consent granted or withdrawn
// ({"purpose", "granted", "text_version", "language"}); 201 with the recorded act. Acts
// are never changed, so the answer carries no ETag.
func (a *API) RecordConsent(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	var in domain.ConsentInput
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	idem, err := httpx.Idempotency(c)
	if err != nil {
		return err
	}
	k, err := a.Store.RecordConsent(c.Request.Context(), httpx.Actor(c), id, in, idem)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, k)
	return nil
}
