package server_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// A coordinator records a founder's consent to counselling on the case page, sees it
// in the consents section, then records the withdrawal by keyboard and sees the warning
// and the history — in German, as the browser asks.
func TestBrowserCoordinatorRecordsAndWithdrawsAConsent(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	app.User(t, "kerstin@x.de", domain.RoleCoordinator, c1)
	founder := testenv.Founder("Amina", "Yusuf")
	founder["languages"] = []string{"so", "ar"}
	id, _ := app.SignIn(t, "aylin@x.de").NewCase(map[string]any{"founder": founder})

	b := newBrowser(t, app)
	b.signIn("kerstin@x.de")
	b.open("/cases/" + id)
	b.wantText("#consents-h", "Einwilligungen")
	b.wantText("#consents p.alert", "keine Einwilligung erfasst")
	b.wantText("#consent-counselling", "nicht\u00a0erfasst")
	b.checkA11y("case page with consents")

	// Granting, with the mouse.
	b.click("#consents details.consent-record summary")
	b.checkA11y("consent form")
	b.set("#consent-purpose", domain.PurposeCounselling)
	b.click("#consent-granted")
	b.fill("#consent-text-version", "2026-01")
	b.set("#consent-language", "so")
	if st := b.submit("#consents form button[type=submit]"); st != http.StatusOK {
		t.Fatalf("recording the consent: status %d", st)
	}
	b.wantText("p.notice", "Die Einwilligung wurde erfasst.")
	b.wantText("#consent-counselling", "erteilt")
	b.wantText("#consent-counselling", "Somali")
	b.wantText("#consent-counselling", "kerstin")
	b.wantPageText("keine Einwilligung erfasst", false)
	b.shot("consent-granted")

	// Withdrawing, as easy and by keyboard only: the form, the purpose, the answer
	// (arrow keys within the radio group), the text version, Enter.
	b.tabTo("#consents details.consent-record summary")
	b.key(kb.Enter)
	b.tabTo("#consent-purpose")
	b.set("#consent-purpose", domain.PurposeCounselling) // a select's own popup is no page content
	b.tabTo("#consent-granted")
	b.key(kb.ArrowDown)
	if !evalJS[bool](b, `document.querySelector("#consent-withdrawn").checked`) {
		b.shot("failed")
		t.Fatal("the arrow key did not choose the withdrawal")
	}
	b.tabTo("#consent-text-version")
	b.key("2026-01")
	b.tabTo("#consents form button[type=submit]")
	if st := b.pressAndWait(kb.Enter); st != http.StatusOK {
		t.Fatalf("recording the withdrawal: status %d", st)
	}
	b.wantText("p.notice", "Der Widerruf wurde erfasst.")
	b.wantText("#consent-counselling", "widerrufen")
	b.wantText("#consents p.alert[role=alert]", "Die Einwilligung zur Beratung ist widerrufen")
	b.click("#consents details.consent-history summary")
	b.wantText("#consents details.consent-history", "erteilt")
	b.wantText("#consents details.consent-history", "widerrufen")
	b.checkA11y("case page after the withdrawal")
	b.shot("consent-withdrawn")
}
