package httpx

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Keys of the request context and the session.
const (
	ctxUser   = "lotse.user"
	ctxScope  = "lotse.scope"
	SessUser  = "user_id" // the signed-in user's id
	SessEpoch = "epoch"   // the user's session epoch at sign-in
	SessFlash = "flash"   // the one-time message shown on the next page
	// SessUndo offers the next page a way back from what the last request did: the
	// path of the form that undoes it, its version and where to return ("path|version|back").
	SessUndo = "undo"
)

type ctxKey int

const requestIDKey ctxKey = iota

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID is the id the server gave this request.
func RequestID(c *gin.Context) string {
	id, _ := c.Request.Context().Value(requestIDKey).(string)
	return id
}

// SetUser records who is signed in for this request.
func SetUser(c *gin.Context, id uuid.UUID) { c.Set(ctxUser, id) }

// CurrentUser is the signed-in user of the request.
func CurrentUser(c *gin.Context) (uuid.UUID, bool) {
	v, ok := c.Get(ctxUser)
	if !ok {
		return uuid.Nil, false
	}
	return v.(uuid.UUID), true
}

// SetScope records the scope the route guard computed for the route's action.
func SetScope(c *gin.Context, s domain.Scope) { c.Set(ctxScope, s) }

// ScopeOf is the scope the route guard computed for the route's action.
func ScopeOf(c *gin.Context) domain.Scope {
	v, _ := c.Get(ctxScope)
	s, _ := v.(domain.Scope)
	return s
}

// Actor is who acts in this request: the use cases check their scope and audit with it.
func Actor(c *gin.Context) domain.Actor {
	u, _ := CurrentUser(c)
	return domain.Actor{UserID: u, RequestID: RequestID(c), Address: c.ClientIP()}
}

// StartSession signs the browser in as cred's user: a fresh session token (no
// fixation), bound to the user's session epoch, and recorded as one of the user's
// sessions.
func (e *Env) StartSession(c *gin.Context, cred store.Credentials) error {
	ctx := c.Request.Context()
	previous := e.Sessions.Token(ctx)
	if err := e.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	e.Sessions.Put(ctx, SessUser, cred.ID.String())
	e.Sessions.Put(ctx, SessEpoch, cred.SessionEpoch)
	SetUser(c, cred.ID)
	e.dropKeptOf(c, cred.ID) // kept input is its owner's alone (kept.go)
	return e.recordSession(c, cred.ID, previous)
}

// SignOut ends the session, audited.
func (e *Env) SignOut(c *gin.Context) error {
	ctx := c.Request.Context()
	if u, ok := CurrentUser(c); ok {
		_ = e.Store.Audit(ctx, Actor(c), store.Event{Action: "auth.logout", ObjectType: "user", ObjectID: &u})
	}
	if err := e.Store.ForgetSession(ctx, e.Sessions.Token(ctx)); err != nil {
		return err
	}
	e.setKeptOwner(c, uuid.Nil) // after a deliberate sign-out nothing typed here is kept
	return e.Sessions.Destroy(ctx)
}

// NewTokenSecret returns a random personal API token.
func NewTokenSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "lotse_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// Flash leaves a message (an i18n ID) for the next page the user sees.
func (e *Env) Flash(c *gin.Context, msgID string) {
	e.Sessions.Put(c.Request.Context(), SessFlash, msgID)
}

// May reports whether the signed-in user may do action anywhere (the navigation asks).
func (e *Env) May(c *gin.Context, action domain.Action) bool {
	u, ok := CurrentUser(c)
	return ok && !e.Authz.Scope(u, action).Empty()
}
