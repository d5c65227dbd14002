package server_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// TestAdvisorsCountTheirOpenCases: the advisors a coordinator assigns (intake, the case
// page's assignment) come with the open cases of the carrier each leads or co-advises,
// counted in one pass over the carrier: paused cases count, closed ones and other
// carriers' do not, a co-advised case counts for the co-advisor, and an advisor without
// cases shows 0. Deactivated people and those no advisors any more are not offered.
func TestAdvisorsCountTheirOpenCases(t *testing.T) {
	x := newCaseloadFixture(t)
	var got struct {
		Items []domain.AdvisorLoad `json:"items"`
	}
	x.koraCl.Must(http.StatusOK, "GET", "/api/v1/carriers/"+x.c1.String()+"/advisors", nil).JSON(t, &got)
	// anna leads K1–K4 (K4 paused); ben leads K8 (K7 closed) and co-advises K1.
	want := map[uuid.UUID]int{x.anna: 4, x.ben: 2, x.fatma: 0}
	if len(got.Items) != len(want) {
		t.Fatalf("advisors %+v, want anna, ben and fatma", got.Items)
	}
	for _, a := range got.Items {
		n, ok := want[a.ID]
		if !ok || a.ActiveCases != n {
			t.Errorf("%s (%s): %d open cases, want %d (listed: %v)", a.Name, a.ID, a.ActiveCases, n, ok)
		}
	}
	// The case page's assignment table shows the same figures.
	page := x.koraCl.Must(http.StatusOK, "GET", "/cases/"+x.k["K1"].String(), nil)
	for name, n := range map[string]string{"anna": "4", "ben": "2", "fatma": "0"} {
		row := regexp.MustCompile(`<th scope="row">` + name + `</th>\s*<td>[^<]*</td>\s*<td>(\d+)</td>`)
		if m := row.FindSubmatch(page.Body); m == nil || string(m[1]) != n {
			t.Errorf("case page: %s's open cases %q, want %s", name, m, n)
		}
	}
}
