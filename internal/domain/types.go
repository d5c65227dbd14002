package domain

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Carrier is a Projektträger, the tenant boundary.
type Carrier struct {
	ID        uuid.UUID `json:"id" db:"id"`
	Name      string    `json:"name" db:"name"`
	ShortName string    `json:"short_name" db:"short_name"`
}

// CarrierInput creates a carrier.
type CarrierInput struct {
	Name      string `json:"name" validate:"required,max=200"`
	ShortName string `json:"short_name" validate:"required,max=30"`
}

// Normalise trims the names.
func (in *CarrierInput) Normalise() {
	in.Name = strings.TrimSpace(in.Name)
	in.ShortName = strings.TrimSpace(in.ShortName)
}

// Membership is one role a user holds; CarrierID is nil for global roles.
type Membership struct {
	Role      string     `json:"role" db:"role" validate:"required,in=roles"`
	CarrierID *uuid.UUID `json:"carrier_id" db:"carrier_id"`
}

// CheckMemberships applies the rule of roles: advisor and coordinator are held in a
// carrier, programme manager and admin in none. ErrInvalid naming roles[i].carrier_id.
func CheckMemberships(roles []Membership) error {
	var p Problems
	for i, m := range roles {
		if CarrierRole(m.Role) != (m.CarrierID != nil) {
			p.Add(fmt.Sprintf("roles[%d].carrier_id", i), "error.carrier_role_needs_carrier")
		}
	}
	return p.Err()
}

// User is a person who signs in to Lotse.
type User struct {
	ID        uuid.UUID    `json:"id"`
	Email     string       `json:"email"`
	Name      string       `json:"name"`
	Languages []string     `json:"languages"`
	Active    bool         `json:"active"`
	Roles     []Membership `json:"roles"`
	// MustChangePassword: an administrator set the password; the person reaches
	// nothing but its change until they have chosen their own.
	MustChangePassword bool `json:"must_change_password"`
	Version            int  `json:"version"`
}

// HasRole reports whether the user holds role (in any carrier, or globally).
func (u *User) HasRole(role string) bool {
	return slices.ContainsFunc(u.Roles, func(m Membership) bool { return m.Role == role })
}

// Carriers returns the carriers in which the user holds one of roles.
func (u *User) Carriers(roles ...string) []uuid.UUID {
	var ids []uuid.UUID
	for _, m := range u.Roles {
		if m.CarrierID != nil && slices.Contains(roles, m.Role) && !slices.Contains(ids, *m.CarrierID) {
			ids = append(ids, *m.CarrierID)
		}
	}
	return ids
}

// UserInput creates a user.
type UserInput struct {
	Email     string   `json:"email" validate:"required,email,max=254"`
	Name      string   `json:"name" validate:"required,max=200"`
	Password  string   `json:"password" validate:"required"`
	Languages []string `json:"languages" validate:"max=20,dive,lang"`
}

// Normalise trims name and e-mail (addresses are compared case-insensitively, and kept
// as written).
func (in *UserInput) Normalise() {
	in.Email = strings.TrimSpace(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	if in.Languages == nil {
		in.Languages = []string{}
	}
}

// Check applies the password policy.
func (in *UserInput) Check(p *Problems, _ Date) {
	if in.Password == "" {
		return // the tag reports it
	}
	var e *Error
	if errors.As(CheckPasswordPolicy(in.Password), &e) {
		*p = append(*p, e.Fields...)
	}
}

// SignInInput is an e-mail and a password to sign in with, and for an account with a
// second factor a current code of the authenticator app or an unused recovery code.
type SignInInput struct {
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=1024"`
	OTP      string `json:"otp" validate:"max=64"`
}

// PasswordChange is a user's change of their own password. Confirm, when given (the
// page asks twice), must match New.
type PasswordChange struct {
	Current string  `json:"current_password" validate:"required"`
	New     string  `json:"new_password" validate:"required"`
	Confirm *string `json:"new_password_confirm"`
}

// Check: the confirmation matches and the new password meets the policy.
func (in *PasswordChange) Check(p *Problems, _ Date) {
	if in.New == "" {
		return
	}
	if in.Confirm != nil && *in.Confirm != in.New {
		p.Add("new_password_confirm", "error.password_mismatch")
	}
	if in.New == in.Current { // a one-time password must really be replaced
		p.Add("new_password", "error.password_unchanged")
	}
	var e *Error
	if errors.As(CheckPasswordPolicy(in.New), &e) {
		for _, f := range e.Fields {
			f.Field = "new_password"
			*p = append(*p, f)
		}
	}
}

// Actor is who acts, and under which request: every write and every read of counselling
// content is audited with it. System marks the installation itself acting (command line,
// seeds, jobs): it reaches every carrier; the HTTP side never sets it.
type Actor struct {
	UserID    uuid.UUID
	RequestID string
	Address   string
	System    bool
}

// Founder is a Gründungsperson: personal, partly sensitive data.
type Founder struct {
	ID        uuid.UUID `json:"id" db:"id"`
	CarrierID uuid.UUID `json:"carrier_id" db:"carrier_id"`
	FounderData
	// RestrictedAt is when the founder was pseudonymised on an erasure request: names,
	// contact data and free texts are gone and the founder's cases take no changes.
	RestrictedAt *time.Time `json:"restricted_at" db:"restricted_at"`
	Version      int        `json:"version" db:"version"`
	CreatedAt    time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at" db:"updated_at"`
}

// FounderData are the founder's fields a person enters; optional ones are pointers.
type FounderData struct {
	GivenName               string   `json:"given_name" db:"given_name" validate:"required,max=100"`
	FamilyName              string   `json:"family_name" db:"family_name" validate:"required,max=100"`
	BirthYear               *int     `json:"birth_year" db:"birth_year" validate:"omitempty,gte=1900,lte=2100"`
	Gender                  string   `json:"gender" db:"gender" validate:"required,in=genders"`
	Email                   *string  `json:"email" db:"email" validate:"omitempty,email,max=254"`
	Phone                   *string  `json:"phone" db:"phone" validate:"omitempty,max=50"`
	Postcode                *string  `json:"postcode" db:"postcode" validate:"omitempty,max=10"`
	City                    *string  `json:"city" db:"city" validate:"omitempty,max=100"`
	CountryOfBirth          *string  `json:"country_of_birth" db:"country_of_birth" validate:"omitempty,country"`
	Nationalities           []string `json:"nationalities" db:"nationalities" validate:"max=5,dive,country"`
	Languages               []string `json:"languages" db:"languages" validate:"max=20,dive,lang"`
	GermanLevel             string   `json:"german_level" db:"german_level" validate:"required,in=german_levels"`
	EducationISCED          string   `json:"education_isced" db:"education_isced" validate:"required,in=education_levels"`
	EmploymentStatusAtEntry string   `json:"employment_status_at_entry" db:"employment_status_at_entry" validate:"required,in=employment"`
	ArrivalYear             *int     `json:"arrival_year" db:"arrival_year" validate:"omitempty,gte=1900,lte=2100"`
	ReferralSource          *string  `json:"referral_source" db:"referral_source" validate:"omitempty,in=referral_sources"`
	Disability              string   `json:"disability" db:"disability" validate:"required,in=yes_no"`
	ForeignBackground       string   `json:"foreign_background" db:"foreign_background" validate:"required,in=yes_no"`
	Homeless                string   `json:"homeless" db:"homeless" validate:"required,in=yes_no"`
}

// DefaultFounderData is the starting point of an intake: "unknown" and "not stated"
// wherever a person need not answer.
func DefaultFounderData() FounderData {
	return FounderData{Gender: "unspecified", GermanLevel: "unknown", EducationISCED: "unknown",
		EmploymentStatusAtEntry: "unknown", Disability: "not_stated", ForeignBackground: "not_stated",
		Homeless: "not_stated", Nationalities: []string{}, Languages: []string{}}
}

// Normalise trims names and contact data; blank optional fields become none.
func (f *FounderData) Normalise() {
	f.GivenName = strings.TrimSpace(f.GivenName)
	f.FamilyName = strings.TrimSpace(f.FamilyName)
	for _, s := range []**string{&f.Email, &f.Phone, &f.Postcode, &f.City} {
		*s = trimOpt(*s)
	}
	if f.Nationalities == nil {
		f.Nationalities = []string{}
	}
	if f.Languages == nil {
		f.Languages = []string{}
	}
}

// Check applies the rules the validator tags cannot express.
func (f *FounderData) Check(p *Problems, today Date) {
	if f.BirthYear != nil && *f.BirthYear > today.Year() {
		p.Add("founder.birth_year", "error.year_in_future")
	}
	if f.ArrivalYear != nil && *f.ArrivalYear > today.Year() {
		p.Add("founder.arrival_year", "error.year_in_future")
	}
	if f.ArrivalYear != nil && f.BirthYear != nil && *f.ArrivalYear < *f.BirthYear {
		p.Add("founder.arrival_year", "error.arrival_before_birth")
	}
	// Founders are counselled where they live, in Germany: five-digit postcodes.
	if f.Postcode != nil && !germanPostcode.MatchString(*f.Postcode) {
		p.Add("founder.postcode", "error.postcode_format")
	}
}

var germanPostcode = regexp.MustCompile(`^[0-9]{5}$`)

// Business is what the case is about.
type Business struct {
	Idea      string  `json:"idea" validate:"max=5000"`
	Sector    *string `json:"sector" validate:"omitempty,in=sectors"`
	LegalForm *string `json:"legal_form" validate:"omitempty,in=legal_forms"`
	FoundedOn *Date   `json:"founded_on"`
	Employees *int    `json:"employees" validate:"omitempty,gte=0,lte=100000"`
}

// Normalise trims the idea.
func (b *Business) Normalise() { b.Idea = strings.TrimSpace(b.Idea) }

// Check: a business is not founded in the future.
func (b *Business) Check(p *Problems, today Date) {
	if b.FoundedOn != nil && b.FoundedOn.After(today) {
		p.Add("business.founded_on", "error.date_in_future")
	}
}

// Case is a Beratungsfall: one founder, one carrier, one lead advisor.
type Case struct {
	ID            uuid.UUID   `json:"id"`
	CarrierID     uuid.UUID   `json:"carrier_id"`
	Founder       Founder     `json:"founder"`
	Phase         string      `json:"phase"`
	Status        string      `json:"status"`
	ClosingReason *string     `json:"closing_reason"`
	LeadAdvisorID uuid.UUID   `json:"lead_advisor_id"`
	CoAdvisorIDs  []uuid.UUID `json:"co_advisor_ids"`
	Business      Business    `json:"business"`
	OpenedOn      Date        `json:"opened_on"`
	ClosedOn      *Date       `json:"closed_on"`
	Version       int         `json:"version"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
}

// Advises reports whether user is the case's lead or a co-advisor ("own" scope).
func (c *Case) Advises(user uuid.UUID) bool {
	return c.LeadAdvisorID == user || slices.Contains(c.CoAdvisorIDs, user)
}

// CaseSummary is one row of a case list.
type CaseSummary struct {
	ID                 uuid.UUID `json:"id" db:"id"`
	CarrierID          uuid.UUID `json:"carrier_id" db:"carrier_id"`
	FounderName        string    `json:"founder_name" db:"founder_name"`
	Phase              string    `json:"phase" db:"phase"`
	Status             string    `json:"status" db:"status"`
	LeadAdvisorID      uuid.UUID `json:"lead_advisor_id" db:"lead_advisor_id"`
	OpenedOn           Date      `json:"opened_on" db:"opened_on"`
	LastConsultationOn *Date     `json:"last_consultation_on" db:"last_consultation_on"`
	NextFollowUpOn     *Date     `json:"next_follow_up_on" db:"next_follow_up_on"`
}

// Intake takes in a founder (new, or known by FounderID) with a new case.
type Intake struct {
	CarrierID     *uuid.UUID   `json:"carrier_id"`
	Founder       *FounderData `json:"founder"`
	FounderID     *uuid.UUID   `json:"founder_id"`
	Phase         string       `json:"phase" validate:"omitempty,in=phases"`
	LeadAdvisorID *uuid.UUID   `json:"lead_advisor_id"`
	Business      Business     `json:"business"`
	// CheckDuplicates asks store.CreateCase to refuse a new founder who looks like known
	// founders, with those founders (the intake page always asks until the person
	// confirms a different person; API clients ask when they can show the choice).
	CheckDuplicates bool `json:"check_duplicates"`
}

// Normalise tidies the founder and business of an intake.
func (in *Intake) Normalise() {
	if in.Founder != nil {
		in.Founder.Normalise()
	}
	in.Business.Normalise()
}

// Check: a new founder or a known one, never both; the founder's and the business's rules.
func (in *Intake) Check(p *Problems, today Date) {
	switch {
	case in.Founder != nil && in.FounderID != nil:
		p.Add("founder_id", "error.founder_or_founder_id")
	case in.Founder == nil && in.FounderID == nil:
		p.Add("founder", "error.required")
	case in.Founder != nil:
		in.Founder.Check(p, today)
	}
	in.Business.Check(p, today)
}

// CaseFilter narrows a case list; the caller's scope is applied on top. Query finds
// founders by name parts, city, e-mail, phone and postcode, tolerant of accents, umlaut
// spellings and transliteration (Fatima finds Fatma, Yusuf Jusuf, Muller Müller); each
// of its first four words must match (store.Cases).
type CaseFilter struct {
	Phase     string     `form:"phase" validate:"omitempty,in=phases"`
	Status    string     `form:"status" validate:"omitempty,in=statuses"`
	AdvisorID *uuid.UUID `form:"advisor_id"`
	Query     string     `form:"q" validate:"max=100"`
	Limit     int        `form:"limit" validate:"gte=0,lte=200"`
	Cursor    string     `form:"cursor" validate:"max=200"`
	// Stalled keeps active cases whose last contact lies more than StalledAfterDays days
	// back (see StalledBefore); Overdue keeps open cases with an open follow-up due
	// before Today.
	Stalled bool `form:"stalled"`
	Overdue bool `form:"overdue"`
	// Today and StalledAfterDays judge those two; the store sets them (its clock and
	// setting), never the client.
	Today            Date `form:"-"`
	StalledAfterDays int  `form:"-"`
}

// PhaseChange moves a case to another phase.
type PhaseChange struct {
	Phase  string `json:"phase" validate:"required,in=phases"`
	Reason string `json:"reason" validate:"max=2000"`
}

// Normalise trims the reason, so a reason of blanks is none.
func (pc *PhaseChange) Normalise() { pc.Reason = strings.TrimSpace(pc.Reason) }

// CheckFrom applies domain.md's rule to a case in phase from: going back needs a
// reason; staying is no change. ErrInvalid.
func (pc PhaseChange) CheckFrom(from string) error {
	switch {
	case pc.Phase == from:
		return Invalid("phase", "error.phase_unchanged")
	case PhaseRank(pc.Phase) < PhaseRank(from) && pc.Reason == "":
		return Invalid("reason", "error.reason_required_going_back")
	}
	return nil
}

// Closing closes a case.
type Closing struct {
	Reason string `json:"reason" validate:"required,in=closing_reasons"`
	Note   string `json:"note" validate:"max=2000"`
}

// Normalise trims the note.
func (cl *Closing) Normalise() { cl.Note = strings.TrimSpace(cl.Note) }

// CaseUpdate changes a case's business data or pauses/resumes it.
type CaseUpdate struct {
	Business *Business `json:"business"`
	Status   *string   `json:"status" validate:"omitempty,oneof=active paused"`
}

// Normalise tidies the business data.
func (u *CaseUpdate) Normalise() {
	if u.Business != nil {
		u.Business.Normalise()
	}
}

// Check applies the business's rules.
func (u *CaseUpdate) Check(p *Problems, today Date) {
	if u.Business != nil {
		u.Business.Check(p, today)
	}
}

// AdvisorAssignment sets a case's lead and co-advisors.
type AdvisorAssignment struct {
	LeadAdvisorID uuid.UUID   `json:"lead_advisor_id" validate:"required"`
	CoAdvisorIDs  []uuid.UUID `json:"co_advisor_ids" validate:"max=10"`
}

// PhaseTransition is one row of a case's phase history.
type PhaseTransition struct {
	From   *string    `json:"from" db:"from_phase"`
	To     string     `json:"to" db:"to_phase"`
	At     time.Time  `json:"at" db:"at"`
	By     *uuid.UUID `json:"by" db:"by_user"`
	Reason *string    `json:"reason" db:"reason"`
}

// AdvisorLoad is an advisor of a carrier with their languages and active caseload.
type AdvisorLoad struct {
	ID          uuid.UUID `json:"id" db:"id"`
	Name        string    `json:"name" db:"name"`
	Languages   []string  `json:"languages" db:"languages"`
	ActiveCases int       `json:"active_cases" db:"active_cases"`
}

// Token is a personal API token; Token (the secret) is set only when it is created.
type Token struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Token     string    `json:"token,omitempty"`
	ExpiresOn *Date     `json:"expires_on"`
	CreatedAt time.Time `json:"created_at"`
}

// TokenInput creates a personal API token. Password is the creator's current password:
// a token acts with every right of its owner, so a session alone (perhaps left open) does
// not suffice to make one.
type TokenInput struct {
	Name      string `json:"name" validate:"required,max=100"`
	ExpiresOn *Date  `json:"expires_on"`
	Password  string `json:"password" validate:"required,max=1024"`
}

// Normalise trims the name.
func (in *TokenInput) Normalise() { in.Name = strings.TrimSpace(in.Name) }

// Check: a token that expires must expire after today.
func (in *TokenInput) Check(p *Problems, today Date) {
	if in.ExpiresOn != nil && !in.ExpiresOn.After(today) {
		p.Add("expires_on", "error.date_not_in_future")
	}
}
