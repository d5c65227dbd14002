package api

import (
	"testing"
	"time"

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
	today := domain.DayOf(time.Now())
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeIntake(body)
		if err == nil {
			err = domain.Validate(&in, today)
		}
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
