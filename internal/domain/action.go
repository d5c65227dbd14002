package domain

// Action is a Casbin action of policies/policy.csv: what a route, a page or a use case
// asks permission for. policies_test.go fails when one is missing from policy.csv.
type Action string

// The actions of policy.csv.
const (
	ActCaseCreate       Action = "case:create"
	ActCaseRead         Action = "case:read"
	ActCaseUpdate       Action = "case:update"
	ActCaseAssign       Action = "case:assign"
	ActCaseworkWrite    Action = "casework:write"
	ActConsultationEdit Action = "consultation:edit"
	ActNoteWrite        Action = "note:write"
	ActNoteRead         Action = "note:read"
	ActNoteEdit         Action = "note:edit"
	ActCaseloadRead     Action = "caseload:read"
	ActCarrierAdvisors  Action = "carrier:advisors"
	ActStatsRead        Action = "stats:read"
	ActFounderConsent   Action = "founder:consent"
	ActFounderPrivacy   Action = "founder:privacy"
	ActAuditRead        Action = "audit:read"
	ActAuditSecurity    Action = "audit:security"
	// ActAuditList opens the audit trail at all (route and navigation); which events it
	// shows is decided by ActAuditRead (a carrier's counselling objects) and
	// ActAuditSecurity (sign-ins, accounts, roles, refusals).
	ActAuditList     Action = "audit:list"
	ActCarrierManage Action = "carrier:manage"
	ActUserManage    Action = "user:manage"
	ActAgendaTeam    Action = "agenda:team"
)

// Actions lists every action, for the test that compares them with policy.csv.
var Actions = []Action{ActCaseCreate, ActCaseRead, ActCaseUpdate, ActCaseAssign, ActCaseworkWrite,
	ActConsultationEdit, ActNoteWrite, ActNoteRead, ActNoteEdit, ActCaseloadRead, ActCarrierAdvisors,
	ActStatsRead, ActFounderConsent, ActFounderPrivacy, ActAuditRead, ActAuditSecurity, ActAuditList,
	ActCarrierManage, ActUserManage, ActAgendaTeam}
