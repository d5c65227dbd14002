package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// oversightOnCarrier asks path for the carrier of kind k (own and same carrier: C1).
func oversightOnCarrier(path string) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
	return func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
		return matrixCall{path: path + "?carrier_id=" + f.carrierOf(k).String()}
	}
}

// oversightEntries are the matrix rows of the caseload review and the team agenda: an
// advisor reviews their own figures in their carrier ("self"), a coordinator the whole
// carrier; the team agenda is the coordinators'. Programme managers and administrators
// may never (403); another carrier is 404 like one that does not exist.
func (f *matrixFixture) oversightEntries() []matrixEntry {
	const get_ = http.MethodGet
	caseload := reachCounselling(carrierWide, carrierWide) // an advisor's "self" lies in C1 too
	team := reachCounselling(never, carrierWide)
	return []matrixEntry{
		{method: get_, path: "/api/v1/caseload", reach: caseload, objects: true, ok: 200, call: oversightOnCarrier("/api/v1/caseload"),
			check: func(t *testing.T, f *matrixFixture, p *matrixCaller, r testenv.Response) {
				var cl domain.Caseload
				r.JSON(t, &cl)
				var ids []uuid.UUID
				for _, a := range cl.Advisors {
					ids = append(ids, a.AdvisorID)
				}
				// Earlier rows add advisors to C1; the coordinator sees them all, never C2's.
				ok := slices.Contains(ids, f.a1) && slices.Contains(ids, f.a2) && !slices.Contains(ids, f.b1)
				if p.role == domain.RoleAdvisor {
					ok = len(ids) == 1 && ids[0] == f.a1 // their own row only
				}
				if cl.CarrierID != f.c1 || !ok {
					t.Errorf("%s reviews carrier %s with rows %v (A1 %s, A2 %s, B1 %s)", p.role, cl.CarrierID, ids, f.a1, f.a2, f.b1)
				}
			}},
		{method: get_, path: "/api/v1/agenda/team", reach: team, ok: 200, call: getRow("/api/v1/agenda/team"),
			check: func(t *testing.T, f *matrixFixture, p *matrixCaller, r testenv.Response) {
				var ag domain.TeamAgenda
				r.JSON(t, &ag)
				for _, g := range ag.Assignees {
					if g.AssigneeID == f.b1 {
						t.Errorf("the team agenda of C1's coordinator shows %s of C2", g.AssigneeID)
					}
				}
			}},
		{method: get_, path: "/caseload", reach: caseload, objects: true, ok: 200, call: oversightOnCarrier("/caseload"),
			check: func(t *testing.T, f *matrixFixture, p *matrixCaller, r testenv.Response) {
				coordinator := p.role == domain.RoleCoordinator
				if body := string(r.Body); strings.Contains(body, f.a2.String()) != coordinator {
					t.Errorf("%s: the caseload page shows A2's row = %v, want %v", p.role, !coordinator, coordinator)
				}
			}},
		{method: get_, path: "/agenda/team", reach: team, ok: 200, call: getRow("/agenda/team")},
	}
}
