package server_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// TestBrowserAdministratorsDay: the administrator searches the account list (accents
// do not matter), edits an account (a taken address is refused with the input kept),
// sets a one-time password (the policy applies); the person signs in with it, reaches
// nothing but the change of it, chooses their own and works; a throttled sign-in says
// for how long. German, then English.
func TestBrowserAdministratorsDay(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt Rhein-Ruhr")
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	adv := domain.Membership{Role: domain.RoleAdvisor, CarrierID: &c1}
	addAccount(t, app, "Ayşe Çelik", "ayse@x.de", adv)
	addAccount(t, app, "Jürgen Groß", "juergen@x.de", adv)
	addAccount(t, app, "Olena Kovalenko", "olena@x.de", adv)
	const oneTime, own = "Einmal-Passwort-2026", "Ayses-eigenes-Passwort"
	b := newBrowser(t, app)

	// The administrator finds the account whatever the accents.
	b.signIn("admin@x.de")
	b.wantText("h1", "Konten")
	b.fill("#users-q", "celik")
	b.submit("form[role=search] button[type=submit]")
	b.wantText("#users tbody", "Ayşe Çelik")
	if n := evalJS[int](b, `document.querySelectorAll("#users tbody tr").length`); n != 1 {
		t.Fatalf("%d accounts found for celik, want 1", n)
	}
	b.checkA11y("account search")
	b.shot("search")
	b.set("#users-sort", "email")
	b.submit("form[role=search] button[type=submit]")
	b.wantText("#users tbody", "Ayşe Çelik") // the search stays with another order
	b.submit("#users tbody a")
	b.wantText("h1", "Ayşe Çelik")

	// Edit: a taken address is refused and nothing typed is lost.
	b.fill("#edit-name", "Ayşe Çelik-Demir")
	b.fill("#edit-email", "JUERGEN@x.de")
	b.set("#edit-languages", "tr") // languages by name, one select each
	b.set("#edit-languages-2", "de")
	b.set("#edit-languages-3", "en")
	if st := b.submit("#edit-user button[type=submit]"); st != http.StatusConflict {
		t.Fatalf("taken address: status %d", st)
	}
	b.wantText("#edit-email-error", "bereits vergeben")
	if got := value(b, "name kept", chromedpValue("#edit-name")); got != "Ayşe Çelik-Demir" {
		t.Errorf("name lost: %q", got)
	}
	if got := value(b, "languages kept", chromedpValue("#edit-languages-2")); got != "de" {
		t.Errorf("second language lost: %q", got)
	}
	b.shot("edit-taken-address")
	b.fill("#edit-email", "ayse.demir@x.de")
	b.submit("#edit-user button[type=submit]")
	b.wantText("h1", "Ayşe Çelik-Demir")
	b.wantText("p.notice", "gespeichert")
	b.wantText("p.meta", "ayse.demir@x.de")

	// Reset: the policy applies to the one-time password too.
	evalJS[bool](b, `(window.confirm = () => true, true)`) // the administrator answers "OK"
	b.fill("#reset-password-input", "kurz")
	if st := b.submit("#reset-password button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("short one-time password: status %d", st)
	}
	b.wantText("#reset-password-input-error", "12 Zeichen")
	evalJS[bool](b, `(window.confirm = () => true, true)`)
	b.fill("#reset-password-input", oneTime)
	b.submit("#reset-password button[type=submit]")
	b.wantText("p.notice", "Einmalpasswort ist gesetzt")
	b.wantText("p.meta", "Passwortwechsel ausstehend")
	b.checkA11y("account page")
	b.shot("one-time-password-set")
	b.signOut()

	// The person signs in with it and must choose their own password first.
	b.open("/login")
	b.fill("#email", "ayse.demir@x.de")
	b.fill("#password", oneTime)
	b.submit("form.stack button[type=submit]")
	b.wantText("h1", "Eigenes Passwort wählen")
	b.checkA11y("forced password change")
	b.shot("forced-change")
	b.open("/agenda")
	b.wantText("h1", "Eigenes Passwort wählen") // nothing else is reachable
	b.fill("#current_password", oneTime)
	b.fill("#new_password", own)
	b.fill("#new_password_confirm", own+"!")
	if st := b.submit("#change-password button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("mismatched confirmation: status %d", st)
	}
	b.wantText("#new_password_confirm-error", "stimm")
	b.wantText("h1", "Eigenes Passwort wählen")
	b.fill("#current_password", oneTime)
	b.fill("#new_password", own)
	b.fill("#new_password_confirm", own)
	b.submit("#change-password button[type=submit]")
	b.wantText("h1", "Meine Fälle")
	b.wantText("p.notice", "neues Passwort ist gespeichert")
	b.wantText("header .who", "Ayşe Çelik-Demir")
	b.shot("works-after-change")
	b.signOut()

	// A throttled sign-in says for how long — for an address nobody has, too.
	for range 5 {
		app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "niemand@x.de", "password": "falsch-falsch-falsch"})
	}
	b.open("/login")
	b.fill("#email", "niemand@x.de")
	b.fill("#password", "noch-ein-versuch-2026")
	if st := b.submit("form.stack button[type=submit]"); st != http.StatusTooManyRequests {
		t.Fatalf("throttled sign-in: status %d", st)
	}
	b.wantText("#login-error", "Bitte versuchen Sie es in 15 Minuten erneut.")
	b.shot("throttled")

	// English.
	b.submit("header a[hreflang=en]")
	b.fill("#email", "niemand@x.de")
	b.fill("#password", "noch-ein-versuch-2026")
	b.submit("form.stack button[type=submit]")
	b.wantText("#login-error", "Please try again in 15 minutes.")
	b.shot("throttled-en")
	b.signIn("admin@x.de")
	b.wantText("h1", "Accounts")
	b.fill("#users-q", "KOVALENKO")
	b.submit("form[role=search] button[type=submit]")
	b.submit("#users tbody a")
	b.wantText("h1", "Olena Kovalenko")
	b.wantText("#edit-h", "Edit account")
	b.wantText("#reset-h", "Reset password")
	evalJS[bool](b, `(window.confirm = () => true, true)`)
	b.fill("#reset-password-input", oneTime)
	b.submit("#reset-password button[type=submit]")
	b.wantText("p.notice", "one-time password is set")
	b.shot("account-page-en")
	b.signOut()
	b.open("/login")
	b.fill("#email", "olena@x.de")
	b.fill("#password", oneTime)
	b.submit("form.stack button[type=submit]")
	b.wantText("h1", "Choose your own password")
	b.checkA11y("forced password change (en)")
	b.shot("forced-change-en")
	b.fill("#current_password", oneTime)
	b.fill("#new_password", "Olenas-eigenes-Passwort")
	b.fill("#new_password_confirm", "Olenas-eigenes-Passwort")
	b.submit("#change-password button[type=submit]")
	b.wantText("h1", "My cases")
}
