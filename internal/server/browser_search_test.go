package server_test

import (
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// Found again, in the browser: an advisor types a name as she heard it, in another
// transliteration, and the case list finds the founder as she was written down; a
// founder of another carrier with the same name stays out of sight. German, then English.
func TestBrowserSearchByTransliteratedName(t *testing.T) {
	app := testenv.NewApp(t)
	c1, c2 := app.Carrier(t, "Gründungswerkstatt"), app.Carrier(t, "Nord")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	app.User(t, "nord@x.de", domain.RoleAdvisor, c2)
	api := app.SignIn(t, "aylin@x.de")
	for _, name := range [][2]string{{"Jusuf", "Al-Sayed"}, {"Fatma", "Öztürk"}, {"Mehmet", "Kaya"}} {
		api.NewCase(map[string]any{"founder": map[string]any{"given_name": name[0], "family_name": name[1]},
			"business": map[string]any{"idea": "Imbiss"}})
	}
	app.SignIn(t, "nord@x.de").NewCase(map[string]any{"founder": map[string]any{"given_name": "Yusuf", "family_name": "Alsayed"},
		"business": map[string]any{"idea": "Kiosk"}})

	b := newBrowser(t, app)
	b.signIn("aylin@x.de")
	for _, tc := range []struct{ query, want, not string }{
		{"Yusuf Alsayed", "Jusuf Al-Sayed", "Fatma"},
		{"fatima ozturk", "Fatma Öztürk", "Jusuf"},
	} {
		b.open("/cases")
		b.fill("#q", tc.query)
		b.submit("form[role=search] button[type=submit]")
		b.wantText("table.cases tbody", tc.want)
		if rows := evalJS[int](b, `document.querySelectorAll("table.cases tbody tr").length`); rows != 1 {
			t.Errorf("%q: %d rows, want only %s (the other carrier's Yusuf Alsayed never)", tc.query, rows, tc.want)
		}
		b.wantPageText(tc.not, false)
	}
	b.shot("search-transliterated")
	b.open("/cases?lang=en&q=Kaja")
	b.wantText("h1", "cases")
	b.wantText("table.cases tbody", "Mehmet Kaya")
	b.shot("search-transliterated-en")
}
