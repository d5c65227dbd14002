package domain

import "github.com/google/uuid"

// Oversight: the caseload review of a carrier, the team agenda of its coordinators, and
// the open cases a person still leads (for the administrators' deactivation note).

// DefaultStalledAfterDays is how long an active case may go without a consultation
// before it counts as stalled, unless the installation sets another number.
const DefaultStalledAfterDays = 60

// CaseloadDays is the window of the work figures: today and the 29 days before it.
const CaseloadDays = 30

// StalledListLimit caps the stalled cases a caseload answer lists; the case list's
// stalled filter has them all.
const StalledListLimit = 200

// StalledBefore is the day before which the last contact of an active case (its last
// consultation, or its opening when it has none) must lie for the case to be stalled
// after days days: a case last seen exactly days days ago is not stalled yet.
func StalledBefore(today Date, days int) Date { return today.AddDays(-days) }

// CaseloadFrom is the first day counted in the work figures of today.
func CaseloadFrom(today Date) Date { return today.AddDays(-(CaseloadDays - 1)) }

// PhaseCounts counts cases per phase.
type PhaseCounts struct {
	Founding      int `json:"founding" db:"founding"`
	Consolidation int `json:"consolidation" db:"consolidation"`
	Handover      int `json:"handover" db:"handover"`
}

// AdvisorCaseload is one person's row of a caseload review. Active is false for someone
// deactivated or no longer an advisor of the carrier who still leads cases there.
// ActiveCases and StalledCases count the cases they lead with status active;
// Consultations30d and Minutes30d (the consultations' duration) the consultations they
// logged in the carrier's cases within CaseloadDays; OverdueFollowUps the open
// follow-ups assigned to them in the carrier's open cases that were due before today.
type AdvisorCaseload struct {
	AdvisorID        uuid.UUID   `json:"advisor_id" db:"advisor_id"`
	Name             string      `json:"name" db:"name"`
	Active           bool        `json:"active" db:"active"`
	ActiveCases      PhaseCounts `json:"active_cases" db:"active_cases"`
	Consultations30d int         `json:"consultations_30d" db:"consultations_30d"`
	Minutes30d       int         `json:"minutes_30d" db:"minutes_30d"`
	StalledCases     int         `json:"stalled_cases" db:"stalled_cases"`
	OverdueFollowUps int         `json:"overdue_follow_ups" db:"overdue_follow_ups"`
}

// Caseload is the caseload review of one carrier: a row per advisor (and per person who
// still leads an open case there), sorted by name, and up to StalledListLimit stalled
// cases, the longest without contact first.
type Caseload struct {
	CarrierID        uuid.UUID         `json:"carrier_id"`
	Advisors         []AdvisorCaseload `json:"advisors"`
	Stalled          []CaseSummary     `json:"stalled"`
	StalledAfterDays int               `json:"stalled_after_days"`
}

// TeamAgendaGroup is one assignee's open follow-ups on the team agenda, due date first
// (so the overdue ones lead). Active is false for a deactivated account.
type TeamAgendaGroup struct {
	AssigneeID uuid.UUID    `json:"assignee_id"`
	Name       string       `json:"name"`
	Active     bool         `json:"active"`
	Overdue    int          `json:"overdue"`
	Items      []AgendaItem `json:"items"`
}

// TeamAgenda is every open follow-up in the open cases of a coordinator's carriers,
// grouped by assignee, sorted by name.
type TeamAgenda struct {
	Today     Date              `json:"today"`
	Assignees []TeamAgendaGroup `json:"assignees"`
}

// CarrierCount is a number of cases in one carrier.
type CarrierCount struct {
	CarrierID   uuid.UUID `json:"carrier_id" db:"carrier_id"`
	CarrierName string    `json:"carrier_name" db:"carrier_name"`
	Count       int       `json:"count" db:"count"`
}

// AdvisorOption is a person a carrier's case list can be filtered by: an active advisor,
// or someone who still leads an open case there (Active false: deactivated, or no
// longer an advisor of the carrier).
type AdvisorOption struct {
	ID     uuid.UUID `json:"id" db:"id"`
	Name   string    `json:"name" db:"name"`
	Active bool      `json:"active" db:"active"`
}
