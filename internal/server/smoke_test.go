package server_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

func TestAdvisorTakesInAndMovesACase(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	adv := app.SignIn(t, "a@x.de")
	id, etag := adv.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf"), "business": map[string]any{"idea": "Schneiderei"}})
	if etag != `"1"` {
		t.Fatalf("etag %q", etag)
	}
	r := adv.Must(http.StatusOK, "POST", "/api/v1/cases/"+id+"/phase", map[string]any{"phase": "consolidation"}, "If-Match", etag)
	if got := r.Map(t)["phase"]; got != "consolidation" {
		t.Fatalf("phase %v", got)
	}
	list := adv.Must(http.StatusOK, "GET", "/api/v1/cases", nil).Map(t)
	if n := len(list["items"].([]any)); n != 1 {
		t.Fatalf("%d cases", n)
	}
	app.User(t, "b@x.de", domain.RoleAdvisor, app.Carrier(t, "C2"))
	other := app.SignIn(t, "b@x.de")
	other.Must(http.StatusNotFound, "GET", "/api/v1/cases/"+id, nil)
	other.Must(http.StatusNotFound, "GET", "/api/v1/cases/"+uuid.NewString(), nil)
}
