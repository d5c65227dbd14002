// Package policies holds the Casbin model and the role permissions, embedded.
// Memberships (who holds which role where) live in the database.
package policies

import _ "embed"

// Model is the Casbin model: roles in carriers (domains), actions with a scope.
//
//go:embed model.conf
var Model string

// Policy lists what each role may do and with which scope, one "p" line per permission.
//
//go:embed policy.csv
var Policy string
