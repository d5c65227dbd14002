package server_test

import (
	"net/http"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// founderEntries are the matrix rows of the founder page: reading and changing a founder
// reach as far as the founder's cases do (an advisor: the founders of own cases; a
// coordinator: the carrier's), and so does a new case for a known founder (case:create).
// Its rows use the founder of a fresh closed case (a founder with an open case gets no
// second one). Programme managers and administrators never (403).
func (f *matrixFixture) founderEntries() []matrixEntry {
	const get_, post = http.MethodGet, http.MethodPost
	readCases := reachCounselling(ownOnly, carrierWide)
	return []matrixEntry{
		{method: get_, path: "/founders/:id", reach: readCases, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/founders/" + f.founderOf(t, f.sharedCase(k)).String()}
			}},
		{method: post, path: "/founders/:id", reach: readCases, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return form("/founders/"+f.founderOf(t, f.freshCase(t, k)).String(), "version", "1",
					"founder.given_name", "Matrix", "founder.family_name", "Geändert", "founder.city", "Köln")
			}},
		{method: post, path: "/founders/:id/cases", reach: readCases, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				kv := []string{"business.idea", "Zweiter Anlauf", "phase", domain.PhaseFounding}
				if p.role != domain.RoleAdvisor {
					kv = append(kv, "lead_advisor_id", f.a1.String())
				}
				return form("/founders/"+f.founderOf(t, f.closedCase(t, k)).String()+"/cases", kv...)
			}},
	}
}
