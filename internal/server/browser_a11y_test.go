package server_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// luminance is the WCAG relative luminance of an "rgb(r, g, b)" colour.
func luminance(t *testing.T, css string) float64 {
	t.Helper()
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(css, "rgba("), "rgb("), ")"), ",")
	if len(parts) < 3 {
		t.Fatalf("not a colour: %q", css)
	}
	var l [3]float64
	for i := range 3 {
		v, err := strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
		if err != nil {
			t.Fatalf("not a colour: %q", css)
		}
		c := v / 255
		if c <= 0.03928 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// The focus outline stands out from the page at 3:1 or more (WCAG 2.1 1.4.11): computed
// from the colours the browser applies to a focused link and a focused field.
func TestBrowserFocusOutlineContrast(t *testing.T) {
	app := testenv.NewApp(t)
	app.User(t, "berater@x.de", domain.RoleAdvisor, app.Carrier(t, "C1"))
	b := newBrowser(t, app)
	b.signIn("berater@x.de")
	b.open("/cases/new")
	for _, sel := range []string{"nav a", "#given_name"} {
		b.tabTo(sel)
		outline := evalJS[string](b, `getComputedStyle(document.activeElement).outlineColor`)
		width := evalJS[string](b, `getComputedStyle(document.activeElement).outlineWidth`)
		bg := evalJS[string](b, `getComputedStyle(document.body).backgroundColor`)
		if bg == "rgba(0, 0, 0, 0)" {
			bg = "rgb(255, 255, 255)"
		}
		lo, lb := luminance(t, outline), luminance(t, bg)
		ratio := (math.Max(lo, lb) + 0.05) / (math.Min(lo, lb) + 0.05)
		if ratio < 3 || width == "0px" {
			t.Errorf("%s: focus outline %s (%s) on %s has contrast %.2f:1, want at least 3:1", sel, outline, width, bg, ratio)
		}
	}
	b.shot("focus-outline")
}
