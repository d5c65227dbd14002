package server_test

import (
	"net/http"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// statsEntries are the matrix rows of the statistics and the exports: programme
// managers reach every carrier, coordinators their own; advisors and administrators
// never. The object is the carrier named in ?carrier_id=.
func (f *matrixFixture) statsEntries() []matrixEntry {
	const get_ = http.MethodGet
	reach := map[string]reach{domain.RoleCoordinator: carrierWide, domain.RoleProgrammeManager: everywhere}
	onCarrier := func(path string) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
		return func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
			return matrixCall{path: path + "?from=2026-01-01&to=2026-06-30&carrier_id=" + f.carrierOf(k).String()}
		}
	}
	return []matrixEntry{
		{method: get_, path: "/api/v1/stats/phases", reach: reach, objects: true, ok: 200, call: onCarrier("/api/v1/stats/phases")},
		{method: get_, path: "/api/v1/stats/esf", reach: reach, objects: true, ok: 200, call: onCarrier("/api/v1/stats/esf")},
		{method: get_, path: "/api/v1/exports/consultations", reach: reach, objects: true, ok: 200, call: onCarrier("/api/v1/exports/consultations")},
		{method: get_, path: "/stats", reach: reach, objects: true, ok: 200, call: onCarrier("/stats")},
	}
}
