package pages

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// intakeView is the data of the intake form "Neue Gründungsperson".
type intakeView struct {
	Form     url.Values
	Problem  formProblem
	Carriers []domain.Carrier  // offered when the user takes in for several carriers
	Advisors []carrierAdvisors // offered to coordinators, who name the lead
	Catalog  domain.Catalog
	MaxYear  int
	// Candidates are known founders the intake may be about (the store refused it as a
	// likely duplicate): the person chooses one of them or confirms a new founder.
	Candidates []domain.FounderMatch
}

// carrierAdvisors are the advisors a coordinator may name as lead in one carrier.
type carrierAdvisors struct {
	Carrier  domain.Carrier
	Advisors []domain.AdvisorLoad
}

// pageIntake shows the empty intake form with the "unknown / not stated" defaults.
func (s *Pages) Intake(c *gin.Context) error {
	httpx.SetLang(c)
	if k, ok := s.TakeKept(c, "/cases/new"); ok { // sent after the session ended (kept.go)
		return s.renderIntake(c, http.StatusOK, k.Values, s.keptProblem(c))
	}
	d := domain.DefaultFounderData()
	form := url.Values{
		"founder.gender": {d.Gender}, "founder.german_level": {d.GermanLevel},
		"founder.education_isced": {d.EducationISCED}, "founder.employment_status_at_entry": {d.EmploymentStatusAtEntry},
		"founder.disability": {d.Disability}, "founder.foreign_background": {d.ForeignBackground},
		"founder.homeless": {d.Homeless}, "phase": {domain.PhaseFounding},
	}
	return s.renderIntake(c, http.StatusOK, form, formProblem{})
}

func (s *Pages) renderIntake(c *gin.Context, status int, form url.Values, p formProblem, candidates ...domain.FounderMatch) error {
	scope := httpx.ScopeOf(c)
	all, err := s.Store.Carriers(c.Request.Context())
	if err != nil {
		return err
	}
	p = s.withLinks(c, p, intakeFields)
	if p.Notice != "" {
		p.NoticeLink = intakeFields[0].ID
	}
	v := intakeView{Form: form, Problem: p, Catalog: domain.Catalogue, MaxYear: s.Store.Today().Year(), Candidates: candidates}
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
		as, err := s.Store.Advisors(c.Request.Context(), httpx.Actor(c), cr.ID)
		if err != nil {
			return err
		}
		v.Advisors = append(v.Advisors, carrierAdvisors{Carrier: cr, Advisors: as})
	}
	c.Set(ctxPagePath, "/cases/new")
	return s.render(c, status, "intake", "intake.title", v)
}

// intakeFromForm reads the intake form; problems are fields that are no number, date or
// id. The use case validates the rest.
func intakeFromForm(form url.Values) (domain.Intake, domain.Problems) {
	var p domain.Problems
	f := founderForm(&p, form)
	in := domain.Intake{
		CarrierID:     optUUID(&p, form, "carrier_id"),
		Phase:         form.Get("phase"),
		LeadAdvisorID: optUUID(&p, form, "lead_advisor_id"),
		Business:      businessForm(&p, form),
		Founder:       &f,
	}
	return in, p
}

// founderForm reads the founder fields ("founder.given_name", …) of the intake form and
// the founder page's edit form; selects left empty keep "unknown" / "not stated".
func founderForm(p *domain.Problems, form url.Values) domain.FounderData {
	f := domain.DefaultFounderData()
	f.GivenName = form.Get("founder.given_name")
	f.FamilyName = form.Get("founder.family_name")
	f.BirthYear = optInt(p, form, "founder.birth_year")
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
	f.ArrivalYear = optInt(p, form, "founder.arrival_year")
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
	return f
}

// IntakeSubmit is POST /cases/new: takes in the founder with a new case, or shows the
// form again with every problem next to its field and nothing the person typed lost.
func (s *Pages) IntakeSubmit(c *gin.Context) error {
	form := postedForm(c)
	in, p := intakeFromForm(form)
	duplicateChoice(&in, &p, form)
	err := s.inputProblems(p, &in)
	var idem *store.Idempotency
	if err == nil {
		idem, err = formOnce(c, form)
	}
	var cs domain.Case
	if err == nil {
		cs, err = s.Store.CreateCase(c.Request.Context(), httpx.Actor(c), in, idem)
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		var e *domain.Error
		errors.As(err, &e)
		return s.renderIntake(c, p.Status, form, p, e.Candidates...)
	}
	if in.FounderID != nil {
		return s.redirectFlash(c, "/cases/"+cs.ID.String(), "flash.founder_case_created")
	}
	return s.redirectFlash(c, "/cases/"+cs.ID.String(), "flash.case_created")
}

// duplicateChoice applies the answer to the duplicate warning (founder_choice): the
// intake checks for likely duplicates until the person answers; a known founder's id
// opens the case for them, and the founder fields typed stay unused; "new" confirms a
// new founder.
func duplicateChoice(in *domain.Intake, p *domain.Problems, form url.Values) {
	switch choice := form.Get("founder_choice"); choice {
	case "":
		in.CheckDuplicates = true
	case "new":
	default:
		if id := optUUID(p, form, "founder_choice"); id != nil {
			in.FounderID, in.Founder = id, nil
		}
	}
}
