package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// intakeView is the data of the intake form "Neue Gründungsperson".
type intakeView struct {
	Form     url.Values
	Problem  formProblem
	Carriers []domain.Carrier  // offered when the user takes in for several carriers
	Advisors []carrierAdvisors // offered to coordinators, who name the lead
	Catalog  domain.Catalog
	MaxYear  int
}

// carrierAdvisors are the advisors a coordinator may name as lead in one carrier.
type carrierAdvisors struct {
	Carrier  domain.Carrier
	Advisors []domain.AdvisorLoad
}

// pageIntake shows the empty intake form with the "unknown / not stated" defaults.
func (s *Server) pageIntake(c *gin.Context) {
	setLang(c)
	d := domain.DefaultFounderData()
	form := url.Values{
		"founder.gender": {d.Gender}, "founder.german_level": {d.GermanLevel},
		"founder.education_isced": {d.EducationISCED}, "founder.employment_status_at_entry": {d.EmploymentStatusAtEntry},
		"founder.disability": {d.Disability}, "founder.foreign_background": {d.ForeignBackground},
		"founder.homeless": {d.Homeless}, "phase": {domain.PhaseFounding},
	}
	s.renderIntake(c, http.StatusOK, form, formProblem{})
}

func (s *Server) renderIntake(c *gin.Context, status int, form url.Values, p formProblem) {
	scope := scopeOf(c)
	all, err := s.store.Carriers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	v := intakeView{Form: form, Problem: p, Catalog: domain.Catalogue, MaxYear: domain.Today().Year()}
	var mine []domain.Carrier
	for _, cr := range all {
		if scope.InCarrier(cr.ID) {
			mine = append(mine, cr)
		}
	}
	if len(mine) > 1 {
		v.Carriers = mine
	}
	for _, cr := range mine {
		if !scope.All && !slices.Contains(scope.Carriers, cr.ID) {
			continue // an advisor there becomes lead; nobody to choose
		}
		as, err := s.store.Advisors(c.Request.Context(), cr.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		v.Advisors = append(v.Advisors, carrierAdvisors{Carrier: cr, Advisors: as})
	}
	c.Set(ctxPagePath, "/cases/new")
	s.render(c, status, "intake", "intake.title", v)
}

// intakeFromForm reads the intake form with the API's rules: the validator tags of
// FounderData, Intake and Business, FounderData.Check and checkBusiness.
func (s *Server) intakeFromForm(form url.Values) (domain.Intake, error) {
	var p domain.Problems
	f := domain.DefaultFounderData()
	f.GivenName = strings.TrimSpace(form.Get("founder.given_name"))
	f.FamilyName = strings.TrimSpace(form.Get("founder.family_name"))
	f.BirthYear = optInt(&p, form, "founder.birth_year")
	f.Email = optString(form, "founder.email")
	f.Phone = optString(form, "founder.phone")
	f.Postcode = optString(form, "founder.postcode")
	f.City = optString(form, "founder.city")
	if v := optString(form, "founder.country_of_birth"); v != nil {
		up := strings.ToUpper(*v)
		f.CountryOfBirth = &up
	}
	f.Nationalities = codeList(form, "founder.nationalities", true)
	f.Languages = codeList(form, "founder.languages", false)
	f.ArrivalYear = optInt(&p, form, "founder.arrival_year")
	f.ReferralSource = optString(form, "founder.referral_source")
	for key, dst := range map[string]*string{
		"founder.gender": &f.Gender, "founder.german_level": &f.GermanLevel,
		"founder.education_isced": &f.EducationISCED, "founder.employment_status_at_entry": &f.EmploymentStatusAtEntry,
		"founder.disability": &f.Disability, "founder.foreign_background": &f.ForeignBackground,
		"founder.homeless": &f.Homeless,
	} {
		if v := form.Get(key); v != "" {
			*dst = v
		}
	}
	in := domain.Intake{
		CarrierID:     optUUID(&p, form, "carrier_id"),
		Phase:         form.Get("phase"),
		LeadAdvisorID: optUUID(&p, form, "lead_advisor_id"),
		Business:      businessForm(&p, form),
		Founder:       &f,
	}
	return in, s.checkIntake(p, &in)
}

// pageIntakeSubmit takes in the founder with a new case, or shows the form again with
// every problem next to its field and nothing the person typed lost.
func (s *Server) pageIntakeSubmit(c *gin.Context) {
	form := postedForm(c)
	in, err := s.intakeFromForm(form)
	var id uuid.UUID
	if err == nil {
		id, err = s.store.CreateCase(c.Request.Context(), actor(c), scopeOf(c), in, nil)
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			s.fail(c, err)
			return
		}
		s.renderIntake(c, p.Status, form, p)
		return
	}
	s.redirectFlash(c, "/cases/"+id.String(), "flash.case_created")
}
