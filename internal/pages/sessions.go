package pages

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// EndSession is POST /account/sessions/{id}/end: "sign out" on a row of the account
// page's list of sessions. Ending this browser's own session signs it out here.
func (s *Pages) EndSession(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	current, err := s.Store.EndSession(c.Request.Context(), httpx.Actor(c), id, s.SessionToken(c))
	if err != nil {
		return err
	}
	if current {
		if err := s.Sessions.Destroy(c.Request.Context()); err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, "/login")
		return nil
	}
	return s.redirectFlash(c, "/account#sessions", "flash.session_ended")
}

// EndOtherSessions is POST /account/sessions/end-others: "sign out everywhere else".
func (s *Pages) EndOtherSessions(c *gin.Context) error {
	if _, err := s.Store.EndOtherSessions(c.Request.Context(), httpx.Actor(c), s.SessionToken(c)); err != nil {
		return err
	}
	return s.redirectFlash(c, "/account#sessions", "flash.sessions_ended_others")
}
