package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/server"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// endSession makes the browser's session run out as 30 idle minutes would: the
// server's session row expires, and the browser drops the session cookie (scs gives it
// the idle timeout as Max-Age).
func (b *browser) endSession() {
	b.t.Helper()
	b.app.DB.Store.DB.MustExec(`UPDATE sessions SET expiry = now() - interval '1 second'`)
	b.step("drop the session cookie", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "lotse_session", URL: b.app.URL})
		return err
	}))
}

// focused is the id of the focused element once it is want, or after 3 s whatever it
// is then (autofocus and the script's focus come a moment after the page's answer).
func (b *browser) focused(want string) string {
	b.t.Helper()
	var got string
	for range 30 {
		if got = evalJS[string](b, `document.activeElement ? document.activeElement.id : ""`); got == want {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return got
}

// language switches the browser's pages to lang ("de" or "en") through the language link.
func (b *browser) language(lang string) {
	b.t.Helper()
	b.open("/login?lang=" + lang)
}

// A consultation written while the session ran out is not lost: sending it leads to the
// sign-in, which says the input is kept, and after signing in the same form shows the
// input again — nothing saved until the advisor sends it. Someone else signing in on the
// same browser sees none of it. The intake form does the same.
func TestBrowserFormKeptAfterSessionEnded(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	app.User(t, "koord@x.de", domain.RoleCoordinator, c1)
	id, _ := app.SignIn(t, "aylin@x.de").NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	consultations := func() int {
		var n int
		app.DB.Store.DB.Get(&n, `SELECT count(*) FROM consultations WHERE case_id = $1`, id)
		return n
	}
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowser(t, app)
			b.language(lang)
			before := consultations()
			summary := "Businessplan besprochen (" + lang + "), Mikrokredit geprüft."

			// 1. the advisor's input is kept for the advisor
			b.signIn("aylin@x.de")
			b.open("/cases/" + id)
			b.click("#consultation summary")
			b.click("#topic-financing")
			b.fill("#k-summary", summary)
			b.fill("#k-next", "Unterlagen für die Hausbank")
			b.endSession()
			if st := b.submit("#consultation button[type=submit]"); st != 200 {
				t.Fatalf("sending after the session ended: status %d", st)
			}
			if loc := value(b, "location", chromedp.Location()); !strings.Contains(loc, "/login") {
				t.Fatalf("after the session ended the form led to %s, want the sign-in", loc)
			}
			b.wantText("#session-ended", map[string]string{"de": "Eingaben sind aufbewahrt", "en": "input has been kept"}[lang])
			if strings.Contains(evalJS[string](b, `document.documentElement.outerHTML`), "Mikrokredit") {
				t.Fatal("the sign-in page carries the kept text")
			}
			b.shot("sign-in-kept-" + lang)
			b.fill("#email", "aylin@x.de")
			b.fill("#password", testenv.Password)
			b.submit("form.stack button[type=submit]")
			if loc := value(b, "location", chromedp.Location()); !strings.HasSuffix(loc, "/cases/"+id) {
				t.Fatalf("after sign-in at %s, want the case page at its consultation form", loc)
			}
			if got := evalJS[string](b, `document.querySelector("#k-summary").value`); got != summary {
				t.Fatalf("summary after sign-in is %q, want %q", got, summary)
			}
			if !evalJS[bool](b, `document.querySelector("#topic-financing").checked && document.querySelector("#consultation details").open`) {
				t.Fatal("the form is not open with its topic checked")
			}
			if got := b.focused("kept-notice"); got != "kept-notice" {
				t.Errorf("focus is on %q, want the notice that the input was kept", got)
			}
			if consultations() != before {
				t.Fatal("the kept input was saved without being sent again")
			}
			b.shot("form-kept-" + lang)
			b.checkA11y("case page with kept input")
			b.submit("#consultation button[type=submit]")
			if consultations() != before+1 {
				t.Fatalf("sending the kept form: %d consultations, want %d", consultations(), before+1)
			}
			b.open("/cases/" + id) // shown once
			if got := evalJS[string](b, `document.querySelector("#k-summary").value`); got != "" {
				t.Fatalf("the kept input shows a second time: %q", got)
			}

			// 2. someone else signing in on this browser sees none of it, and the owner
			// does not get it back after that either
			b.open("/cases/" + id)
			b.click("#notes summary")
			b.fill("#note-body", "Vertraulich: Schulden beim Vermieter")
			b.endSession()
			b.submit("#notes button[type=submit]")
			b.signIn("koord@x.de")
			b.open("/cases/" + id)
			if html := evalJS[string](b, `document.documentElement.outerHTML`); strings.Contains(html, "Schulden") {
				t.Fatal("another account sees the kept input")
			}
			b.signOut()
			b.signIn("aylin@x.de")
			b.open("/cases/" + id)
			if html := evalJS[string](b, `document.documentElement.outerHTML`); strings.Contains(html, "Schulden") {
				t.Fatal("the kept input came back after another account signed in")
			}

			// 3. the intake form
			b.open("/cases/new")
			b.fill("#given_name", "Hevin")
			b.fill("#family_name", "Kaya-"+lang)
			b.fill("#idea", "Kurierdienst mit Lastenrad")
			b.endSession()
			b.submit("form.grid-form button[type=submit]")
			b.fill("#email", "aylin@x.de")
			b.fill("#password", testenv.Password)
			b.submit("form.stack button[type=submit]")
			if got := evalJS[string](b, `location.pathname + "|" + document.querySelector("#family_name").value + "|" + document.querySelector("#idea").value`); got != "/cases/new|Kaya-"+lang+"|Kurierdienst mit Lastenrad" {
				t.Fatalf("intake after sign-in: %q", got)
			}
			b.shot("intake-kept-" + lang)
		})
	}
}

// A few minutes before the idle timeout a notice offers to stay signed in; its button
// renews the session, and when the time has run out the notice says so.
func TestBrowserSessionWarning(t *testing.T) {
	app := testenv.NewApp(t, func(c *server.Config) { c.IdleTimeout = 10 * time.Second })
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowser(t, app)
			b.language(lang)
			b.signIn("aylin@x.de")
			b.open("/cases")
			if evalJS[bool](b, `!document.querySelector("#session-warning").hidden`) {
				t.Fatal("the warning shows right after a request")
			}
			b.step("wait for the warning", chromedp.WaitVisible(chromedp.CSS("#session-keep")))
			b.wantText("#session-warning-text", map[string]string{"de": "Ihre Sitzung endet", "en": "Your session will end"}[lang])
			b.shot("warning-" + lang)
			b.click("#session-keep")
			b.step("the warning goes", chromedp.WaitNotVisible(chromedp.CSS("#session-warning")))
			time.Sleep(4 * time.Second) // past the first timeout: the button renewed the session
			b.open("/agenda")
			if loc := value(b, "location", chromedp.Location()); strings.Contains(loc, "/login") {
				t.Fatal("the session ended although the button renewed it")
			}
			b.step("wait for the end", chromedp.WaitVisible(chromedp.CSS("#session-warning-text")))
			deadline := time.Now().Add(20 * time.Second)
			want := map[string]string{"de": "abgelaufen", "en": "expired"}[lang]
			for !strings.Contains(b.text("#session-warning-text"), want) {
				if time.Now().After(deadline) {
					t.Fatalf("the notice never says the session ended: %q", b.text("#session-warning-text"))
				}
				time.Sleep(500 * time.Millisecond)
			}
			b.shot("ended-" + lang)
			b.open("/agenda")
			if loc := value(b, "location", chromedp.Location()); !strings.Contains(loc, "/login") {
				t.Fatalf("after the idle timeout the agenda is at %s, want the sign-in", loc)
			}
		})
	}
}

// A form with errors shows a summary at the top that has the focus and links each
// wrong field; following a link focuses the field. After a save the message of the
// save has the focus.
func TestBrowserErrorSummaryAndFocus(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	id, _ := app.SignIn(t, "aylin@x.de").NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	yesterday := domain.DayOf(time.Now()).AddDays(-1).String()
	for _, lang := range []string{"de", "en"} {
		t.Run(lang, func(t *testing.T) {
			b := newBrowser(t, app)
			b.language(lang)
			b.signIn("aylin@x.de")

			b.open("/cases/new")
			b.set("#founded_on", "2099-01-01")
			if st := b.submit("form.grid-form button[type=submit]"); st != 422 {
				t.Fatalf("intake without names: status %d, want 422", st)
			}
			if got := b.focused("error-summary"); got != "error-summary" {
				t.Fatalf("focus after the failed intake is on %q, want the error summary", got)
			}
			links := evalJS[[]string](b, `[...document.querySelectorAll("#error-summary a")].map(a => a.getAttribute("href") + " " + a.textContent)`)
			want := []string{"#given_name", "#family_name", "#founded_on"}
			if len(links) != len(want) {
				t.Fatalf("summary links %q, want %d for %v", links, len(want), want)
			}
			for i, w := range want {
				if !strings.HasPrefix(links[i], w+" ") {
					t.Errorf("summary link %d is %q, want %s", i, links[i], w)
				}
			}
			b.wantText("#error-summary", map[string]string{"de": "Vorname", "en": "Given name"}[lang])
			b.shot("intake-summary-" + lang)
			b.click("#error-summary a[href='#family_name']")
			if got := b.focused("family_name"); got != "family_name" {
				t.Fatalf("the summary's link focuses %q, want family_name", got)
			}
			b.checkA11y("intake with errors")

			b.open("/cases/" + id)
			b.click("#follow-ups summary")
			b.fill("#fu-title", "Rückruf")
			b.set("#fu-due", yesterday)
			if st := b.submit("#follow-ups form[action$='/follow-ups'] button[type=submit]"); st != 422 {
				t.Fatalf("follow-up in the past: status %d, want 422", st)
			}
			if got := b.focused("error-summary"); got != "error-summary" {
				t.Fatalf("focus on the case page with errors is on %q", got)
			}
			b.click("#error-summary a")
			if got := b.focused("fu-due"); got != "fu-due" {
				t.Fatalf("the summary's link focuses %q, want fu-due", got)
			}
			b.shot("case-summary-" + lang)
			b.set("#fu-due", domain.DayOf(time.Now()).AddDays(3).String())
			b.submit("#follow-ups form[action$='/follow-ups'] button[type=submit]")
			if got := b.focused("flash"); got != "flash" {
				t.Fatalf("after saving the focus is on %q, want the message", got)
			}
			b.wantText("#flash", map[string]string{"de": "Wiedervorlage", "en": "ollow-up"}[lang])
			b.shot("saved-" + lang)
		})
	}
}
