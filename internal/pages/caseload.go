package pages

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// caseloadRow is one advisor's row of the caseload page, with the hours as the page
// language writes them.
type caseloadRow struct {
	domain.AdvisorCaseload
	Hours string
}

// caseloadView is the data of the caseload page.
type caseloadView struct {
	Caseload domain.Caseload
	Rows     []caseloadRow
	Carrier  domain.Carrier
	// Carriers the caller may review; the page offers a choice when there are several.
	Carriers     []domain.Carrier
	Names        map[uuid.UUID]string // lead advisors of the stalled cases
	StalledTotal int                  // every stalled case of the rows, listed or not
	Days         int                  // the window of the work figures
	Today        domain.Date
}

// Caseload is GET /caseload?carrier_id=, "Fallbelastung": per advisor the active cases
// by phase, the consultations and hours of the last 30 days, stalled cases and overdue
// follow-ups, and the stalled cases, each one click from its page. Without carrier_id
// it shows the first carrier (by name) the caller may review.
func (s *Pages) Caseload(c *gin.Context) error {
	httpx.SetLang(c)
	ctx, actor := c.Request.Context(), httpx.Actor(c)
	scope := s.Store.Scope(actor, domain.ActCaseloadRead)
	all, err := s.Store.Carriers(ctx)
	if err != nil {
		return err
	}
	v := caseloadView{Days: domain.CaseloadDays, Today: s.Store.Today(), Names: map[uuid.UUID]string{}}
	for _, cr := range all {
		if scope.InCarrier(cr.ID) {
			v.Carriers = append(v.Carriers, cr)
		}
	}
	var carrier *uuid.UUID
	if q := c.Query("carrier_id"); q != "" {
		id, err := uuid.Parse(q)
		if err != nil {
			return domain.NotFound() // as for an id in the path: no such carrier
		}
		carrier = &id
	} else if len(v.Carriers) > 0 {
		carrier = &v.Carriers[0].ID
	}
	if v.Caseload, err = s.Store.Caseload(ctx, actor, carrier); err != nil {
		return err
	}
	for _, cr := range v.Carriers {
		if cr.ID == v.Caseload.CarrierID {
			v.Carrier = cr
		}
	}
	lang := httpx.Lang(c)
	for _, a := range v.Caseload.Advisors {
		v.Rows = append(v.Rows, caseloadRow{AdvisorCaseload: a, Hours: caseloadHours(a.Minutes30d, lang)})
		v.Names[a.AdvisorID] = a.Name
		v.StalledTotal += a.StalledCases
	}
	c.Set(ctxPagePath, "/caseload")
	return s.render(c, http.StatusOK, "caseload", "caseload.title", v)
}

// caseloadHours writes minutes as hours with one decimal, with a decimal comma in German.
func caseloadHours(minutes int, lang string) string {
	h := fmt.Sprintf("%.1f", float64(minutes)/60)
	if lang == "de" {
		h = strings.Replace(h, ".", ",", 1)
	}
	return h
}

// teamAgendaView is the data of the team agenda page.
type teamAgendaView struct {
	Agenda domain.TeamAgenda
}

// TeamAgenda is GET /agenda/team: every open follow-up of the coordinator's carriers,
// grouped by the person it is assigned to, overdue first, with "done" on each.
func (s *Pages) TeamAgenda(c *gin.Context) error {
	httpx.SetLang(c)
	a, err := s.Store.TeamAgenda(c.Request.Context(), httpx.Actor(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "team_agenda", "team_agenda.title", teamAgendaView{Agenda: a})
}
