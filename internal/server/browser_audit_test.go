package server_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A coordinator opens a case and, by keyboard, follows "who opened or changed this
// case?" to the case's audit trail: the advisor who opened it, by name, under the case's
// number and without the founder's name; filtered by that person; in English. An
// administrator finds the failed sign-in in the security events. The page fits a phone.
func TestBrowserAuditTrail(t *testing.T) {
	x := newAuditFixture(t)
	b := newBrowser(t, x.app)
	b.signIn("kora@c1.de")
	b.open("/cases/" + x.k1.String())
	b.wantText("h1", "Amina Yusuf")
	b.tabTo("#case-audit")
	b.pressAndWait(kb.Enter)
	b.wantText("h1", "Wer hat Fall F-")
	b.wantText("#audit-events", "anna")
	b.wantText("#audit-events", "Fall geöffnet")
	b.wantText("#audit-events", "Beratungsgespräch erfasst")
	b.wantPageText("Yusuf", false)
	if got := evalJS[string](b, `document.querySelector("#a-object").value`); got != x.k1.String() {
		t.Errorf("the object field holds %q, want the case's id", got)
	}
	b.checkA11y("audit trail of a case")
	b.shot("case-audit")

	// Only anna's events: every row names her.
	b.set("#a-actor", x.anna.String())
	b.submit("form[action='/audit'] button[type=submit]")
	b.wantText("#audit-events", "Fall geöffnet")
	if others := evalJS[int](b, `[...document.querySelectorAll("#audit-events tbody tr")].filter(r => r.cells[1].textContent.trim() !== "anna").length`); others != 0 {
		t.Errorf("%d rows of someone else under anna's filter", others)
	}
	b.shot("case-audit-anna")

	// The period field refuses an end before the start, next to the field.
	b.set("#a-from", "2025-05-02")
	b.set("#a-to", "2025-05-01")
	b.submit("form[action='/audit'] button[type=submit]")
	b.wantText("#a-to-error", "Das Ende des Zeitraums liegt vor seinem Anfang.")
	b.checkA11y("audit trail, invalid period")

	b.open("/audit?lang=en&object_id=" + x.k1.String())
	b.wantText("h1", "Who opened or changed case F-")
	b.wantText("#audit-events", "Case opened")
	b.shot("case-audit-en")
	b.open("/audit?lang=de")
	b.signOut()

	b.signIn("admin@x.de")
	b.submit("nav a[href='/audit']")
	b.wantText("h1", "Protokoll")
	b.wantText("main p.meta", "Sicherheitsereignisse")
	b.wantText("#audit-events", "Rollen geändert")
	b.set("#a-action", "auth.login_failed")
	b.submit("form[action='/audit'] button[type=submit]")
	b.wantText("#audit-events", "Anmeldung fehlgeschlagen")
	b.wantText("#audit-events", "Konto: anna")
	b.wantText("#audit-events", "abgelehnt")
	b.wantPageText("Fall geöffnet", false)
	b.checkA11y("security events")
	b.shot("security-events")

	b.step("phone width", chromedp.EmulateViewport(390, 844))
	for _, p := range []string{"/audit", "/audit?action=auth.login_failed"} {
		b.open(p)
		if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 390 {
			b.shot("too-wide")
			t.Errorf("%s is %d px wide on a 390 px phone", p, w)
		}
	}
	b.shot("security-events-phone")
}
