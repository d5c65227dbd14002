package httpx

import (
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// recordSession records this browser's session, whose token was just renewed from
// previous, as one of user's sessions (the list on the account page).
func (e *Env) recordSession(c *gin.Context, user uuid.UUID, previous string) error {
	ctx := c.Request.Context()
	return e.Store.StartSession(ctx, user, e.Sessions.Token(ctx), previous, c.Request.UserAgent())
}

// RenewSession keeps this browser signed in after its user's session epoch moved on to
// epoch (their own password change, which ended every session): a fresh token under
// the new epoch, recorded anew.
func (e *Env) RenewSession(c *gin.Context, epoch int) error {
	ctx := c.Request.Context()
	user, _ := CurrentUser(c)
	previous := e.Sessions.Token(ctx)
	if err := e.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	e.Sessions.Put(ctx, SessEpoch, epoch)
	return e.recordSession(c, user, previous)
}

// SessionToken is the token of this request's browser session ("" for none, e.g. a
// request with an API token): the store marks and spares the current session by it.
func (e *Env) SessionToken(c *gin.Context) string {
	return e.Sessions.Token(c.Request.Context())
}
