package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// media switches the page's CSS media type ("print", or "" for the screen).
func (b *browser) media(m string) {
	b.t.Helper()
	b.step("media "+m, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return err
	}))
}

// The case page links a handover sheet: the case on one page, without navigation,
// forms or buttons, and without any confidential note — not even its author's own.
func TestBrowserCaseSummary(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	app.User(t, "koord@x.de", domain.RoleCoordinator, c1)
	adv := app.SignIn(t, "aylin@x.de")
	founder := testenv.Founder("Amina", "Yusuf")
	founder["languages"], founder["country_of_birth"], founder["nationalities"] = []string{"so", "ar"}, "SO", []string{"SO", "DE"}
	id, _ := adv.NewCase(map[string]any{"founder": founder, "business": map[string]any{"idea": "Änderungsschneiderei"}})
	adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/notes", map[string]any{"body": "Vertraulich: Schulden beim Vermieter", "confidential": true})
	adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/notes", map[string]any{"body": "Steuerberatung vermittelt"})
	adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/consultations", map[string]any{
		"date": domain.DayOf(time.Now()).String(), "duration_minutes": 60, "mode": "in_person", "topics": []string{"financing"},
		"languages": []string{"so", "de"}, "summary": "Finanzierung besprochen", "next_steps": "Hausbank anrufen"})
	names := map[string][]string{"de": {"Somali", "Arabisch", "Somalia", "Deutschland"}, "en": {"Somali", "Arabic", "Somalia", "Germany"}}
	for _, lang := range []string{"de", "en"} {
		for _, who := range []string{"aylin@x.de", "koord@x.de"} {
			t.Run(lang+"_"+strings.Split(who, "@")[0], func(t *testing.T) {
				b := newBrowser(t, app)
				b.language(lang)
				b.signIn(who)
				b.open("/cases/" + id)
				b.submit("#case-summary-link")
				if loc := value(b, "location", chromedp.Location()); !strings.HasSuffix(loc, "/cases/"+id+"/summary") {
					t.Fatalf("the link leads to %s", loc)
				}
				if n := evalJS[int](b, `document.querySelectorAll("nav, form, main button").length`); n != 0 {
					t.Fatalf("the sheet has %d navigation, form or button elements", n)
				}
				b.wantPageText("Steuerberatung vermittelt", true)
				b.wantPageText("Hausbank anrufen", true)
				b.wantPageText("Schulden", false)
				for _, n := range names[lang] {
					b.wantPageText(n, true)
				}
				if who == "aylin@x.de" {
					b.wantText(".handover", map[string]string{"de": "vertrauliche Vermerke (1)", "en": "confidential notes (1)"}[lang])
				}
				b.checkA11y("handover sheet")
				b.shot("summary-" + lang)
				b.media("print")
				if hidden := evalJS[bool](b, `["header", "footer", ".no-print"].every(s => getComputedStyle(document.querySelector(s)).display === "none")`); !hidden {
					t.Fatal("printing shows the header, footer or the link back")
				}
				b.shot("summary-print-" + lang)
				b.media("")
			})
		}
	}
}

// On a phone (390 px) the case list and the case page reflow: the page never scrolls
// sideways (WCAG 1.4.10), in German and English, for an advisor and a coordinator (who
// sees the advisor column and the assignment table).
func TestBrowserPhoneWidth(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt Rhein-Ruhr")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	app.User(t, "koord@x.de", domain.RoleCoordinator, c1)
	adv := app.SignIn(t, "aylin@x.de")
	var id string
	for i, name := range [][2]string{{"Amina", "Yusuf-Abdirahman"}, {"Oleksandr", "Kovalenko"}, {"Fatma", "Al-Sayed"}} {
		f := testenv.Founder(name[0], name[1])
		f["languages"], f["email"], f["phone"] = []string{"so", "ar", "de"}, fmt.Sprintf("sehr.lange.adresse.%d@beispiel-gruendungswerkstatt.example", i), "+49 170 1234567"
		id, _ = adv.NewCase(map[string]any{"founder": f, "business": map[string]any{"idea": "Änderungsschneiderei mit Upcycling und Lieferdienst im ganzen Ruhrgebiet"}})
	}
	adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/consultations", map[string]any{
		"date": domain.DayOf(time.Now()).String(), "duration_minutes": 60, "mode": "in_person", "topics": []string{"financing", "business_plan"},
		"languages": []string{"so", "de"}, "summary": strings.Repeat("Finanzierungsbedarf geschätzt, Mikrokredit erklärt. ", 6),
		"next_steps": "Unterlagen für die Hausbank zusammenstellen", "follow_up_on": domain.DayOf(time.Now()).AddDays(5).String()})
	adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+"/notes", map[string]any{"body": "Donaudampfschifffahrtsgesellschaftskapitänsmütze https://example.org/ein/sehr/langer/pfad/ohne/leerzeichen/der/umbrechen/muss"})
	for _, lang := range []string{"de", "en"} {
		for _, who := range []string{"aylin@x.de", "koord@x.de"} {
			t.Run(lang+"_"+strings.Split(who, "@")[0], func(t *testing.T) {
				b := newBrowser(t, app)
				b.step("phone width", chromedp.EmulateViewport(390, 844))
				b.language(lang)
				b.signIn(who)
				for _, page := range []string{"/cases", "/cases/" + id, "/cases/" + id + "/summary"} {
					b.open(page)
					evalJS[bool](b, `(document.querySelectorAll("details").forEach(d => d.open = true), true)`) // every section open
					if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 390 {
						wide := evalJS[[]string](b, `[...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right > 391).slice(0, 8).map(el => el.tagName + "." + el.className + "#" + el.id + " " + Math.round(el.getBoundingClientRect().right))`)
						b.shot("too-wide")
						t.Fatalf("%s is %d px wide at 390 px: %v", page, w, wide)
					}
					b.shot(strings.ReplaceAll(strings.TrimPrefix(page, "/"), "/", "-") + "-" + lang)
				}
			})
		}
	}
}
