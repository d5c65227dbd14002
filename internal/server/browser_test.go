package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// The browser tests drive the pages as a person would, in headless chromium: they click,
// type and read, check accessibility on every page they pass, and save screenshots.

// caseIDFromURL is the case id of a /cases/<id> location.
func caseIDFromURL(t *testing.T, b *browser) string {
	t.Helper()
	loc := value(b, "location", chromedpLocation())
	i := strings.Index(loc, "/cases/")
	if i < 0 {
		t.Fatalf("not on a case page: %s", loc)
	}
	id := strings.SplitN(loc[i+len("/cases/"):], "#", 2)[0]
	if _, err := uuid.Parse(id); err != nil {
		t.Fatalf("no case id in %s", loc)
	}
	return id
}

func TestBrowserAdvisorTakesInCounselsAndMovesACase(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	b := newBrowser(t, app)

	b.signIn("aylin@x.de")
	b.wantText("h1", "Meine Fälle")
	b.wantPageText("Keine Fälle gefunden.", true)
	b.checkA11y("my cases (empty)")

	// Intake: a failed submit keeps every entry and names the missing field.
	b.submit("nav a[href='/cases/new']")
	b.wantText("h1", "Neue Gründungsperson")
	b.checkA11y("intake")
	b.fill("#family_name", "Yusuf")
	b.set("#languages", "so") // languages by name, one select each (codes on the wire)
	b.set("#languages-2", "ar")
	b.set("#languages-3", "de")
	b.set("#gender", "female")
	b.set("#disability", "no")
	b.fill("#idea", "Änderungsschneiderei mit Upcycling")
	if st := b.submit("form.grid-form button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("intake without given name: status %d, want 422", st)
	}
	b.wantText("#given_name-error", "Pflichtangabe")
	for sel, want := range map[string]string{"#family_name": "Yusuf", "#languages": "so", "#languages-2": "ar", "#languages-3": "de", "#gender": "female", "#disability": "no", "#idea": "Änderungsschneiderei mit Upcycling"} {
		if got := value(b, "value "+sel, chromedpValue(sel)); got != want {
			t.Errorf("after a failed submit %s = %q, want %q", sel, got, want)
		}
	}
	if inv := evalJS[string](b, `document.querySelector("#given_name").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Errorf("the invalid field is not marked aria-invalid")
	}
	b.shot("intake-errors")
	b.checkA11y("intake with errors")
	b.fill("#given_name", "Amina")
	b.submit("form.grid-form button[type=submit]")
	b.wantText("h1", "Amina Yusuf")
	b.wantText("p.notice", "angelegt")
	b.wantText("ol.stepper li[aria-current=step]", "Gründung")
	caseID := caseIDFromURL(t, b)
	b.checkA11y("case page")

	// A consultation with topics from the catalogue and a follow-up due today.
	b.click("#consultation summary")
	b.click("#topic-business_plan")
	b.click("#topic-financing")
	b.fill("#k-summary", "Businessplan besprochen, Finanzierung über Mikrokredit geprüft.")
	b.fill("#k-next", "Unterlagen für den Mikrokredit zusammenstellen")
	b.set("#k-follow-up", domain.DayOf(time.Now()).String())
	b.submit("#consultation button[type=submit]")
	b.wantText("p.notice", "erfasst")
	b.wantText("#timeline", "Businessplan besprochen")
	b.wantText("#timeline", "Finanzierung")
	b.wantText("#follow-ups", "Unterlagen für den Mikrokredit")

	// Going back needs a reason; forward to consolidation does not.
	b.click("#phase summary")
	b.set("#new-phase", "consolidation")
	b.submit("#phase button[type=submit]")
	b.wantText("ol.stepper li[aria-current=step]", "Festigung")
	b.wantText("p.notice", "Phase wurde geändert")
	b.click("#phase details summary")
	b.set("#new-phase", "founding")
	if st := b.submit("#phase button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("going back without reason: status %d, want 422", st)
	}
	b.wantText("#phase-reason-error", "Begründung")
	b.wantText("ol.stepper li[aria-current=step]", "Festigung")

	// Someone else changes the case meanwhile: the form answers 412 with a clear message
	// and the current state, and the kept input goes through on the second try.
	api := app.SignIn(t, "aylin@x.de")
	cur := api.Must(http.StatusOK, "GET", "/api/v1/cases/"+caseID, nil)
	api.Must(http.StatusOK, "PATCH", "/api/v1/cases/"+caseID, map[string]any{"business": map[string]any{"employees": 2}}, "If-Match", cur.Header.Get("ETag"))
	b.fill("#phase-reason", "Finanzierung geplatzt, zurück in die Gründung")
	if st := b.submit("#phase button[type=submit]"); st != http.StatusPreconditionFailed {
		t.Fatalf("stale phase change: status %d, want 412", st)
	}
	b.wantText("p.alert", "zwischenzeitlich geändert")
	b.shot("stale-version")
	if got := value(b, "reason kept", chromedpValue("#phase-reason")); !strings.Contains(got, "Finanzierung geplatzt") {
		t.Errorf("the reason was lost after 412: %q", got)
	}
	b.submit("#phase button[type=submit]") // the kept input, now on the current version
	b.wantText("ol.stepper li[aria-current=step]", "Gründung")
	b.wantText("#timeline", "Finanzierung geplatzt")
	b.click("#phase details summary")
	b.set("#new-phase", "consolidation")
	b.submit("#phase button[type=submit]")
	b.wantText("ol.stepper li[aria-current=step]", "Festigung")
	b.shot("case-page")

	// The agenda shows today's follow-up, one click from the case.
	b.submit("nav a[href='/agenda']")
	b.wantText("h1", "Wiedervorlagen")
	b.wantText("ul.agenda", "Amina Yusuf")
	b.wantText("ul.agenda", "heute")
	b.checkA11y("agenda")
	b.shot("agenda")
	b.submit("ul.agenda a")
	b.wantText("h1", "Amina Yusuf")
	b.submit("#follow-ups button[type=submit]")
	b.wantText("p.notice", "erledigt")
	b.wantPageText("Keine offenen Wiedervorlagen.", true)

	// "Meine Fälle" shows the case with phase and last contact; filters narrow it.
	b.submit("nav a[href='/cases']")
	b.wantText("table.list", "Amina Yusuf")
	b.wantText("table.list", "Festigung")
	b.wantText("table.list", domain.DayOf(time.Now()).Format("02.01.2006"))
	b.set("#phase", "handover")
	b.submit("form.filters button[type=submit]")
	b.wantPageText("Amina Yusuf", false)
	b.open("/cases?q=amin")
	b.wantText("table.list", "Amina Yusuf")
	b.shot("my-cases")
}

func TestBrowserCoordinatorReassignsACase(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	app.User(t, "jonas@x.de", domain.RoleAdvisor, c1)
	app.User(t, "miriam@x.de", domain.RoleCoordinator, c1)
	id, _ := app.SignIn(t, "aylin@x.de").NewCase(map[string]any{"founder": testenv.Founder("Lina", "Haddad")})
	b := newBrowser(t, app)

	b.signIn("miriam@x.de")
	b.wantText("table.list", "Lina Haddad")
	b.wantPageText("aylin", true) // the lead advisor column of the carrier view
	b.checkA11y("my cases (coordinator)")
	b.submit("table.list a")
	b.wantText("#advisors", "jonas")
	b.wantText("#advisors", "de") // each advisor's languages
	b.checkA11y("case page (coordinator)")
	jonas := evalJS[string](b, `[...document.querySelectorAll("#advisors tbody tr")].find(r => r.textContent.includes("jonas")).querySelector("input[type=radio]").id`)
	b.click("#" + jonas)
	b.submit("#advisors button[type=submit]")
	b.wantText("p.notice", "Zuständigkeit")
	b.wantText(".glance", "jonas")
	b.shot("reassigned")
	b.signOut()

	b.signIn("jonas@x.de")
	b.wantText("table.list", "Lina Haddad")
	b.signOut()

	b.signIn("aylin@x.de")
	b.wantPageText("Lina Haddad", false)
	b.open("/cases/" + id)
	b.wantText("h1", "Nicht gefunden")
	b.checkA11y("404 page")
	b.shot("not-found")
}

func TestBrowserAdministratorCreatesAnAccountThatCanSignIn(t *testing.T) {
	app := testenv.NewApp(t)
	app.Carrier(t, "Migrantenökonomie Nord")
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	b := newBrowser(t, app)

	b.signIn("admin@x.de")
	b.wantText("h1", "Konten")
	if n := evalJS[int](b, `document.querySelectorAll("nav a[href='/cases'], nav a[href='/agenda'], nav a[href='/cases/new']").length`); n != 0 {
		t.Errorf("an administrator's navigation offers counselling pages")
	}
	b.checkA11y("accounts")
	b.fill("#user-name", "Oksana Kovalenko")
	b.fill("#user-email", "oksana@x.de")
	b.fill("#user-password", "kurz")
	b.set("#user-role", "advisor")
	if st := b.submit("form[action='/admin/users'] button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("short password: status %d, want 422", st)
	}
	b.wantText("#user-password-error", "12 Zeichen")
	b.wantText("#user-carrier-error", "Träger")
	if got := value(b, "name kept", chromedpValue("#user-name")); got != "Oksana Kovalenko" {
		t.Errorf("name lost: %q", got)
	}
	b.fill("#user-password", "Lotsen-Passwort-2026")
	b.set("#user-carrier", evalJS[string](b, `document.querySelector("#user-carrier option:nth-child(2)").value`))
	b.set("#user-languages", "uk")
	b.set("#user-languages-2", "ru")
	b.set("#user-languages-3", "de")
	b.submit("form[action='/admin/users'] button[type=submit]")
	b.wantText("h1", "Oksana Kovalenko")
	b.wantText("p.notice", "angelegt")
	b.checkA11y("account roles")
	b.shot("account-created")
	b.open("/admin/carriers")
	b.wantText("table.list", "Migrantenökonomie Nord")
	b.checkA11y("carriers")
	b.open("/cases")
	b.wantText("h1", "Kein Zugriff")
	b.signOut()

	b.open("/login")
	b.fill("#email", "oksana@x.de")
	b.fill("#password", "Lotsen-Passwort-2026")
	b.submit("form.stack button[type=submit]")
	// The administrator chose the password: a one-time one, changed first.
	b.wantText("h1", "Eigenes Passwort wählen")
	b.fill("#current_password", "Lotsen-Passwort-2026")
	b.fill("#new_password", "Oksanas-eigenes-Passwort")
	b.fill("#new_password_confirm", "Oksanas-eigenes-Passwort")
	b.submit("#change-password button[type=submit]")
	b.wantText("h1", "Meine Fälle")
	b.wantText("header .who", "Oksana Kovalenko")
}

// One flow by keyboard only: sign in, open the intake, take in a founder, write a
// confidential note — Tab, typing, Space and Enter, no mouse.
func TestBrowserKeyboardOnlyIntakeAndNote(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "farid@x.de", domain.RoleAdvisor, c1)
	b := newBrowser(t, app)

	b.open("/login")
	b.tabTo("#email")
	b.key("farid@x.de")
	b.tabTo("#password")
	b.key(testenv.Password)
	b.pressAndWait(kb.Enter)
	b.wantText("h1", "Meine Fälle")

	b.tabTo("a[href='/cases/new']")
	b.pressAndWait(kb.Enter)
	b.wantText("h1", "Neue Gründungsperson")
	b.tabTo("#given_name")
	b.key("Zahra")
	b.tabTo("#family_name")
	b.key("Ahmadi")
	b.tabTo("form.grid-form button[type=submit]")
	b.pressAndWait(kb.Enter)
	b.wantText("h1", "Zahra Ahmadi")

	b.tabTo("#notes summary")
	b.key(kb.Enter) // unfolds the form
	b.tabTo("#note-body")
	b.key("Nur für mich: Rückruf wegen Aufenthaltstitel.")
	b.tabTo("#note-confidential")
	b.key(" ")
	b.tabTo("#notes button[type=submit]")
	b.pressAndWait(kb.Enter)
	b.wantText("p.notice", "Vermerk")
	b.wantText("#timeline", "Nur für mich")
	b.wantText("#timeline .badge.confidential", "Vertraulich")
	b.shot("keyboard-note")
}

// An advisor corrects a note and a consultation from the timeline: the edit forms sit
// under the entries, a failed edit keeps the input, and the timeline shows the change.
func TestBrowserAdvisorEditsNoteAndConsultation(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	api := app.SignIn(t, "aylin@x.de")
	id, _ := api.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	kid := fmt.Sprint(api.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/consultations", map[string]any{
		"date": domain.DayOf(time.Now()).String(), "duration_minutes": 60, "mode": "in_person",
		"topics": []string{"business_plan"}, "summary": "Businesplan besprochen"}).Map(t)["id"])
	nid := fmt.Sprint(api.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/notes",
		map[string]any{"body": "Rückruf wegen Gewerbeanmeldung"}).Map(t)["id"])
	b := newBrowser(t, app)
	b.signIn("aylin@x.de")
	b.open("/cases/" + id)

	// The note: a blank text is refused with the error at the field, then the new text.
	note := "#tl-note-" + nid
	b.click(note + " details.edit summary")
	b.checkA11y("case page with an open edit form")
	b.fill("#ne-"+nid+"-body", "   ")
	evalJS[bool](b, `(document.querySelector("#ne-`+nid+`-body").removeAttribute("required"), true)`) // let the server judge
	if st := b.submit(note + " button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("blank note: status %d, want 422", st)
	}
	b.wantText("#ne-"+nid+"-body-error", "Pflichtangabe")
	b.fill("#ne-"+nid+"-body", "Rückruf wegen Gewerbeanmeldung: erledigt, Termin beim Gewerbeamt am Montag.")
	b.submit(note + " button[type=submit]")
	b.wantText("p.notice", "Vermerk wurde geändert")
	b.wantText(note, "Termin beim Gewerbeamt am Montag")
	b.wantText(note, "bearbeitet")

	// The consultation: correct the summary and add a topic.
	k := "#tl-consultation-" + kid
	b.click(k + " details.edit summary")
	b.fill("#ke-"+kid+"-summary", "Businessplan besprochen, Kapitalbedarf grob geschätzt.")
	b.click("#ke-" + kid + "-topic-financing")
	b.submit(k + " button[type=submit]")
	b.wantText("p.notice", "Beratungsgespräch wurde geändert")
	b.wantText(k, "Kapitalbedarf grob geschätzt")
	b.wantText(k, "Finanzierung")
	b.checkA11y("case page after edits")
	b.shot("edited-timeline")
}

// Language switch: English is remembered across pages; error pages stay in the layout.
func TestBrowserLanguageAndErrorPages(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	b := newBrowser(t, app)
	b.signIn("a@x.de")
	b.submit("header a[hreflang=en]")
	b.wantText("h1", "My cases")
	b.open("/cases/new")
	b.wantText("h1", "New founder")
	b.wantText("fieldset.sensitive legend", "Voluntary")
	b.open("/admin/users")
	b.wantText("h1", "Forbidden")
	b.checkA11y("403 page")
	b.open("/cases/" + uuid.NewString())
	b.wantText("h1", "Not found")
	b.wantPageText("sql", false)
	b.submit("header a[hreflang=de]")
	b.wantText("h1", "Nicht gefunden")
}

// Screenshots of the demo data for the README: "Meine Fälle" and a case page.
func TestBrowserDemoScreenshots(t *testing.T) {
	app := testenv.NewApp(t)
	if err := seed.Demo(context.Background(), app.DB.Store, discard{}); err != nil {
		t.Fatal(err)
	}
	if err := app.Authz.Reload(); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, app)
	b.open("/login")
	b.fill("#email", "berater@lotse.example")
	b.fill("#password", seed.DemoPassword)
	b.submit("form.stack button[type=submit]")
	b.wantText("table.list", "Amina Yusuf")
	copyShot(t, b.shot("demo-my-cases"), "my-cases.png")
	b.submit("table.list a")
	b.wantText(".glance", "Aylin Demir")
	copyShot(t, b.shot("demo-case-page"), "case-page.png")
}

func chromedpLocation() chromedp.Action[string] { return chromedp.Location() }

func chromedpValue(sel string) chromedp.Action[string] { return chromedp.Value(chromedp.CSS(sel)) }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// copyShot puts a screenshot into docs/screenshots/ for the README when
// LOTSE_UPDATE_SCREENSHOTS=1, so that an ordinary test run changes no tracked file.
func copyShot(t *testing.T, from, name string) {
	t.Helper()
	if from == "" {
		t.Fatalf("no screenshot for %s", name)
	}
	if os.Getenv("LOTSE_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(repoRoot(t), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Account: a personal API token is shown once and works; revoking ends it; a password
// change keeps this browser signed in and ends every other session.
func TestBrowserAccountTokensAndPassword(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	other := app.SignIn(t, "a@x.de") // another session of the same person
	b := newBrowser(t, app)
	b.signIn("a@x.de")
	b.submit("nav a[href='/account']")
	b.wantText("h1", "Mein Konto")
	b.checkA11y("account")

	b.fill("#token-name", "Auswertungsskript")
	b.fill("#token-password", testenv.Password)
	b.submit("form[action='/account/tokens'] button[type=submit]")
	secret := value(b, "token", chromedpValue("#new-token"))
	if !strings.HasPrefix(secret, "lotse_") {
		t.Fatalf("token not shown: %q", secret)
	}
	b.wantText("#tokens table.list", "Auswertungsskript")
	bearer := app.Anonymous(t)
	bearer.Header.Set("Authorization", "Bearer "+secret)
	bearer.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	b.open("/account")
	if n := evalJS[int](b, `document.querySelectorAll("#new-token").length`); n != 0 {
		t.Errorf("the token secret is shown again")
	}
	evalJS[bool](b, `(window.confirm = () => true, true)`) // the person answers "OK"
	b.submit("#tokens table.list button[type=submit]")
	b.wantText("p.notice", "widerrufen")
	bearer.Must(http.StatusUnauthorized, "GET", "/api/v1/me", nil)

	b.fill("#current_password", "falsch-falsch-falsch")
	b.fill("#new_password", "Neues-Lotsen-Passwort-7")
	b.fill("#new_password_confirm", "Neues-Lotsen-Passwort-7")
	if st := b.submit("form[action='/account/password'] button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password: status %d, want 422", st)
	}
	b.wantText("#current_password-error", "stimmt nicht")
	if got := value(b, "password not echoed", chromedpValue("#new_password")); got != "" {
		t.Errorf("a password was sent back into the page")
	}
	b.fill("#current_password", testenv.Password)
	b.fill("#new_password", "Neues-Lotsen-Passwort-7")
	b.fill("#new_password_confirm", "Neues-Lotsen-Passwort-7")
	b.submit("form[action='/account/password'] button[type=submit]")
	b.wantText("p.notice", "Passwort wurde geändert")
	b.open("/cases")
	b.wantText("h1", "Meine Fälle") // still signed in here
	other.Must(http.StatusUnauthorized, "GET", "/api/v1/me", nil)
	b.shot("account")
}
