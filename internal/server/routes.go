package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// route is one entry of the route table: the permission stands next to the path.
// perm is a Casbin action of policies/policy.csv, or permPublic / permSignedIn.
type route struct {
	method string
	path   string
	perm   string
	handle gin.HandlerFunc
}

// Route describes a route for tests and documentation.
type Route struct{ Method, Path, Perm string }

// Routes lists every route with its permission.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.routes))
	for i, r := range s.routes {
		out[i] = Route{r.method, r.path, r.perm}
	}
	return out
}

// routeTable is the one place where paths, permissions and handlers meet.
func (s *Server) routeTable() []route {
	const get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	return []route{
		// operations
		{get, "/healthz", permPublic, s.healthz},
		{get, "/readyz", permPublic, s.readyz},
		{get, "/metrics", permPublic, s.metricsHandler},
		{get, "/api/v1/openapi.yaml", permPublic, s.openAPI},

		// account
		{post, "/api/v1/session", permPublic, s.apiSignIn},
		{del, "/api/v1/session", permSignedIn, s.apiSignOut},
		{get, "/api/v1/me", permSignedIn, s.apiMe},
		{get, "/api/v1/me/tokens", permSignedIn, s.apiTokens},
		{post, "/api/v1/me/tokens", permSignedIn, s.apiCreateToken},
		{del, "/api/v1/me/tokens/:id", permSignedIn, s.apiRevokeToken},

		// administration
		{post, "/api/v1/carriers", "carrier:manage", s.apiCreateCarrier},
		{get, "/api/v1/carriers", permSignedIn, s.apiCarriers},
		{get, "/api/v1/users", "user:manage", s.apiUsers},
		{post, "/api/v1/users", "user:manage", s.apiCreateUser},
		{put, "/api/v1/users/:id/roles", "user:manage", s.apiSetRoles},
		{post, "/api/v1/users/:id/deactivate", "user:manage", s.apiDeactivate},
		{get, "/api/v1/carriers/:id/advisors", "carrier:advisors", s.apiAdvisors},

		// cases and founders
		{post, "/api/v1/cases", "case:create", s.apiCreateCase},
		{get, "/api/v1/cases", "case:read", s.apiCases},
		{get, "/api/v1/cases/:id", "case:read", s.apiCase},
		{patch, "/api/v1/cases/:id", "case:update", s.apiUpdateCase},
		{post, "/api/v1/cases/:id/phase", "case:update", s.apiChangePhase},
		{post, "/api/v1/cases/:id/close", "case:update", s.apiCloseCase},
		{post, "/api/v1/cases/:id/reopen", "case:update", s.apiReopenCase},
		{put, "/api/v1/cases/:id/advisors", "case:assign", s.apiAssignAdvisors},
		{get, "/api/v1/cases/:id/phases", "case:read", s.apiPhases},
		{get, "/api/v1/founders/:id", "case:read", s.apiFounder},
		{patch, "/api/v1/founders/:id", "case:update", s.apiUpdateFounder},

		// casework
		{get, "/api/v1/catalog", permSignedIn, s.apiCatalog},
		{post, "/api/v1/cases/:id/consultations", "casework:write", s.apiCreateConsultation},
		{get, "/api/v1/cases/:id/consultations", "case:read", s.apiConsultations},
		{patch, "/api/v1/consultations/:id", "consultation:edit", s.apiUpdateConsultation},
		{post, "/api/v1/cases/:id/notes", "note:write", s.apiCreateNote},
		{get, "/api/v1/cases/:id/notes", "note:read", s.apiNotes},
		{patch, "/api/v1/notes/:id", "note:edit", s.apiUpdateNote},
		{post, "/api/v1/cases/:id/milestones", "casework:write", s.apiCreateMilestone},
		{get, "/api/v1/cases/:id/milestones", "case:read", s.apiMilestones},
		{patch, "/api/v1/milestones/:id", "casework:write", s.apiUpdateMilestone},
		{post, "/api/v1/cases/:id/follow-ups", "casework:write", s.apiCreateFollowUp},
		{get, "/api/v1/cases/:id/follow-ups", "case:read", s.apiFollowUps},
		{patch, "/api/v1/follow-ups/:id", "casework:write", s.apiUpdateFollowUp},
		{get, "/api/v1/cases/:id/timeline", "case:read", s.apiTimeline},
		{get, "/api/v1/agenda", "case:read", s.apiAgenda},
		// (end of casework)

		// pages
		{get, "/", permPublic, s.pageHome},
		{get, "/static/*file", permPublic, s.static},
		{get, "/login", permPublic, s.pageLogin},
		{post, "/login", permPublic, s.pageLoginSubmit},
		{post, "/logout", permSignedIn, s.pageLogout},
		{get, "/cases", "case:read", s.pageCases},
		{get, "/cases/new", "case:create", s.pageIntake},
		{post, "/cases/new", "case:create", s.pageIntakeSubmit},
		{get, "/cases/:id", "case:read", s.pageCase},
		{post, "/cases/:id/phase", "case:update", s.pageChangePhase},
		{post, "/cases/:id/close", "case:update", s.pageCloseCase},
		{post, "/cases/:id/reopen", "case:update", s.pageReopenCase},
		{post, "/cases/:id/business", "case:update", s.pageUpdateCase},
		{post, "/cases/:id/advisors", "case:assign", s.pageAssignAdvisors},
		{post, "/cases/:id/consultations", "casework:write", s.pageCreateConsultation},
		{post, "/cases/:id/notes", "note:write", s.pageCreateNote},
		{post, "/cases/:id/milestones", "casework:write", s.pageCreateMilestone},
		{post, "/cases/:id/consultations/:cid", "consultation:edit", s.pageEditConsultation},
		{post, "/cases/:id/notes/:nid", "note:edit", s.pageEditNote},
		{post, "/cases/:id/milestones/:mid", "casework:write", s.pageEditMilestone},
		{post, "/cases/:id/follow-ups", "casework:write", s.pageCreateFollowUp},
		{post, "/follow-ups/:id/done", "casework:write", s.pageFollowUpDone},
		{get, "/agenda", "case:read", s.pageAgenda},
		{get, "/account", permSignedIn, s.pageAccount},
		{post, "/account/password", permSignedIn, s.pageChangePassword},
		{post, "/account/tokens", permSignedIn, s.pageCreateToken},
		{post, "/account/tokens/:id/revoke", permSignedIn, s.pageRevokeToken},
		{get, "/admin/carriers", "carrier:manage", s.pageCarriers},
		{post, "/admin/carriers", "carrier:manage", s.pageCreateCarrier},
		{get, "/admin/users", "user:manage", s.pageUsers},
		{post, "/admin/users", "user:manage", s.pageCreateUser},
		{get, "/admin/users/:id", "user:manage", s.pageUser},
		{post, "/admin/users/:id/roles", "user:manage", s.pageSetRoles},
		{post, "/admin/users/:id/deactivate", "user:manage", s.pageDeactivate},
		// (end of pages)
	}
}
