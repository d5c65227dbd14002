package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// Caseload is GET /api/v1/caseload?carrier_id=: the caseload review of a carrier
// (carrier_id may be left out by someone who works in one carrier only).
func (a *API) Caseload(c *gin.Context) error {
	carrier, err := caseloadCarrierID(c)
	if err != nil {
		return err
	}
	cl, err := a.Store.Caseload(c.Request.Context(), httpx.Actor(c), carrier)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, cl)
	return nil
}

// TeamAgenda is GET /api/v1/agenda/team: the open follow-ups of the caller's teams.
func (a *API) TeamAgenda(c *gin.Context) error {
	ag, err := a.Store.TeamAgenda(c.Request.Context(), httpx.Actor(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, ag)
	return nil
}

// caseloadCarrierID reads the optional carrier_id of the query: nil when absent, a 422
// naming it when it is no UUID.
func caseloadCarrierID(c *gin.Context) (*uuid.UUID, error) {
	v := c.Query("carrier_id")
	if v == "" {
		return nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return nil, domain.Invalid("carrier_id", "validation.format")
	}
	return &id, nil
}
