package pages

import (
	"errors"
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

// founderView is the data of the founder page: the founder file plus, when a form failed,
// which one ("edit" the founder's data, "case" a new case), as submitted, with its
// problems next to its fields.
type founderView struct {
	domain.FounderFile
	Form    string
	Values  url.Values
	Problem formProblem
	Catalog domain.Catalog
	MaxYear int
}

// Founder is GET /founders/{id}: the founder's data, their cases in the carrier the
// reader may open (and how many others there are), the form to change the data and the
// one to open a new case.
func (s *Pages) Founder(c *gin.Context) error {
	httpx.SetLang(c)
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	return s.renderFounder(c, http.StatusOK, id, "", nil, formProblem{})
}

// renderFounder reads the founder file afresh and renders the page with form, as
// submitted in values, open and p's problems next to its fields.
func (s *Pages) renderFounder(c *gin.Context, status int, id uuid.UUID, form string, values url.Values, p formProblem) error {
	f, err := s.Store.FounderFile(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	switch form { // the error summary links to the wrong fields
	case "edit":
		p = s.withLinks(c, p, intakeFields) // the founder's fields carry the intake's ids
	case "case":
		p = s.withLinks(c, p, fields("business.idea nc-idea field.idea", "business.sector nc-sector field.sector",
			"phase nc-phase field.phase", "lead_advisor_id nc-lead field.lead_advisor"))
	}
	v := founderView{FounderFile: f, Form: form, Values: values, Problem: p, Catalog: domain.Catalogue, MaxYear: s.Store.Today().Year()}
	c.Set(ctxPagePath, "/founders/"+id.String())
	name := founderName(f.Founder.GivenName+" "+f.Founder.FamilyName, func() string { return s.T(c, "erasure.pseudonymised_name", nil) })
	return s.renderTitled(c, status, "founder", name, v)
}

// founderPageForm runs one form of the founder page: change (a use case, which checks the
// scope) answers where to go on success; an error the person can fix shows the page
// again with the form as submitted.
func (s *Pages) founderPageForm(c *gin.Context, form, okMsg string, change func(id uuid.UUID, f url.Values) (string, error)) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	f := postedForm(c)
	to, err := change(id, f)
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		return s.renderFounder(c, p.Status, id, form, f, p)
	}
	return s.redirectFlash(c, to, okMsg)
}

// UpdateFounder is POST /founders/{id}: the founder's name, contact data and attributes,
// through the use case of PATCH /api/v1/founders/{id} with the form's version.
func (s *Pages) UpdateFounder(c *gin.Context) error {
	return s.founderPageForm(c, "edit", "flash.founder_updated", func(id uuid.UUID, f url.Values) (string, error) {
		version, err := formVersion(f)
		if err != nil {
			return "", err
		}
		var p domain.Problems
		d := founderForm(&p, f)
		_, err = s.Store.UpdateFounder(c.Request.Context(), httpx.Actor(c), id, version, formEdit(d, p))
		return "/founders/" + id.String(), founderFields(err)
	})
}

// founderFields names the fields of an error of UpdateFounder as the form does: the use
// case validates the founder's data on its own ("given_name"), the form nests them like
// the intake ("founder.given_name").
func founderFields(err error) error {
	var e *domain.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]domain.FieldError, len(e.Fields))
	for i, fe := range e.Fields {
		if !strings.HasPrefix(fe.Field, "founder.") {
			fe.Field = "founder." + fe.Field
		}
		out.Fields[i] = fe
	}
	return &out
}

// OpenFounderCase is POST /founders/{id}/cases: a new case for a known founder, through
// the intake use case (POST /api/v1/cases with founder_id). A founder with an open case
// gets none (the store says why).
func (s *Pages) OpenFounderCase(c *gin.Context) error {
	return s.founderPageForm(c, "case", "flash.founder_case_created", func(id uuid.UUID, f url.Values) (string, error) {
		var p domain.Problems
		in := domain.Intake{
			FounderID:     &id,
			Phase:         f.Get("phase"),
			LeadAdvisorID: optUUID(&p, f, "lead_advisor_id"),
			Business:      businessForm(&p, f),
		}
		if err := s.inputProblems(p, &in); err != nil {
			return "", err
		}
		idem, err := formOnce(c, f)
		if err != nil {
			return "", err
		}
		cs, err := s.Store.CreateCase(c.Request.Context(), httpx.Actor(c), in, idem)
		if unknownFounder(err) { // the path names the founder: outside the scope is 404
			return "", domain.NotFound()
		}
		return "/cases/" + cs.ID.String(), err
	})
}

// Errs are the field errors of form, if it is the form that failed.
func (v founderView) Errs(form string) map[string]string {
	if form == v.Form {
		return v.Problem.Fields
	}
	return nil
}

// Open reports whether a form's section starts unfolded: the one that failed.
func (v founderView) Open(form string) bool { return form == v.Form }

// CaseForm reports whether the page offers the form of a new case: when the reader may
// open one, and after a refused one (e.g. while another case was open), so what was
// typed stays on the page.
func (v founderView) CaseForm() bool { return v.Can.OpenCase || v.Form == "case" }

// Vals are the values a form of the founder page shows: as submitted when it failed,
// else the founder as they are now, or a new case's defaults.
func (v founderView) Vals(form string) url.Values {
	if form == v.Form && v.Values != nil {
		return v.Values
	}
	if form == "case" {
		return url.Values{"phase": {domain.PhaseFounding}}
	}
	d := v.Founder.FounderData
	f := url.Values{"founder.given_name": {d.GivenName}, "founder.family_name": {d.FamilyName},
		"founder.gender": {d.Gender}, "founder.german_level": {d.GermanLevel},
		"founder.education_isced": {d.EducationISCED}, "founder.employment_status_at_entry": {d.EmploymentStatusAtEntry},
		"founder.disability": {d.Disability}, "founder.foreign_background": {d.ForeignBackground},
		"founder.homeless":  {d.Homeless},
		"founder.languages": {strings.Join(d.Languages, ", ")}, "founder.nationalities": {strings.Join(d.Nationalities, ", ")}}
	for key, val := range map[string]*string{"founder.email": d.Email, "founder.phone": d.Phone,
		"founder.postcode": d.Postcode, "founder.city": d.City, "founder.country_of_birth": d.CountryOfBirth,
		"founder.referral_source": d.ReferralSource} {
		if val != nil {
			f.Set(key, *val)
		}
	}
	for key, val := range map[string]*int{"founder.birth_year": d.BirthYear, "founder.arrival_year": d.ArrivalYear} {
		if val != nil {
			f.Set(key, strconv.Itoa(*val))
		}
	}
	return f
}

// unknownFounder reports whether CreateCase refused the founder of a new case as unknown
// (absent, or out of the caller's reach).
func unknownFounder(err error) bool {
	var e *domain.Error
	return errors.As(err, &e) && slices.ContainsFunc(e.Fields, func(f domain.FieldError) bool {
		return f.Field == "founder_id" && f.Message == "error.unknown_founder"
	})
}
