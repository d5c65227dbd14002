package httpx

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// FuzzCaseFilter feeds arbitrary list queries: never a panic, every refusal a 422.
func FuzzCaseFilter(f *testing.F) {
	fuzzQueryFilter(f, "/api/v1/cases", CaseFilter, []string{"phase=founding&limit=10", "limit=-1", "limit=201",
		"advisor_id=xyz", "status=closed&q=%25_%5C", "cursor=%%%", "phase=unknown", "limit=1e9"},
		func(t *testing.T, filter domain.CaseFilter) {
			if filter.Limit < 0 || filter.Limit > 200 {
				t.Fatalf("accepted limit %d", filter.Limit)
			}
		})
}

// fuzzQueryFilter feeds arbitrary query strings for path to bind: never a panic, every
// refusal (of the binding or of domain.Validate) a 422, and what passes meets check.
func fuzzQueryFilter[F any](f *testing.F, path string, bind func(*gin.Context) (F, error), seeds []string,
	check func(*testing.T, F)) {
	for _, seed := range seeds {
		f.Add(seed)
	}
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, query string) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", path, nil)
		c.Request.URL.RawQuery = query
		filter, err := bind(c)
		if err == nil {
			err = domain.Validate(&filter, domain.DayOf(time.Now()))
		}
		if err != nil {
			if domain.ErrorCode(err) != domain.ErrInvalid {
				t.Fatalf("refusal %v is not 422", err)
			}
			return
		}
		check(t, filter)
	})
}
