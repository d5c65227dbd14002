package httpx

import (
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// AuditFilter reads the query of the audit trail, for the API and the page alike:
// object_id, actor_id, action, from, to (Berlin calendar days), cursor, limit. Empty
// values are no filter. A value that is no id, no day or no number is a 422 naming it;
// the use case validates the rest (limit, cursor, the period's order).
func AuditFilter(c *gin.Context) (domain.AuditFilter, error) {
	f := domain.AuditFilter{Action: c.Query("action"), Cursor: c.Query("cursor")}
	var p domain.Problems
	for _, id := range []struct {
		key string
		dst **uuid.UUID
	}{{"object_id", &f.ObjectID}, {"actor_id", &f.ActorID}} {
		v := strings.TrimSpace(c.Query(id.key))
		if v == "" {
			continue
		}
		u, err := uuid.Parse(v)
		if err != nil {
			p.Add(id.key, "validation.format")
			continue
		}
		*id.dst = &u
	}
	f.From, f.To = QueryDate(c, "from", &p), QueryDate(c, "to", &p)
	f.Limit = queryLimit(c, &p)
	return f, p.Err()
}
