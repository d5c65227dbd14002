package domain

import "slices"

// Phases of a case, in their natural order.
const (
	PhaseFounding      = "founding"
	PhaseConsolidation = "consolidation"
	PhaseHandover      = "handover"
)

// Case statuses.
const (
	StatusActive = "active"
	StatusPaused = "paused"
	StatusClosed = "closed"
)

// Roles a user can hold. Advisor and coordinator are held in a carrier, the others globally.
const (
	RoleAdvisor          = "advisor"
	RoleCoordinator      = "coordinator"
	RoleProgrammeManager = "programme_manager"
	RoleAdmin            = "admin"
)

// Catalog is every code list of domain.md: the one source for forms, clients and validation.
type Catalog struct {
	Phases          []string            `json:"phases"`
	Statuses        []string            `json:"statuses"`
	ClosingReasons  []string            `json:"closing_reasons"`
	Topics          []string            `json:"topics"`
	Modes           []string            `json:"modes"`
	MilestoneTypes  map[string][]string `json:"milestone_types"`
	ReferralSources []string            `json:"referral_sources"`
	Genders         []string            `json:"genders"`
	GermanLevels    []string            `json:"german_levels"`
	EducationLevels []string            `json:"education_levels"`
	Employment      []string            `json:"employment_statuses"`
	YesNo           []string            `json:"yes_no_not_stated"`
	LegalForms      []string            `json:"legal_forms"`
	Sectors         []string            `json:"sectors"`
	Roles           []string            `json:"roles"`
	ConsentPurposes []string            `json:"consent_purposes"`
}

// Catalogue is the fixed catalogue of domain.md.
var Catalogue = Catalog{
	Phases:         []string{PhaseFounding, PhaseConsolidation, PhaseHandover},
	Statuses:       []string{StatusActive, StatusPaused, StatusClosed},
	ClosingReasons: []string{"consolidated", "handed_over", "abandoned", "referred", "business_closed", "no_contact", "other"},
	Topics: []string{"business_idea", "business_plan", "financing", "funding_programmes",
		"legal_form", "registration_permits", "residence_law", "recognition_qualifications",
		"tax_accounting", "insurance_social_security", "marketing_sales", "digitalisation",
		"premises_location", "staff_hiring", "liquidity_crisis", "succession", "other"},
	Modes: []string{"in_person", "phone", "video", "email", "outreach"},
	MilestoneTypes: map[string][]string{
		PhaseFounding: {"business_plan_completed", "residence_permit_self_employment",
			"financing_secured", "business_registered", "first_revenue"},
		PhaseConsolidation: {"first_year_completed", "first_employee_hired",
			"follow_up_financing", "break_even_reached", "crisis_overcome"},
		PhaseHandover: {"succession_need_identified", "business_valued", "successor_found",
			"handover_contract_signed", "handover_completed"},
	},
	ReferralSources: []string{"self", "jobcenter", "employment_agency", "chamber", "community", "friends_family", "internet", "other"},
	Genders:         []string{"female", "male", "diverse", "unspecified"},
	GermanLevels:    []string{"A1", "A2", "B1", "B2", "C1", "C2", "native", "unknown"},
	EducationLevels: []string{"isced_0_2", "isced_3_4", "isced_5_8", "unknown"},
	Employment:      []string{"unemployed", "long_term_unemployed", "inactive", "employed", "self_employed", "unknown"},
	YesNo:           []string{"yes", "no", "not_stated"},
	LegalForms:      []string{"sole_proprietor", "gbr", "ug", "gmbh", "freelance", "other"},
	Sectors: []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N",
		"O", "P", "Q", "R", "S", "T", "U"},
	Roles:           []string{RoleAdvisor, RoleCoordinator, RoleProgrammeManager, RoleAdmin},
	ConsentPurposes: []string{"counselling", "esf_reporting", "referral", "follow_up_survey"},
}

// PhaseRank orders phases: founding 0, consolidation 1, handover 2; -1 for unknown.
func PhaseRank(phase string) int { return slices.Index(Catalogue.Phases, phase) }

// MilestonePhase returns the phase whose catalogue holds the milestone type, or "".
func MilestonePhase(milestoneType string) string {
	for phase, types := range Catalogue.MilestoneTypes {
		if slices.Contains(types, milestoneType) {
			return phase
		}
	}
	return ""
}

// CarrierRole reports whether role is held within a carrier (advisor, coordinator).
func CarrierRole(role string) bool { return role == RoleAdvisor || role == RoleCoordinator }
