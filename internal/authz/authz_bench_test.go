package authz_test

import (
	"context"
	"io"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

// BenchmarkScope: one authorization decision (all scopes of one action for one user)
// with the memberships of the scale data set loaded (~300 users).
func BenchmarkScope(b *testing.B) {
	db := testdb.New(b)
	if err := seed.Scale(context.Background(), db.Store, 100, io.Discard); err != nil {
		b.Fatal(err)
	}
	az, err := authz.New(db.Store.DB)
	if err != nil {
		b.Fatal(err)
	}
	var user uuid.UUID
	if err := db.Store.DB.Get(&user, `SELECT id FROM users WHERE email = 'scale.coordinator.3@lotse.example'`); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if az.Scope(user, "case:read").Empty() {
			b.Fatal("coordinator may not read cases")
		}
	}
}
