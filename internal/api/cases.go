package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// intakeRequest is the wire form of an intake: a new founder object or a known founder_id.
type intakeRequest struct {
	CarrierID     *uuid.UUID      `json:"carrier_id"`
	Founder       json.RawMessage `json:"founder"`
	FounderID     *uuid.UUID      `json:"founder_id"`
	Phase         string          `json:"phase"`
	LeadAdvisorID *uuid.UUID      `json:"lead_advisor_id"`
	Business      domain.Business `json:"business"`
	// CheckDuplicates: 409 with the candidates when known founders look alike.
	CheckDuplicates bool `json:"check_duplicates"`
}

// DecodeIntake decodes an intake body strictly: a new founder starts from "unknown" and
// "not stated" wherever a field is left out. The use case validates.
func DecodeIntake(b []byte) (domain.Intake, error) {
	var req intakeRequest
	if err := httpx.DecodeJSON(b, &req); err != nil {
		return domain.Intake{}, err
	}
	in := domain.Intake{CarrierID: req.CarrierID, FounderID: req.FounderID, Phase: req.Phase,
		LeadAdvisorID: req.LeadAdvisorID, Business: req.Business, CheckDuplicates: req.CheckDuplicates}
	if len(req.Founder) > 0 && string(req.Founder) != "null" {
		f := domain.DefaultFounderData()
		if err := httpx.DecodeJSON(req.Founder, &f); err != nil {
			return in, httpx.PrefixFields(err, "founder.")
		}
		in.Founder = &f
	}
	return in, nil
}

// CreateCase is POST /api/v1/cases: intake of a founder with a new case.
func (a *API) CreateCase(c *gin.Context) error {
	b, err := httpx.ReadJSON(c)
	if err != nil {
		return err
	}
	in, err := DecodeIntake(b)
	if err != nil {
		return err
	}
	idem, err := httpx.Idempotency(c)
	if err != nil {
		return err
	}
	cs, err := a.Store.CreateCase(c.Request.Context(), httpx.Actor(c), in, idem)
	if err != nil {
		return err
	}
	httpx.SetETag(c, cs.Version)
	c.Header("Location", "/api/v1/cases/"+cs.ID.String())
	c.JSON(http.StatusCreated, cs)
	return nil
}

// Cases is GET /api/v1/cases: the caller's cases, newest first, a page at a time.
func (a *API) Cases(c *gin.Context) error {
	f, err := httpx.CaseFilter(c)
	if err != nil {
		return err
	}
	items, next, err := a.Store.Cases(c.Request.Context(), httpx.Actor(c), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, httpx.ListOf(items, next))
	return nil
}

// answerCase answers a case with its ETag.
func answerCase(c *gin.Context, status int, cs domain.Case) error {
	httpx.SetETag(c, cs.Version)
	c.JSON(status, cs)
	return nil
}

// Case is GET /api/v1/cases/{id}.
func (a *API) Case(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	cs, err := a.Store.ReadCase(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	return answerCase(c, http.StatusOK, cs)
}

// caseChange reads what every change of a case needs: its id and the If-Match version.
func caseChange(c *gin.Context) (uuid.UUID, int, error) {
	id, err := httpx.PathID(c)
	if err != nil {
		return id, 0, err
	}
	version, err := httpx.IfMatch(c)
	return id, version, err
}

// UpdateCase is PATCH /api/v1/cases/{id}: a partial body changes only the fields it names.
func (a *API) UpdateCase(c *gin.Context) error {
	id, version, err := caseChange(c)
	if err != nil {
		return err
	}
	b, err := httpx.ReadJSON(c)
	if err != nil {
		return err
	}
	cs, err := a.Store.UpdateCase(c.Request.Context(), httpx.Actor(c), id, version, func(cur domain.CaseUpdate) (domain.CaseUpdate, error) {
		cur.Status = nil // only a status named in the body is a change of status
		err := httpx.DecodeJSON(b, &cur)
		return cur, err
	})
	if err != nil {
		return err
	}
	return answerCase(c, http.StatusOK, cs)
}

// caseAction runs a versioned action on a case with a JSON body of type T.
func caseAction[T any](c *gin.Context, run func(id uuid.UUID, version int, in T) (domain.Case, error)) error {
	id, version, err := caseChange(c)
	if err != nil {
		return err
	}
	var in T
	if err := httpx.Bind(c, &in); err != nil {
		return err
	}
	cs, err := run(id, version, in)
	if err != nil {
		return err
	}
	return answerCase(c, http.StatusOK, cs)
}

// ChangePhase is POST /api/v1/cases/{id}/phase.
func (a *API) ChangePhase(c *gin.Context) error {
	return caseAction(c, func(id uuid.UUID, version int, in domain.PhaseChange) (domain.Case, error) {
		return a.Store.ChangePhase(c.Request.Context(), httpx.Actor(c), id, version, in)
	})
}

// CloseCase is POST /api/v1/cases/{id}/close.
func (a *API) CloseCase(c *gin.Context) error {
	return caseAction(c, func(id uuid.UUID, version int, in domain.Closing) (domain.Case, error) {
		return a.Store.CloseCase(c.Request.Context(), httpx.Actor(c), id, version, in)
	})
}

// ReopenCase is POST /api/v1/cases/{id}/reopen ({}).
func (a *API) ReopenCase(c *gin.Context) error {
	return caseAction(c, func(id uuid.UUID, version int, _ struct{}) (domain.Case, error) {
		return a.Store.ReopenCase(c.Request.Context(), httpx.Actor(c), id, version)
	})
}

// AssignAdvisors is PUT /api/v1/cases/{id}/advisors.
func (a *API) AssignAdvisors(c *gin.Context) error {
	return caseAction(c, func(id uuid.UUID, version int, in domain.AdvisorAssignment) (domain.Case, error) {
		return a.Store.AssignAdvisors(c.Request.Context(), httpx.Actor(c), id, version, in)
	})
}

// Phases is GET /api/v1/cases/{id}/phases.
func (a *API) Phases(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	ph, err := a.Store.PhaseHistory(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"items": ph})
	return nil
}

// Founder is GET /api/v1/founders/{id}.
func (a *API) Founder(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	f, err := a.Store.ReadFounder(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	httpx.SetETag(c, f.Version)
	c.JSON(http.StatusOK, f)
	return nil
}

// UpdateFounder is PATCH /api/v1/founders/{id}: fields left out keep their value; null
// clears an optional one.
func (a *API) UpdateFounder(c *gin.Context) error {
	id, version, err := caseChange(c)
	if err != nil {
		return err
	}
	b, err := httpx.ReadJSON(c)
	if err != nil {
		return err
	}
	f, err := a.Store.UpdateFounder(c.Request.Context(), httpx.Actor(c), id, version, func(cur domain.FounderData) (domain.FounderData, error) {
		err := httpx.DecodeJSON(b, &cur)
		return cur, err
	})
	if err != nil {
		return err
	}
	httpx.SetETag(c, f.Version)
	c.JSON(http.StatusOK, f)
	return nil
}
