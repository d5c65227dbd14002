package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// Page benchmarks: server time of each page on the demo data (seed.Demo), measured at
// the handler (security headers, sessions, authentication, authorization, SQL,
// templates), without the network. The issue asks for every page within 50 ms.

// benchPages starts Lotse on the demo data and returns a request function signed in as
// the demo advisor, plus the id of one of their cases.
func benchPages(b *testing.B) (get func(path string) *httptest.ResponseRecorder, caseID string) {
	b.Helper()
	app := testenv.NewApp(b)
	if err := seed.Demo(context.Background(), app.DB.Store, discard{}); err != nil {
		b.Fatal(err)
	}
	if err := app.Authz.Reload(); err != nil {
		b.Fatal(err)
	}
	h := app.Server.Handler()
	body := `{"email":"berater@lotse.example","password":"` + seed.DemoPassword + `"}`
	req := httptest.NewRequest(http.MethodPost, "/api/v1/session", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("sign in: %d %s", rec.Code, rec.Body)
	}
	cookies := rec.Result().Cookies()
	get = func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(get("/api/v1/cases").Body.Bytes(), &list); err != nil || len(list.Items) == 0 {
		b.Fatalf("demo cases: %v (%d)", err, len(list.Items))
	}
	return get, list.Items[0].ID
}

func BenchmarkPages(b *testing.B) {
	get, caseID := benchPages(b)
	for _, page := range []struct{ name, path string }{
		{"cases_list", "/cases"},
		{"case_page", "/cases/" + caseID},
		{"agenda", "/agenda"},
		{"intake_form", "/cases/new"},
		{"account", "/account"},
	} {
		b.Run(page.name, func(b *testing.B) {
			if rec := get(page.path); rec.Code != http.StatusOK {
				b.Fatalf("%s: %d", page.path, rec.Code)
			}
			b.ReportAllocs()
			for b.Loop() {
				if rec := get(page.path); rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", page.path, rec.Code)
				}
			}
		})
	}
}
