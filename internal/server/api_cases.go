package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// intakeRequest is the wire form of an intake: a new founder object or a known founder_id.
type intakeRequest struct {
	CarrierID     *uuid.UUID      `json:"carrier_id"`
	Founder       json.RawMessage `json:"founder"`
	FounderID     *uuid.UUID      `json:"founder_id"`
	Phase         string          `json:"phase"`
	LeadAdvisorID *uuid.UUID      `json:"lead_advisor_id"`
	Business      domain.Business `json:"business"`
}

// intake decodes and checks an intake body: every field problem is reported at once.
func (s *Server) intake(b []byte) (domain.Intake, error) {
	var req intakeRequest
	if err := decodeJSON(b, &req); err != nil {
		return domain.Intake{}, err
	}
	in := domain.Intake{CarrierID: req.CarrierID, FounderID: req.FounderID, Phase: req.Phase,
		LeadAdvisorID: req.LeadAdvisorID, Business: req.Business}
	hasFounder := len(req.Founder) > 0 && string(req.Founder) != "null"
	switch {
	case hasFounder && req.FounderID != nil:
		return in, domain.Invalid("founder_id", "error.founder_or_founder_id")
	case !hasFounder && req.FounderID == nil:
		return in, domain.Invalid("founder", "error.required")
	case hasFounder:
		f := domain.DefaultFounderData()
		if err := decodeJSON(req.Founder, &f); err != nil {
			return in, prefixFields(err, "founder.")
		}
		in.Founder = &f
	}
	return in, s.checkIntake(nil, &in)
}

// checkIntake reports every problem of an intake at once (API and intake page): the
// validator tags, the founder's included, and the founder's and the business's rules.
func (s *Server) checkIntake(p domain.Problems, in *domain.Intake) error {
	p = allProblems(p, s.check(in, ""))
	if in.Founder != nil {
		in.Founder.Check(&p, domain.Today())
	}
	checkBusiness(&p, in.Business)
	return p.Err()
}

func checkBusiness(p *domain.Problems, b domain.Business) {
	if b.FoundedOn != nil && b.FoundedOn.After(domain.Today()) {
		p.Add("business.founded_on", "error.date_in_future")
	}
}

func (s *Server) apiCreateCase(c *gin.Context) {
	b, err := readJSON(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	in, err := s.intake(b)
	if err != nil {
		s.fail(c, err)
		return
	}
	idem, err := idempotency(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	id, err := s.store.CreateCase(c.Request.Context(), actor(c), scopeOf(c), in, idem)
	if err != nil {
		s.fail(c, err)
		return
	}
	cs, err := s.store.Case(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, cs.Version)
	c.Header("Location", "/api/v1/cases/"+id.String())
	c.JSON(http.StatusCreated, cs)
}

// caseFilter reads the list query: phase, status, advisor_id, q, limit, cursor.
func (s *Server) caseFilter(c *gin.Context) (domain.CaseFilter, error) {
	f := domain.CaseFilter{Phase: c.Query("phase"), Status: c.Query("status"), Query: c.Query("q"), Cursor: c.Query("cursor")}
	var p domain.Problems
	if v := c.Query("advisor_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			p.Add("advisor_id", "validation.format")
		}
		f.AdvisorID = &id
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.Add("limit", "validation.type")
		}
		f.Limit = n
	}
	if err := p.Err(); err != nil {
		return f, err
	}
	return f, s.check(&f, "")
}

func (s *Server) apiCases(c *gin.Context) {
	f, err := s.caseFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, next, err := s.store.Cases(c.Request.Context(), scopeOf(c), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(items, next))
}

// loadCase reads the case of the route's :id and checks it against the route's scope:
// one decision for one object; outside the scope is the same 404 as absent.
func (s *Server) loadCase(c *gin.Context) (domain.Case, error) {
	id, err := pathID(c)
	if err != nil {
		return domain.Case{}, err
	}
	return s.objectCase(c, "case", id, id)
}

// answerCase re-reads the case after a change and answers it with its ETag.
func (s *Server) answerCase(c *gin.Context, id uuid.UUID) {
	cs, err := s.store.Case(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, cs.Version)
	c.JSON(http.StatusOK, cs)
}

func (s *Server) apiCase(c *gin.Context) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.Audit(c.Request.Context(), actor(c), auditRead("case", cs.ID, cs.CarrierID)); err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, cs.Version)
	c.JSON(http.StatusOK, cs)
}

// caseChange runs one versioned change of a case: scope check, If-Match, body, store.
func caseChange[T any](s *Server, c *gin.Context, in *T, prepare func(cs domain.Case) error, change func(cs domain.Case, version int) error) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if prepare != nil {
		if err := prepare(cs); err != nil {
			s.fail(c, err)
			return
		}
	}
	if err := s.bind(c, in); err != nil {
		s.fail(c, err)
		return
	}
	if err := change(cs, version); err != nil {
		s.fail(c, err)
		return
	}
	s.answerCase(c, cs.ID)
}

func (s *Server) apiUpdateCase(c *gin.Context) {
	var in domain.CaseUpdate
	caseChange(s, c, &in, func(cs domain.Case) error {
		// A partial business object changes only the fields it names.
		b := cs.Business
		in.Business = &b
		return nil
	}, func(cs domain.Case, v int) error {
		var p domain.Problems
		checkBusiness(&p, *in.Business)
		if err := p.Err(); err != nil {
			return err
		}
		return s.store.UpdateCase(c.Request.Context(), actor(c), cs.ID, v, in)
	})
}

func (s *Server) apiChangePhase(c *gin.Context) {
	var in domain.PhaseChange
	caseChange(s, c, &in, nil, func(cs domain.Case, v int) error {
		return s.store.ChangePhase(c.Request.Context(), actor(c), cs.ID, v, in)
	})
}

func (s *Server) apiCloseCase(c *gin.Context) {
	var in domain.Closing
	caseChange(s, c, &in, nil, func(cs domain.Case, v int) error {
		return s.store.CloseCase(c.Request.Context(), actor(c), cs.ID, v, in)
	})
}

func (s *Server) apiReopenCase(c *gin.Context) {
	var in struct{}
	caseChange(s, c, &in, nil, func(cs domain.Case, v int) error {
		return s.store.ReopenCase(c.Request.Context(), actor(c), cs.ID, v)
	})
}

func (s *Server) apiAssignAdvisors(c *gin.Context) {
	var in domain.AdvisorAssignment
	caseChange(s, c, &in, nil, func(cs domain.Case, v int) error {
		return s.store.AssignAdvisors(c.Request.Context(), actor(c), cs.ID, v, in)
	})
}

func (s *Server) apiPhases(c *gin.Context) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ph, err := s.store.PhaseHistory(c.Request.Context(), cs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": ph})
}

// loadFounder reads the founder of :id within the route's scope.
func (s *Server) loadFounder(c *gin.Context) (domain.Founder, error) {
	id, err := pathID(c)
	if err != nil {
		return domain.Founder{}, err
	}
	user, _ := currentUser(c)
	f, advised, err := s.store.Founder(c.Request.Context(), id, user)
	if err != nil {
		return f, err
	}
	return f, s.inScope(c, "founder", f.ID, f.CarrierID, advised)
}

func (s *Server) apiFounder(c *gin.Context) {
	f, err := s.loadFounder(c)
	if err == nil {
		err = s.store.Audit(c.Request.Context(), actor(c), auditRead("founder", f.ID, f.CarrierID))
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, f.Version)
	c.JSON(http.StatusOK, f)
}

func (s *Server) apiUpdateFounder(c *gin.Context) {
	f, err := s.loadFounder(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	b, err := readJSON(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Fields left out keep their value; null clears an optional one.
	data := f.FounderData
	if err := decodeJSON(b, &data); err != nil {
		s.fail(c, err)
		return
	}
	var p domain.Problems
	if err := s.check(&data, ""); err != nil {
		p = append(p, fieldsOf(err)...)
	}
	data.Check(&p, domain.Today())
	if err := p.Err(); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.UpdateFounder(c.Request.Context(), actor(c), f.ID, version, data); err != nil {
		s.fail(c, err)
		return
	}
	user, _ := currentUser(c)
	f, _, err = s.store.Founder(c.Request.Context(), f.ID, user)
	if err != nil {
		s.fail(c, err)
		return
	}
	setETag(c, f.Version)
	c.JSON(http.StatusOK, f)
}
