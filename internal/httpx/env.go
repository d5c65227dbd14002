// Package httpx is the plumbing the JSON API (package api) and the pages (package
// pages) share: who is signed in, the request's actor and language, binding of bodies
// and queries, and the one mapping of application errors to HTTP status.
package httpx

import (
	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Env is what every handler needs: the use cases (store), the authorizer, the sessions,
// the locale bundle and the sign-in limits.
type Env struct {
	Store    *store.Store
	Authz    *authz.Authorizer
	Sessions *scs.SessionManager
	I18n     *i18n.Bundle
	Limits   store.LoginLimits
	// MinimumCell is the small-cell threshold of statistics (0: the default, 5).
	MinimumCell int
}

// Handler handles one route and returns its error; the server renders every error in
// one place (problem+json under /api, the error page elsewhere).
type Handler func(c *gin.Context) error
