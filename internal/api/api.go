// Package api is Lotse's JSON API under /api/v1: one handler per route, each translating
// HTTP to a use case of the store and back — decode, call, answer. Validation, scope,
// author rules and audit happen in the use case; errors go back to the server, which
// renders them as problem+json in one place.
package api

import (
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// API holds the handlers of /api/v1.
type API struct{ *httpx.Env }

// New returns the API's handlers on env.
func New(env *httpx.Env) *API { return &API{env} }
