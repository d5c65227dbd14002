package server

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// caseView is the data of the case page. Form names the form whose submission failed:
// that form is shown open with the submitted Values and the Problem next to its fields;
// every other form starts from the case as it is now.
type caseView struct {
	Case     domain.Case
	Carrier  domain.Carrier
	Names    map[uuid.UUID]string
	Phases   []domain.PhaseTransition
	Form     string
	Values   url.Values
	Problem  formProblem
	Can      caseRights
	Advisors []domain.AdvisorLoad // coordinators: who may lead or co-advise, with caseload
	Catalog  domain.Catalog
	Today    domain.Date
	Work     caseWork
}

// caseRights are the case page's actions the user may take on this case.
type caseRights struct{ Update, Assign, Casework, Note bool }

// caseRightsOf decides each action of the case page once, for this case.
func (s *Server) caseRightsOf(user uuid.UUID, cs domain.Case) caseRights {
	advises := cs.Advises(user)
	may := func(action string) bool { return s.authz.Scope(user, action).Allows(cs.CarrierID, advises) }
	return caseRights{Update: may("case:update"), Assign: may("case:assign"),
		Casework: may("casework:write"), Note: may("note:write")}
}

// pageCase shows one case: founder and business at a glance, the phase stepper, the
// timeline and the forms of casework.
func (s *Server) pageCase(c *gin.Context) {
	setLang(c)
	cs, err := s.loadCase(c)
	if err == nil {
		err = s.store.Audit(c.Request.Context(), actor(c), auditRead("case", cs.ID, cs.CarrierID))
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderCaseOf(c, http.StatusOK, cs, "", nil, formProblem{})
}

// renderCase reads the case afresh (a failed form shows the case as it is now, e.g.
// after someone else changed it) and renders its page with form, as submitted in
// values, open and p's problems next to its fields.
func (s *Server) renderCase(c *gin.Context, status int, id uuid.UUID, form string, values url.Values, p formProblem) {
	cs, err := s.store.Case(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderCaseOf(c, status, cs, form, values, p)
}

// renderCaseOf renders the page of a case already read.
func (s *Server) renderCaseOf(c *gin.Context, status int, cs domain.Case, form string, values url.Values, p formProblem) {
	var err error
	user, _ := currentUser(c)
	v := caseView{Case: cs, Form: form, Values: values, Problem: p, Can: s.caseRightsOf(user, cs),
		Catalog: domain.Catalogue, Today: domain.Today()}
	if v.Carrier, err = s.store.Carrier(c.Request.Context(), cs.CarrierID); err != nil {
		s.fail(c, err)
		return
	}
	if v.Phases, err = s.store.PhaseHistory(c.Request.Context(), cs.ID); err != nil {
		s.fail(c, err)
		return
	}
	if v.Can.Assign {
		if v.Advisors, err = s.store.Advisors(c.Request.Context(), cs.CarrierID); err != nil {
			s.fail(c, err)
			return
		}
	}
	if v.Work, err = s.caseWork(c, cs, user); err != nil {
		s.fail(c, err)
		return
	}
	ids := append([]uuid.UUID{cs.LeadAdvisorID}, cs.CoAdvisorIDs...)
	for _, t := range v.Phases {
		if t.By != nil {
			ids = append(ids, *t.By)
		}
	}
	ids = append(ids, v.Work.people()...)
	if v.Names, err = s.store.UserNames(c.Request.Context(), ids); err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxPagePath, "/cases/"+cs.ID.String())
	name := cs.Founder.GivenName + " " + cs.Founder.FamilyName
	s.renderTitled(c, status, "case", name, v)
}

// caseForm runs one form of the case page: the case within the route's scope, the posted
// form, then change. Success redirects back to the case (to anchor) with a flash
// message; an error the person can fix shows the page again with the form as submitted.
func (s *Server) caseForm(c *gin.Context, form, anchor, okMsg string, change func(cs domain.Case, f url.Values) error) {
	cs, err := s.loadCase(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := postedForm(c)
	if err := change(cs, f); err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.renderCase(c, p.Status, cs.ID, form, f, p)
		return
	}
	s.redirectFlash(c, "/cases/"+cs.ID.String()+"#"+anchor, okMsg)
}

func (s *Server) pageChangePhase(c *gin.Context) {
	s.caseForm(c, "phase", "phase", "flash.phase_changed", func(cs domain.Case, f url.Values) error {
		version, err := formVersion(f)
		if err != nil {
			return err
		}
		in := domain.PhaseChange{Phase: f.Get("phase"), Reason: strings.TrimSpace(f.Get("reason"))}
		if err := s.check(&in, ""); err != nil {
			return err
		}
		return s.store.ChangePhase(c.Request.Context(), actor(c), cs.ID, version, in)
	})
}

func (s *Server) pageCloseCase(c *gin.Context) {
	s.caseForm(c, "close", "status", "flash.case_closed", func(cs domain.Case, f url.Values) error {
		version, err := formVersion(f)
		if err != nil {
			return err
		}
		in := domain.Closing{Reason: f.Get("reason"), Note: strings.TrimSpace(f.Get("note"))}
		if err := s.check(&in, ""); err != nil {
			return err
		}
		return s.store.CloseCase(c.Request.Context(), actor(c), cs.ID, version, in)
	})
}

func (s *Server) pageReopenCase(c *gin.Context) {
	s.caseForm(c, "reopen", "status", "flash.case_reopened", func(cs domain.Case, f url.Values) error {
		version, err := formVersion(f)
		if err != nil {
			return err
		}
		return s.store.ReopenCase(c.Request.Context(), actor(c), cs.ID, version)
	})
}

// pageUpdateCase edits the business data and pauses or resumes the case.
func (s *Server) pageUpdateCase(c *gin.Context) {
	s.caseForm(c, "business", "business", "flash.case_updated", func(cs domain.Case, f url.Values) error {
		version, err := formVersion(f)
		if err != nil {
			return err
		}
		var p domain.Problems
		b := businessForm(&p, f)
		in := domain.CaseUpdate{Business: &b}
		if st := f.Get("status"); st != "" && cs.Status != domain.StatusClosed {
			in.Status = &st
		}
		p = allProblems(p, s.check(&in, ""))
		checkBusiness(&p, b)
		if err := p.Err(); err != nil {
			return err
		}
		return s.store.UpdateCase(c.Request.Context(), actor(c), cs.ID, version, in)
	})
}

// pageAssignAdvisors sets lead and co-advisors (coordinators).
func (s *Server) pageAssignAdvisors(c *gin.Context) {
	s.caseForm(c, "assign", "advisors", "flash.advisors_assigned", func(cs domain.Case, f url.Values) error {
		version, err := formVersion(f)
		if err != nil {
			return err
		}
		var p domain.Problems
		in := domain.AdvisorAssignment{CoAdvisorIDs: []uuid.UUID{}}
		if lead := optUUID(&p, f, "lead_advisor_id"); lead != nil {
			in.LeadAdvisorID = *lead
		}
		for _, v := range f["co_advisor_ids"] {
			id, err := uuid.Parse(v)
			if err != nil {
				p.Add("co_advisor_ids", "validation.format")
				continue
			}
			if id != in.LeadAdvisorID && !slices.Contains(in.CoAdvisorIDs, id) {
				in.CoAdvisorIDs = append(in.CoAdvisorIDs, id)
			}
		}
		p = allProblems(p, s.check(&in, ""))
		if err := p.Err(); err != nil {
			return err
		}
		return s.store.AssignAdvisors(c.Request.Context(), actor(c), cs.ID, version, in)
	})
}

// Errs are the field errors of form, if it is the form that failed.
func (v caseView) Errs(form string) map[string]string {
	if form == v.Form {
		return v.Problem.Fields
	}
	return nil
}

// Open reports whether a form's section starts unfolded: the one that failed.
func (v caseView) Open(form string) bool { return form == v.Form }

// Vals are the values a form of the case page shows: as submitted when it failed,
// else the case as it is now or sensible defaults (today, an hour, in person).
func (v caseView) Vals(form string) url.Values {
	if form == v.Form && v.Values != nil {
		return v.Values
	}
	cs := v.Case
	switch form {
	case "phase":
		next := cs.Phase
		if r := domain.PhaseRank(cs.Phase); r+1 < len(domain.Catalogue.Phases) {
			next = domain.Catalogue.Phases[r+1]
		}
		return url.Values{"phase": {next}}
	case "business":
		b := cs.Business
		f := url.Values{"business.idea": {b.Idea}, "status": {cs.Status}}
		if b.Sector != nil {
			f.Set("business.sector", *b.Sector)
		}
		if b.LegalForm != nil {
			f.Set("business.legal_form", *b.LegalForm)
		}
		if b.FoundedOn != nil {
			f.Set("business.founded_on", b.FoundedOn.String())
		}
		if b.Employees != nil {
			f.Set("business.employees", strconv.Itoa(*b.Employees))
		}
		return f
	case "assign":
		f := url.Values{"lead_advisor_id": {cs.LeadAdvisorID.String()}}
		for _, id := range cs.CoAdvisorIDs {
			f.Add("co_advisor_ids", id.String())
		}
		return f
	case "consultation":
		return url.Values{"date": {v.Today.String()}, "duration_minutes": {"60"}, "mode": {"in_person"},
			"languages": {strings.Join(cs.Founder.Languages, ", ")}}
	case "follow_up":
		return url.Values{"due_on": {v.Today.AddDays(7).String()}}
	}
	return url.Values{}
}

// Who is the name of a user the page mentions (id or optional id).
func (v caseView) Who(id any) string {
	switch u := id.(type) {
	case uuid.UUID:
		return v.Names[u]
	case *uuid.UUID:
		if u != nil {
			return v.Names[*u]
		}
	}
	return ""
}

// Visited reports whether the case has been in phase (the stepper marks it done); a
// takeover that started in handover has not been through founding.
func (v caseView) Visited(phase string) bool {
	for _, t := range v.Phases {
		if t.To == phase {
			return true
		}
	}
	return false
}
