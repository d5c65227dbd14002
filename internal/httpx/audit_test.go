package httpx

import (
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// FuzzAuditFilter feeds arbitrary audit trail queries: never a panic, every refusal a
// 422, and what passes is a period in order with a limit of at most 200.
func FuzzAuditFilter(f *testing.F) {
	fuzzQueryFilter(f, "/api/v1/audit", AuditFilter, []string{
		"object_id=2b7e5a52-8f8e-4c43-9d7a-3f1f4b0d2c11&from=2026-01-01&to=2026-01-31",
		"actor_id=xyz", "from=2026-02-30", "from=2026-05-02&to=2026-05-01", "limit=201", "limit=-1",
		"action=auth.login_failed", "to=0000-01-01", "cursor=%%%"},
		func(t *testing.T, filter domain.AuditFilter) {
			if filter.Limit < 0 || filter.Limit > 200 {
				t.Fatalf("accepted limit %d", filter.Limit)
			}
			if s, u := filter.Since(), filter.Until(); s != nil && u != nil && !s.Before(*u) {
				t.Fatalf("accepted the period %v to %v", s, u)
			}
		})
}
