package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// founderOfCase is the founder id of a case, read through the API.
func founderOfCase(t *testing.T, c *testenv.Client, caseID string) string {
	t.Helper()
	var cs domain.Case
	c.Must(http.StatusOK, "GET", "/api/v1/cases/"+caseID, nil).JSON(t, &cs)
	return cs.Founder.ID.String()
}

// caseLinks are the cases a founder page links to, in its order.
func caseLinks(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr id="case-([0-9a-f-]{36})">`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The founder page: who sees which of a founder's cases, the data edited through the
// API's use case, a second case only once the first is closed — through the page and
// the API alike — opened by the coordinator for another advisor, and nobody outside the
// scope reaching any of it.
func TestFounderPage(t *testing.T) {
	app := testenv.NewApp(t)
	c1, c2 := app.Carrier(t, "Träger Eins"), app.Carrier(t, "Träger Zwei")
	app.User(t, "amal@c1.de", domain.RoleAdvisor, c1)
	bernd := app.User(t, "bernd@c1.de", domain.RoleAdvisor, c1)
	app.User(t, "kora@c1.de", domain.RoleCoordinator, c1)
	app.User(t, "zora@c2.de", domain.RoleAdvisor, c2)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	amal, bernhard, kora := app.SignIn(t, "amal@c1.de"), app.SignIn(t, "bernd@c1.de"), app.SignIn(t, "kora@c1.de")
	zora, admin, pm := app.SignIn(t, "zora@c2.de"), app.SignIn(t, "admin@x.de"), app.SignIn(t, "pm@x.de")

	first, etag := amal.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf"), "business": map[string]any{"idea": "Schneiderei"}})
	fid := founderOfCase(t, amal, first)
	page := "/founders/" + fid

	t.Run("the_case_page_links_to_the_founder", func(t *testing.T) {
		body := string(amal.Must(http.StatusOK, "GET", "/cases/"+first, nil).Body)
		if !strings.Contains(body, `href="/founders/`+fid+`" id="founder-link"`) {
			t.Fatal("no link to the founder page")
		}
	})
	t.Run("lead_sees_data_and_case", func(t *testing.T) {
		body := string(amal.Must(http.StatusOK, "GET", page, nil).Body)
		if got := caseLinks(body); len(got) != 1 || got[0] != first {
			t.Fatalf("cases %v, want [%s]", got, first)
		}
		for _, want := range []string{"Amina Yusuf", `href="/cases/` + first + `"`, "Schneiderei", "<td>amal</td>", "Träger Eins"} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q", want)
			}
		}
		if strings.Contains(body, `action="`+page+`/cases"`) || !strings.Contains(body, `id="open-case-note"`) {
			t.Error("a founder with an open case is offered a second one")
		}
	})

	t.Run("no_second_case_while_one_is_open", func(t *testing.T) {
		r := postForm(amal, page+"/cases", url.Values{"business.idea": {"Änderungsschneiderei"}, "phase": {"founding"}})
		body := string(r.Body)
		if r.Status != http.StatusConflict || !strings.Contains(body, "noch einen offenen Fall") || !strings.Contains(body, "Änderungsschneiderei") {
			t.Fatalf("status %d, want 409 with the message and the input kept:\n%.2000s", r.Status, body)
		}
		r = amal.Do("POST", "/api/v1/cases", map[string]any{"founder_id": fid})
		if r.Status != http.StatusConflict || r.Map(t)["code"] != "error.founder_has_open_case" {
			t.Fatalf("API: status %d %s", r.Status, r.Body)
		}
	})

	amal.Must(http.StatusOK, "POST", "/api/v1/cases/"+first+"/close", map[string]any{"reason": "handed_over"}, "If-Match", etag)
	t.Run("an_advisor_who_does_not_advise_the_founder_cannot_reach_them", func(t *testing.T) {
		if r := postForm(bernhard, page+"/cases", url.Values{"phase": {"founding"}}); r.Status != http.StatusNotFound {
			t.Fatalf("status %d", r.Status)
		}
		if r := bernhard.Do("GET", page, nil); r.Status != http.StatusNotFound {
			t.Fatalf("GET: status %d", r.Status)
		}
	})
	var second string
	t.Run("the_coordinator_takes_the_founder_in_again_for_another_advisor", func(t *testing.T) {
		body := string(kora.Must(http.StatusOK, "GET", page, nil).Body)
		if !strings.Contains(body, `action="`+page+`/cases"`) || !strings.Contains(body, `id="nc-lead"`) {
			t.Fatal("the coordinator is not offered a new case with a lead to choose")
		}
		r := postForm(kora, page+"/cases", url.Values{"business.idea": {"Online-Shop"}, "phase": {"founding"}, "lead_advisor_id": {bernd.String()}})
		loc := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/") {
			t.Fatalf("status %d location %q: %.1000s", r.Status, loc, r.Body)
		}
		second = strings.TrimPrefix(loc, "/cases/")
		var cs domain.Case
		bernhard.Must(http.StatusOK, "GET", "/api/v1/cases/"+second, nil).JSON(t, &cs)
		if cs.Founder.ID.String() != fid || cs.LeadAdvisorID != bernd || cs.CarrierID != c1 || cs.Business.Idea != "Online-Shop" {
			t.Fatalf("second case %+v", cs)
		}
	})
	t.Run("each_advisor_sees_own_cases_and_a_count_of_the_others", func(t *testing.T) {
		for _, x := range []struct {
			c    *testenv.Client
			want string
		}{{amal, first}, {bernhard, second}} {
			body := string(x.c.Must(http.StatusOK, "GET", page, nil).Body)
			if got := caseLinks(body); len(got) != 1 || got[0] != x.want {
				t.Errorf("cases %v, want [%s]", got, x.want)
			}
			if !strings.Contains(body, `id="hidden-cases">Dazu 1 Fall`) {
				t.Error("the other advisor's case is not counted")
			}
		}
	})
	t.Run("coordinator_sees_both_newest_first_with_the_leads", func(t *testing.T) {
		body := string(kora.Must(http.StatusOK, "GET", page, nil).Body)
		if got := caseLinks(body); len(got) != 2 || got[0] != second || got[1] != first {
			t.Fatalf("cases %v, want [%s %s]", got, second, first)
		}
		if !strings.Contains(body, "<td>amal</td>") || !strings.Contains(body, "<td>bernd</td>") || strings.Contains(body, `id="hidden-cases"`) {
			t.Error("leads' names missing or cases hidden from the coordinator")
		}
	})
	t.Run("reopening_the_first_while_the_second_is_open_is_refused", func(t *testing.T) {
		r := kora.Do("POST", "/api/v1/cases/"+first+"/reopen", map[string]any{}, "If-Match", `"2"`)
		if r.Status != http.StatusConflict || r.Map(t)["code"] != "error.founder_has_open_case" {
			t.Fatalf("status %d %s", r.Status, r.Body)
		}
	})

	t.Run("outside_the_scope", func(t *testing.T) {
		for _, x := range []struct {
			name   string
			c      *testenv.Client
			status int
		}{{"other_carrier", zora, http.StatusNotFound}, {"admin", admin, http.StatusForbidden}, {"programme_manager", pm, http.StatusForbidden}} {
			t.Run(x.name, func(t *testing.T) {
				if r := x.c.Do("GET", page, nil); r.Status != x.status {
					t.Errorf("GET: status %d", r.Status)
				}
				if r := postForm(x.c, page, url.Values{"version": {"1"}, "founder.given_name": {"X"}, "founder.family_name": {"Y"}}); r.Status != x.status {
					t.Errorf("edit: status %d", r.Status)
				}
				if r := postForm(x.c, page+"/cases", url.Values{"phase": {"founding"}}); r.Status != x.status {
					t.Errorf("new case: status %d", r.Status)
				}
			})
		}
		if r := zora.Do("GET", "/founders/"+uuid.NewString(), nil); r.Status != http.StatusNotFound {
			t.Errorf("absent founder: status %d", r.Status)
		}
		// The other carrier's advisor cannot take the founder in through the API either.
		r := zora.Do("POST", "/api/v1/cases", map[string]any{"founder_id": fid})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "founder_id") {
			t.Errorf("API intake of another carrier's founder: status %d %s", r.Status, r.Body)
		}
		var f domain.Founder
		kora.Must(http.StatusOK, "GET", "/api/v1/founders/"+fid, nil).JSON(t, &f)
		if f.GivenName != "Amina" || f.Version != 1 {
			t.Errorf("a refused edit changed the founder: %+v", f)
		}
	})

	t.Run("edit_keeps_bad_input_then_saves", func(t *testing.T) {
		bad := url.Values{"version": {"1"}, "founder.given_name": {"Amina"}, "founder.family_name": {"Yusuf-Haddad"},
			"founder.postcode": {"123"}, "founder.email": {"amina-at-example"}, "founder.birth_year": {"neunzehn"}, "founder.city": {"Köln"}}
		r := postForm(bernhard, page, bad)
		body := string(r.Body)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", r.Status)
		}
		for _, want := range []string{`id="postcode-error">`, `id="founder_email-error">`, `id="birth_year-error">Falscher Datentyp`,
			`value="Yusuf-Haddad"`, `value="amina-at-example"`, `value="123"`, `value="neunzehn"`, "<details open>"} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %s", want)
			}
		}
		if regexp.MustCompile(`id="(postcode|founder_email)-error" hidden`).MatchString(body) {
			t.Error("a field error is hidden")
		}
		good := url.Values{"version": {"1"}, "founder.given_name": {"Amina"}, "founder.family_name": {"Yusuf-Haddad"},
			"founder.postcode": {"50667"}, "founder.email": {"amina@example.org"}, "founder.birth_year": {"1990"}, "founder.city": {"Köln"},
			"founder.languages": {"ar, de"}, "founder.german_level": {"B1"}}
		r = postForm(bernhard, page, good)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != page {
			t.Fatalf("status %d location %q: %.1000s", r.Status, r.Header.Get("Location"), r.Body)
		}
		var f domain.Founder
		bernhard.Must(http.StatusOK, "GET", "/api/v1/founders/"+fid, nil).JSON(t, &f)
		if f.FamilyName != "Yusuf-Haddad" || *f.Postcode != "50667" || *f.BirthYear != 1990 || f.GermanLevel != "B1" ||
			fmt.Sprint(f.Languages) != "[ar de]" || f.Version != 2 {
			t.Fatalf("founder %+v", f)
		}
		body = string(bernhard.Must(http.StatusOK, "GET", page, nil).Body)
		if !strings.Contains(body, "50667 Köln") || !strings.Contains(body, "Die Angaben zur Person wurden gespeichert.") {
			t.Error("the page does not show the change and its message")
		}
		// The same form sent again meets a newer version: 412, input kept.
		r = postForm(bernhard, page, good)
		if r.Status != http.StatusPreconditionFailed || !strings.Contains(string(r.Body), `value="amina@example.org"`) {
			t.Fatalf("stale: status %d", r.Status)
		}
	})
	t.Run("english", func(t *testing.T) {
		body := string(kora.Must(http.StatusOK, "GET", page+"?lang=en", nil).Body)
		for _, want := range []string{"Founder at Träger Eins", "Change the data", "Opened on"} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q", want)
			}
		}
	})
}

// Founders kept once: an intake of a person who looks like a known founder of the
// carrier is refused with the candidates — on the page always, through the API with
// check_duplicates — until the person chooses the known founder (a new case for them)
// or confirms a new one; nothing is written before; a candidate is only ever a founder
// the caller may read.
func TestIntakeWarnsOfLikelyDuplicates(t *testing.T) {
	app := testenv.NewApp(t)
	c1, c2 := app.Carrier(t, "Träger Eins"), app.Carrier(t, "Träger Zwei")
	app.User(t, "amal@c1.de", domain.RoleAdvisor, c1)
	app.User(t, "bernd@c1.de", domain.RoleAdvisor, c1)
	app.User(t, "zora@c2.de", domain.RoleAdvisor, c2)
	amal, bernhard, zora := app.SignIn(t, "amal@c1.de"), app.SignIn(t, "bernd@c1.de"), app.SignIn(t, "zora@c2.de")
	known := map[string]any{"given_name": "Fatma", "family_name": "Öztürk", "birth_year": 1985, "email": "fatma@example.org", "postcode": "45127", "city": "Essen"}
	first, etag := amal.NewCase(map[string]any{"founder": known})
	fid := founderOfCase(t, amal, first)
	likeIt := url.Values{"founder.given_name": {"Fatima"}, "founder.family_name": {"Oeztuerk"}, "founder.birth_year": {"1985"},
		"business.idea": {"Kiosk mit Paketannahme"}, "phase": {"founding"}}
	founders := func() int { return countRows(t, app, `SELECT count(*) FROM founders`) }

	t.Run("api_409_with_the_candidates", func(t *testing.T) {
		before := dbState(t, app)
		r := amal.Do("POST", "/api/v1/cases", map[string]any{"founder": map[string]any{"given_name": "Fatima", "family_name": "Oeztuerk", "birth_year": 1985}, "check_duplicates": true})
		var p struct {
			Code       string
			Candidates []domain.FounderMatch
		}
		r.JSON(t, &p)
		if r.Status != http.StatusConflict || p.Code != "error.likely_duplicate_founder" || len(p.Candidates) != 1 {
			t.Fatalf("status %d %s", r.Status, r.Body)
		}
		if c := p.Candidates[0]; c.FounderID.String() != fid || c.CaseCount != 1 || c.Name != "Fatma Öztürk" || *c.BirthYear != 1985 || *c.Postcode != "45127" {
			t.Errorf("candidate %+v", c)
		}
		if dbState(t, app) != before {
			t.Error("the refused intake wrote something")
		}
	})
	t.Run("the_same_email_is_a_candidate_whatever_the_name", func(t *testing.T) {
		r := amal.Do("POST", "/api/v1/cases", map[string]any{"founder": map[string]any{"given_name": "F.", "family_name": "Yilmaz", "email": "FATMA@example.org"}, "check_duplicates": true})
		if r.Status != http.StatusConflict {
			t.Fatalf("status %d %s", r.Status, r.Body)
		}
	})
	t.Run("page_shows_the_candidates_and_keeps_the_input", func(t *testing.T) {
		n := founders()
		r := postForm(amal, "/cases/new", likeIt)
		body := string(r.Body)
		if r.Status != http.StatusConflict {
			t.Fatalf("status %d", r.Status)
		}
		for _, want := range []string{`id="duplicates"`, `name="founder_choice" value="` + fid + `"`, `value="new" id="choice-new"`,
			"Fatma Öztürk", "45127 Essen", "Fälle beim Träger: 1", `value="Oeztuerk"`, "Kiosk mit Paketannahme", `href="/founders/` + fid + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %s", want)
			}
		}
		if strings.Index(body, `id="duplicates-submit"`) > strings.Index(body, `id="given_name"`) {
			t.Error("the choice's button is not the form's first: Enter would send the intake without a choice")
		}
		if founders() != n {
			t.Error("a founder was written before the choice")
		}
	})
	t.Run("choosing_the_known_founder_with_an_open_case_is_refused", func(t *testing.T) {
		form := url.Values{"founder_choice": {fid}}
		for k, v := range likeIt {
			form[k] = v
		}
		r := postForm(amal, "/cases/new", form)
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "noch einen offenen Fall") || !strings.Contains(string(r.Body), "Kiosk mit Paketannahme") {
			t.Fatalf("status %d", r.Status)
		}
	})
	amal.Must(http.StatusOK, "POST", "/api/v1/cases/"+first+"/close", map[string]any{"reason": "handed_over"}, "If-Match", etag)
	t.Run("choosing_the_known_founder_opens_a_second_case_with_the_same_token", func(t *testing.T) {
		tok := pageToken(t, amal, "/cases/new", "/cases/new")
		if r := postForm(amal, "/cases/new", withToken(likeIt, tok)); r.Status != http.StatusConflict {
			t.Fatalf("first sending: status %d", r.Status)
		}
		n := founders()
		form := withToken(likeIt, tok) // the warning's page is sent with the token it came with
		form.Set("founder_choice", fid)
		r := postForm(amal, "/cases/new", form)
		loc := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/") {
			t.Fatalf("status %d location %q: %.1500s", r.Status, loc, r.Body)
		}
		var cs domain.Case
		amal.Must(http.StatusOK, "GET", "/api/v1"+loc, nil).JSON(t, &cs)
		if cs.Founder.ID.String() != fid || cs.Business.Idea != "Kiosk mit Paketannahme" || cs.Founder.GivenName != "Fatma" || founders() != n {
			t.Fatalf("case %+v, founders %d → %d", cs, n, founders())
		}
		if msg := flashAt(t, amal, loc); msg != "Der neue Fall wurde eröffnet." {
			t.Errorf("message %q", msg)
		}
		if got := caseLinks(string(amal.Must(http.StatusOK, "GET", "/founders/"+fid, nil).Body)); len(got) != 2 {
			t.Errorf("the founder page lists %v", got)
		}
	})
	t.Run("a_different_person_is_created_on_confirmation", func(t *testing.T) {
		n := founders()
		form := url.Values{"founder_choice": {"new"}, "founder.given_name": {"Fatma"}, "founder.family_name": {"Öztürk"}, "founder.birth_year": {"2001"}}
		if r := postForm(amal, "/cases/new", form); r.Status != http.StatusSeeOther {
			t.Fatalf("status %d", r.Status)
		}
		// Through the API: without check_duplicates (clients that cannot show the choice).
		amal.Must(http.StatusCreated, "POST", "/api/v1/cases", map[string]any{"founder": map[string]any{"given_name": "Fatma", "family_name": "Öztürk"}})
		if founders() != n+2 {
			t.Errorf("founders %d → %d, want two more", n, founders())
		}
		if r := postForm(amal, "/cases/new", url.Values{"founder_choice": {"nobody"}, "founder.given_name": {"X"}, "founder.family_name": {"Y"}}); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("a choice that is no founder: status %d", r.Status)
		}
	})
	t.Run("no_candidate_the_caller_may_not_read", func(t *testing.T) {
		// Another advisor of the carrier and an advisor of another carrier see no
		// founder of Amal's cases: their intakes of the same name go through.
		for _, cl := range []*testenv.Client{bernhard, zora} {
			r := postForm(cl, "/cases/new", url.Values{"founder.given_name": {"Fatma"}, "founder.family_name": {"Öztürk"}, "founder.birth_year": {"1985"}})
			if r.Status != http.StatusSeeOther || strings.Contains(string(r.Body), "Öztürk") {
				t.Errorf("status %d", r.Status)
			}
		}
	})
	t.Run("english", func(t *testing.T) {
		amal.Header.Set("Accept-Language", "en")
		defer amal.Header.Del("Accept-Language")
		body := string(postForm(amal, "/cases/new", likeIt).Body)
		for _, want := range []string{"Is this person known already?", "A different person – create anyway", "Continue with this choice"} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q", want)
			}
		}
	})
}
