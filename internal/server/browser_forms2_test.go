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
			if got := evalJS[string](b, `document.activeElement.id`); got != "kept-notice" {
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
