package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// founderPath is the API path of the casework fixture's founder plus rest.
func (w *casework) founderPath(t *testing.T, rest string) string {
	t.Helper()
	cs := w.lead.Must(http.StatusOK, "GET", w.path(""), nil).Map(t)
	return "/api/v1/founders/" + cs["founder"].(map[string]any)["id"].(string) + rest
}

func consentBody(purpose string, granted bool) map[string]any {
	return map[string]any{"purpose": purpose, "granted": granted, "text_version": "2026-01", "language": "ar"}
}

// consentsOf reads a founder's consents through the API.
func consentsOf(t *testing.T, cl *testenv.Client, path string) domain.Consents {
	t.Helper()
	var cs domain.Consents
	cl.Must(http.StatusOK, "GET", path, nil).JSON(t, &cs)
	return cs
}

func TestConsentsAreRecordedWithdrawnAndListed(t *testing.T) {
	w := newCasework(t)
	path := w.founderPath(t, "/consents")

	cs := consentsOf(t, w.lead, path)
	if len(cs.History) != 0 || len(cs.Current) != 4 {
		t.Fatalf("a new founder has consents: %+v", cs)
	}
	for _, p := range domain.Catalogue.ConsentPurposes {
		if k, ok := cs.Current[p]; !ok || k != nil {
			t.Errorf("current[%s] = %v, present %v; want null", p, k, ok)
		}
	}

	first := w.lead.Must(http.StatusCreated, "POST", path, consentBody(domain.PurposeCounselling, true)).Map(t)
	if first["granted"] != true || first["purpose"] != "counselling" || first["text_version"] != "2026-01" || first["language"] != "ar" ||
		first["recorded_by"] != w.leadID.String() || first["recorded_by_name"] != "lead" || !strings.HasSuffix(first["at"].(string), "Z") ||
		!strings.Contains(path, first["founder_id"].(string)) {
		t.Errorf("recorded consent %v", first)
	}
	w.co.Must(http.StatusCreated, "POST", path, consentBody(domain.PurposeFollowUpSurvey, true))
	// Withdrawing is the same call; blanks and the case of the code are tidied.
	w.coord.Must(http.StatusCreated, "POST", path, map[string]any{"purpose": "counselling", "granted": false, "text_version": " 2026-02 ", "language": " EN "})

	cs = consentsOf(t, w.coord, path)
	if got := cs.Current["counselling"]; got == nil || got.Granted || got.TextVersion != "2026-02" || got.Language != "en" ||
		got.RecordedBy == nil || *got.RecordedBy != w.coordID || got.RecordedByName == nil || *got.RecordedByName != "coord" {
		t.Errorf("current counselling %+v", got)
	}
	if cs.State("counselling") != domain.ConsentWithdrawn || cs.State("follow_up_survey") != domain.ConsentGranted ||
		cs.State("esf_reporting") != domain.ConsentNone || cs.State("referral") != domain.ConsentNone {
		t.Errorf("states %+v", cs.Current)
	}
	var order []string
	for _, k := range cs.History {
		order = append(order, k.Purpose+"/"+map[bool]string{true: "granted", false: "withdrawn"}[k.Granted])
	}
	if want := []string{"counselling/withdrawn", "follow_up_survey/granted", "counselling/granted"}; !slices.Equal(order, want) {
		t.Errorf("history %v, want newest first %v", order, want)
	}

	t.Run("recording_and_reading_are_audited_without_personal_data", func(t *testing.T) {
		founderID := cs.History[0].FounderID
		var n struct {
			Records int `db:"records"`
			Reads   int `db:"reads"`
			Leaks   int `db:"leaks"`
		}
		if err := w.app.DB.Store.DB.Get(&n, `
SELECT count(*) FILTER (WHERE action = 'consent.record') AS records,
       count(*) FILTER (WHERE action = 'consent.read') AS reads,
       count(*) FILTER (WHERE a::text LIKE '%Amina%' OR a::text LIKE '%Yusuf%') AS leaks
FROM audit_events a WHERE object_type = 'founder' AND object_id = $1`, founderID); err != nil {
			t.Fatal(err)
		}
		if n.Records != 3 || n.Reads != 2 || n.Leaks != 0 {
			t.Errorf("audit: %+v", n)
		}
	})
}

func TestConsentInputIsValidatedAndARefusalChangesNothing(t *testing.T) {
	w := newCasework(t)
	path := w.founderPath(t, "/consents")
	with := func(kv ...any) map[string]any {
		m := consentBody(domain.PurposeESFReporting, false)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	w.lead.Must(http.StatusOK, "PATCH", w.founderPath(t, ""), map[string]any{"disability": "yes"}, "If-Match", `"1"`)
	tests := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"unknown_purpose", with("purpose", "marketing"), 422, "purpose"},
		{"missing_purpose", with("purpose", nil), 422, "purpose"},
		{"missing_granted_is_no_withdrawal", with("granted", nil), 422, "granted"},
		{"null_granted_is_no_withdrawal", `{"purpose":"esf_reporting","granted":null,"text_version":"2026-01","language":"de"}`, 422, "granted"},
		{"granted_not_a_bool", with("granted", "no"), 422, "granted"},
		{"empty_text_version", with("text_version", ""), 422, "text_version"},
		{"blank_text_version", with("text_version", "   "), 422, "text_version"},
		{"overlong_text_version", with("text_version", strings.Repeat("v", 41)), 422, "text_version"},
		{"text_version_of_two_lines", with("text_version", "2026\n01"), 422, "text_version"},
		{"unknown_language", with("language", "xx"), 422, "language"},
		{"three_letter_language", with("language", "deu"), 422, "language"},
		{"missing_language", with("language", nil), 422, "language"},
		{"unknown_field", with("at", "2020-01-01T00:00:00Z"), 400, "at"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"_is_refused", func(t *testing.T) {
			r := w.lead.Must(tt.status, "POST", path, tt.body)
			if f := problemFields(t, r); !slices.Contains(f, tt.field) {
				t.Errorf("fields %v, want %s: %s", f, tt.field, r.Body)
			}
		})
	}
	t.Run("no_json_415_and_unknown_founder_404", func(t *testing.T) {
		w.lead.Must(http.StatusUnsupportedMediaType, "POST", path, "purpose=counselling", "Content-Type", "application/x-www-form-urlencoded")
		w.lead.Must(http.StatusNotFound, "POST", "/api/v1/founders/"+uuid.NewString()+"/consents", consentBody("counselling", true))
		w.lead.Must(http.StatusNotFound, "GET", "/api/v1/founders/not-a-uuid/consents", nil)
	})
	if n := w.count(t, "consents"); n != 0 {
		t.Errorf("%d consents stored by refused requests", n)
	}
	if f := w.lead.Must(http.StatusOK, "GET", w.founderPath(t, ""), nil).Map(t); f["disability"] != "yes" || f["version"] != float64(2) {
		t.Errorf("a refused withdrawal changed the founder: %v", f)
	}
}

func TestConsentsAreInTheFounderScope(t *testing.T) {
	w := newCasework(t)
	path := w.founderPath(t, "/consents")
	body := consentBody(domain.PurposeReferral, true)
	w.co.Must(http.StatusCreated, "POST", path, body) // a co-advisor advises the founder too
	for name, cl := range map[string]*testenv.Client{"advisor_not_on_the_case": w.peer, "advisor_of_another_carrier": w.other} {
		t.Run(name+"_gets_404", func(t *testing.T) {
			cl.Must(http.StatusNotFound, "GET", path, nil)
			cl.Must(http.StatusNotFound, "POST", path, body)
		})
	}
	for name, cl := range map[string]*testenv.Client{"programme_manager": w.pm, "admin": w.admin} {
		t.Run(name+"_gets_403", func(t *testing.T) {
			cl.Must(http.StatusForbidden, "GET", path, nil)
			cl.Must(http.StatusForbidden, "POST", path, body)
		})
	}
	if n := w.count(t, "consents"); n != 1 {
		t.Errorf("%d consents, want 1", n)
	}
}

func TestConsentsAreIdempotent(t *testing.T) {
	w := newCasework(t)
	path := w.founderPath(t, "/consents")
	a := w.lead.Must(http.StatusCreated, "POST", path, consentBody("counselling", true), "Idempotency-Key", "c-1").Map(t)
	b := w.lead.Must(http.StatusCreated, "POST", path, consentBody("counselling", true), "Idempotency-Key", "c-1").Map(t)
	if a["id"] != b["id"] || a["at"] != b["at"] {
		t.Errorf("replay answered %v, first %v", b, a)
	}
	r := w.lead.Must(http.StatusUnprocessableEntity, "POST", path, consentBody("counselling", false), "Idempotency-Key", "c-1")
	if f := problemFields(t, r); !slices.Contains(f, "Idempotency-Key") {
		t.Errorf("fields %v", f)
	}
	if n := w.count(t, "consents"); n != 1 {
		t.Errorf("%d consents, want 1", n)
	}
}

// A withdrawn consent to counselling stops new casework in every case of the founder;
// what exists stays readable, and the case can still be closed or moved. A consent never
// recorded blocks nothing (it may exist on paper).
func TestWithdrawnCounsellingConsentStopsNewCasework(t *testing.T) {
	w := newCasework(t)
	path := w.founderPath(t, "/consents")
	k := w.lead.Must(http.StatusCreated, "POST", w.path("/consultations"), consultation(nil)).Map(t)
	fu := w.lead.Must(http.StatusCreated, "POST", w.path("/follow-ups"), map[string]any{"due_on": today().AddDays(3).String(), "title": "Anrufen"}).Map(t)
	founderID := strings.Split(path, "/")[4]
	// A second open case of the founder: the use cases open none while one is open, but
	// data from before that rule may hold two.
	second := uuid.NewString()
	w.app.DB.Store.DB.MustExec(`INSERT INTO cases (id, carrier_id, founder_id, phase, status, lead_advisor_id, opened_on)
		SELECT $1, carrier_id, $2, 'founding', 'active', $3, opened_on FROM cases WHERE id = $4`, second, founderID, w.leadID, w.caseID)

	w.lead.Must(http.StatusCreated, "POST", path, consentBody("counselling", false))
	rows := func() int {
		return w.count(t, "consultations") + w.count(t, "notes") + w.count(t, "milestones") + w.count(t, "follow_ups")
	}
	before := rows()
	creates := []struct {
		name, path string
		body       map[string]any
	}{
		{"consultation", "/consultations", consultation(nil)},
		{"note", "/notes", map[string]any{"body": "x"}},
		{"milestone", "/milestones", map[string]any{"type": "business_plan_completed"}},
		{"follow_up", "/follow-ups", map[string]any{"due_on": today().String(), "title": "x"}},
	}
	for i, caseID := range []string{w.caseID, second} {
		for _, c := range creates {
			t.Run(c.name+"_is_refused_with_409_in_case_"+strconv.Itoa(i+1), func(t *testing.T) {
				r := w.lead.Must(http.StatusConflict, "POST", "/api/v1/cases/"+caseID+c.path, c.body)
				if d := detail(t, r); !strings.Contains(d, "withdrew the consent to counselling") {
					t.Errorf("detail %q", d)
				}
			})
		}
	}
	t.Run("the_page_form_shows_the_refusal", func(t *testing.T) {
		r := postForm(w.lead, "/cases/"+w.caseID+"/notes", url.Values{"body": {"Vermerk"}})
		if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "withdrew the consent to counselling") {
			t.Errorf("status %d", r.Status)
		}
	})
	if after := rows(); after != before {
		t.Errorf("%d rows before, %d after", before, after)
	}
	t.Run("reading_correcting_and_clearing_stay_possible", func(t *testing.T) {
		w.lead.Must(http.StatusOK, "GET", w.path("/consultations"), nil)
		w.lead.Must(http.StatusOK, "PATCH", "/api/v1/consultations/"+k["id"].(string), map[string]any{"duration_minutes": 45}, "If-Match", `"1"`)
		w.lead.Must(http.StatusOK, "PATCH", "/api/v1/follow-ups/"+fu["id"].(string), map[string]any{"done": true}, "If-Match", `"1"`)
		w.lead.Must(http.StatusOK, "POST", w.path("/phase"), map[string]any{"phase": "consolidation"}, "If-Match", w.lead.Must(200, "GET", w.path(""), nil).Header.Get("ETag"))
		w.lead.Must(http.StatusOK, "POST", "/api/v1/cases/"+second+"/close", map[string]any{"reason": "no_contact"}, "If-Match", `"1"`)
	})
	t.Run("granting_again_allows_casework_again", func(t *testing.T) {
		w.co.Must(http.StatusCreated, "POST", path, consentBody("counselling", true))
		w.lead.Must(http.StatusCreated, "POST", w.path("/notes"), map[string]any{"body": "Wieder dabei"})
	})
}

// Withdrawing the consent to ESF+ reporting clears the special categories at once and
// keeps them from being stated again; the other ESF+ attributes rest on a legal
// obligation and stay.
func TestWithdrawnESFConsentClearsTheSpecialCategories(t *testing.T) {
	w := newCasework(t)
	path, founder := w.founderPath(t, "/consents"), w.founderPath(t, "")
	w.lead.Must(http.StatusOK, "PATCH", founder, map[string]any{"disability": "yes", "foreign_background": "yes", "homeless": "no",
		"gender": "female", "employment_status_at_entry": "unemployed", "education_isced": "isced_3_4", "nationalities": []string{"SO"}}, "If-Match", `"1"`)
	w.lead.Must(http.StatusCreated, "POST", path, consentBody("esf_reporting", true))
	if f := w.lead.Must(http.StatusOK, "GET", founder, nil).Map(t); f["version"] != float64(2) || f["disability"] != "yes" {
		t.Fatalf("granting changed the founder: %v", f)
	}

	w.coord.Must(http.StatusCreated, "POST", path, consentBody("esf_reporting", false))
	f := w.lead.Must(http.StatusOK, "GET", founder, nil).Map(t)
	if f["disability"] != "not_stated" || f["foreign_background"] != "not_stated" || f["homeless"] != "not_stated" || f["version"] != float64(3) {
		t.Errorf("special categories after the withdrawal: %v", f)
	}
	if f["gender"] != "female" || f["employment_status_at_entry"] != "unemployed" || f["education_isced"] != "isced_3_4" ||
		!slices.Equal(f["nationalities"].([]any), []any{"SO"}) {
		t.Errorf("the other ESF+ attributes changed: %v", f)
	}
	var updates int
	if err := w.app.DB.Store.DB.Get(&updates, `SELECT count(*) FROM audit_events WHERE action = 'founder.update' AND actor_id = $1`, w.coordID); err != nil {
		t.Fatal(err)
	}
	if updates != 1 {
		t.Errorf("%d founder.update events of the reset, want 1", updates)
	}

	t.Run("stating_one_is_refused_with_422_on_its_field", func(t *testing.T) {
		r := w.lead.Must(http.StatusUnprocessableEntity, "PATCH", founder, map[string]any{"disability": "yes"}, "If-Match", `"3"`)
		if fs := problemFields(t, r); !slices.Equal(fs, []string{"disability"}) || !strings.Contains(string(r.Body), "ESF+ reporting") {
			t.Errorf("fields %v: %s", fs, r.Body)
		}
		r = w.lead.Must(http.StatusUnprocessableEntity, "PATCH", founder, map[string]any{"homeless": "no", "foreign_background": "not_stated"}, "If-Match", `"3"`)
		if fs := problemFields(t, r); !slices.Equal(fs, []string{"homeless"}) {
			t.Errorf("fields %v", fs)
		}
	})
	t.Run("other_changes_stay_possible", func(t *testing.T) {
		w.lead.Must(http.StatusOK, "PATCH", founder, map[string]any{"city": "Essen", "disability": "not_stated"}, "If-Match", `"3"`)
	})
	t.Run("withdrawing_again_changes_no_founder", func(t *testing.T) {
		w.lead.Must(http.StatusCreated, "POST", path, consentBody("esf_reporting", false))
		if f := w.lead.Must(http.StatusOK, "GET", founder, nil).Map(t); f["version"] != float64(4) {
			t.Errorf("version %v, want 4", f["version"])
		}
	})
	t.Run("granting_again_allows_stating_them", func(t *testing.T) {
		w.lead.Must(http.StatusCreated, "POST", path, consentBody("esf_reporting", true))
		w.lead.Must(http.StatusOK, "PATCH", founder, map[string]any{"disability": "yes"}, "If-Match", `"4"`)
	})
}

// The case page shows the consents with a warning, and its form records them with the
// same rules as the API (errors at the fields, Post/Redirect/Get).
func TestConsentsOnTheCasePage(t *testing.T) {
	w := newCasework(t)
	de := w.app.SignIn(t, "lead@x.de") // German, as the browser of an advisor
	page := "/cases/" + w.caseID
	body := string(de.Must(http.StatusOK, "GET", page, nil).Body)
	for _, want := range []string{`id="consents"`, "Einwilligungen", "Für die Beratung ist keine Einwilligung erfasst", "nicht\u00a0erfasst",
		"Berichterstattung (besondere Angaben)", "Weitervermittlung an Partner", "Nachbefragung", `<option value="ar">Arabisch</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}

	t.Run("a_bad_form_shows_the_errors_at_the_fields_and_keeps_the_input", func(t *testing.T) {
		r := postForm(de, page+"/consents", url.Values{"purpose": {"counselling"}, "text_version": {"2026-01"}, "language": {"xx"}})
		b := string(r.Body)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(b, `id="consent-granted-error">Pflichtangabe.`) ||
			!strings.Contains(b, `id="consent-language-error">`) || strings.Contains(b, `id="consent-language-error" hidden`) ||
			!strings.Contains(b, `value="2026-01"`) || !strings.Contains(b, `<details class="consent-record" open>`) {
			t.Errorf("status %d:\n%s", r.Status, b)
		}
		if n := w.count(t, "consents"); n != 0 {
			t.Errorf("%d consents stored", n)
		}
	})
	t.Run("a_withdrawal_redirects_to_the_section_which_shows_it", func(t *testing.T) {
		r := postForm(de, page+"/consents", url.Values{"purpose": {"counselling"}, "granted": {"false"}, "text_version": {"2026-01"}, "language": {"ar"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != page+"#consents" {
			t.Fatalf("status %d location %q", r.Status, r.Header.Get("Location"))
		}
		b := string(de.Must(http.StatusOK, "GET", page, nil).Body)
		for _, want := range []string{"Der Widerruf wurde erfasst.", `role="alert"><strong>Die Einwilligung zur Beratung ist widerrufen.`,
			"widerrufen", "<td>2026-01</td><td>Arabisch</td><td>lead</td>", "Verlauf (1)"} {
			if !strings.Contains(b, want) {
				t.Errorf("after the withdrawal the page lacks %q", want)
			}
		}
	})
	t.Run("in_english_the_page_names_the_language_in_english", func(t *testing.T) {
		b := string(w.lead.Must(http.StatusOK, "GET", page+"?lang=en", nil).Body)
		if !strings.Contains(b, "<td>2026-01</td><td>Arabic</td>") || !strings.Contains(b, "The consent to counselling is withdrawn.") {
			t.Errorf("English page without English names")
		}
	})
	t.Run("outside_the_scope_404_and_without_the_role_403", func(t *testing.T) {
		form := url.Values{"purpose": {"referral"}, "granted": {"true"}, "text_version": {"1"}, "language": {"de"}}
		if r := postForm(w.peer, page+"/consents", form); r.Status != http.StatusNotFound {
			t.Errorf("peer: status %d", r.Status)
		}
		if r := postForm(w.pm, page+"/consents", form); r.Status != http.StatusForbidden {
			t.Errorf("programme manager: status %d", r.Status)
		}
		if n := w.count(t, "consents"); n != 1 {
			t.Errorf("%d consents, want 1", n)
		}
	})
}

func TestConsentAnswersMatchOpenAPI(t *testing.T) {
	w := newCasework(t)
	v := newAPIChecker(t, w.app)
	path := w.founderPath(t, "/consents")
	v.do(w.lead, 200, "GET", path, nil)
	v.do(w.lead, 201, "POST", path, consentBody("counselling", true), "Idempotency-Key", "oa-c")
	v.do(w.coord, 201, "POST", path, consentBody("esf_reporting", false))
	v.do(w.lead, 200, "GET", path, nil)
	v.do(w.lead, 422, "POST", path, consentBody("newsletter", true))
	v.do(w.lead, 400, "POST", path, map[string]any{"purpose": "counselling", "granted": true, "text_version": "1", "language": "de", "by": "x"})
	v.do(w.peer, 404, "GET", path, nil)
	v.do(w.pm, 403, "POST", path, consentBody("counselling", true))
}

// A founder restricted after an erasure request keeps the consent history, readable,
// and takes no new act.
func TestRestrictedFounderTakesNoConsent(t *testing.T) {
	w := newCasework(t)
	path := w.founderPath(t, "/consents")
	w.lead.Must(http.StatusCreated, "POST", path, consentBody("counselling", true))
	if _, err := w.app.DB.Store.DB.Exec(`UPDATE founders SET restricted_at = now()`); err != nil {
		t.Fatal(err)
	}
	w.lead.Must(http.StatusConflict, "POST", path, consentBody("counselling", false))
	if cs := consentsOf(t, w.coord, path); len(cs.History) != 1 || cs.State("counselling") != domain.ConsentGranted {
		t.Errorf("history %+v", cs.History)
	}
	if b := string(w.lead.Must(http.StatusOK, "GET", "/cases/"+w.caseID, nil).Body); !strings.Contains(b, `id="consents"`) ||
		strings.Contains(b, `action="/cases/`+w.caseID+`/consents"`) {
		t.Error("the case page of a restricted founder offers the consent form, or no consents")
	}
}
