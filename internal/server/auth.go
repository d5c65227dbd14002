package server

import (
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/pages"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// ctxGate holds the signed-in user's domain.Gate, decided by authenticate.
const ctxGate = "lotse.gate"

// authenticate finds the user of the request, from the session cookie or a bearer token.
// A session of a deactivated user, one from before a password change, and one ended
// from the list of sessions is destroyed.
func (s *Server) authenticate(c *gin.Context) {
	if opsPaths[c.Request.URL.Path] {
		return
	}
	ctx := c.Request.Context()
	if h := c.GetHeader("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			s.fail(c, domain.Errorf(domain.ErrUnauthorized, "error.unauthorized"))
			return
		}
		id, err := s.env.Store.TokenUser(ctx, strings.TrimSpace(secret))
		if err != nil {
			if domain.ErrorCode(err) == domain.ErrNotFound {
				err = domain.Errorf(domain.ErrUnauthorized, "error.unauthorized")
			}
			s.fail(c, err)
			return
		}
		gate, err := s.env.Store.AccessGate(ctx, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		httpx.SetUser(c, id)
		c.Set(ctxGate, gate)
		c.Next()
		return
	}
	idStr := s.env.Sessions.GetString(ctx, httpx.SessUser)
	if idStr == "" {
		c.Next()
		return
	}
	id, err := uuid.Parse(idStr)
	if err != nil {
		_ = s.env.Sessions.Destroy(ctx)
		c.Next()
		return
	}
	cred, err := s.env.Store.CredentialsByID(ctx, id)
	var live bool
	if err == nil && cred.Active && cred.SessionEpoch == s.env.Sessions.GetInt(ctx, httpx.SessEpoch) {
		// Ended from another browser? Then its row is gone (see store.TouchSession).
		live, err = s.env.Store.TouchSession(ctx, id, s.env.Sessions.Token(ctx))
	}
	switch {
	case err != nil && domain.ErrorCode(err) != domain.ErrNotFound:
		s.fail(c, err)
		return
	case !live:
		_ = s.env.Store.ForgetSession(ctx, s.env.Sessions.Token(ctx))
		_ = s.env.Sessions.Destroy(ctx)
	default:
		httpx.SetUser(c, id)
		c.Set(ctxGate, s.env.Store.Gate(cred)) // from the row just read, not a second read
	}
	c.Next()
}

// gates are what a signed-in person must do before anything else is reachable
// (store.Gate: change a one-time password an administrator set; set up the
// second factor their roles need): the routes that do it and signing out, the page
// every other page sends them to, and the error every other API route answers (403),
// with a session as with an API token.
var gates = map[domain.Gate]struct {
	routes map[string]bool
	page   string
	err    string
}{
	domain.GateSecondFactor: {map[string]bool{
		"GET /account/second-factor":              true,
		"POST /account/second-factor/enrolment":   true,
		"POST /account/second-factor":             true,
		"POST /logout":                            true,
		"GET /api/v1/me/second-factor":            true,
		"POST /api/v1/me/second-factor/enrolment": true,
		"POST /api/v1/me/second-factor":           true,
		"DELETE /api/v1/session":                  true,
	}, pages.SecondFactorPath, "error.second_factor_required"},
	domain.GatePasswordChange: {map[string]bool{
		"GET /account/password":    true,
		"POST /account/password":   true,
		"POST /logout":             true,
		"POST /api/v1/me/password": true,
		"DELETE /api/v1/session":   true,
	}, pages.PasswordChangePath, "error.password_change_required"},
}

// guard enforces a route's permission: 401 without a user, 403 when no role of the user
// may ever do the action; otherwise the action's scope is put in the context.
func (s *Server) guard(r route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if r.perm == permPublic {
			return
		}
		user, ok := httpx.CurrentUser(c)
		if !ok {
			if !strings.HasPrefix(c.Request.URL.Path, "/api/") {
				// to the sign-in; a form sent after the session ended keeps its input
				s.pages.SessionEnded(c)
				return
			}
			s.fail(c, domain.Errorf(domain.ErrUnauthorized, "error.unauthorized"))
			return
		}
		if g, ok := gates[c.MustGet(ctxGate).(domain.Gate)]; ok && !g.routes[r.method+" "+r.path] {
			if !strings.HasPrefix(c.Request.URL.Path, "/api/") {
				c.Redirect(303, g.page)
				c.Abort()
				return
			}
			s.fail(c, domain.Errorf(domain.ErrForbidden, g.err))
			return
		}
		if r.perm == permSignedIn {
			return
		}
		scope := s.env.Authz.Scope(user, r.perm)
		if scope.Empty() {
			ev := store.Event{Action: "authz.denied", Outcome: "denied:" + string(r.perm)}
			if err := s.env.Store.Audit(c.Request.Context(), httpx.Actor(c), ev); err != nil {
				httpx.LogError(c, err)
			}
			s.fail(c, domain.Errorf(domain.ErrForbidden, "error.forbidden"))
			return
		}
		httpx.SetScope(c, scope)
	}
}
