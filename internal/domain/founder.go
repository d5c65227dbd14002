package domain

import "github.com/google/uuid"

// FounderFile is everything the founder page shows of a founder, read at one moment:
// the founder, their carrier, their cases in that carrier the reader may open, how many
// further cases there are (led by others, so not listed), and what the reader may do.
type FounderFile struct {
	Founder Founder
	Carrier Carrier
	Cases   []FounderCase
	// HiddenCases counts the founder's cases in the carrier the reader may not open
	// (another advisor's): a number only, so an advisor knows to ask the coordinator.
	HiddenCases int
	// HasOpenCase: one of the founder's cases is not closed — listed or not. While it is
	// open no other case can be opened (see store.CreateCase).
	HasOpenCase bool
	Can         FounderRights
	// Advisors are whom a coordinator may name as lead of a new case.
	Advisors []AdvisorLoad
}

// FounderRights are what the reader of a founder page may do.
type FounderRights struct {
	// Update: change the founder's data (case:update on the founder).
	Update bool
	// OpenCase: open a new case for the founder (case:create in the carrier; no case of
	// the founder open; the founder not pseudonymised).
	OpenCase bool
	// NameLead: the reader names the lead of a new case (a coordinator); an advisor
	// becomes lead themself.
	NameLead bool
}

// FounderCase is one of a founder's cases, as the founder page lists it.
type FounderCase struct {
	ID              uuid.UUID `json:"id" db:"id"`
	Phase           string    `json:"phase" db:"phase"`
	Status          string    `json:"status" db:"status"`
	LeadAdvisorID   uuid.UUID `json:"lead_advisor_id" db:"lead_advisor_id"`
	LeadAdvisorName string    `json:"lead_advisor_name" db:"lead_advisor_name"`
	OpenedOn        Date      `json:"opened_on" db:"opened_on"`
	ClosedOn        *Date     `json:"closed_on" db:"closed_on"`
	Readable        bool      `json:"-" db:"readable"`
	BusinessIdea    string    `json:"business_idea" db:"business_idea"`
	ClosingReason   *string   `json:"closing_reason" db:"closing_reason"`
}
