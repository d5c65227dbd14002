package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

type signInRequest struct {
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=1024"`
}

func (s *Server) apiSignIn(c *gin.Context) {
	var in signInRequest
	if err := s.bind(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	id, err := s.signIn(c, in.Email, in.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	u, err := s.store.User(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": u})
}

func (s *Server) apiSignOut(c *gin.Context) {
	if err := s.signOut(c); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiMe(c *gin.Context) {
	id, _ := currentUser(c)
	u, err := s.store.User(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (s *Server) apiTokens(c *gin.Context) {
	id, _ := currentUser(c)
	ts, err := s.store.Tokens(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(ts, ""))
}

func (s *Server) apiCreateToken(c *gin.Context) {
	var in domain.TokenInput
	if err := s.decodeChecked(c, &in, func(p *domain.Problems) { in.Check(p, domain.Today()) }); err != nil {
		s.fail(c, err)
		return
	}
	idem, err := idempotency(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	t, err := s.store.CreateToken(c.Request.Context(), actor(c), in, newTokenSecret(), idem)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, t)
}

func (s *Server) apiRevokeToken(c *gin.Context) {
	id, err := pathID(c)
	if err == nil {
		err = s.store.RevokeToken(c.Request.Context(), actor(c), id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
