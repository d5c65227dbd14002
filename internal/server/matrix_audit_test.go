package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// auditEntries are the matrix rows of the audit trail: a coordinator reads the events
// of their carrier, an administrator the security events; advisors and programme
// managers may never (403). The routes name no object: a filter on an object outside
// the scope answers an empty list, like one on an object that does not exist.
func (f *matrixFixture) auditEntries() []matrixEntry {
	const get_ = http.MethodGet
	reach := map[string]reach{domain.RoleCoordinator: carrierWide, domain.RoleAdmin: everywhere}
	return []matrixEntry{
		{method: get_, path: "/api/v1/audit", reach: reach, ok: 200, call: getRow("/api/v1/audit?limit=200"),
			check: func(t *testing.T, f *matrixFixture, p *matrixCaller, r testenv.Response) {
				var l auditPage
				r.JSON(t, &l)
				if len(l.Items) == 0 {
					t.Errorf("%s reads an empty audit trail", p.role)
				}
				for _, e := range l.Items {
					security := domain.IsSecurityAction(e.Action)
					if p.role == domain.RoleCoordinator && (security || e.CarrierID == nil || *e.CarrierID != f.c1) {
						t.Errorf("C1's coordinator reads %s on carrier %v", e.Action, e.CarrierID)
					}
					if p.role == domain.RoleAdmin && !security {
						t.Errorf("the administrator reads %s", e.Action)
					}
				}
			}},
		{method: get_, path: "/audit", reach: reach, ok: 200, call: getRow("/audit"),
			check: func(t *testing.T, _ *matrixFixture, p *matrixCaller, r testenv.Response) {
				if !strings.Contains(string(r.Body), `id="audit-events"`) {
					t.Errorf("%s: the audit page shows no events", p.role)
				}
			}},
	}
}
