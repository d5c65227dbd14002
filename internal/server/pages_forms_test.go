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

// postForm sends a url-encoded form as a browser does.
func postForm(c *testenv.Client, path string, form url.Values) testenv.Response {
	return c.Do("POST", path, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

// The page forms follow the API's rules and permissions; the browser tests walk the
// flows, these check the edges without a browser.
func TestPageForms(t *testing.T) {
	app := testenv.NewApp(t)
	c1, c2 := app.Carrier(t, "C1"), app.Carrier(t, "C2")
	advID := app.User(t, "a@c1.de", domain.RoleAdvisor, c1)
	app.User(t, "k@c1.de", domain.RoleCoordinator, c1)
	app.User(t, "a@c2.de", domain.RoleAdvisor, c2)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	adv, coord := app.SignIn(t, "a@c1.de"), app.SignIn(t, "k@c1.de")
	id, _ := adv.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})

	t.Run("advisor_cannot_assign_advisors", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/advisors", url.Values{"version": {"1"}, "lead_advisor_id": {advID.String()}})
		if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "Kein Zugriff") {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("coordinator_intake_needs_a_lead_and_keeps_the_input", func(t *testing.T) {
		r := postForm(coord, "/cases/new", url.Values{"founder.given_name": {"Lina"}, "founder.family_name": {"Haddad"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", r.Status)
		}
		body := string(r.Body)
		if !strings.Contains(body, `id="lead_advisor_id-error">Pflichtangabe.`) || !strings.Contains(body, `value="Haddad"`) {
			t.Fatalf("no inline error or input lost:\n%s", body)
		}
	})
	t.Run("coordinator_intake_names_the_lead", func(t *testing.T) {
		r := postForm(coord, "/cases/new", url.Values{"founder.given_name": {"Lina"}, "founder.family_name": {"Haddad"}, "lead_advisor_id": {advID.String()}})
		loc := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/") {
			t.Fatalf("status %d location %q", r.Status, loc)
		}
		cs := coord.Must(http.StatusOK, "GET", "/api/v1"+loc, nil).Map(t)
		if cs["lead_advisor_id"] != advID.String() {
			t.Fatalf("lead %v", cs["lead_advisor_id"])
		}
	})
	t.Run("intake_reports_every_bad_field_at_once", func(t *testing.T) {
		r := postForm(adv, "/cases/new", url.Values{"founder.given_name": {"X"}, "founder.birth_year": {"neunzehn"},
			"founder.languages": {"xx"}, "founder.country_of_birth": {"Syrien"}, "business.founded_on": {"2999-01-01"}})
		body := string(r.Body)
		for _, want := range []string{`id="family_name-error">Pflichtangabe`, `id="birth_year-error">Falscher Datentyp`,
			`id="languages-error">Kein Sprachcode`, `id="country_of_birth-error">Kein Ländercode`, `id="founded_on-error">Das Datum liegt in der Zukunft`} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %s", want)
			}
		}
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("stale_version_answers_412_with_the_current_case", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/close", url.Values{"version": {"7"}, "reason": {"abandoned"}})
		if r.Status != http.StatusPreconditionFailed || !strings.Contains(string(r.Body), "zwischenzeitlich geändert") {
			t.Fatalf("status %d", r.Status)
		}
		if cs := adv.Must(http.StatusOK, "GET", "/api/v1/cases/"+id, nil).Map(t); cs["status"] != "active" {
			t.Fatalf("a stale form changed the case: %v", cs["status"])
		}
	})
	t.Run("other_carrier_case_page_is_404", func(t *testing.T) {
		r := app.SignIn(t, "a@c2.de").Do("GET", "/cases/"+id, nil)
		if r.Status != http.StatusNotFound {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("admin_sees_no_counselling_content", func(t *testing.T) {
		a := app.SignIn(t, "admin@x.de")
		for _, p := range []string{"/cases", "/cases/" + id, "/agenda", "/cases/new"} {
			if r := a.Do("GET", p, nil); r.Status != http.StatusForbidden || strings.Contains(string(r.Body), "Yusuf") {
				t.Errorf("%s: status %d", p, r.Status)
			}
		}
	})
	t.Run("each_role_starts_where_its_work_is", func(t *testing.T) {
		for email, want := range map[string]string{"a@c1.de": "/cases", "admin@x.de": "/admin/users", "pm@x.de": "/account"} {
			if r := app.SignIn(t, email).Do("GET", "/", nil); r.Header.Get("Location") != want {
				t.Errorf("%s: home sends to %q, want %q", email, r.Header.Get("Location"), want)
			}
		}
	})
	t.Run("navigation_shows_only_what_the_roles_allow", func(t *testing.T) {
		body := string(app.SignIn(t, "pm@x.de").Must(http.StatusOK, "GET", "/account", nil).Body)
		for _, link := range []string{`href="/cases"`, `href="/agenda"`, `href="/admin/users"`, `href="/cases/new"`} {
			if strings.Contains(body, link) {
				t.Errorf("programme manager's navigation has %s", link)
			}
		}
	})
}
