package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// An administrator without a second factor signs in, is held at the enrolment, reads
// the key from the page into their app (the test computes the codes), confirms, keeps
// the recovery codes, and signs in again with password and code, then with a recovery
// code. German throughout; the enrolment page once in English.
func TestBrowserAdministratorEnrolsASecondFactor(t *testing.T) {
	app := testenv.NewApp(t)
	adminWithoutSecondFactor(t, app, "ada@x.de")
	b := newBrowser(t, app)
	location := func() string { return value(b, "location", chromedpLocation()) }
	passwordStep := func() {
		b.t.Helper()
		b.open("/login")
		b.fill("#email", "ada@x.de")
		b.fill("#password", testenv.Password)
		b.submit("form.stack button[type=submit]")
	}

	passwordStep()
	if !strings.HasSuffix(location(), "/account/second-factor") {
		t.Fatalf("after sign-in at %s, want the enrolment", location())
	}
	b.wantText("h1", "Zwei-Faktor-Anmeldung")
	b.wantText("#second-factor-required", "Ihre Rolle verlangt")
	b.checkA11y("second factor required")
	b.shot("required")
	b.open("/admin/users") // nothing else is reachable yet
	if !strings.HasSuffix(location(), "/account/second-factor") {
		t.Fatalf("/admin/users reached without a second factor: %s", location())
	}

	b.submit("form[action='/account/second-factor/enrolment'] button")
	if !evalJS[bool](b, `(() => { const i = document.querySelector("#qr-code"); return !!i && i.complete && i.naturalWidth > 100 && i.src.startsWith("data:image/png;base64,"); })()`) {
		t.Fatal("the QR code is not shown")
	}
	secret := value(b, "secret", chromedpValue("#totp-secret"))
	if len(secret) != 32 {
		t.Fatalf("secret %q", secret)
	}
	b.checkA11y("enrolment")
	b.shot("enrolment")

	b.open("/account/second-factor?lang=en")
	b.wantText("h1", "Two-factor sign-in")
	b.wantText("#enrol", "Scan the QR code")
	if got := value(b, "secret", chromedpValue("#totp-secret")); got != secret {
		t.Fatalf("a reload shows another key: %q", got)
	}
	b.checkA11y("enrolment (English)")
	b.shot("enrolment-en")
	b.open("/account/second-factor?lang=de")

	b.fill("#enable-code", "000000")
	b.fill("#enable-password", testenv.Password)
	if st := b.submit("form[action='/account/second-factor'] button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: status %d", st)
	}
	b.wantText("#enable-code-error", "stimmt nicht")
	b.fill("#enable-code", codeAt(t, secret, time.Now()))
	b.fill("#enable-password", testenv.Password)
	if st := b.submit("form[action='/account/second-factor'] button[type=submit]"); st != http.StatusOK {
		t.Fatalf("confirming: status %d", st)
	}
	codes := evalJS[[]string](b, `Array.from(document.querySelectorAll("#recovery-codes code")).map(e => e.textContent)`)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown", len(codes))
	}
	b.wantText("#second-factor-state", "Eingeschaltet seit")
	b.checkA11y("recovery codes")
	b.shot("recovery-codes")
	b.open("/admin/users")
	if !strings.HasSuffix(location(), "/admin/users") {
		t.Fatalf("after enrolment still held at %s", location())
	}
	b.signOut()

	// Password, then the code of the next time step (the enrolment used this one).
	passwordStep()
	if !strings.HasSuffix(location(), "/login/second-factor") {
		t.Fatalf("after the password at %s, want the code step", location())
	}
	b.wantText("h1", "Code eingeben")
	b.checkA11y("code step")
	b.shot("code-step")
	b.fill("#code", "123456")
	if st := b.submit("form.stack button[type=submit]"); st != http.StatusUnauthorized {
		t.Fatalf("wrong code: status %d", st)
	}
	b.wantText("#login-error", "stimmt nicht")
	b.fill("#code", codeAt(t, secret, time.Now().Add(30*time.Second)))
	b.submit("form.stack button[type=submit]")
	if !strings.HasSuffix(location(), "/admin/users") {
		t.Fatalf("signed in at %s, want the administration", location())
	}
	b.signOut()

	passwordStep()
	b.fill("#code", codes[0])
	b.submit("form.stack button[type=submit]")
	if !strings.HasSuffix(location(), "/admin/users") {
		t.Fatalf("recovery code: at %s", location())
	}
	b.open("/account/second-factor")
	b.wantText("#second-factor-state", "Unbenutzte Wiederherstellungscodes: 9")
	b.shot("after-recovery-code")
}
