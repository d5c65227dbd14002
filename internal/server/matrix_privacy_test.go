package server_test

import (
	"net/http"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// privacyEntries are the matrix rows of the Art. 15 export and the Art. 17 erasure
// (founder:privacy): a coordinator in the carrier; advisors, programme managers and
// administrators never (403). An erasure needs the founder's cases closed, so its rows
// work on fresh closed cases.
func (f *matrixFixture) privacyEntries() []matrixEntry {
	const get_, post = http.MethodGet, http.MethodPost
	privacy := reachCounselling(never, carrierWide)
	return []matrixEntry{
		{method: get_, path: "/api/v1/founders/:id/export", reach: privacy, objects: true, ok: 200,
			call: onSharedFounder("/export", nil),
			check: func(t *testing.T, _ *matrixFixture, _ *matrixCaller, r testenv.Response) {
				var exp domain.FounderExport
				r.JSON(t, &exp)
				if len(exp.Section("founders").Rows) != 1 || len(exp.Section("cases").Rows) == 0 {
					t.Errorf("an export without its founder or cases: %s", r.Body)
				}
			}},
		{method: post, path: "/api/v1/founders/:id/erase", reach: privacy, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/founders/" + f.founderOf(t, f.closedCase(t, k)).String() + "/erase",
					body: map[string]any{"reason": "request by letter"}}
			}},
		{method: get_, path: "/founders/:id/export", reach: privacy, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/founders/" + f.founderOf(t, f.sharedCase(k)).String() + "/export"}
			}},
		{method: post, path: "/cases/:id/erase", reach: privacy, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				id := f.closedCase(t, k)
				return form("/cases/"+id.String()+"/erase", "founder_id", f.founderOf(t, id).String(), "reason", "request by letter")
			}},
	}
}
