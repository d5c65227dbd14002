package httpx

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// FuzzAuditFilter feeds arbitrary audit trail queries: never a panic, every refusal a
// 422, and what passes is a period in order with a limit of at most 200.
func FuzzAuditFilter(f *testing.F) {
	for _, seed := range []string{"object_id=2b7e5a52-8f8e-4c43-9d7a-3f1f4b0d2c11&from=2026-01-01&to=2026-01-31",
		"actor_id=xyz", "from=2026-02-30", "from=2026-05-02&to=2026-05-01", "limit=201", "limit=-1",
		"action=auth.login_failed", "to=0000-01-01", "cursor=%%%"} {
		f.Add(seed)
	}
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, query string) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/api/v1/audit", nil)
		c.Request.URL.RawQuery = query
		filter, err := AuditFilter(c)
		if err == nil {
			err = domain.Validate(&filter, domain.DayOf(time.Now()))
		}
		if err != nil {
			if domain.ErrorCode(err) != domain.ErrInvalid {
				t.Fatalf("refusal %v is not 422", err)
			}
			return
		}
		if filter.Limit < 0 || filter.Limit > 200 {
			t.Fatalf("accepted limit %d", filter.Limit)
		}
		if s, u := filter.Since(), filter.Until(); s != nil && u != nil && !s.Before(*u) {
			t.Fatalf("accepted the period %v to %v", s, u)
		}
	})
}
