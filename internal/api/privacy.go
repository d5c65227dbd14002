package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// FounderExport is GET /api/v1/founders/{id}/export: everything held on the founder
// (Art. 15 GDPR) as one JSON document, offered as a download.
func (a *API) FounderExport(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	out, err := a.Store.ExportFounder(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	c.Header("Content-Disposition", `attachment; filename="lotse-art15-`+id.String()+`.json"`)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
	return nil
}

// EraseFounder is POST /api/v1/founders/{id}/erase ({"reason"}): pseudonymised inside
// the retention period, erased after it.
func (a *API) EraseFounder(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	var in domain.Erasure
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	out, err := a.Store.EraseFounder(c.Request.Context(), httpx.Actor(c), id, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}
