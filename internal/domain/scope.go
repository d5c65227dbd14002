package domain

import (
	"slices"

	"github.com/google/uuid"
)

// Scope is what a user may reach with one action: applied as a SQL filter for lists and
// checked once per request for single objects.
type Scope struct {
	User uuid.UUID
	// All: every carrier (global roles).
	All bool
	// Carriers: every object of these carriers.
	Carriers []uuid.UUID
	// Own: in these carriers, only the cases the user leads or co-advises (or, for
	// self-scoped actions, the user's own figures).
	Own []uuid.UUID
}

// Empty reports whether the action is allowed nowhere: the role may never do it (403).
func (s Scope) Empty() bool { return !s.All && len(s.Carriers) == 0 && len(s.Own) == 0 }

// Allows reports whether an object of carrier, which the user advises or not, is in scope.
func (s Scope) Allows(carrier uuid.UUID, advises bool) bool {
	return s.All || slices.Contains(s.Carriers, carrier) || (advises && slices.Contains(s.Own, carrier))
}

// InCarrier reports whether the scope reaches into carrier at all (own or whole).
func (s Scope) InCarrier(carrier uuid.UUID) bool {
	return s.All || slices.Contains(s.Carriers, carrier) || slices.Contains(s.Own, carrier)
}

// Reach resolves the carriers an aggregate answer (statistics, exports) covers: the
// carrier asked for, which must lie within the scope — else the same 404 as for an
// unknown carrier (the caller checks that a named carrier exists) —, or every carrier
// of the scope. nil means every carrier (global scope); an empty list none.
func (s Scope) Reach(action Action, carrier *uuid.UUID) ([]uuid.UUID, error) {
	if carrier != nil {
		if !s.All && !slices.Contains(s.Carriers, *carrier) {
			return nil, Denied(action, "carrier", *carrier)
		}
		return []uuid.UUID{*carrier}, nil
	}
	if s.All {
		return nil, nil
	}
	return append([]uuid.UUID{}, s.Carriers...), nil
}
