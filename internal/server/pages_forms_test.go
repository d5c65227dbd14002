package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// postForm sends a url-encoded form as a browser does.
func postForm(c *testenv.Client, path string, form url.Values) testenv.Response {
	return c.Do("POST", path, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

// The page forms follow the API's rules and permissions; the browser tests walk the
// flows, these check the edges without a browser.
func TestPageForms(t *testing.T) {
	app := testenv.NewApp(t)
	c1, c2 := app.Carrier(t, "C1"), app.Carrier(t, "C2")
	advID := app.User(t, "a@c1.de", domain.RoleAdvisor, c1)
	app.User(t, "k@c1.de", domain.RoleCoordinator, c1)
	app.User(t, "a@c2.de", domain.RoleAdvisor, c2)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	adv, coord := app.SignIn(t, "a@c1.de"), app.SignIn(t, "k@c1.de")
	id, _ := adv.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})

	t.Run("advisor_cannot_assign_advisors", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/advisors", url.Values{"version": {"1"}, "lead_advisor_id": {advID.String()}})
		if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "Kein Zugriff") {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("coordinator_intake_needs_a_lead_and_keeps_the_input", func(t *testing.T) {
		r := postForm(coord, "/cases/new", url.Values{"founder.given_name": {"Lina"}, "founder.family_name": {"Haddad"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", r.Status)
		}
		body := string(r.Body)
		if !strings.Contains(body, `id="lead_advisor_id-error">Pflichtangabe.`) || !strings.Contains(body, `value="Haddad"`) {
			t.Fatalf("no inline error or input lost:\n%s", body)
		}
	})
	t.Run("coordinator_intake_names_the_lead", func(t *testing.T) {
		r := postForm(coord, "/cases/new", url.Values{"founder.given_name": {"Lina"}, "founder.family_name": {"Haddad"}, "lead_advisor_id": {advID.String()}})
		loc := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/cases/") {
			t.Fatalf("status %d location %q", r.Status, loc)
		}
		cs := coord.Must(http.StatusOK, "GET", "/api/v1"+loc, nil).Map(t)
		if cs["lead_advisor_id"] != advID.String() {
			t.Fatalf("lead %v", cs["lead_advisor_id"])
		}
	})
	t.Run("intake_reports_every_bad_field_at_once", func(t *testing.T) {
		r := postForm(adv, "/cases/new", url.Values{"founder.given_name": {"X"}, "founder.birth_year": {"neunzehn"},
			"founder.languages": {"xx"}, "founder.country_of_birth": {"Syrien"}, "business.founded_on": {"2099-01-01"}})
		body := string(r.Body)
		for _, want := range []string{`id="family_name-error">Pflichtangabe`, `id="birth_year-error">Falscher Datentyp`,
			`id="languages-error">Kein Sprachcode`, `id="country_of_birth-error">Kein Ländercode`, `id="founded_on-error">Das Datum liegt in der Zukunft`} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %s", want)
			}
		}
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("stale_version_answers_412_with_the_current_case", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/close", url.Values{"version": {"7"}, "reason": {"abandoned"}})
		if r.Status != http.StatusPreconditionFailed || !strings.Contains(string(r.Body), "zwischenzeitlich geändert") {
			t.Fatalf("status %d", r.Status)
		}
		if cs := adv.Must(http.StatusOK, "GET", "/api/v1/cases/"+id, nil).Map(t); cs["status"] != "active" {
			t.Fatalf("a stale form changed the case: %v", cs["status"])
		}
	})
	t.Run("other_carrier_case_page_is_404", func(t *testing.T) {
		r := app.SignIn(t, "a@c2.de").Do("GET", "/cases/"+id, nil)
		if r.Status != http.StatusNotFound {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("admin_sees_no_counselling_content", func(t *testing.T) {
		a := app.SignIn(t, "admin@x.de")
		for _, p := range []string{"/cases", "/cases/" + id, "/agenda", "/cases/new"} {
			if r := a.Do("GET", p, nil); r.Status != http.StatusForbidden || strings.Contains(string(r.Body), "Yusuf") {
				t.Errorf("%s: status %d", p, r.Status)
			}
		}
	})
	t.Run("account_with_a_refused_role_is_not_created", func(t *testing.T) {
		a := app.SignIn(t, "admin@x.de")
		form := url.Values{"email": {"neu@x.de"}, "name": {"Neu"}, "password": {testenv.Password},
			"role": {"advisor"}, "carrier_id": {uuid.NewString()}} // no such carrier
		r := postForm(a, "/admin/users", form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "Diesen Träger gibt es nicht.") {
			t.Fatalf("status %d, want 422 naming the unknown carrier", r.Status)
		}
		var n int
		if err := app.DB.Store.DB.Get(&n, `SELECT count(*) FROM users WHERE email = 'neu@x.de'`); err != nil || n != 0 {
			t.Fatalf("%d accounts neu@x.de after a refused role (%v)", n, err)
		}
		form.Set("carrier_id", c1.String())
		if r := postForm(a, "/admin/users", form); r.Status != http.StatusSeeOther {
			t.Fatalf("with a real carrier: status %d", r.Status)
		}
		neu := app.SignIn(t, "neu@x.de")
		neu.Must(http.StatusForbidden, "GET", "/api/v1/cases", nil) // the one-time password is changed first
		neu.Must(http.StatusOK, "POST", "/api/v1/me/password", map[string]string{
			"current_password": testenv.Password, "new_password": "Eigenes-Passwort-2026"})
		neu.Must(http.StatusOK, "GET", "/api/v1/cases", nil) // then the role counts at once
	})
	t.Run("each_role_starts_where_its_work_is", func(t *testing.T) {
		for email, want := range map[string]string{"a@c1.de": "/cases", "admin@x.de": "/admin/users", "pm@x.de": "/stats"} {
			if r := app.SignIn(t, email).Do("GET", "/", nil); r.Header.Get("Location") != want {
				t.Errorf("%s: home sends to %q, want %q", email, r.Header.Get("Location"), want)
			}
		}
	})
	t.Run("navigation_shows_only_what_the_roles_allow", func(t *testing.T) {
		body := string(app.SignIn(t, "pm@x.de").Must(http.StatusOK, "GET", "/account", nil).Body)
		for _, link := range []string{`href="/cases"`, `href="/agenda"`, `href="/admin/users"`, `href="/cases/new"`, `href="/caseload"`, `href="/agenda/team"`} {
			if strings.Contains(body, link) {
				t.Errorf("programme manager's navigation has %s", link)
			}
		}
		if !strings.Contains(body, `href="/stats"`) {
			t.Error("programme manager's navigation lacks the statistics")
		}
	})
}

// Editing casework on the case page: consultations and notes by their author only,
// milestones by anyone who writes casework in the case; every object must belong to the
// case in the URL; the API's rules, a 412 for a stale version, and timeline paging.
func TestPageEditCasework(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	st := app.DB.Store
	c1, c2 := app.Carrier(t, "C1"), app.Carrier(t, "C2")
	advID := app.User(t, "a@c1.de", domain.RoleAdvisor, c1)
	coID := app.User(t, "b@c1.de", domain.RoleAdvisor, c1)
	app.User(t, "k@c1.de", domain.RoleCoordinator, c1)
	app.User(t, "a@c2.de", domain.RoleAdvisor, c2)
	app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	adv, co, coord, other := app.SignIn(t, "a@c1.de"), app.SignIn(t, "b@c1.de"), app.SignIn(t, "k@c1.de"), app.SignIn(t, "a@c2.de")
	id, etag := adv.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	coord.Must(http.StatusOK, "PUT", "/api/v1/cases/"+id+"/advisors",
		map[string]any{"lead_advisor_id": advID, "co_advisor_ids": []uuid.UUID{coID}}, "If-Match", etag)
	id2, _ := adv.NewCase(map[string]any{"founder": testenv.Founder("Lina", "Haddad")})
	otherID, _ := other.NewCase(map[string]any{"founder": testenv.Founder("Omar", "Said")})
	today := domain.DayOf(time.Now()).String()
	created := func(path string, body map[string]any) string {
		t.Helper()
		return fmt.Sprint(adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+id+path, body).Map(t)["id"])
	}
	kid := created("/consultations", map[string]any{"date": today, "duration_minutes": 60, "mode": "in_person",
		"topics": []string{"business_plan"}, "summary": "Businessplan besprochen", "prep_minutes": 15})
	nid := created("/notes", map[string]any{"body": "Erster Entwurf des Vermerks"})
	mid := created("/milestones", map[string]any{"type": "business_plan_completed"})
	consultation := func(kv ...string) url.Values {
		f := url.Values{"date": {today}, "duration_minutes": {"90"}, "mode": {"phone"}, "topics": {"business_plan", "financing"},
			"languages": {"de, ar"}, "summary": {"Businessplan und Finanzierung besprochen"}, "prep_minutes": {"15"}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	mustContain := func(t *testing.T, r testenv.Response, status int, want ...string) {
		t.Helper()
		if r.Status != status {
			t.Fatalf("status %d, want %d: %.400s", r.Status, status, r.Body)
		}
		for _, w := range want {
			if !strings.Contains(string(r.Body), w) {
				t.Errorf("the page lacks %q", w)
			}
		}
	}

	t.Run("author_sees_edit_forms_of_own_entries_only", func(t *testing.T) {
		own := string(adv.Must(http.StatusOK, "GET", "/cases/"+id, nil).Body)
		for _, action := range []string{"/consultations/" + kid, "/notes/" + nid, "/milestones/" + mid} {
			if !strings.Contains(own, `action="/cases/`+id+action+`"`) {
				t.Errorf("the author sees no form for %s", action)
			}
		}
		coPage := string(co.Must(http.StatusOK, "GET", "/cases/"+id, nil).Body)
		if strings.Contains(coPage, "/consultations/"+kid+`"`) || strings.Contains(coPage, "/notes/"+nid+`"`) {
			t.Errorf("the co-advisor is offered to edit the lead's consultation or note")
		}
		if !strings.Contains(coPage, "/milestones/"+mid+`"`) {
			t.Errorf("the co-advisor is not offered to update the milestone")
		}
	})

	// ---- consultations ----
	t.Run("author_edits_consultation", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/consultations/"+kid, consultation("version", "1", "next_steps", "Angebot der Bank einholen"))
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/cases/"+id+"#tl-consultation-"+kid {
			t.Fatalf("status %d location %q: %.300s", r.Status, r.Header.Get("Location"), r.Body)
		}
		k, err := st.Consultation(ctx, domain.Actor{System: true}, uuid.MustParse(kid))
		if err != nil {
			t.Fatal(err)
		}
		if k.Version != 2 || k.DurationMinutes != 90 || k.Mode != "phone" || len(k.Topics) != 2 || k.NextSteps == nil ||
			k.PrepMinutes == nil || *k.PrepMinutes != 15 || strings.Join(k.Languages, ",") != "de,ar" {
			t.Fatalf("consultation after edit: %+v", k)
		}
		mustContain(t, adv.Do("GET", "/cases/"+id, nil), http.StatusOK, "Businessplan und Finanzierung besprochen", "Das Beratungsgespräch wurde geändert.")
	})
	t.Run("co_advisor_cannot_edit_the_leads_consultation", func(t *testing.T) {
		r := postForm(co, "/cases/"+id+"/consultations/"+kid, consultation("version", "2", "summary", "Übernommen"))
		mustContain(t, r, http.StatusForbidden, "Kein Zugriff", "Nur die Verfasserin oder der Verfasser")
	})
	t.Run("coordinator_may_not_edit_consultations", func(t *testing.T) {
		mustContain(t, postForm(coord, "/cases/"+id+"/consultations/"+kid, consultation("version", "2")), http.StatusForbidden, "Kein Zugriff")
	})
	t.Run("consultation_of_another_case_is_404", func(t *testing.T) {
		mustContain(t, postForm(adv, "/cases/"+id2+"/consultations/"+kid, consultation("version", "2")), http.StatusNotFound, "Nicht gefunden")
		mustContain(t, postForm(other, "/cases/"+otherID+"/consultations/"+kid, consultation("version", "2")), http.StatusNotFound, "Nicht gefunden")
		mustContain(t, postForm(adv, "/cases/"+id+"/consultations/"+uuid.NewString(), consultation("version", "2")), http.StatusNotFound)
	})
	t.Run("stale_consultation_version_is_412_with_the_current_data", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/consultations/"+kid, consultation("version", "1", "summary", "Meine späte Fassung"))
		// The timeline as it is now; the input kept, on the current version, for a second try.
		mustContain(t, r, http.StatusPreconditionFailed, "zwischenzeitlich geändert",
			`<p class="text" dir="auto">Businessplan und Finanzierung besprochen</p>`, ">Meine späte Fassung</textarea>")
		if !regexp.MustCompile(`action="/cases/` + id + `/consultations/` + kid + `" class="grid-form">\s*<input type="hidden" name="version" value="2">`).Match(r.Body) {
			t.Errorf("the kept input is not on the current version")
		}
		if k, _ := st.Consultation(ctx, domain.Actor{System: true}, uuid.MustParse(kid)); k.Version != 2 {
			t.Fatalf("a stale form changed the consultation: version %d", k.Version)
		}
	})
	t.Run("invalid_consultation_is_422_with_field_errors_and_input_kept", func(t *testing.T) {
		f := consultation("version", "2", "summary", "", "next_steps", "Nicht verlieren", "date", "2099-01-01")
		f.Del("topics")
		r := postForm(adv, "/cases/"+id+"/consultations/"+kid, f)
		mustContain(t, r, http.StatusUnprocessableEntity,
			`id="ke-`+kid+`-summary-error">Pflichtangabe.`, `id="ke-`+kid+`-topics-error">`, `id="ke-`+kid+`-date-error">Das Datum liegt in der Zukunft`,
			`aria-describedby="ke-`+kid+`-summary-error"`, ">Nicht verlieren</textarea>", `value="2099-01-01"`, "<details class=\"edit\" open>")
		if k, _ := st.Consultation(ctx, domain.Actor{System: true}, uuid.MustParse(kid)); k.Version != 2 {
			t.Fatalf("an invalid form changed the consultation: version %d", k.Version)
		}
	})

	t.Run("unchanged_past_follow_up_date_is_kept_but_a_new_one_must_not_be_past", func(t *testing.T) {
		in := domain.ConsultationInput{Date: domain.DayOf(time.Now()).AddDays(-10), DurationMinutes: 30, Mode: "phone",
			Topics: []string{"financing"}, Languages: []string{}, Summary: "Früher", FollowUpOn: ptr(domain.DayOf(time.Now()).AddDays(-3))}
		// Logged ten days ago, when the follow-up date lay ahead: the store's clock says so.
		tenDaysAgo := *st
		tenDaysAgo.Now = func() time.Time { return time.Now().AddDate(0, 0, -10) }
		k, err := tenDaysAgo.CreateConsultation(ctx, domain.Actor{UserID: advID}, uuid.MustParse(id), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		path := "/cases/" + id + "/consultations/" + k.ID.String()
		past := domain.DayOf(time.Now()).AddDays(-3).String()
		r := postForm(adv, path, consultation("version", "1", "date", in.Date.String(), "follow_up_on", past))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("unchanged follow-up date: status %d: %.300s", r.Status, r.Body)
		}
		r = postForm(adv, path, consultation("version", "2", "date", in.Date.String(), "follow_up_on", domain.DayOf(time.Now()).AddDays(-1).String()))
		mustContain(t, r, http.StatusUnprocessableEntity, `id="ke-`+k.ID.String()+`-follow-up-error">Das Datum liegt in der Vergangenheit`)
	})

	// ---- notes ----
	t.Run("author_edits_note_and_the_earlier_text_is_kept", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/notes/"+nid, url.Values{"version": {"1"}, "body": {"Zweite Fassung des Vermerks"}, "confidential": {"true"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/cases/"+id+"#tl-note-"+nid {
			t.Fatalf("status %d location %q: %.300s", r.Status, r.Header.Get("Location"), r.Body)
		}
		n, err := st.Note(ctx, domain.Actor{UserID: advID}, uuid.MustParse(nid))
		if err != nil || n.Body != "Zweite Fassung des Vermerks" || !n.Confidential || n.Version != 2 {
			t.Fatalf("note after edit: %+v, %v", n, err)
		}
		var revs []struct {
			Version      int    `db:"version"`
			Body         string `db:"body"`
			Confidential bool   `db:"confidential"`
		}
		err = st.DB.SelectContext(ctx, &revs, `SELECT version, body, confidential FROM note_revisions WHERE note_id = $1 ORDER BY version`, nid)
		if err != nil || len(revs) != 1 || revs[0].Body != "Erster Entwurf des Vermerks" || revs[0].Version != 1 || revs[0].Confidential {
			t.Fatalf("revisions %+v, %v", revs, err)
		}
		mustContain(t, adv.Do("GET", "/cases/"+id, nil), http.StatusOK, `<p class="text" dir="auto">Zweite Fassung des Vermerks</p>`, `class="edited">bearbeitet `)
		// Confidential now: the co-advisor no longer sees it, nor can reach it to edit.
		if strings.Contains(string(co.Must(http.StatusOK, "GET", "/cases/"+id, nil).Body), "Zweite Fassung") {
			t.Errorf("the co-advisor reads a confidential note")
		}
	})
	t.Run("non_author_cannot_edit_note", func(t *testing.T) {
		shared := created("/notes", map[string]any{"body": "Für alle sichtbar"})
		mustContain(t, postForm(coord, "/cases/"+id+"/notes/"+shared, url.Values{"version": {"1"}, "body": {"Überschrieben"}}),
			http.StatusForbidden, "Nur die Verfasserin oder der Verfasser")
		mustContain(t, postForm(co, "/cases/"+id+"/notes/"+nid, url.Values{"version": {"2"}, "body": {"x"}}), http.StatusNotFound) // confidential: not there
		if n, _ := st.Note(ctx, domain.Actor{UserID: advID}, uuid.MustParse(shared)); n.Body != "Für alle sichtbar" {
			t.Fatalf("note changed by a non-author: %q", n.Body)
		}
	})
	t.Run("note_of_another_case_is_404", func(t *testing.T) {
		mustContain(t, postForm(adv, "/cases/"+id2+"/notes/"+nid, url.Values{"version": {"2"}, "body": {"x"}}), http.StatusNotFound, "Nicht gefunden")
		mustContain(t, postForm(other, "/cases/"+otherID+"/notes/"+nid, url.Values{"version": {"2"}, "body": {"x"}}), http.StatusNotFound)
	})
	t.Run("stale_note_version_is_412", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/notes/"+nid, url.Values{"version": {"1"}, "body": {"Dritte Fassung"}})
		mustContain(t, r, http.StatusPreconditionFailed, "zwischenzeitlich geändert", `<p class="text" dir="auto">Zweite Fassung des Vermerks</p>`, ">Dritte Fassung</textarea>")
	})
	t.Run("invalid_note_is_422_with_field_error_and_input_kept", func(t *testing.T) {
		long := strings.Repeat("Sehr lang. ", 2000) + "Ende"
		r := postForm(adv, "/cases/"+id+"/notes/"+nid, url.Values{"version": {"2"}, "body": {long}, "confidential": {"true"}})
		mustContain(t, r, http.StatusUnprocessableEntity, `id="ne-`+nid+`-body-error">Höchstens 20000`,
			`id="ne-`+nid+`-confidential" aria-describedby="ne-`+nid+`-confidential-hint" checked`)
		if !strings.Contains(string(r.Body), ">"+long+"</textarea>") {
			t.Errorf("the long text was not kept")
		}
		r = postForm(adv, "/cases/"+id+"/notes/"+nid, url.Values{"version": {"2"}, "body": {"   "}})
		mustContain(t, r, http.StatusUnprocessableEntity, `id="ne-`+nid+`-body-error">Pflichtangabe.`)
	})

	// ---- milestones ----
	t.Run("co_advisor_updates_milestone", func(t *testing.T) {
		r := postForm(co, "/cases/"+id+"/milestones/"+mid, url.Values{"version": {"1"}, "target_on": {domain.DayOf(time.Now()).AddDays(30).String()},
			"achieved_on": {today}, "note": {"Von der Bank gelobt"}})
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/cases/"+id+"#tl-milestone-"+mid {
			t.Fatalf("status %d location %q: %.300s", r.Status, r.Header.Get("Location"), r.Body)
		}
		m, err := st.Milestone(ctx, domain.Actor{System: true}, uuid.MustParse(mid))
		if err != nil || m.Version != 2 || m.AchievedOn == nil || m.AchievedOn.String() != today || m.Note == nil || m.Type != "business_plan_completed" {
			t.Fatalf("milestone after edit: %+v, %v", m, err)
		}
		mustContain(t, adv.Do("GET", "/cases/"+id, nil), http.StatusOK, "Von der Bank gelobt")
	})
	t.Run("programme_manager_cannot_update_milestone", func(t *testing.T) {
		mustContain(t, postForm(app.SignIn(t, "pm@x.de"), "/cases/"+id+"/milestones/"+mid, url.Values{"version": {"2"}}), http.StatusForbidden, "Kein Zugriff")
	})
	t.Run("milestone_of_another_case_is_404", func(t *testing.T) {
		mustContain(t, postForm(adv, "/cases/"+id2+"/milestones/"+mid, url.Values{"version": {"2"}}), http.StatusNotFound, "Nicht gefunden")
		mustContain(t, postForm(other, "/cases/"+otherID+"/milestones/"+mid, url.Values{"version": {"2"}}), http.StatusNotFound)
	})
	t.Run("stale_milestone_version_is_412", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/milestones/"+mid, url.Values{"version": {"1"}, "note": {"Später Gedanke"}})
		mustContain(t, r, http.StatusPreconditionFailed, "zwischenzeitlich geändert", ">Später Gedanke</textarea>")
	})
	t.Run("invalid_milestone_is_422_with_field_error_and_input_kept", func(t *testing.T) {
		r := postForm(adv, "/cases/"+id+"/milestones/"+mid, url.Values{"version": {"2"}, "achieved_on": {"2099-01-01"}, "target_on": {"bald"}, "note": {"Nicht verlieren"}})
		mustContain(t, r, http.StatusUnprocessableEntity, `id="me-`+mid+`-achieved-error">Das Datum liegt in der Zukunft`,
			`id="me-`+mid+`-target-error">`, ">Nicht verlieren</textarea>", `value="bald"`)
		if m, _ := st.Milestone(ctx, domain.Actor{System: true}, uuid.MustParse(mid)); m.Version != 2 {
			t.Fatalf("an invalid form changed the milestone: version %d", m.Version)
		}
	})
	t.Run("closed_case_offers_no_edits_and_refuses_them", func(t *testing.T) {
		cid, _ := adv.NewCase(map[string]any{"founder": testenv.Founder("Zahra", "Ahmadi")})
		note := fmt.Sprint(adv.Must(http.StatusCreated, "POST", "/api/v1/cases/"+cid+"/notes", map[string]any{"body": "Vor dem Abschluss"}).Map(t)["id"])
		postForm(adv, "/cases/"+cid+"/close", url.Values{"version": {"1"}, "reason": {"abandoned"}})
		if strings.Contains(string(adv.Must(http.StatusOK, "GET", "/cases/"+cid, nil).Body), "/notes/"+note+`"`) {
			t.Errorf("a closed case offers to edit a note")
		}
		mustContain(t, postForm(adv, "/cases/"+cid+"/notes/"+note, url.Values{"version": {"1"}, "body": {"Danach"}}), http.StatusConflict, "abgeschlossen")
	})

	// ---- timeline paging ----
	t.Run("timeline_pages_back_without_duplicates", func(t *testing.T) {
		pid, _ := adv.NewCase(map[string]any{"founder": testenv.Founder("Viele", "Einträge")})
		const n = 57
		var oldest uuid.UUID
		for i := range n {
			note, err := st.CreateNote(ctx, domain.Actor{UserID: advID}, uuid.MustParse(pid), domain.NoteInput{Body: fmt.Sprintf("Notiz-%02d.", i)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				oldest = note.ID
			}
		}
		seen := map[string]int{}
		count := func(body string) {
			for i := range n {
				seen[fmt.Sprintf("Notiz-%02d.", i)] += strings.Count(body, fmt.Sprintf(`<p class="text" dir="auto">Notiz-%02d.</p>`, i))
			}
		}
		first := string(adv.Must(http.StatusOK, "GET", "/cases/"+pid, nil).Body)
		count(first)
		m := regexp.MustCompile(`<a href="(/cases/` + pid + `\?before=[A-Za-z0-9_-]+)#timeline" rel="next">Ältere Einträge</a>`).FindStringSubmatch(first)
		if m == nil {
			t.Fatalf("no link to older entries")
		}
		if strings.Contains(first, "Zu den neuesten Einträgen") {
			t.Errorf("the newest page links to the newest entries")
		}
		second := string(adv.Must(http.StatusOK, "GET", m[1], nil).Body)
		count(second)
		if strings.Contains(second, "Ältere Einträge") || !strings.Contains(second, `<a href="/cases/`+pid+`#timeline">Zu den neuesten Einträgen</a>`) {
			t.Errorf("the last page links further back, or not to the newest entries")
		}
		if !strings.Contains(second, `<p class="text" dir="auto">Notiz-00.</p>`) || !strings.Contains(second, "Gründung") {
			t.Errorf("the oldest entries are not on the second page")
		}
		for note, k := range seen {
			if k != 1 {
				t.Errorf("%s shown %d times over both pages", note, k)
			}
		}
		// An edit on the older page comes back to that page, failed or done.
		edit := "/cases/" + pid + "/notes/" + oldest.String() + m[1][len("/cases/"+pid):]
		if !strings.Contains(second, `action="`+edit+`"`) {
			t.Fatalf("the edit form on the older page does not post to %s", edit)
		}
		mustContain(t, postForm(adv, edit, url.Values{"version": {"1"}, "body": {""}}), http.StatusUnprocessableEntity,
			`id="ne-`+oldest.String()+`-body-error">Pflichtangabe.`)
		r := postForm(adv, edit, url.Values{"version": {"1"}, "body": {"Notiz-00, ergänzt."}})
		if want := m[1] + "#tl-note-" + oldest.String(); r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Fatalf("status %d location %q, want %q", r.Status, r.Header.Get("Location"), want)
		}
		mustContain(t, adv.Do("GET", "/cases/"+pid+"?before=kaputt", nil), http.StatusUnprocessableEntity)
		mustContain(t, other.Do("GET", m[1], nil), http.StatusNotFound)
	})
}

func ptr[T any](v T) *T { return &v }
