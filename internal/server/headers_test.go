package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/server"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// checkSecurityHeaders fails unless r carries the headers every answer must carry.
func checkSecurityHeaders(t *testing.T, r testenv.Response) {
	t.Helper()
	csp := r.Header.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP %q lacks %q", csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe code: %q", csp)
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	adv := app.SignIn(t, "a@x.de")
	anon := app.Anonymous(t)
	id, _ := adv.NewCase(map[string]any{"founder": testenv.Founder("A", "B")})
	for _, tc := range []struct {
		name    string
		client  *testenv.Client
		method  string
		path    string
		status  int
		noStore bool
	}{
		{"api_answer_signed_in", adv, "GET", "/api/v1/cases/" + id, 200, true},
		{"api_list_signed_in", adv, "GET", "/api/v1/cases", 200, true},
		{"api_me", adv, "GET", "/api/v1/me", 200, true},
		{"api_404", adv, "GET", "/api/v1/cases/" + uuid.NewString(), 404, true},
		{"api_401", anon, "GET", "/api/v1/me", 401, true},
		{"unknown_route_404", anon, "GET", "/nothing/here", 404, false},
		{"wrong_method_404", anon, "PUT", "/healthz", 404, false},
		{"page_signed_in", adv, "GET", "/cases", 200, true},
		{"page_redirect", anon, "GET", "/cases", 303, false},
		{"login_page", anon, "GET", "/login", 200, false},
		{"static_file", anon, "GET", "/static/lotse.css", 200, false},
		{"static_404", anon, "GET", "/static/nothing.css", 404, false},
		{"healthz", anon, "GET", "/healthz", 200, false},
		{"openapi", anon, "GET", "/api/v1/openapi.yaml", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.client.Do(tc.method, tc.path, nil)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d", r.Status, tc.status)
			}
			checkSecurityHeaders(t, r)
			if cc := r.Header.Get("Cache-Control"); tc.noStore && !strings.Contains(cc, "no-store") {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
		})
	}
	t.Run("static_files_may_be_cached", func(t *testing.T) {
		r := anon.Must(200, "GET", "/static/lotse.css", nil)
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age") || strings.Contains(cc, "no-store") {
			t.Errorf("Cache-Control %q", cc)
		}
	})
	t.Run("no_hsts_on_plain_http_for_development", func(t *testing.T) {
		if h := anon.Do("GET", "/healthz", nil).Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("HSTS %q without secure cookies", h)
		}
	})
}

func TestSecurityHeadersOnServerErrors(t *testing.T) {
	app := testenv.NewApp(t, func(c *server.Config) { c.SecureCookies = true })
	anon := app.Anonymous(t)
	if h := anon.Do("GET", "/healthz", nil).Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
		t.Errorf("HSTS %q in production mode", h)
	}
	// With the connection pool gone every query fails: the answer is a 500 without internals.
	if err := app.DB.Store.DB.Close(); err != nil {
		t.Fatal(err)
	}
	r := anon.Do("POST", "/api/v1/session", map[string]string{"email": "a@x.de", "password": testenv.Password})
	mustProblem(t, r, 500)
	checkSecurityHeaders(t, r)
	r = anon.Do("GET", "/readyz", nil)
	if r.Status != 503 {
		t.Fatalf("readyz %d", r.Status)
	}
	checkSecurityHeaders(t, r)
}

func TestCrossOriginWritesAreRefused(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	adv := app.SignIn(t, "a@x.de")
	body := map[string]any{"founder": testenv.Founder("Cross", "Site")}
	count := func() int {
		var n int
		_ = app.DB.Store.DB.Get(&n, `SELECT count(*) FROM cases`)
		return n
	}
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"foreign_origin", []string{"Origin", "https://evil.example"}},
		{"cross_site_fetch", []string{"Sec-Fetch-Site", "cross-site"}},
		{"foreign_origin_and_cross_site", []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}},
	} {
		t.Run(tc.name+"_api_403", func(t *testing.T) {
			n := count()
			r := adv.Do("POST", "/api/v1/cases", body, tc.headers...)
			if r.Status != 403 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			checkSecurityHeaders(t, r)
			if count() != n {
				t.Fatal("a cross-origin request wrote")
			}
		})
		t.Run(tc.name+"_sign_in_form_403", func(t *testing.T) {
			r := app.Anonymous(t).Do("POST", "/login", "email=a%40x.de&password="+testenv.Password,
				append([]string{"Content-Type", "application/x-www-form-urlencoded"}, tc.headers...)...)
			if r.Status != 403 {
				t.Fatalf("%d", r.Status)
			}
		})
	}
	t.Run("same_origin_allowed", func(t *testing.T) {
		adv.Must(201, "POST", "/api/v1/cases", body, "Origin", app.URL, "Sec-Fetch-Site", "same-origin")
	})
	t.Run("cross_origin_reads_allowed", func(t *testing.T) {
		adv.Must(200, "GET", "/api/v1/cases", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	})
}

func TestForwardedForIsNotTrustedByDefault(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proxies []string
		want    int // answer to the fourth failed sign-in, each "from" another address
	}{
		{"untrusted_header_is_ignored", nil, 429},
		{"trusted_proxy_is_believed", []string{"127.0.0.1"}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := testenv.NewApp(t, func(c *server.Config) {
				c.LoginFailuresPerAddress = 3
				c.TrustedProxies = tc.proxies
			})
			var last int
			for i := 0; i < 4; i++ {
				r := app.Anonymous(t).Do("POST", "/api/v1/session",
					map[string]string{"email": fmt.Sprintf("u%d@x.de", i), "password": "falsch-falsch-falsch"},
					"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
				last = r.Status
			}
			if last != tc.want {
				t.Fatalf("fourth attempt %d, want %d", last, tc.want)
			}
		})
	}
}
