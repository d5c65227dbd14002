package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// caseView is the data of the case page: the case file plus, when a form failed, which
// one (Form), as submitted (Values), with its Problem next to its fields; every other
// form starts from the case as it is now.
type caseView struct {
	domain.CaseFile
	Form    string
	Values  url.Values
	Problem formProblem
	Catalog domain.Catalog
	Today   domain.Date
	user    uuid.UUID
}

// Case is GET /cases/{id}: founder and business at a glance, the phase stepper, the
// timeline (?before= pages to older entries) and the forms of casework.
func (s *Pages) Case(c *gin.Context) error {
	httpx.SetLang(c)
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	if k, ok := s.TakeKept(c, "/cases/"+id.String()); ok { // sent after the session ended (kept.go)
		return s.renderCase(c, http.StatusOK, id, k.Form, k.Values, s.keptProblem(c))
	}
	return s.renderCase(c, http.StatusOK, id, "", nil, formProblem{})
}

// renderCase reads the case file afresh (a failed form shows the case as it is now, e.g.
// after someone else changed it) and renders its page with form, as submitted in
// values, open and p's problems next to its fields.
func (s *Pages) renderCase(c *gin.Context, status int, id uuid.UUID, form string, values url.Values, p formProblem) error {
	f, err := s.Store.CaseFile(c.Request.Context(), httpx.Actor(c), id, c.Query("before"))
	if err != nil {
		return err
	}
	user, _ := httpx.CurrentUser(c)
	advisor := ""
	if len(f.Advisors) > 0 {
		advisor = f.Advisors[0].ID.String()
	}
	fs := caseFields(form, advisor)
	p = s.withLinks(c, p, fs)
	if p.Notice != "" && len(fs) > 0 {
		p.NoticeLink = fs[0].ID
	}
	v := caseView{CaseFile: f, Form: form, Values: values, Problem: p, Catalog: domain.Catalogue, Today: s.Store.Today(), user: user}
	c.Set(ctxPagePath, "/cases/"+id.String())
	name := founderName(f.Case.Founder.GivenName+" "+f.Case.Founder.FamilyName, func() string { return s.T(c, "erasure.pseudonymised_name", nil) })
	return s.renderTitled(c, status, "case", name, v)
}

// caseForm runs one form of the case page: the posted form, then change (a use case,
// which checks the scope). Success redirects back to the case (to anchor) with a flash
// message; an error the person can fix shows the page again with the form as submitted.
func (s *Pages) caseForm(c *gin.Context, form, anchor, okMsg string, change func(id uuid.UUID, f url.Values) error) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	f := postedForm(c)
	if err := change(id, f); err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		return s.renderCase(c, p.Status, id, form, f, p)
	}
	return s.redirectFlash(c, "/cases/"+id.String()+"#"+anchor, okMsg)
}

// versioned runs a change of the case that needs the form's version.
func versioned(f url.Values, change func(version int) (domain.Case, error)) error {
	version, err := formVersion(f)
	if err != nil {
		return err
	}
	_, err = change(version)
	return err
}

// ChangePhase is POST /cases/{id}/phase.
func (s *Pages) ChangePhase(c *gin.Context) error {
	return s.caseForm(c, "phase", "phase", "flash.phase_changed", func(id uuid.UUID, f url.Values) error {
		return versioned(f, func(v int) (domain.Case, error) {
			in := domain.PhaseChange{Phase: f.Get("phase"), Reason: f.Get("reason")}
			return s.Store.ChangePhase(c.Request.Context(), httpx.Actor(c), id, v, in)
		})
	})
}

// CloseCase is POST /cases/{id}/close.
func (s *Pages) CloseCase(c *gin.Context) error {
	return s.caseForm(c, "close", "status", "flash.case_closed", func(id uuid.UUID, f url.Values) error {
		return versioned(f, func(v int) (domain.Case, error) {
			in := domain.Closing{Reason: f.Get("reason"), Note: f.Get("note")}
			return s.Store.CloseCase(c.Request.Context(), httpx.Actor(c), id, v, in)
		})
	})
}

// ReopenCase is POST /cases/{id}/reopen.
func (s *Pages) ReopenCase(c *gin.Context) error {
	return s.caseForm(c, "reopen", "status", "flash.case_reopened", func(id uuid.UUID, f url.Values) error {
		return versioned(f, func(v int) (domain.Case, error) {
			return s.Store.ReopenCase(c.Request.Context(), httpx.Actor(c), id, v)
		})
	})
}

// UpdateCase is POST /cases/{id}/business: business data, pause or resume.
func (s *Pages) UpdateCase(c *gin.Context) error {
	return s.caseForm(c, "business", "business", "flash.case_updated", func(id uuid.UUID, f url.Values) error {
		return versioned(f, func(v int) (domain.Case, error) {
			return s.Store.UpdateCase(c.Request.Context(), httpx.Actor(c), id, v, func(cur domain.CaseUpdate) (domain.CaseUpdate, error) {
				var p domain.Problems
				b := businessForm(&p, f)
				in := domain.CaseUpdate{Business: &b}
				if st := f.Get("status"); st != "" && *cur.Status != domain.StatusClosed {
					in.Status = &st
				}
				return in, p.Err()
			})
		})
	})
}

// AssignAdvisors is POST /cases/{id}/advisors: lead and co-advisors (coordinators).
func (s *Pages) AssignAdvisors(c *gin.Context) error {
	return s.caseForm(c, "assign", "advisors", "flash.advisors_assigned", func(id uuid.UUID, f url.Values) error {
		var p domain.Problems
		in := domain.AdvisorAssignment{CoAdvisorIDs: []uuid.UUID{}}
		if lead := optUUID(&p, f, "lead_advisor_id"); lead != nil {
			in.LeadAdvisorID = *lead
		}
		for _, v := range f["co_advisor_ids"] {
			aid, err := uuid.Parse(v)
			if err != nil {
				p.Add("co_advisor_ids", "validation.format")
				continue
			}
			if aid != in.LeadAdvisorID && !slices.Contains(in.CoAdvisorIDs, aid) {
				in.CoAdvisorIDs = append(in.CoAdvisorIDs, aid)
			}
		}
		if err := s.inputProblems(p, &in); err != nil {
			return err
		}
		return versioned(f, func(v int) (domain.Case, error) {
			return s.Store.AssignAdvisors(c.Request.Context(), httpx.Actor(c), id, v, in)
		})
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
