package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// A page form sent without a session never ends in a 404 or an empty form: it goes to
// the sign-in, which leads back to the form's page. Without a browser that was signed
// in (no owner cookie) nothing is kept, and the sign-in says so; the text never appears
// in the sign-in page. A form that is not kept returns to the page it came from.
func TestFormWithoutSessionLeadsBackToItsPage(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	id, _ := app.SignIn(t, "a@x.de").NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})

	anon := app.Anonymous(t)
	r := anon.Do("POST", "/cases/"+id+"/notes", "body=Geheimer+Vermerk", "Content-Type", "application/x-www-form-urlencoded")
	if want := "/login?ended=1&next=" + url.QueryEscape("/cases/"+id); r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
		t.Fatalf("status %d location %q, want 303 to %s", r.Status, r.Header.Get("Location"), want)
	}
	page := anon.Must(http.StatusOK, "GET", r.Header.Get("Location"), nil)
	if body := string(page.Body); !strings.Contains(body, `id="session-ended"`) || !strings.Contains(body, "nicht aufbewahrt") || strings.Contains(body, "Geheimer") {
		t.Fatalf("the sign-in does not say the input could not be kept, or shows it: %s", body)
	}
	if strings.Contains(string(page.Body), `value="/cases/`+id+`"`) == false {
		t.Fatalf("the sign-in does not lead back to the case")
	}

	// a button without input (a follow-up's "done") returns to the page it was on
	r = anon.Do("POST", "/follow-ups/"+uuid.NewString()+"/done", "version=1", "Content-Type", "application/x-www-form-urlencoded",
		"Referer", app.URL+"/agenda")
	if want := "/login?ended=1&next=" + url.QueryEscape("/agenda"); r.Header.Get("Location") != want {
		t.Fatalf("location %q, want %s", r.Header.Get("Location"), want)
	}
	// a Referer of another site is not followed
	r = anon.Do("POST", "/follow-ups/"+uuid.NewString()+"/done", "version=1", "Content-Type", "application/x-www-form-urlencoded",
		"Referer", "https://evil.example/agenda")
	if want := "/login?ended=1&next=" + url.QueryEscape("/"); r.Header.Get("Location") != want {
		t.Fatalf("location %q, want %s", r.Header.Get("Location"), want)
	}
}
