package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// Audit is GET /api/v1/audit?object_id=&actor_id=&action=&from=&to=&cursor=&limit=: the
// audit events within the caller's scope, newest first, a page at a time.
func (a *API) Audit(c *gin.Context) error {
	f, err := httpx.AuditFilter(c)
	if err != nil {
		return err
	}
	items, next, err := a.Store.AuditEvents(c.Request.Context(), httpx.Actor(c), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpx.ListOf(items, next))
	return nil
}
