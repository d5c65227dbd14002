package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// forms2Entries are the matrix rows of the printable case summary: whoever reads the
// case reads its summary (advisors their own cases, coordinators their carrier's);
// programme managers and administrators never.
func (f *matrixFixture) forms2Entries() []matrixEntry {
	return []matrixEntry{
		{method: http.MethodGet, path: "/cases/:id/summary", reach: reachCounselling(ownOnly, carrierWide), objects: true, ok: 200,
			call: func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/cases/" + f.sharedCase(k).String() + "/summary"}
			},
			check: func(t *testing.T, _ *matrixFixture, p *matrixCaller, r testenv.Response) {
				body := string(r.Body)
				if !strings.Contains(body, `id="s-tl-h"`) || strings.Contains(body, "<nav") || strings.Contains(body, "<form") {
					t.Errorf("%s: the summary is no sheet without navigation and forms", p.role)
				}
			}},
	}
}
