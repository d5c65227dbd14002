package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The audit trail people can read: coordinators read the events on their carriers'
// objects ("who opened or changed this case?"), administrators the security events.

// SecurityActionPrefixes mark the security events: sign-ins and their failures,
// accounts, roles, tokens, refused accesses, carriers, and who read the audit trail and
// when the retention job ran (they name no carrier). Administrators read them
// (audit:security); they never count as a carrier's events, even when they name a
// carrier (carrier.create), so the two readings stay apart.
var SecurityActionPrefixes = []string{"auth.", "user.", "token.", "authz.", "carrier.", "audit.", "retention."}

// IsSecurityAction reports whether action is a security event.
func IsSecurityAction(action string) bool {
	return slices.ContainsFunc(SecurityActionPrefixes, func(p string) bool { return strings.HasPrefix(action, p) })
}

// AuditActions are the actions Lotse records, in the order the audit page offers them
// (each has the label audit_action.<action> in every language; an action missing here
// shows as its code). The security events among them are searched one action at a
// time in the index on (action, id), so a security action missing here would never be
// shown: a test compares the list with the code.
var AuditActions = []string{
	"case.read", "case.timeline", "case.create", "case.update", "case.phase_change", "case.close",
	"case.reopen", "case.assign",
	"founder.read", "founder.create", "founder.update", "founder.export", "founder.pseudonymise",
	"founder.erase", "consent.read", "consent.record",
	"consultation.list", "consultation.create", "consultation.update",
	"note.list", "note.create", "note.update",
	"milestone.list", "milestone.create", "milestone.update",
	"follow_up.list", "follow_up.create", "follow_up.update",
	"caseload.read", "agenda.team_read", "export.activity", "audit.read", "retention.run",
	"auth.login", "auth.login_failed", "auth.login_throttled", "auth.logout", "auth.password_change",
	"auth.second_factor_enabled", "auth.second_factor_disabled", "auth.recovery_code_used",
	"auth.recovery_codes_renewed",
	"auth.reauth_failed", "auth.session_end", "auth.sessions_end_others",
	"authz.denied", "authz.not_found",
	"user.create", "user.roles_change", "user.deactivate", "user.reactivate",
	"user.update", "user.password_reset",
	"token.create", "token.revoke",
	"carrier.create",
}

// SecurityActions are the security events among AuditActions.
func SecurityActions() []string {
	var out []string
	for _, a := range AuditActions {
		if IsSecurityAction(a) {
			out = append(out, a)
		}
	}
	return out
}

// AuditEvent is one event of the audit trail as it is read back: who (ActorID, null for
// the installation itself and for requests without sign-in; ActorName their current
// name), when, what, on which object, in which case and carrier, and the outcome
// ("success", or "denied…"). Never personal data of founders.
type AuditEvent struct {
	ID         int64      `json:"id" db:"id"`
	At         time.Time  `json:"at" db:"at"`
	ActorID    *uuid.UUID `json:"actor_id" db:"actor_id"`
	ActorName  *string    `json:"actor_name" db:"actor_name"`
	Action     string     `json:"action" db:"action"`
	ObjectType *string    `json:"object_type" db:"object_type"`
	ObjectID   *uuid.UUID `json:"object_id" db:"object_id"`
	CaseID     *uuid.UUID `json:"case_id" db:"case_id"`
	CarrierID  *uuid.UUID `json:"carrier_id" db:"carrier_id"`
	RequestID  *string    `json:"request_id" db:"request_id"`
	Outcome    string     `json:"outcome" db:"outcome"`
}

// Denied reports whether the event records a refusal.
func (e AuditEvent) Denied() bool { return strings.HasPrefix(e.Outcome, "denied") }

// AuditFilter narrows the audit trail; the reader's scope is applied on top. ObjectID
// matches the object and, for a case, the events on its parts (consultations, notes,
// milestones, follow-ups). From and To are Berlin calendar days, both included. Limit
// is 1–200 (50 when 0); Cursor is "" or the next cursor of the page before.
type AuditFilter struct {
	ObjectID *uuid.UUID `form:"object_id"`
	ActorID  *uuid.UUID `form:"actor_id"`
	Action   string     `form:"action" validate:"max=100"`
	From     *Date      `form:"from"`
	To       *Date      `form:"to"`
	Limit    int        `form:"limit" validate:"gte=0,lte=200"`
	Cursor   string     `form:"cursor" validate:"max=200"`
}

// AuditPage is the default number of events per page.
const AuditPage = 50

// Normalise trims the action, so blanks are no filter.
func (f *AuditFilter) Normalise() { f.Action = strings.TrimSpace(f.Action) }

// Check: the period must not end before it starts.
func (f *AuditFilter) Check(p *Problems, _ Date) {
	if f.From != nil && f.To != nil && f.From.After(*f.To) {
		p.Add("to", "error.from_after_to")
	}
}

// Since is the first instant of the period (midnight in Berlin on From), nil without From.
func (f AuditFilter) Since() *time.Time {
	if f.From == nil {
		return nil
	}
	t := berlinMidnight(*f.From)
	return &t
}

// Until is the first instant after the period (midnight in Berlin after To), nil
// without To.
func (f AuditFilter) Until() *time.Time {
	if f.To == nil {
		return nil
	}
	t := berlinMidnight(f.To.AddDays(1))
	return &t
}

func berlinMidnight(d Date) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Berlin)
}

// AuditActor is a person the audit trail can be filtered by; Active is false for a
// deactivated account.
type AuditActor struct {
	ID     uuid.UUID `json:"id" db:"id"`
	Name   string    `json:"name" db:"name"`
	Active bool      `json:"active" db:"active"`
}
