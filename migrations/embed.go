// Package migrations holds the goose SQL migrations of the Lotse schema, embedded.
package migrations

import "embed"

// FS holds every *.sql migration; goose runs them in file-name order.
//
//go:embed *.sql
var FS embed.FS
