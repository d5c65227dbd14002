package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/server"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// loadOpenAPI parses and validates the served description.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(server.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is no valid OpenAPI 3.0: %v", err)
	}
	return doc
}

var ginParam = regexp.MustCompile(`:([a-z_]+)`)

// TestOpenAPIDescribesEveryRoute fails when an /api/v1 route is missing from
// openapi.yaml, or the description names an operation that does not exist.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	app := testenv.NewApp(t)
	routes := map[string]bool{}
	for _, r := range app.Server.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		p := ginParam.ReplaceAllString(r.Path, "{$1}")
		routes[r.Method+" "+p] = true
		item := doc.Paths.Find(p)
		if item == nil || item.GetOperation(r.Method) == nil {
			t.Errorf("%s %s is not described in openapi.yaml", r.Method, p)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !routes[method+" "+path] {
				t.Errorf("openapi.yaml describes %s %s, which is no route", method, path)
			}
		}
	}
	served := app.Anonymous(t).Must(200, "GET", "/api/v1/openapi.yaml", nil)
	if !bytes.Equal(served.Body, server.OpenAPI) {
		t.Error("GET /api/v1/openapi.yaml does not serve the description")
	}
}

// apiChecker sends requests and validates both the request (when it is meant to be
// valid) and the answer against openapi.yaml.
type apiChecker struct {
	t      *testing.T
	app    *testenv.App
	router routers.Router
}

func newAPIChecker(t *testing.T, app *testenv.App) *apiChecker {
	doc := loadOpenAPI(t)
	doc.Servers = nil // match paths on whatever host the test server has
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &apiChecker{t: t, app: app, router: r}
}

// do sends the request with cl, fails unless the answer has status want, and checks
// request and answer against the description.
func (v *apiChecker) do(cl *testenv.Client, want int, method, path string, body any, headers ...string) testenv.Response {
	t := v.t
	t.Helper()
	r := cl.Do(method, path, body, headers...)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	req, err := http.NewRequest(method, v.app.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: not in openapi.yaml: %v", method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if want < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the request does not match openapi.yaml: %v", method, path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header,
		Body: io.NopCloser(bytes.NewReader(r.Body)), Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the %d answer does not match openapi.yaml: %v\n%s", method, path, r.Status, err, r.Body)
	}
	return r
}

func TestResponsesMatchOpenAPI(t *testing.T) {
	app := testenv.NewApp(t)
	v := newAPIChecker(t, app)
	c1, c2 := app.Carrier(t, "C1"), app.Carrier(t, "C2")
	a1 := app.User(t, "a1@c1.test", domain.RoleAdvisor, c1)
	a2 := app.User(t, "a2@c1.test", domain.RoleAdvisor, c1)
	app.User(t, "co@c1.test", domain.RoleCoordinator, c1)
	app.User(t, "b1@c2.test", domain.RoleAdvisor, c2)
	app.User(t, "pm@x.test", domain.RoleProgrammeManager, uuid.Nil)
	app.User(t, "admin@x.test", domain.RoleAdmin, uuid.Nil)
	anon := app.Anonymous(t)
	adv, coord, admin, pm := app.Anonymous(t), app.SignIn(t, "co@c1.test"), app.SignIn(t, "admin@x.test"), app.SignIn(t, "pm@x.test")

	t.Run("account", func(t *testing.T) {
		v.t = t
		v.do(anon, 401, "POST", "/api/v1/session", map[string]string{"email": "a1@c1.test", "password": "falsch-falsch-falsch"})
		v.do(adv, 200, "POST", "/api/v1/session", map[string]string{"email": "a1@c1.test", "password": testenv.Password})
		v.do(adv, 200, "GET", "/api/v1/me", nil)
		v.do(pm, 200, "GET", "/api/v1/me", nil)
		v.do(anon, 401, "GET", "/api/v1/me", nil)
		tok := v.do(adv, 201, "POST", "/api/v1/me/tokens", map[string]any{"name": "Skript", "expires_on": domain.DayOf(time.Now()).AddDate(0, 0, 30).Format(domain.DateLayout), "password": testenv.Password}).Map(t)
		v.do(adv, 201, "POST", "/api/v1/me/tokens", tokenBody("ohne Ablauf"))
		v.do(adv, 422, "POST", "/api/v1/me/tokens", map[string]any{"name": "", "password": testenv.Password})
		v.do(adv, 200, "GET", "/api/v1/me/tokens", nil)
		v.do(adv, 204, "DELETE", "/api/v1/me/tokens/"+tok["id"].(string), nil)
		v.do(adv, 404, "DELETE", "/api/v1/me/tokens/"+tok["id"].(string), nil)
		v.do(adv, 201, "POST", "/api/v1/me/tokens", tokenBody("einmal"), "Idempotency-Key", "token-once")
		v.do(adv, 409, "POST", "/api/v1/me/tokens", tokenBody("einmal"), "Idempotency-Key", "token-once")
		v.do(adv, 422, "POST", "/api/v1/me/tokens", map[string]any{"name": "x", "password": "falsch-falsch-falsch"})
		phone := app.SignIn(t, "a1@c1.test")
		v.do(adv, 200, "GET", "/api/v1/me/sessions", nil)
		phoneSession := currentSession(t, phone).ID
		v.do(adv, 204, "DELETE", "/api/v1/me/sessions/"+phoneSession, nil)
		v.do(adv, 404, "DELETE", "/api/v1/me/sessions/"+phoneSession, nil)
		v.do(adv, 200, "POST", "/api/v1/me/sessions/sign-out-others", nil)
		leaving := app.SignIn(t, "a2@c1.test")
		v.do(leaving, 204, "DELETE", "/api/v1/session", nil)
		v.do(leaving, 401, "DELETE", "/api/v1/session", nil)
	})
	t.Run("administration", func(t *testing.T) {
		v.t = t
		v.do(admin, 201, "POST", "/api/v1/carriers", map[string]any{"name": "C3", "short_name": "C3"}, "Idempotency-Key", "c3")
		v.do(admin, 409, "POST", "/api/v1/carriers", map[string]any{"name": "C1", "short_name": "X"})
		v.do(adv, 403, "POST", "/api/v1/carriers", map[string]any{"name": "C4", "short_name": "C4"})
		v.do(adv, 200, "GET", "/api/v1/carriers", nil)
		u := v.do(admin, 201, "POST", "/api/v1/users", map[string]any{"email": "neu@c1.test", "name": "Neu", "password": testenv.Password, "languages": []string{"de", "ar"}}).Map(t)
		v.do(admin, 409, "POST", "/api/v1/users", map[string]any{"email": "NEU@c1.test", "name": "Neu", "password": testenv.Password})
		v.do(admin, 422, "POST", "/api/v1/users", map[string]any{"email": "x", "name": "", "password": "kurz"})
		v.do(admin, 400, "POST", "/api/v1/users", map[string]any{"email": "y@c1.test", "name": "Y", "password": testenv.Password, "admin": true})
		v.do(admin, 415, "POST", "/api/v1/users", "email=x", "Content-Type", "text/plain")
		v.do(admin, 200, "GET", "/api/v1/users?limit=2", nil)
		v.do(admin, 200, "PUT", "/api/v1/users/"+u["id"].(string)+"/roles", map[string]any{"roles": []map[string]any{{"role": "advisor", "carrier_id": c1}, {"role": "programme_manager", "carrier_id": nil}}})
		v.do(admin, 422, "PUT", "/api/v1/users/"+u["id"].(string)+"/roles", map[string]any{"roles": []map[string]any{{"role": "advisor", "carrier_id": nil}}})
		v.do(admin, 404, "PUT", "/api/v1/users/"+uuid.NewString()+"/roles", map[string]any{"roles": []map[string]any{}})
		v.do(admin, 200, "GET", "/api/v1/carriers/"+c1.String()+"/advisors", nil)
		v.do(coord, 200, "GET", "/api/v1/carriers/"+c1.String()+"/advisors", nil)
		v.do(coord, 404, "GET", "/api/v1/carriers/"+c2.String()+"/advisors", nil)
		v.do(admin, 200, "POST", "/api/v1/users/"+u["id"].(string)+"/deactivate", nil)
		v.do(pm, 403, "POST", "/api/v1/users/"+u["id"].(string)+"/deactivate", nil)
	})
	t.Run("cases", func(t *testing.T) {
		v.t = t
		founder := map[string]any{"given_name": "Amina", "family_name": "Yusuf", "birth_year": 1990, "gender": "female",
			"email": "amina@example.org", "city": "Essen", "country_of_birth": "NG", "nationalities": []string{"NG"},
			"languages": []string{"en", "ha"}, "german_level": "B1", "education_isced": "isced_5_8",
			"employment_status_at_entry": "unemployed", "arrival_year": 2016, "referral_source": "jobcenter",
			"disability": "no", "foreign_background": "yes", "homeless": "not_stated"}
		cs := v.do(adv, 201, "POST", "/api/v1/cases", map[string]any{"founder": founder,
			"business": map[string]any{"idea": "Schneiderei", "sector": "C", "legal_form": "sole_proprietor", "employees": 0}},
			"Idempotency-Key", "intake-1").Map(t)
		id := cs["id"].(string)
		fid := cs["founder"].(map[string]any)["id"].(string)
		v.do(adv, 201, "POST", "/api/v1/cases", map[string]any{"founder": map[string]any{"given_name": "Ali", "family_name": "Kaya"}})
		v.do(coord, 409, "POST", "/api/v1/cases", map[string]any{"founder_id": fid, "lead_advisor_id": a2, "phase": "consolidation"})
		v.do(adv, 422, "POST", "/api/v1/cases", map[string]any{"founder": map[string]any{"given_name": "X", "family_name": "Y", "gender": "robot"}})
		v.do(adv, 400, "POST", "/api/v1/cases", `{"founder":`)
		v.do(adv, 413, "POST", "/api/v1/cases", `{"founder":{"given_name":"`+strings.Repeat("a", 1<<20)+`"}}`)
		v.do(pm, 403, "POST", "/api/v1/cases", map[string]any{"founder": map[string]any{"given_name": "X", "family_name": "Y"}})
		v.do(adv, 200, "GET", "/api/v1/cases", nil)
		list := v.do(coord, 200, "GET", "/api/v1/cases?limit=1&phase=founding&q=amina", nil).Map(t)
		if list["next_cursor"] != nil {
			t.Errorf("next_cursor %v", list["next_cursor"])
		}
		page := v.do(coord, 200, "GET", "/api/v1/cases?limit=1", nil).Map(t)
		v.do(coord, 200, "GET", "/api/v1/cases?limit=1&cursor="+page["next_cursor"].(string), nil)
		v.do(adv, 422, "GET", "/api/v1/cases?status=open", nil)
		v.do(adv, 200, "GET", "/api/v1/cases/"+id, nil)
		v.do(adv, 404, "GET", "/api/v1/cases/"+uuid.NewString(), nil)
		v.do(anon, 401, "GET", "/api/v1/cases/"+id, nil)
		v.do(adv, 200, "PATCH", "/api/v1/cases/"+id, map[string]any{"business": map[string]any{"founded_on": "2024-03-01"}, "status": "paused"}, "If-Match", `"1"`)
		v.do(adv, 428, "PATCH", "/api/v1/cases/"+id, map[string]any{"status": "active"})
		v.do(adv, 412, "PATCH", "/api/v1/cases/"+id, map[string]any{"status": "active"}, "If-Match", `"1"`)
		v.do(adv, 200, "POST", "/api/v1/cases/"+id+"/phase", map[string]any{"phase": "consolidation"}, "If-Match", `"2"`)
		v.do(adv, 422, "POST", "/api/v1/cases/"+id+"/phase", map[string]any{"phase": "founding"}, "If-Match", `"3"`)
		v.do(adv, 200, "POST", "/api/v1/cases/"+id+"/phase", map[string]any{"phase": "founding", "reason": "zurück"}, "If-Match", `"3"`)
		v.do(adv, 200, "GET", "/api/v1/cases/"+id+"/phases", nil)
		v.do(coord, 200, "PUT", "/api/v1/cases/"+id+"/advisors", map[string]any{"lead_advisor_id": a1, "co_advisor_ids": []uuid.UUID{a2}}, "If-Match", `"4"`)
		v.do(coord, 422, "PUT", "/api/v1/cases/"+id+"/advisors", map[string]any{"lead_advisor_id": uuid.New()}, "If-Match", `"5"`)
		v.do(adv, 403, "PUT", "/api/v1/cases/"+id+"/advisors", map[string]any{"lead_advisor_id": a1}, "If-Match", `"5"`)
		v.do(adv, 200, "POST", "/api/v1/cases/"+id+"/close", map[string]any{"reason": "consolidated", "note": "läuft"}, "If-Match", `"5"`)
		v.do(adv, 409, "POST", "/api/v1/cases/"+id+"/phase", map[string]any{"phase": "handover"}, "If-Match", `"6"`)
		v.do(adv, 200, "POST", "/api/v1/cases/"+id+"/reopen", map[string]any{}, "If-Match", `"6"`)
		v.do(adv, 200, "GET", "/api/v1/founders/"+fid, nil)
		v.do(adv, 200, "PATCH", "/api/v1/founders/"+fid, map[string]any{"city": nil, "phone": "+49 201 123456"}, "If-Match", `"1"`)
		v.do(adv, 412, "PATCH", "/api/v1/founders/"+fid, map[string]any{"city": "Essen"}, "If-Match", `"1"`)
		v.do(pm, 403, "GET", "/api/v1/founders/"+fid, nil)
	})
	t.Run("throttled", func(t *testing.T) {
		v.t = t
		for i := 0; i < 5; i++ {
			v.do(anon, 401, "POST", "/api/v1/session", map[string]string{"email": "b1@c2.test", "password": "falsch-falsch-falsch"})
		}
		v.do(anon, 429, "POST", "/api/v1/session", map[string]string{"email": "b1@c2.test", "password": testenv.Password})
	})
}

// TestTimestampsAreUTC: docs/api.md promises RFC 3339 timestamps in UTC.
func TestTimestampsAreUTC(t *testing.T) {
	app := testenv.NewApp(t)
	app.User(t, "a@x.de", domain.RoleAdvisor, app.Carrier(t, "C1"))
	cs := app.SignIn(t, "a@x.de").Must(201, "POST", "/api/v1/cases", map[string]any{"founder": testenv.Founder("A", "B")}).Map(t)
	for _, ts := range []any{cs["created_at"], cs["updated_at"], cs["founder"].(map[string]any)["created_at"]} {
		if s, _ := ts.(string); !strings.HasSuffix(s, "Z") {
			t.Errorf("timestamp %v is not in UTC", ts)
		}
	}
}
