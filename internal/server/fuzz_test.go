package server

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// FuzzIntake feeds arbitrary bodies through the strict decoder and the validation of an
// intake: it must never panic, and every refusal must be a 400 or 422 domain error.
func FuzzIntake(f *testing.F) {
	for _, seed := range []string{
		`{"founder":{"given_name":"Amina","family_name":"Yusuf"}}`,
		`{"founder":{"given_name":"A","family_name":"B","languages":["so","xx"],"birth_year":3000}}`,
		`{"founder_id":"not-a-uuid"}`,
		`{"founder":null,"founder_id":null}`,
		`{"business":{"founded_on":"31.12.2020","employees":-1,"sector":"Z"}}`,
		`{"founder":{"given_name":"A","family_name":"B"},"x":1}`,
		`[]`, `{"founder":{"nationalities":[1,2]}}`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	s := &Server{validate: newValidator()}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := s.intake(body)
		if err == nil {
			if in.Founder == nil && in.FounderID == nil {
				t.Fatal("accepted an intake without founder")
			}
			return
		}
		switch domain.ErrorCode(err) {
		case domain.ErrBadRequest, domain.ErrInvalid:
		default:
			t.Fatalf("refusal %v is not 400/422", err)
		}
	})
}

// FuzzCaseFilter feeds arbitrary list queries: never a panic, every refusal a 422.
func FuzzCaseFilter(f *testing.F) {
	for _, seed := range []string{"phase=founding&limit=10", "limit=-1", "limit=201", "advisor_id=xyz",
		"status=closed&q=%25_%5C", "cursor=%%%", "phase=unknown", "limit=1e9"} {
		f.Add(seed)
	}
	s := &Server{validate: newValidator()}
	gin.SetMode(gin.ReleaseMode)
	f.Fuzz(func(t *testing.T, query string) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "/api/v1/cases", nil)
		c.Request.URL.RawQuery = query
		filter, err := s.caseFilter(c)
		if err != nil {
			if domain.ErrorCode(err) != domain.ErrInvalid {
				t.Fatalf("refusal %v is not 422", err)
			}
			return
		}
		if filter.Limit < 0 || filter.Limit > 200 {
			t.Fatalf("accepted limit %d", filter.Limit)
		}
	})
}

// FuzzPasswordPolicy: any string either passes the policy or is refused with a field
// error on "password" — never a panic, never another error.
func FuzzPasswordPolicy(f *testing.F) {
	for _, seed := range []string{"", "kurz", "Passwort123456", "Correct-Horse-Battery-9", "ääääääääääää"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		err := domain.CheckPasswordPolicy(pw)
		var e *domain.Error
		if err != nil && (!errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "password") {
			t.Fatalf("refusal %v names no password field", err)
		}
	})
}
