package server

import (
	"net/http"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/api"
	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/pages"
)

// route is one entry of the route table: the permission stands next to the path, and
// the route's limits beside it. perm is a Casbin action of policies/policy.csv, or
// permPublic / permSignedIn.
type route struct {
	method string
	path   string
	perm   domain.Action
	handle httpx.Handler
	limits limits
}

// limits bound one request: how long it may take (its queries are cancelled then) and
// how large its body may be. The zero value is the default for ordinary requests.
type limits struct {
	deadline time.Duration
	body     int64
	// perUser, when set, is how many of these requests one user may run at once (on
	// this instance); more are refused with 429: exports are heavy.
	perUser int
}

// Permissions of routes that Casbin does not decide.
const (
	permPublic   domain.Action = "public"    // anyone, signed in or not
	permSignedIn domain.Action = "signed_in" // any signed-in user: own account, catalogue, carrier list
)

// Default limits; routes that need more say so in the table.
const (
	defaultDeadline = 30 * time.Second
	defaultBody     = 1 << 20
)

// Route describes a route for tests and documentation.
type Route struct {
	Method, Path string
	Perm         domain.Action
}

// Routes lists every route with its permission.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.routes))
	for i, r := range s.routes {
		out[i] = Route{r.method, r.path, r.perm}
	}
	return out
}

// routeTable is the one place where paths, permissions, limits and handlers meet.
func (s *Server) routeTable(a *api.API, p *pages.Pages) []route {
	const get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	const (
		caseCreate       = domain.ActCaseCreate
		caseRead         = domain.ActCaseRead
		caseUpdate       = domain.ActCaseUpdate
		caseAssign       = domain.ActCaseAssign
		caseworkWrite    = domain.ActCaseworkWrite
		consultationEdit = domain.ActConsultationEdit
		noteWrite        = domain.ActNoteWrite
		noteRead         = domain.ActNoteRead
		noteEdit         = domain.ActNoteEdit
		carrierManage    = domain.ActCarrierManage
		carrierAdvisors  = domain.ActCarrierAdvisors
		userManage       = domain.ActUserManage
		statsRead        = domain.ActStatsRead
	)
	small := limits{body: 64 << 10} // sign-in, tokens: no reason for more
	// A million-row export takes tens of seconds; two at a time per user at most.
	download := limits{deadline: 15 * time.Minute, body: 1 << 10, perUser: 2}
	return []route{
		// operations
		{get, "/healthz", permPublic, s.healthz, limits{deadline: 2 * time.Second}},
		{get, "/readyz", permPublic, s.readyz, limits{deadline: 3 * time.Second}},
		{get, "/metrics", permPublic, s.metricsHandler, limits{}},
		{get, "/api/v1/openapi.yaml", permPublic, s.openAPI, limits{}},

		// account
		{post, "/api/v1/session", permPublic, a.SignIn, small},
		{del, "/api/v1/session", permSignedIn, a.SignOut, limits{}},
		{get, "/api/v1/me", permSignedIn, a.Me, limits{}},
		{get, "/api/v1/me/tokens", permSignedIn, a.Tokens, limits{}},
		{post, "/api/v1/me/tokens", permSignedIn, a.CreateToken, small},
		{del, "/api/v1/me/tokens/:id", permSignedIn, a.RevokeToken, limits{}},
		// second factor (reachable without one: see gates in auth.go)
		{get, "/api/v1/me/second-factor", permSignedIn, a.SecondFactor, limits{}},
		{post, "/api/v1/me/second-factor/enrolment", permSignedIn, a.BeginSecondFactor, small},
		{post, "/api/v1/me/second-factor", permSignedIn, a.EnableSecondFactor, small},
		{post, "/api/v1/me/second-factor/disable", permSignedIn, a.DisableSecondFactor, small},
		{post, "/api/v1/me/second-factor/recovery-codes", permSignedIn, a.RenewRecoveryCodes, small},
		// (end of second factor)
		{get, "/api/v1/me/sessions", permSignedIn, a.ListSessions, limits{}},
		{del, "/api/v1/me/sessions/:id", permSignedIn, a.EndSession, limits{}},
		{post, "/api/v1/me/sessions/sign-out-others", permSignedIn, a.EndOtherSessions, limits{}},

		// administration
		{post, "/api/v1/carriers", carrierManage, a.CreateCarrier, limits{}},
		{get, "/api/v1/carriers", permSignedIn, a.Carriers, limits{}},
		{get, "/api/v1/users", userManage, a.Users, limits{}},
		{post, "/api/v1/users", userManage, a.CreateUser, limits{}},
		{put, "/api/v1/users/:id/roles", userManage, a.SetRoles, limits{}},
		{post, "/api/v1/users/:id/deactivate", userManage, a.Deactivate, limits{}},
		{post, "/api/v1/users/:id/reactivate", userManage, a.Reactivate, limits{}},
		{get, "/api/v1/carriers/:id/advisors", carrierAdvisors, a.Advisors, limits{}},
		// administration: edit accounts, one-time passwords
		{get, "/api/v1/users/:id", userManage, a.User, limits{}},
		{patch, "/api/v1/users/:id", userManage, a.UpdateUser, limits{}},
		{post, "/api/v1/users/:id/password", userManage, a.ResetPassword, small},
		{post, "/api/v1/me/password", permSignedIn, a.ChangePassword, small},
		// (end of account edits)

		// cases and founders
		{post, "/api/v1/cases", caseCreate, a.CreateCase, limits{}},
		{get, "/api/v1/cases", caseRead, a.Cases, limits{}},
		{get, "/api/v1/cases/:id", caseRead, a.Case, limits{}},
		{patch, "/api/v1/cases/:id", caseUpdate, a.UpdateCase, limits{}},
		{post, "/api/v1/cases/:id/phase", caseUpdate, a.ChangePhase, limits{}},
		{post, "/api/v1/cases/:id/close", caseUpdate, a.CloseCase, limits{}},
		{post, "/api/v1/cases/:id/reopen", caseUpdate, a.ReopenCase, limits{}},
		{put, "/api/v1/cases/:id/advisors", caseAssign, a.AssignAdvisors, limits{}},
		{get, "/api/v1/cases/:id/phases", caseRead, a.Phases, limits{}},
		{get, "/api/v1/founders/:id", caseRead, a.Founder, limits{}},
		{patch, "/api/v1/founders/:id", caseUpdate, a.UpdateFounder, limits{}},

		// casework
		{get, "/api/v1/catalog", permSignedIn, a.Catalog, limits{}},
		{post, "/api/v1/cases/:id/consultations", caseworkWrite, a.CreateConsultation, limits{}},
		{get, "/api/v1/cases/:id/consultations", caseRead, a.Consultations, limits{}},
		{patch, "/api/v1/consultations/:id", consultationEdit, a.UpdateConsultation, limits{}},
		{post, "/api/v1/cases/:id/notes", noteWrite, a.CreateNote, limits{}},
		{get, "/api/v1/cases/:id/notes", noteRead, a.Notes, limits{}},
		{patch, "/api/v1/notes/:id", noteEdit, a.UpdateNote, limits{}},
		{post, "/api/v1/cases/:id/milestones", caseworkWrite, a.CreateMilestone, limits{}},
		{get, "/api/v1/cases/:id/milestones", caseRead, a.Milestones, limits{}},
		{patch, "/api/v1/milestones/:id", caseworkWrite, a.UpdateMilestone, limits{}},
		{post, "/api/v1/cases/:id/follow-ups", caseworkWrite, a.CreateFollowUp, limits{}},
		{get, "/api/v1/cases/:id/follow-ups", caseRead, a.FollowUps, limits{}},
		{patch, "/api/v1/follow-ups/:id", caseworkWrite, a.UpdateFollowUp, limits{}},
		{get, "/api/v1/cases/:id/timeline", caseRead, a.Timeline, limits{}},
		{get, "/api/v1/agenda", caseRead, a.Agenda, limits{}},
		// (end of casework)

		// oversight: caseload review and team agenda
		{get, "/api/v1/caseload", domain.ActCaseloadRead, a.Caseload, limits{}},
		{get, "/api/v1/agenda/team", domain.ActAgendaTeam, a.TeamAgenda, limits{}},
		// (end of oversight)

		// statistics and exports
		{get, "/api/v1/stats/phases", statsRead, a.PhaseStats, download},
		{get, "/api/v1/stats/esf", statsRead, a.ESFStats, download},
		{get, "/api/v1/exports/consultations", statsRead, a.ActivityExport, download},
		// (end of statistics)

		// data protection: consents
		{get, "/api/v1/founders/:id/consents", domain.ActFounderConsent, a.Consents, limits{}},
		{post, "/api/v1/founders/:id/consents", domain.ActFounderConsent, a.RecordConsent, limits{}},
		// (end of consents)
		// data protection: audit trail
		{get, "/api/v1/audit", domain.ActAuditList, a.Audit, limits{}},
		// (end of audit trail)
		// data protection: Art. 15 export, Art. 17 erasure
		{get, "/api/v1/founders/:id/export", domain.ActFounderPrivacy, a.FounderExport, limits{deadline: time.Minute}},
		{post, "/api/v1/founders/:id/erase", domain.ActFounderPrivacy, a.EraseFounder, limits{deadline: time.Minute}},
		// (end of export and erasure)

		// pages
		{get, "/", permPublic, p.Home, limits{}},
		{get, "/static/*file", permPublic, p.Static, limits{}},
		{get, "/login", permPublic, p.Login, limits{}},
		{post, "/login", permPublic, p.LoginSubmit, small},
		{get, "/login/second-factor", permPublic, p.LoginSecondFactor, limits{}},
		{post, "/login/second-factor", permPublic, p.LoginSecondFactorSubmit, small},
		{post, "/logout", permSignedIn, p.Logout, limits{}},
		{get, "/cases", caseRead, p.Cases, limits{}},
		{get, "/cases/new", caseCreate, p.Intake, limits{}},
		{post, "/cases/new", caseCreate, p.IntakeSubmit, limits{}},
		{get, "/cases/:id", caseRead, p.Case, limits{}},
		{get, "/cases/:id/summary", caseRead, p.CaseSummary, limits{}},
		{post, "/cases/:id/phase", caseUpdate, p.ChangePhase, limits{}},
		{post, "/cases/:id/close", caseUpdate, p.CloseCase, limits{}},
		{post, "/cases/:id/reopen", caseUpdate, p.ReopenCase, limits{}},
		{post, "/cases/:id/business", caseUpdate, p.UpdateCase, limits{}},
		{post, "/cases/:id/advisors", caseAssign, p.AssignAdvisors, limits{}},
		{post, "/cases/:id/consultations", caseworkWrite, p.CreateConsultation, limits{}},
		{post, "/cases/:id/notes", noteWrite, p.CreateNote, limits{}},
		{post, "/cases/:id/milestones", caseworkWrite, p.CreateMilestone, limits{}},
		{post, "/cases/:id/consultations/:cid", consultationEdit, p.EditConsultation, limits{}},
		{post, "/cases/:id/notes/:nid", noteEdit, p.EditNote, limits{}},
		{post, "/cases/:id/milestones/:mid", caseworkWrite, p.EditMilestone, limits{}},
		{post, "/cases/:id/follow-ups", caseworkWrite, p.CreateFollowUp, limits{}},
		{post, "/follow-ups/:id/done", caseworkWrite, p.FollowUpDone, limits{}},
		{post, "/follow-ups/:id/open", caseworkWrite, p.FollowUpOpen, limits{}},
		{get, "/agenda", caseRead, p.Agenda, limits{}},
		{get, "/account", permSignedIn, p.Account, limits{}},
		{post, "/account/password", permSignedIn, p.ChangePassword, small},
		{post, "/account/tokens", permSignedIn, p.CreateToken, small},
		{post, "/account/tokens/:id/revoke", permSignedIn, p.RevokeToken, limits{}},
		{get, "/account/second-factor", permSignedIn, p.SecondFactor, limits{}},
		{post, "/account/second-factor/enrolment", permSignedIn, p.BeginSecondFactor, small},
		{post, "/account/second-factor", permSignedIn, p.EnableSecondFactor, small},
		{post, "/account/second-factor/disable", permSignedIn, p.DisableSecondFactor, small},
		{post, "/account/second-factor/recovery-codes", permSignedIn, p.RenewRecoveryCodes, small},
		{post, "/account/sessions/:id/end", permSignedIn, p.EndSession, limits{}},
		{post, "/account/sessions/end-others", permSignedIn, p.EndOtherSessions, limits{}},
		{get, "/admin/carriers", carrierManage, p.Carriers, limits{}},
		{post, "/admin/carriers", carrierManage, p.CreateCarrier, limits{}},
		{get, "/admin/users", userManage, p.Users, limits{}},
		{post, "/admin/users", userManage, p.CreateUser, limits{}},
		{get, "/admin/users/:id", userManage, p.User, limits{}},
		{post, "/admin/users/:id/roles", userManage, p.SetRoles, limits{}},
		{post, "/admin/users/:id/deactivate", userManage, p.Deactivate, limits{}},
		{post, "/admin/users/:id/reactivate", userManage, p.Reactivate, limits{}},
		// account edit pages, one-time passwords
		{post, "/admin/users/:id", userManage, p.UpdateUser, limits{}},
		{post, "/admin/users/:id/password", userManage, p.ResetPassword, small},
		{get, "/account/password", permSignedIn, p.PasswordChange, limits{}},
		// (end of account edit pages)
		// oversight pages
		{get, "/caseload", domain.ActCaseloadRead, p.Caseload, limits{}},
		{get, "/agenda/team", domain.ActAgendaTeam, p.TeamAgenda, limits{}},
		// (end of oversight pages)
		// statistics pages
		{get, "/stats", statsRead, p.Stats, limits{}},
		// (end of statistics pages)
		// data protection pages: consents
		{post, "/cases/:id/consents", domain.ActFounderConsent, p.RecordConsent, limits{}},
		// (end of consent pages)
		// data protection pages: audit trail
		{get, "/audit", domain.ActAuditList, p.Audit, limits{}},
		// (end of audit pages)
		// data protection pages: export, erasure
		{get, "/founders/:id/export", domain.ActFounderPrivacy, p.FounderExport, limits{deadline: time.Minute}},
		{post, "/cases/:id/erase", domain.ActFounderPrivacy, p.EraseFounder, limits{deadline: time.Minute}},
		// (end of export and erasure pages)
		// founder page: data, cases, a new case
		{get, "/founders/:id", caseRead, p.Founder, limits{}},
		{post, "/founders/:id", caseUpdate, p.UpdateFounder, limits{}},
		{post, "/founders/:id/cases", caseCreate, p.OpenFounderCase, limits{}},
		// (end of founder page)
		// (end of pages)
	}
}
