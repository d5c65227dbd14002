package server_test

import (
	"html"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// TestCaseSearchByTransliteration: GET /api/v1/cases?q= and the page /cases?q= find
// founders under other spellings of their names and by contact data, within the
// caller's scope only — the other carrier's namesakes never show.
func TestCaseSearchByTransliteration(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	c2 := app.Carrier(t, "Andere Beratung")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	app.User(t, "jonas@x.de", domain.RoleAdvisor, c1)
	app.User(t, "miriam@x.de", domain.RoleCoordinator, c1)
	app.User(t, "other@x.de", domain.RoleAdvisor, c2)
	aylin, jonas, other := app.SignIn(t, "aylin@x.de"), app.SignIn(t, "jonas@x.de"), app.SignIn(t, "other@x.de")
	founder := func(given, family string, more map[string]any) map[string]any {
		f := testenv.Founder(given, family)
		for k, v := range more {
			f[k] = v
		}
		return map[string]any{"founder": f}
	}
	aylin.NewCase(founder("Fatma", "Yılmaz", nil))
	aylin.NewCase(founder("Jusuf", "Al-Sayed", map[string]any{"email": "jusuf@example.org",
		"phone": "+49 170 1234567", "postcode": "10115", "city": "Berlin"}))
	aylin.NewCase(founder("Ayşe", "Öztürk", nil))
	aylin.NewCase(founder("Mehmet", "Kaya", nil))
	jonas.NewCase(founder("Hans", "Müller", map[string]any{"city": "Köln"}))
	other.NewCase(founder("Yusuf", "Alsayed", map[string]any{"email": "jusuf@example.org", "postcode": "10115"}))
	other.NewCase(founder("Fatima", "Öztürk", nil))
	coord := app.SignIn(t, "miriam@x.de")

	names := func(t *testing.T, c *testenv.Client, q string) []string {
		t.Helper()
		var l struct {
			Items []struct {
				FounderName string `json:"founder_name"`
			} `json:"items"`
		}
		c.Must(200, "GET", "/api/v1/cases?q="+url.QueryEscape(q), nil).JSON(t, &l)
		out := []string{}
		for _, it := range l.Items {
			out = append(out, it.FounderName)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		who  string
		c    *testenv.Client
		q    string
		want []string
	}{
		{"coordinator", coord, "Fatima", []string{"Fatma Yılmaz"}},
		{"coordinator", coord, "Yusuf", []string{"Jusuf Al-Sayed"}},
		{"coordinator", coord, "Alsayed", []string{"Jusuf Al-Sayed"}},
		{"coordinator", coord, "Mueller", []string{"Hans Müller"}},
		{"coordinator", coord, "Muller", []string{"Hans Müller"}},
		{"coordinator", coord, "ozturk", []string{"Ayşe Öztürk"}},
		{"coordinator", coord, "koeln", []string{"Hans Müller"}},
		{"coordinator", coord, "JUSUF@example.org", []string{"Jusuf Al-Sayed"}},
		{"coordinator", coord, "0170 123 45 67", []string{"Jusuf Al-Sayed"}},
		{"coordinator", coord, "10115", []string{"Jusuf Al-Sayed"}},
		{"coordinator", coord, "Fatih", []string{}},
		{"coordinator", coord, "Kayali", []string{}},
		{"advisor", aylin, "Muller", []string{}}, // Jonas's founder
		{"advisor", jonas, "Muller", []string{"Hans Müller"}},
		{"advisor of the other carrier", other, "Jusuf", []string{"Yusuf Alsayed"}},
		{"advisor of the other carrier", other, "Fatma", []string{"Fatima Öztürk"}},
		{"advisor of the other carrier", other, "Mehmet", []string{}},
	} {
		if got := names(t, tc.c, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s searches %q: %v, want %v", tc.who, tc.q, got, tc.want)
		}
	}

	// The page's case list searches the same way.
	page := string(coord.Must(200, "GET", "/cases?q="+url.QueryEscape("Öztürk"), nil).Body)
	if body := html.UnescapeString(page); !strings.Contains(body, "Ayşe Öztürk") || strings.Contains(body, "Fatima Öztürk") || strings.Contains(body, "Mehmet Kaya") {
		t.Errorf("the page /cases?q=Öztürk shows the wrong founders:\n%s", page)
	}
	page = html.UnescapeString(string(aylin.Must(200, "GET", "/cases?q=jusuf", nil).Body))
	if !strings.Contains(page, "Jusuf Al-Sayed") || strings.Contains(page, "Yusuf Alsayed") {
		t.Errorf("the advisor's page /cases?q=jusuf shows the wrong founders")
	}
}
