package server_test

import (
	"net/http"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// onSharedFounder requests /api/v1/founders/<id><suffix> for the founder of the
// long-lived case of kind k (a random id for a founder that does not exist).
func onSharedFounder(suffix string, body any) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
	return func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
		return matrixCall{path: "/api/v1/founders/" + f.founderOf(t, f.sharedCase(k)).String() + suffix, body: body}
	}
}

// consentEntries are the matrix rows of the consents of a founder (founder:consent): an
// advisor on the founder's own cases, a coordinator in the carrier; programme managers
// and administrators never (403). The rows grant referral, which changes nothing else,
// so the shared cases stay usable for the other rows.
func (f *matrixFixture) consentEntries() []matrixEntry {
	const get_, post = http.MethodGet, http.MethodPost
	consents := reachCounselling(ownOnly, carrierWide)
	grant := map[string]any{"purpose": domain.PurposeReferral, "granted": true, "text_version": "2026-01", "language": "de"}
	return []matrixEntry{
		{method: get_, path: "/api/v1/founders/:id/consents", reach: consents, objects: true, ok: 200,
			call: onSharedFounder("/consents", nil),
			check: func(t *testing.T, _ *matrixFixture, _ *matrixCaller, r testenv.Response) {
				var cs domain.Consents
				r.JSON(t, &cs)
				if len(cs.Current) != len(domain.Catalogue.ConsentPurposes) || cs.History == nil {
					t.Errorf("consents answer without every purpose or history: %s", r.Body)
				}
			}},
		{method: post, path: "/api/v1/founders/:id/consents", reach: consents, objects: true, ok: 201,
			call: onSharedFounder("/consents", grant)},
		{method: post, path: "/cases/:id/consents", reach: consents, objects: true, ok: 303,
			call: func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return form("/cases/"+f.sharedCase(k).String()+"/consents",
					"purpose", domain.PurposeReferral, "granted", "true", "text_version", "2026-01", "language", "de")
			}},
	}
}
