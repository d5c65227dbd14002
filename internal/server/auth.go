package server

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Permissions of routes that Casbin does not decide.
const (
	permPublic   = "public"    // anyone, signed in or not
	permSignedIn = "signed_in" // any signed-in user: own account, catalogue, carrier list
)

const (
	ctxUser  = "lotse.user"
	ctxScope = "lotse.scope"
)

// Session keys.
const (
	sessUser  = "user_id"
	sessEpoch = "epoch"
)

// authenticate finds the user of the request, from the session cookie or a bearer token.
// A session of a deactivated user, or one from before a password change, is destroyed.
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
		id, err := s.store.TokenUser(ctx, strings.TrimSpace(secret))
		if err != nil {
			if domain.ErrorCode(err) == domain.ErrNotFound {
				err = domain.Errorf(domain.ErrUnauthorized, "error.unauthorized")
			}
			s.fail(c, err)
			return
		}
		c.Set(ctxUser, id)
		c.Next()
		return
	}
	idStr := s.sessions.GetString(ctx, sessUser)
	if idStr == "" {
		c.Next()
		return
	}
	id, err := uuid.Parse(idStr)
	if err != nil {
		_ = s.sessions.Destroy(ctx)
		c.Next()
		return
	}
	cred, err := s.store.CredentialsByID(ctx, id)
	switch {
	case err != nil && domain.ErrorCode(err) != domain.ErrNotFound:
		s.fail(c, err)
		return
	case err != nil || !cred.Active || cred.SessionEpoch != s.sessions.GetInt(ctx, sessEpoch):
		_ = s.sessions.Destroy(ctx)
	default:
		c.Set(ctxUser, id)
	}
	c.Next()
}

// guard enforces a route's permission: 401 without a user, 403 when no role of the user
// may ever do the action; otherwise the action's scope is put in the context.
func (s *Server) guard(r route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if r.perm == permPublic {
			return
		}
		user, ok := currentUser(c)
		if !ok {
			if !isAPI(c) {
				c.Redirect(303, "/login?next="+urlQueryEscape(c.Request.URL.RequestURI()))
				c.Abort()
				return
			}
			s.fail(c, domain.Errorf(domain.ErrUnauthorized, "error.unauthorized"))
			return
		}
		if r.perm == permSignedIn {
			return
		}
		scope := s.authz.Scope(user, r.perm)
		if scope.Empty() {
			s.auditDenied(c, r.perm, nil, nil)
			s.fail(c, domain.Errorf(domain.ErrForbidden, "error.forbidden"))
			return
		}
		c.Set(ctxScope, scope)
	}
}

func currentUser(c *gin.Context) (uuid.UUID, bool) {
	v, ok := c.Get(ctxUser)
	if !ok {
		return uuid.Nil, false
	}
	return v.(uuid.UUID), true
}

// scopeOf is the scope the guard computed for the route's action.
func scopeOf(c *gin.Context) domain.Scope {
	v, _ := c.Get(ctxScope)
	s, _ := v.(domain.Scope)
	return s
}

// actor is who acts in this request, for the audit trail.
func actor(c *gin.Context) domain.Actor {
	u, _ := currentUser(c)
	return domain.Actor{UserID: u, RequestID: requestID(c), Address: c.ClientIP()}
}

// auditDenied records a refused access; the object id, if any, is never personal data.
func (s *Server) auditDenied(c *gin.Context, action string, objectType *string, objectID *uuid.UUID) {
	ev := store.Event{Action: "authz.denied", ObjectID: objectID, Outcome: "denied:" + action}
	if objectType != nil {
		ev.ObjectType = *objectType
	}
	if err := s.store.Audit(c.Request.Context(), actor(c), ev); err != nil {
		s.logError(c, err)
	}
}

// inScope checks one object against the request's scope: outside it, the denial is
// audited and the answer is the same 404 as for an object that does not exist.
func (s *Server) inScope(c *gin.Context, objectType string, id, carrier uuid.UUID, advises bool) error {
	if scopeOf(c).Allows(carrier, advises) {
		return nil
	}
	s.auditDenied(c, objectType+":scope", &objectType, &id)
	return domain.NotFound()
}

// throttled reports whether password checks for email, or from the caller's address,
// must pause: too many failures within the window, as every instance counts them. A
// pause is audited and announced with Retry-After. Sign-in and password change share it.
func (s *Server) throttled(c *gin.Context, email string) (bool, error) {
	ctx := c.Request.Context()
	byEmail, byAddr, err := s.store.RecentLoginFailures(ctx, email, c.ClientIP(), s.cfg.LoginWindow)
	if err != nil || (byEmail < s.cfg.LoginFailuresPerAccount && byAddr < s.cfg.LoginFailuresPerAddress) {
		return false, err
	}
	_ = s.store.Audit(ctx, actor(c), store.Event{Action: "auth.login_throttled", Outcome: "denied"})
	c.Header("Retry-After", fmt.Sprint(int(math.Ceil(s.cfg.LoginWindow.Seconds()))))
	return true, nil
}

// signIn checks e-mail and password with throttling shared by all instances, and starts
// a fresh session. Every outcome is audited; the error never says which part was wrong.
func (s *Server) signIn(c *gin.Context, email, password string) (uuid.UUID, error) {
	ctx := c.Request.Context()
	addr := c.ClientIP()
	if stop, err := s.throttled(c, email); err != nil || stop {
		if err == nil {
			err = domain.Errorf(domain.ErrThrottled, "error.throttled")
		}
		return uuid.Nil, err
	}
	cred, err := s.store.CredentialsByEmail(ctx, email)
	if err != nil && domain.ErrorCode(err) != domain.ErrNotFound {
		return uuid.Nil, err
	}
	hash := cred.PasswordHash
	if err != nil {
		hash = domain.DummyHash // same work whether or not the account exists
	}
	match, herr := domain.CheckPassword(ctx, password, hash)
	if herr != nil || !match || err != nil || !cred.Active {
		if rerr := s.store.RecordLoginFailure(ctx, email, addr); rerr != nil {
			return uuid.Nil, rerr
		}
		a := actor(c)
		var obj *uuid.UUID
		if cred.ID != uuid.Nil {
			obj = &cred.ID
		}
		_ = s.store.Audit(ctx, a, store.Event{Action: "auth.login_failed", ObjectType: "user", ObjectID: obj, Outcome: "denied"})
		return uuid.Nil, domain.Errorf(domain.ErrUnauthorized, "error.login_failed")
	}
	if err := s.store.ClearLoginFailures(ctx, email); err != nil {
		return uuid.Nil, err
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		return uuid.Nil, err
	}
	s.sessions.Put(ctx, sessUser, cred.ID.String())
	s.sessions.Put(ctx, sessEpoch, cred.SessionEpoch)
	c.Set(ctxUser, cred.ID)
	a := actor(c)
	_ = s.store.Audit(ctx, a, store.Event{Action: "auth.login", ObjectType: "user", ObjectID: &cred.ID})
	return cred.ID, nil
}

// signOut ends the session.
func (s *Server) signOut(c *gin.Context) error {
	ctx := c.Request.Context()
	if u, ok := currentUser(c); ok {
		_ = s.store.Audit(ctx, actor(c), store.Event{Action: "auth.logout", ObjectType: "user", ObjectID: &u})
	}
	return s.sessions.Destroy(ctx)
}

// newTokenSecret returns a random personal API token.
func newTokenSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "lotse_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// auditRead is the audit event of reading one object of counselling content.
func auditRead(objectType string, id, carrier uuid.UUID) store.Event {
	return store.Event{Action: objectType + ".read", ObjectType: objectType, ObjectID: &id, CarrierID: &carrier}
}
