package server_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// Signed-in sessions: the same person in two browsers; the first lists both (its own
// marked), signs the other out, and the other is sent to the sign-in on its next page.
// German with a screenshot, the list once in English.
func TestBrowserSessions(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	office := newBrowser(t, app)
	office.signIn("a@x.de")
	home := newBrowser(t, app)
	home.signIn("a@x.de")

	office.open("/account")
	office.wantText("#sessions h2", "Angemeldete Sitzungen")
	if n := evalJS[int](office, `document.querySelectorAll("#sessions tbody tr").length`); n != 2 {
		t.Fatalf("%d sessions listed, want 2", n)
	}
	office.wantText("#sessions tbody tr.current", "Diese Sitzung")
	// Headless Chromium on Linux, reduced to its name: no version, no full User-Agent.
	office.wantText("#sessions tbody tr:not(.current)", "Chrome unter Linux")
	if strings.Contains(office.text("#sessions"), "HeadlessChrome") {
		t.Error("the User-Agent is shown")
	}
	office.wantText("form[action='/account/sessions/end-others'] button", "Überall sonst abmelden")
	office.checkA11y("account with sessions")
	office.shot("sessions")

	office.submit("#sessions tbody tr:not(.current) button[type=submit]")
	office.wantText("p.notice", "Die Sitzung wurde abgemeldet")
	if n := evalJS[int](office, `document.querySelectorAll("#sessions tbody tr").length`); n != 1 {
		t.Fatalf("%d sessions listed after signing the other out, want 1", n)
	}
	if n := evalJS[int](office, `document.querySelectorAll("form[action='/account/sessions/end-others']").length`); n != 0 {
		t.Error("\"sign out everywhere else\" is offered with no other session")
	}

	home.step("next page", chromedp.Navigate(app.URL+"/cases"), chromedp.WaitReady(chromedp.CSS("main")))
	if loc := value(home, "location", chromedp.Location()); !strings.Contains(loc, "/login") {
		t.Fatalf("the signed-out browser is at %s, want /login", loc)
	}
	home.shot("signed-out")

	office.open("/account?lang=en")
	office.wantText("#sessions h2", "Signed-in sessions")
	office.wantText("#sessions tbody tr.current", "This session")
	office.wantText("#sessions tbody tr.current", "Chrome on Linux")
	office.checkA11y("account with sessions (English)")
	office.shot("sessions-en")
}
