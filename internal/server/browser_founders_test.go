package server_test

import (
	"net/http"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// Founders kept once, in the browser: an advisor takes in a founder who comes back
// under another spelling; the intake warns and offers the known founder; choosing her
// opens a second case, the founder page lists both, and her data are corrected there
// (a wrong postcode first, kept and explained, then a right one). German, then English.
func TestBrowserFounderKeptOnce(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	api := app.SignIn(t, "aylin@x.de")
	first, etag := api.NewCase(map[string]any{"founder": map[string]any{"given_name": "Fatma", "family_name": "Öztürk",
		"birth_year": 1985, "postcode": "45127", "city": "Essen"}, "business": map[string]any{"idea": "Änderungsschneiderei"}})
	fid := founderOfCase(t, api, first)
	api.Must(http.StatusOK, "POST", "/api/v1/cases/"+first+"/close", map[string]any{"reason": "handed_over"}, "If-Match", etag)

	b := newBrowser(t, app)
	b.signIn("aylin@x.de")
	b.open("/cases/new")
	b.fill("#given_name", "Fatima")
	b.fill("#family_name", "Oeztuerk")
	b.fill("#birth_year", "1985")
	b.fill("#idea", "Kiosk mit Paketannahme")
	if st := b.submit("form[action='/cases/new'] .actions:last-child button[type=submit]"); st != http.StatusConflict {
		t.Fatalf("intake of a likely duplicate: status %d, want 409", st)
	}
	b.wantText("#duplicates", "Fatma Öztürk")
	b.wantText("#duplicates", "45127 Essen")
	if v := evalJS[string](b, `document.querySelector("#idea").value`); v != "Kiosk mit Paketannahme" {
		t.Fatalf("the idea typed is gone: %q", v)
	}
	b.shot("duplicate-warning")
	b.checkA11y("duplicate warning")

	b.click("#choice-" + fid)
	if st := b.submit("#duplicates-submit"); st != http.StatusOK {
		t.Fatalf("choosing the known founder: status %d", st)
	}
	b.wantText(".notice", "Der neue Fall wurde eröffnet.")
	b.wantText("h1", "Fatma Öztürk")

	if st := b.submit("#founder-link"); st != http.StatusOK {
		t.Fatalf("founder page: status %d", st)
	}
	if n := evalJS[int](b, `document.querySelectorAll("#cases tbody tr").length`); n != 2 {
		t.Fatalf("the founder page lists %d cases, want 2", n)
	}
	b.wantText("#cases", "Kiosk mit Paketannahme")
	b.wantText("#cases", "Änderungsschneiderei")
	b.shot("founder-page")
	b.checkA11y("founder page")

	b.click("#edit summary")
	b.fill("#postcode", "4512")
	b.fill("#city", "Essen-Rüttenscheid")
	if st := b.submit("#edit button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("a four-digit postcode: status %d, want 422", st)
	}
	b.wantText("#postcode-error", "fünf")
	if v := evalJS[string](b, `document.querySelector("#city").value`); v != "Essen-Rüttenscheid" {
		t.Fatalf("the city typed is gone: %q", v)
	}
	// the error summary links the wrong field, and languages are chosen by name
	if n := evalJS[int](b, `document.querySelectorAll('#error-summary a[href="#postcode"]').length`); n != 1 {
		t.Fatalf("the error summary links the postcode %d times, want once", n)
	}
	if name := evalJS[string](b, `[...document.querySelectorAll("#languages option")].find(o => o.value == "tr").textContent`); name != "Türkisch" {
		t.Fatalf("the language option tr reads %q, want Türkisch", name)
	}
	b.shot("founder-edit-invalid")
	b.fill("#postcode", "45130")
	if st := b.submit("#edit button[type=submit]"); st != http.StatusOK {
		t.Fatalf("saving the founder: status %d", st)
	}
	b.wantText(".notice", "Die Angaben zur Person wurden gespeichert.")
	b.wantText(".glance", "45130 Essen-Rüttenscheid")
	b.shot("founder-saved")

	// English: the founder page and the warning.
	b.open("/founders/" + fid + "?lang=en")
	b.wantText("h2#founder-cases-h", "Cases")
	b.shot("founder-page-en")
	b.open("/cases/new")
	b.fill("#given_name", "Fatma")
	b.fill("#family_name", "Oztürk")
	b.fill("#birth_year", "1985")
	if st := b.submit("form[action='/cases/new'] .actions:last-child button[type=submit]"); st != http.StatusConflict {
		t.Fatalf("intake of a likely duplicate (en): status %d, want 409", st)
	}
	b.wantText("#duplicates", "Is this person known already?")
	b.shot("duplicate-warning-en")
	b.checkA11y("duplicate warning (en)")
	b.click("#choice-new")
	if st := b.submit("#duplicates-submit"); st != http.StatusOK {
		t.Fatalf("confirming a different person: status %d", st)
	}
	b.wantText(".notice", "The founder and their case were created.")
}
