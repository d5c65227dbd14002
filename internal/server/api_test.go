package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// stateTables are the tables a bad request must leave untouched.
var stateTables = []string{"carriers", "users", "memberships", "api_tokens", "founders", "cases",
	"case_co_advisors", "phase_transitions", "status_changes", "idempotency_keys", "audit_events"}

// dbState is a fingerprint of everything written: row counts and the sum of versions.
func dbState(t *testing.T, app *testenv.App) string {
	t.Helper()
	var parts []string
	for _, table := range stateTables {
		var n int
		if err := app.DB.Store.DB.Get(&n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", table, n))
	}
	var v int
	if err := app.DB.Store.DB.Get(&v, `SELECT coalesce((SELECT sum(version) FROM cases), 0) + coalesce((SELECT sum(version) FROM founders), 0)`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(append(parts, fmt.Sprintf("versions=%d", v)), " ")
}

// problemDoc is an RFC 9457 problem as Lotse answers it.
type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// mustProblem checks that r is a problem+json document with the given status, every
// member set and translated (no message ids shown), and returns it.
func mustProblem(t *testing.T, r testenv.Response, status int) problemDoc {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var raw map[string]any
	r.JSON(t, &raw)
	for _, k := range []string{"type", "title", "status", "detail"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("problem without %q: %s", k, r.Body)
		}
	}
	var p problemDoc
	r.JSON(t, &p)
	if p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem: %s", r.Body)
	}
	shown := []string{p.Title, p.Detail}
	for _, e := range p.Errors {
		shown = append(shown, e.Message)
	}
	for _, s := range shown {
		if strings.HasPrefix(s, "error.") || strings.HasPrefix(s, "validation.") || strings.HasPrefix(s, "status.") {
			t.Fatalf("untranslated message %q in %s", s, r.Body)
		}
	}
	for _, leak := range []string{"sql", "pq:", "goroutine", "panic", ".go:"} {
		if strings.Contains(strings.ToLower(string(r.Body)), leak) {
			t.Fatalf("problem leaks internals (%q): %s", leak, r.Body)
		}
	}
	return p
}

func (p problemDoc) fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// apiEnv: carrier C1 with advisors A1 and A2 and a coordinator; carrier C2 with advisor
// B1; an admin. A1 leads case K1.
type apiEnv struct {
	app                  *testenv.App
	c1, c2               uuid.UUID
	a1, a2, co, b1       uuid.UUID
	adv, adv2, coord, bb *testenv.Client
	admin                *testenv.Client
	k1                   string
	k1ETag               string
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	app := testenv.NewApp(t)
	e := &apiEnv{app: app}
	e.c1, e.c2 = app.Carrier(t, "C1"), app.Carrier(t, "C2")
	e.a1 = app.User(t, "a1@c1.test", domain.RoleAdvisor, e.c1)
	e.a2 = app.User(t, "a2@c1.test", domain.RoleAdvisor, e.c1)
	e.co = app.User(t, "co@c1.test", domain.RoleCoordinator, e.c1)
	e.b1 = app.User(t, "b1@c2.test", domain.RoleAdvisor, e.c2)
	app.User(t, "admin@x.test", domain.RoleAdmin, uuid.Nil)
	e.adv, e.adv2, e.coord = app.SignIn(t, "a1@c1.test"), app.SignIn(t, "a2@c1.test"), app.SignIn(t, "co@c1.test")
	e.bb, e.admin = app.SignIn(t, "b1@c2.test"), app.SignIn(t, "admin@x.test")
	e.k1, e.k1ETag = e.adv.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	return e
}

func founderWith(kv ...any) map[string]any {
	f := testenv.Founder("Lena", "Okafor")
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i].(string)] = kv[i+1]
	}
	return f
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	e := newAPIEnv(t)
	cases := "/api/v1/cases"
	k1 := cases + "/" + e.k1
	huge := `{"founder":{"given_name":"` + strings.Repeat("a", 1<<20+10) + `","family_name":"X"}}`
	tests := []struct {
		name    string
		client  *testenv.Client
		method  string
		path    string
		body    any
		headers []string
		status  int
		fields  []string // fields the problem must name
	}{
		{"malformed_json_400", e.adv, "POST", cases, `{"founder": {"given_name": "A"`, nil, 400, nil},
		{"trailing_data_400", e.adv, "POST", cases, `{"founder": {"given_name": "A", "family_name": "B"}} {}`, nil, 400, nil},
		{"json_array_instead_of_object_400", e.adv, "POST", cases, `[]`, nil, 400, nil},
		{"unknown_field_400", e.adv, "POST", cases, map[string]any{"founder": testenv.Founder("A", "B"), "colour": "blue"}, nil, 400, []string{"colour"}},
		{"unknown_founder_field_400", e.adv, "POST", cases, map[string]any{"founder": founderWith("shoe_size", 42)}, nil, 400, []string{"founder.shoe_size"}},
		{"unknown_field_in_patch_400", e.adv, "PATCH", k1, map[string]any{"colour": "blue"}, []string{"If-Match", `"1"`}, 400, nil},
		{"text_plain_415", e.adv, "POST", cases, `{"founder":{"given_name":"A","family_name":"B"}}`, []string{"Content-Type", "text/plain"}, 415, nil},
		{"form_encoded_415", e.adv, "POST", cases, `founder=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, nil},
		{"no_content_type_415", e.admin, "POST", "/api/v1/carriers", `{"name":"N","short_name":"N"}`, []string{"Content-Type", ""}, 415, nil},
		{"wrong_gender_enum_422", e.adv, "POST", cases, map[string]any{"founder": founderWith("gender", "robot")}, nil, 422, []string{"founder.gender"}},
		{"wrong_phase_enum_on_intake_422", e.adv, "POST", cases, map[string]any{"founder": founderWith(), "phase": "launch"}, nil, 422, []string{"phase"}},
		{"wrong_sector_enum_422", e.adv, "POST", cases, map[string]any{"founder": founderWith(), "business": map[string]any{"sector": "ZZ"}}, nil, 422, []string{"business.sector"}},
		{"wrong_phase_enum_422", e.adv, "POST", k1 + "/phase", map[string]any{"phase": "launch"}, []string{"If-Match", `"1"`}, 422, []string{"phase"}},
		{"wrong_closing_reason_422", e.adv, "POST", k1 + "/close", map[string]any{"reason": "bored"}, []string{"If-Match", `"1"`}, 422, []string{"reason"}},
		{"wrong_status_enum_422", e.adv, "PATCH", k1, map[string]any{"status": "closed"}, []string{"If-Match", `"1"`}, 422, []string{"status"}},
		{"wrong_role_enum_422", e.admin, "PUT", "/api/v1/users/" + e.a2.String() + "/roles", map[string]any{"roles": []map[string]any{{"role": "king"}}}, nil, 422, []string{"roles[0].role"}},
		{"wrong_type_422", e.adv, "POST", cases, map[string]any{"founder": founderWith("birth_year", "nineteen")}, nil, 422, []string{"founder.birth_year"}},
		{"arrival_before_birth_422", e.adv, "POST", cases, map[string]any{"founder": founderWith("birth_year", 1990, "arrival_year", 1985)}, nil, 422, []string{"founder.arrival_year"}},
		{"postcode_not_five_digits_422", e.adv, "POST", cases, map[string]any{"founder": founderWith("postcode", "1011")}, nil, 422, []string{"founder.postcode"}},
		{"postcode_with_letters_422", e.adv, "POST", cases, map[string]any{"founder": founderWith("postcode", "D-10115")}, nil, 422, []string{"founder.postcode"}},
		{"bad_date_422", e.adv, "POST", cases, map[string]any{"founder": founderWith(), "business": map[string]any{"founded_on": "31.12.2020"}}, nil, 422, []string{"business.founded_on"}},
		{"future_founding_date_422", e.adv, "POST", cases, map[string]any{"founder": founderWith(), "business": map[string]any{"founded_on": "2099-01-01"}}, nil, 422, []string{"business.founded_on"}},
		{"missing_required_names_422", e.adv, "POST", cases, map[string]any{"founder": map[string]any{"gender": "female"}}, nil, 422, []string{"founder.given_name", "founder.family_name"}},
		{"over_long_name_422", e.adv, "POST", cases, map[string]any{"founder": founderWith("given_name", strings.Repeat("x", 101))}, nil, 422, []string{"founder.given_name"}},
		{"over_long_idea_422", e.adv, "POST", cases, map[string]any{"founder": founderWith(), "business": map[string]any{"idea": strings.Repeat("x", 5001)}}, nil, 422, []string{"business.idea"}},
		{"over_long_carrier_name_422", e.admin, "POST", "/api/v1/carriers", map[string]any{"name": strings.Repeat("x", 201), "short_name": "X"}, nil, 422, []string{"name"}},
		{"over_long_email_422", e.admin, "POST", "/api/v1/users", map[string]any{"email": strings.Repeat("x", 250) + "@x.de", "name": "X", "password": testenv.Password}, nil, 422, []string{"email"}},
		{"body_over_limit_413", e.adv, "POST", cases, huge, nil, 413, nil},
		{"missing_if_match_428", e.adv, "PATCH", k1, map[string]any{"business": map[string]any{"idea": "x"}}, nil, 428, nil},
		{"missing_if_match_on_phase_428", e.adv, "POST", k1 + "/phase", map[string]any{"phase": "consolidation"}, nil, 428, nil},
		{"missing_if_match_on_founder_428", e.adv, "PATCH", "/api/v1/founders/" + founderIDOf(t, e, e.k1), map[string]any{"city": "Köln"}, nil, 428, nil},
		{"stale_if_match_412", e.adv, "PATCH", k1, map[string]any{"business": map[string]any{"idea": "x"}}, []string{"If-Match", `"7"`}, 412, nil},
		{"garbage_if_match_412", e.adv, "PATCH", k1, map[string]any{"business": map[string]any{"idea": "x"}}, []string{"If-Match", `"abc"`}, 412, nil},
		{"stale_if_match_on_close_412", e.adv, "POST", k1 + "/close", map[string]any{"reason": "abandoned"}, []string{"If-Match", `"2"`}, 412, nil},
		{"stale_if_match_on_founder_412", e.adv, "PATCH", "/api/v1/founders/" + founderIDOf(t, e, e.k1), map[string]any{"city": "Köln"}, []string{"If-Match", `"3"`}, 412, nil},
		{"duplicate_email_409", e.admin, "POST", "/api/v1/users", map[string]any{"email": "a1@c1.test", "name": "X", "password": testenv.Password}, nil, 409, []string{"email"}},
		{"duplicate_email_other_case_409", e.admin, "POST", "/api/v1/users", map[string]any{"email": "A1@C1.Test", "name": "X", "password": testenv.Password}, nil, 409, []string{"email"}},
		{"duplicate_carrier_409", e.admin, "POST", "/api/v1/carriers", map[string]any{"name": "c1", "short_name": "Other"}, nil, 409, nil},
		{"short_password_422", e.admin, "POST", "/api/v1/users", map[string]any{"email": "new@x.test", "name": "X", "password": "kurz"}, nil, 422, []string{"password"}},
		{"invalid_uuid_in_path_404", e.adv, "GET", cases + "/not-a-uuid", nil, nil, 404, nil},
		{"invalid_uuid_in_patch_path_404", e.adv, "PATCH", cases + "/123", map[string]any{}, []string{"If-Match", `"1"`}, 404, nil},
		{"unknown_route_404", e.adv, "GET", "/api/v1/nothing", nil, nil, 404, nil},
		{"bad_limit_422", e.adv, "GET", cases + "?limit=201", nil, nil, 422, []string{"limit"}},
		{"bad_cursor_422", e.adv, "GET", cases + "?cursor=%21%21", nil, nil, 422, []string{"cursor"}},
		{"bad_phase_filter_422", e.adv, "GET", cases + "?phase=launch", nil, nil, 422, []string{"phase"}},
		{"bad_advisor_filter_422", e.adv, "GET", cases + "?advisor_id=me", nil, nil, 422, []string{"advisor_id"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := dbState(t, e.app)
			r := tc.client.Do(tc.method, tc.path, tc.body, tc.headers...)
			p := mustProblem(t, r, tc.status)
			for _, f := range tc.fields {
				if !slices.Contains(p.fields(), f) {
					t.Errorf("problem names %v, want %q: %s", p.fields(), f, r.Body)
				}
			}
			if tc.status == 422 && len(p.Errors) == 0 {
				t.Errorf("422 without field errors: %s", r.Body)
			}
			if after := dbState(t, e.app); after != before {
				t.Errorf("bad input changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func founderIDOf(t *testing.T, e *apiEnv, caseID string) string {
	t.Helper()
	cs, err := e.app.DB.Store.ReadCase(context.Background(), domain.Actor{System: true}, uuid.MustParse(caseID))
	if err != nil {
		t.Fatal(err)
	}
	return cs.Founder.ID.String()
}

func TestProblemsSpeakTheRequestLanguage(t *testing.T) {
	e := newAPIEnv(t)
	body := map[string]any{"founder": founderWith("gender", "robot")}
	de := mustProblem(t, e.adv.Do("POST", "/api/v1/cases", body), 422)
	en := mustProblem(t, e.adv.Do("POST", "/api/v1/cases", body, "Accept-Language", "en-GB,en;q=0.9"), 422)
	if de.Detail != "Einige Angaben sind ungültig." || de.Errors[0].Message != "Kein Wert aus dem Katalog." {
		t.Errorf("German by default: %+v", de)
	}
	if en.Detail != "Some of the input is invalid." || en.Errors[0].Message != "Not a value of the catalogue." {
		t.Errorf("English on request: %+v", en)
	}
	fr := mustProblem(t, e.adv.Do("GET", "/api/v1/cases/"+uuid.NewString(), nil, "Accept-Language", "fr"), 404)
	if !strings.HasPrefix(fr.Detail, "Das Gesuchte") {
		t.Errorf("an unknown language falls back to German: %+v", fr)
	}
	max := mustProblem(t, e.adv.Do("POST", "/api/v1/cases", map[string]any{"founder": founderWith("given_name", strings.Repeat("x", 101))}, "Accept-Language", "en"), 422)
	if max.Errors[0].Message != "At most 100 characters." {
		t.Errorf("the limit is named: %+v", max)
	}
}

func TestIntakeRules(t *testing.T) {
	e := newAPIEnv(t)
	var own, other struct {
		ID      string
		Founder struct{ ID string }
	}
	e.adv.Must(200, "GET", "/api/v1/cases/"+e.k1, nil).JSON(t, &own)
	k2, _ := e.adv2.NewCase(map[string]any{"founder": testenv.Founder("Omar", "Haddad")})
	e.adv2.Must(200, "GET", "/api/v1/cases/"+k2, nil).JSON(t, &other)

	t.Run("advisor_becomes_lead", func(t *testing.T) {
		r := e.adv.Must(201, "POST", "/api/v1/cases", map[string]any{"founder": founderWith()})
		if got := r.Map(t)["lead_advisor_id"]; got != e.a1.String() {
			t.Fatalf("lead %v, want the advisor %s", got, e.a1)
		}
		if r.Header.Get("ETag") != `"1"` || !strings.HasPrefix(r.Header.Get("Location"), "/api/v1/cases/") {
			t.Fatalf("headers %v", r.Header)
		}
	})
	t.Run("advisor_cannot_name_another_lead", func(t *testing.T) {
		before := dbState(t, e.app)
		p := mustProblem(t, e.adv.Do("POST", "/api/v1/cases", map[string]any{"founder": founderWith(), "lead_advisor_id": e.a2}), 422)
		if !slices.Contains(p.fields(), "lead_advisor_id") || dbState(t, e.app) != before {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("coordinator_must_name_a_lead", func(t *testing.T) {
		p := mustProblem(t, e.coord.Do("POST", "/api/v1/cases", map[string]any{"founder": founderWith()}), 422)
		if !slices.Contains(p.fields(), "lead_advisor_id") {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("coordinator_names_an_advisor_of_the_carrier", func(t *testing.T) {
		r := e.coord.Must(201, "POST", "/api/v1/cases", map[string]any{"founder": founderWith(), "lead_advisor_id": e.a2})
		if got := r.Map(t)["lead_advisor_id"]; got != e.a2.String() {
			t.Fatalf("lead %v", got)
		}
	})
	for name, lead := range map[string]uuid.UUID{
		"coordinator_cannot_name_a_non_advisor":            e.co,
		"coordinator_cannot_name_another_carriers_advisor": e.b1,
		"coordinator_cannot_name_an_unknown_person":        uuid.New(),
	} {
		t.Run(name, func(t *testing.T) {
			before := dbState(t, e.app)
			p := mustProblem(t, e.coord.Do("POST", "/api/v1/cases", map[string]any{"founder": founderWith(), "lead_advisor_id": lead}), 422)
			if !slices.Contains(p.fields(), "lead_advisor_id") || dbState(t, e.app) != before {
				t.Fatalf("%+v", p)
			}
		})
	}
	t.Run("known_founder_gets_a_second_case_once_the_first_is_closed", func(t *testing.T) {
		first, etag := e.adv.NewCase(map[string]any{"founder": testenv.Founder("Rana", "Saleh")})
		founder := founderOfCase(t, e.adv, first)
		// While a case is open, a second one is refused, and nothing is written.
		before := dbState(t, e.app)
		r := e.adv.Do("POST", "/api/v1/cases", map[string]any{"founder_id": founder})
		if mustProblem(t, r, 409); r.Map(t)["code"] != "error.founder_has_open_case" || dbState(t, e.app) != before {
			t.Fatalf("%s", r.Body)
		}
		e.adv.Must(200, "POST", "/api/v1/cases/"+first+"/close", map[string]any{"reason": "handed_over"}, "If-Match", etag)
		var n0, n1 int
		_ = e.app.DB.Store.DB.Get(&n0, `SELECT count(*) FROM founders`)
		// The founder comes back to another advisor: the coordinator takes them in.
		r = e.coord.Must(201, "POST", "/api/v1/cases", map[string]any{"founder_id": founder, "lead_advisor_id": e.a2})
		_ = e.app.DB.Store.DB.Get(&n1, `SELECT count(*) FROM founders`)
		var cs struct {
			Founder       struct{ ID string }
			LeadAdvisorID string `json:"lead_advisor_id"`
		}
		r.JSON(t, &cs)
		if cs.Founder.ID != founder || n1 != n0 || cs.LeadAdvisorID != e.a2.String() {
			t.Fatalf("founder %s (want %s), lead %s, founders %d → %d", cs.Founder.ID, founder, cs.LeadAdvisorID, n0, n1)
		}
	})
	for name, tc := range map[string]struct {
		client *testenv.Client
		body   map[string]any
		field  string
	}{
		"founder_of_another_carrier_422":     {e.bb, map[string]any{"founder_id": own.Founder.ID}, "founder_id"},
		"unknown_founder_422":                {e.adv, map[string]any{"founder_id": uuid.NewString()}, "founder_id"},
		"founder_and_founder_id_422":         {e.adv, map[string]any{"founder_id": own.Founder.ID, "founder": founderWith()}, "founder_id"},
		"neither_founder_nor_founder_id_422": {e.adv, map[string]any{}, "founder"},
		"carrier_not_in_scope_422":           {e.adv, map[string]any{"founder": founderWith(), "carrier_id": e.c2}, "carrier_id"},
	} {
		t.Run(name, func(t *testing.T) {
			before := dbState(t, e.app)
			p := mustProblem(t, tc.client.Do("POST", "/api/v1/cases", tc.body), 422)
			if !slices.Contains(p.fields(), tc.field) {
				t.Fatalf("fields %v, want %s", p.fields(), tc.field)
			}
			if dbState(t, e.app) != before {
				t.Fatal("the refused intake wrote something")
			}
		})
	}
	t.Run("intake_is_audited", func(t *testing.T) {
		var n int
		_ = e.app.DB.Store.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'case.create' AND object_id = $1 AND actor_id = $2`, e.k1, e.a1)
		if n != 1 {
			t.Fatalf("%d case.create events", n)
		}
	})
}

// caseState is what the phase tests look at.
type caseState struct {
	Phase         string  `json:"phase"`
	Status        string  `json:"status"`
	ClosingReason *string `json:"closing_reason"`
	ClosedOn      *string `json:"closed_on"`
	Version       int     `json:"version"`
}

func TestPhaseRules(t *testing.T) {
	e := newAPIEnv(t)
	path := "/api/v1/cases/" + e.k1
	v := 1
	step := func(t *testing.T, status int, route string, body any) caseState {
		t.Helper()
		r := e.adv.Do("POST", path+route, body, "If-Match", fmt.Sprintf(`"%d"`, v))
		var cs caseState
		if status != http.StatusOK {
			mustProblem(t, r, status)
			return cs
		}
		if r.Status != status {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		r.JSON(t, &cs)
		if cs.Version != v+1 || r.Header.Get("ETag") != fmt.Sprintf(`"%d"`, v+1) {
			t.Fatalf("version %d, ETag %s after version %d", cs.Version, r.Header.Get("ETag"), v)
		}
		v = cs.Version
		return cs
	}
	t.Run("forward_needs_no_reason", func(t *testing.T) {
		if cs := step(t, 200, "/phase", map[string]any{"phase": "consolidation"}); cs.Phase != "consolidation" {
			t.Fatal(cs)
		}
	})
	t.Run("forward_may_skip_a_phase", func(t *testing.T) {
		if cs := step(t, 200, "/phase", map[string]any{"phase": "handover"}); cs.Phase != "handover" {
			t.Fatal(cs)
		}
	})
	t.Run("same_phase_is_refused", func(t *testing.T) {
		step(t, 422, "/phase", map[string]any{"phase": "handover"})
	})
	t.Run("going_back_needs_a_reason", func(t *testing.T) {
		before := dbState(t, e.app)
		step(t, 422, "/phase", map[string]any{"phase": "founding"})
		if dbState(t, e.app) != before {
			t.Fatal("refused change wrote something")
		}
	})
	t.Run("going_back_with_a_reason", func(t *testing.T) {
		if cs := step(t, 200, "/phase", map[string]any{"phase": "founding", "reason": "Gründung verschoben"}); cs.Phase != "founding" {
			t.Fatal(cs)
		}
	})
	t.Run("history_lists_every_transition", func(t *testing.T) {
		var h struct {
			Items []struct {
				From   *string `json:"from"`
				To     string  `json:"to"`
				By     string  `json:"by"`
				Reason *string `json:"reason"`
			}
		}
		e.adv.Must(200, "GET", path+"/phases", nil).JSON(t, &h)
		var got []string
		for _, it := range h.Items {
			from := "-"
			if it.From != nil {
				from = *it.From
			}
			got = append(got, from+">"+it.To)
			if it.By != e.a1.String() {
				t.Errorf("by %s", it.By)
			}
		}
		want := []string{"->founding", "founding>consolidation", "consolidation>handover", "handover>founding"}
		if !slices.Equal(got, want) {
			t.Fatalf("history %v, want %v", got, want)
		}
		if last := h.Items[3].Reason; last == nil || *last != "Gründung verschoben" {
			t.Fatalf("reason %v", last)
		}
	})
	t.Run("close_needs_a_reason", func(t *testing.T) {
		step(t, 422, "/close", map[string]any{})
	})
	t.Run("close_with_reason", func(t *testing.T) {
		cs := step(t, 200, "/close", map[string]any{"reason": "abandoned", "note": "zieht weg"})
		if cs.Status != "closed" || cs.ClosingReason == nil || *cs.ClosingReason != "abandoned" || cs.ClosedOn == nil {
			t.Fatalf("%+v", cs)
		}
	})
	t.Run("closed_case_cannot_change_phase", func(t *testing.T) {
		step(t, 409, "/phase", map[string]any{"phase": "consolidation"})
	})
	t.Run("closed_case_cannot_be_closed_again", func(t *testing.T) {
		step(t, 409, "/close", map[string]any{"reason": "other"})
	})
	t.Run("closed_case_cannot_be_paused", func(t *testing.T) {
		r := e.adv.Do("PATCH", path, map[string]any{"status": "paused"}, "If-Match", fmt.Sprintf(`"%d"`, v))
		mustProblem(t, r, 409)
	})
	t.Run("reopen", func(t *testing.T) {
		cs := step(t, 200, "/reopen", map[string]any{})
		if cs.Status != "active" || cs.ClosingReason != nil || cs.ClosedOn != nil {
			t.Fatalf("%+v", cs)
		}
	})
	t.Run("reopen_an_open_case_409", func(t *testing.T) {
		step(t, 409, "/reopen", map[string]any{})
	})
	t.Run("pause_and_resume", func(t *testing.T) {
		for _, st := range []string{"paused", "active"} {
			r := e.adv.Must(200, "PATCH", path, map[string]any{"status": st}, "If-Match", fmt.Sprintf(`"%d"`, v))
			var cs caseState
			r.JSON(t, &cs)
			if cs.Status != st {
				t.Fatalf("%+v", cs)
			}
			v = cs.Version
		}
	})
	t.Run("every_change_is_audited", func(t *testing.T) {
		var actions []string
		_ = e.app.DB.Store.DB.Select(&actions, `SELECT action FROM audit_events WHERE object_id = $1 AND outcome = 'success' AND action <> 'case.read' ORDER BY id`, e.k1)
		want := []string{"case.create", "case.phase_change", "case.phase_change", "case.phase_change", "case.close", "case.reopen", "case.update", "case.update"}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	})
}

func TestAssignAdvisors(t *testing.T) {
	e := newAPIEnv(t)
	path := "/api/v1/cases/" + e.k1 + "/advisors"
	t.Run("advisor_may_not_assign_403", func(t *testing.T) {
		mustProblem(t, e.adv.Do("PUT", path, map[string]any{"lead_advisor_id": e.a2}, "If-Match", `"1"`), 403)
	})
	for name, tc := range map[string]struct {
		body  map[string]any
		field string
	}{
		"lead_must_be_an_advisor":                  {map[string]any{"lead_advisor_id": e.co}, "lead_advisor_id"},
		"lead_must_be_of_the_carrier":              {map[string]any{"lead_advisor_id": e.b1}, "lead_advisor_id"},
		"co_advisor_must_be_of_the_carrier":        {map[string]any{"lead_advisor_id": e.a2, "co_advisor_ids": []uuid.UUID{e.a1, e.b1}}, "co_advisor_ids[1]"},
		"co_advisor_must_exist":                    {map[string]any{"lead_advisor_id": e.a2, "co_advisor_ids": []uuid.UUID{uuid.New()}}, "co_advisor_ids[0]"},
		"lead_is_required":                         {map[string]any{"co_advisor_ids": []uuid.UUID{e.a1}}, "lead_advisor_id"},
		"co_advisor_ids_must_be_uuids":             {map[string]any{"lead_advisor_id": e.a2, "co_advisor_ids": []string{"x"}}, "co_advisor_ids"},
		"at_most_ten_co_advisors_are_accepted_422": {map[string]any{"lead_advisor_id": e.a2, "co_advisor_ids": slices.Repeat([]uuid.UUID{e.a1}, 11)}, "co_advisor_ids"},
	} {
		t.Run(name, func(t *testing.T) {
			before := dbState(t, e.app)
			p := mustProblem(t, e.coord.Do("PUT", path, tc.body, "If-Match", `"1"`), 422)
			if !slices.ContainsFunc(p.fields(), func(f string) bool { return strings.HasPrefix(f, tc.field) }) {
				t.Fatalf("fields %v, want %s", p.fields(), tc.field)
			}
			if dbState(t, e.app) != before {
				t.Fatal("refused assignment wrote something")
			}
		})
	}
	t.Run("coordinator_assigns_lead_and_co_advisor", func(t *testing.T) {
		var cs struct {
			Lead string   `json:"lead_advisor_id"`
			Co   []string `json:"co_advisor_ids"`
		}
		e.coord.Must(200, "PUT", path, map[string]any{"lead_advisor_id": e.a2, "co_advisor_ids": []uuid.UUID{e.a1}}, "If-Match", `"1"`).JSON(t, &cs)
		if cs.Lead != e.a2.String() || !slices.Equal(cs.Co, []string{e.a1.String()}) {
			t.Fatalf("%+v", cs)
		}
		e.adv2.Must(200, "GET", "/api/v1/cases/"+e.k1, nil) // the new lead sees it
		e.adv.Must(200, "GET", "/api/v1/cases/"+e.k1, nil)  // the co-advisor still does
	})
	t.Run("removed_advisor_loses_the_case", func(t *testing.T) {
		e.coord.Must(200, "PUT", path, map[string]any{"lead_advisor_id": e.a2, "co_advisor_ids": []uuid.UUID{}}, "If-Match", `"2"`)
		e.adv.Must(404, "GET", "/api/v1/cases/"+e.k1, nil)
	})
	t.Run("stale_assignment_412", func(t *testing.T) {
		mustProblem(t, e.coord.Do("PUT", path, map[string]any{"lead_advisor_id": e.a1}, "If-Match", `"2"`), 412)
	})
}

func TestCaseListFiltersSearchAndPages(t *testing.T) {
	e := newAPIEnv(t)
	names := []string{"Zeynep Kaya", "Ali Kaya", "Olga Petrenko", "Chen Wei", "Maria 100% Silva", "Ivan Ivanov", "Nadia Kayali"}
	ids := map[string]string{}
	for _, n := range names {
		given, family, _ := strings.Cut(n, " ")
		id, _ := e.adv.NewCase(map[string]any{"founder": testenv.Founder(given, family)})
		ids[n] = id
	}
	e.adv.Must(200, "POST", "/api/v1/cases/"+ids["Chen Wei"]+"/phase", map[string]any{"phase": "consolidation"}, "If-Match", `"1"`)
	e.adv.Must(200, "POST", "/api/v1/cases/"+ids["Ivan Ivanov"]+"/close", map[string]any{"reason": "other"}, "If-Match", `"1"`)
	other, _ := e.adv2.NewCase(map[string]any{"founder": testenv.Founder("Kaya", "Andere")})

	list := func(t *testing.T, c *testenv.Client, query string) ([]string, *string) {
		t.Helper()
		var l struct {
			Items []struct {
				ID          string `json:"id"`
				FounderName string `json:"founder_name"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		c.Must(200, "GET", "/api/v1/cases"+query, nil).JSON(t, &l)
		var out []string
		for _, it := range l.Items {
			out = append(out, it.ID)
		}
		return out, l.NextCursor
	}
	names2ids := func(ns ...string) []string {
		var out []string
		for _, n := range ns {
			out = append(out, ids[n])
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"phase_filter", "?phase=consolidation", names2ids("Chen Wei")},
		{"status_filter", "?status=closed", names2ids("Ivan Ivanov")},
		{"search_is_case_insensitive_substring", "?q=KAYA", names2ids("Zeynep Kaya", "Ali Kaya", "Nadia Kayali")},
		{"search_full_name", "?q=ali%20kaya", names2ids("Ali Kaya")},
		{"search_percent_is_literal", "?q=100%25", names2ids("Maria 100% Silva")},
		{"search_underscore_is_literal", "?q=_", nil},
		{"advisor_filter", "?advisor_id=" + e.a1.String() + "&q=kaya", names2ids("Zeynep Kaya", "Ali Kaya", "Nadia Kayali")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := list(t, e.adv, tc.query)
			if !slices.Equal(sorted(got), tc.want) {
				t.Fatalf("%s: %v, want %v", tc.query, got, tc.want)
			}
		})
	}
	t.Run("coordinator_filters_by_advisor", func(t *testing.T) {
		got, _ := list(t, e.coord, "?advisor_id="+e.a2.String())
		if !slices.Equal(got, []string{other}) {
			t.Fatalf("%v, want [%s]", got, other)
		}
		all, _ := list(t, e.coord, "?q=kaya")
		if len(all) != 4 {
			t.Fatalf("coordinator search sees %d of 4", len(all))
		}
	})
	t.Run("pages_have_no_duplicates_and_no_gaps", func(t *testing.T) {
		all, next := list(t, e.coord, "?limit=200")
		if next != nil || len(all) != 9 {
			t.Fatalf("%d cases, next %v", len(all), next)
		}
		for _, limit := range []int{1, 2, 4} {
			var walked []string
			cursor := ""
			for page := 0; page < 20; page++ {
				q := fmt.Sprintf("?limit=%d", limit)
				if cursor != "" {
					q += "&cursor=" + cursor
				}
				items, next := list(t, e.coord, q)
				if len(items) > limit {
					t.Fatalf("page of %d items with limit %d", len(items), limit)
				}
				walked = append(walked, items...)
				if next == nil {
					break
				}
				cursor = *next
			}
			if !slices.Equal(walked, all) {
				t.Fatalf("limit %d: walked %v, want %v (same order, no gaps or duplicates)", limit, walked, all)
			}
		}
	})
	t.Run("default_limit_is_50", func(t *testing.T) {
		for i := 0; i < 45; i++ {
			e.adv.NewCase(map[string]any{"founder": testenv.Founder("Viele", fmt.Sprint(i))})
		}
		items, next := list(t, e.coord, "")
		if len(items) != 50 || next == nil {
			t.Fatalf("%d items, next %v", len(items), next)
		}
	})
}

func TestVersionsAndETags(t *testing.T) {
	e := newAPIEnv(t)
	path := "/api/v1/cases/" + e.k1
	r := e.adv.Must(200, "GET", path, nil)
	if r.Header.Get("ETag") != `"1"` || r.Map(t)["version"] != float64(1) {
		t.Fatalf("ETag %q body %s", r.Header.Get("ETag"), r.Body)
	}
	t.Run("change_with_current_version", func(t *testing.T) {
		r := e.adv.Must(200, "PATCH", path, map[string]any{"business": map[string]any{"idea": "Imbiss", "employees": 2}}, "If-Match", `"1"`)
		m := r.Map(t)
		if r.Header.Get("ETag") != `"2"` || m["version"] != float64(2) || m["business"].(map[string]any)["idea"] != "Imbiss" {
			t.Fatalf("%s %s", r.Header.Get("ETag"), r.Body)
		}
	})
	t.Run("partial_business_keeps_other_fields", func(t *testing.T) {
		r := e.adv.Must(200, "PATCH", path, map[string]any{"business": map[string]any{"sector": "I"}}, "If-Match", `W/"2"`)
		b := r.Map(t)["business"].(map[string]any)
		if b["idea"] != "Imbiss" || b["sector"] != "I" || b["employees"] != float64(2) {
			t.Fatalf("business %v", b)
		}
	})
	t.Run("second_writer_with_old_version_412", func(t *testing.T) {
		mustProblem(t, e.adv2.Do("PATCH", path, map[string]any{"business": map[string]any{"idea": "x"}}, "If-Match", `"1"`), 404) // not A2's case
		mustProblem(t, e.coord.Do("PATCH", path, map[string]any{"business": map[string]any{"idea": "x"}}, "If-Match", `"2"`), 412)
		if got := e.adv.Must(200, "GET", path, nil).Map(t)["business"].(map[string]any)["idea"]; got != "Imbiss" {
			t.Fatalf("idea %v", got)
		}
	})
	t.Run("founder_has_its_own_version", func(t *testing.T) {
		fp := "/api/v1/founders/" + founderIDOf(t, e, e.k1)
		r := e.adv.Must(200, "GET", fp, nil)
		if r.Header.Get("ETag") != `"1"` {
			t.Fatalf("founder ETag %q", r.Header.Get("ETag"))
		}
		r = e.adv.Must(200, "PATCH", fp, map[string]any{"city": "Duisburg", "languages": []string{"tr", "de"}}, "If-Match", `"1"`)
		m := r.Map(t)
		if r.Header.Get("ETag") != `"2"` || m["city"] != "Duisburg" || m["given_name"] != "Amina" {
			t.Fatalf("%s", r.Body)
		}
		mustProblem(t, e.adv.Do("PATCH", fp, map[string]any{"city": "Essen"}, "If-Match", `"1"`), 412)
		p := mustProblem(t, e.adv.Do("PATCH", fp, map[string]any{"languages": []string{"xx"}}, "If-Match", `"2"`), 422)
		if len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Field, "languages") {
			t.Fatalf("%+v", p)
		}
		p = mustProblem(t, e.adv.Do("PATCH", fp, map[string]any{"given_name": ""}, "If-Match", `"2"`), 422)
		if !slices.Contains(p.fields(), "given_name") {
			t.Fatalf("%+v", p)
		}
	})
}

func TestIdempotencyKeyOnIntake(t *testing.T) {
	e := newAPIEnv(t)
	body := map[string]any{"founder": testenv.Founder("Idem", "Potent")}
	count := func() int {
		var n int
		_ = e.app.DB.Store.DB.Get(&n, `SELECT count(*) FROM cases`)
		return n
	}
	n0 := count()
	first := e.adv.Must(201, "POST", "/api/v1/cases", body, "Idempotency-Key", "k-1").Map(t)
	again := e.adv.Must(201, "POST", "/api/v1/cases", body, "Idempotency-Key", "k-1").Map(t)
	if first["id"] != again["id"] {
		t.Fatalf("replay created %v, first %v", again["id"], first["id"])
	}
	if n := count(); n != n0+1 {
		t.Fatalf("%d cases after replay, want %d", n, n0+1)
	}
	t.Run("same_key_other_body_422", func(t *testing.T) {
		before := dbState(t, e.app)
		p := mustProblem(t, e.adv.Do("POST", "/api/v1/cases", map[string]any{"founder": testenv.Founder("Other", "Body")}, "Idempotency-Key", "k-1"), 422)
		if !slices.Contains(p.fields(), "Idempotency-Key") || dbState(t, e.app) != before {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("another_key_creates_another_case", func(t *testing.T) {
		r := e.adv.Must(201, "POST", "/api/v1/cases", body, "Idempotency-Key", "k-2").Map(t)
		if r["id"] == first["id"] || count() != n0+2 {
			t.Fatal("a new key must create")
		}
	})
	t.Run("keys_belong_to_their_user", func(t *testing.T) {
		r := e.adv2.Must(201, "POST", "/api/v1/cases", body, "Idempotency-Key", "k-1").Map(t)
		if r["id"] == first["id"] {
			t.Fatal("another user's key replayed a case they cannot see")
		}
	})
	t.Run("refused_request_does_not_burn_the_key", func(t *testing.T) {
		mustProblem(t, e.adv.Do("POST", "/api/v1/cases", map[string]any{"founder": founderWith("gender", "x")}, "Idempotency-Key", "k-3"), 422)
		e.adv.Must(201, "POST", "/api/v1/cases", body, "Idempotency-Key", "k-3")
	})
	t.Run("concurrent_replays_create_one_case", func(t *testing.T) {
		n := count()
		done := make(chan string, 4)
		for i := 0; i < 4; i++ {
			go func() {
				r := e.adv.Do("POST", "/api/v1/cases", body, "Idempotency-Key", "k-4")
				var m map[string]any
				_ = json.Unmarshal(r.Body, &m)
				done <- fmt.Sprint(r.Status, m["id"])
			}()
		}
		var got []string
		for i := 0; i < 4; i++ {
			got = append(got, <-done)
		}
		if len(slices.Compact(sorted2(got))) != 1 || count() != n+1 {
			t.Fatalf("answers %v, %d new cases", got, count()-n)
		}
	})
}

func sorted2(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
