package server_test

import (
	"crypto/rand"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// formToken is the one-time token of the form posting to action on the page's HTML, or
// "" when the form carries none.
func formToken(page []byte, action string) string {
	re := regexp.MustCompile(`(?s)<form method="post" action="` + regexp.QuoteMeta(action) + `"[^>]*>(.*?)</form>`)
	m := re.FindSubmatch(page)
	if m == nil {
		return ""
	}
	if tok := regexp.MustCompile(`name="form_token" value="([^"]+)"`).FindSubmatch(m[1]); tok != nil {
		return html.UnescapeString(string(tok[1]))
	}
	return ""
}

// pageToken GETs page and returns the token of its form posting to action; without one
// (the code before form tokens) the test fails but goes on with a token of its own, so
// it also shows what a re-sent form does then.
func pageToken(t *testing.T, cl *testenv.Client, page, action string) string {
	t.Helper()
	r := cl.Must(http.StatusOK, "GET", page, nil)
	if tok := formToken(r.Body, action); tok != "" {
		return tok
	}
	t.Errorf("the form %s on %s carries no form_token", action, page)
	return rand.Text()
}

// withToken is form plus form_token.
func withToken(form url.Values, tok string) url.Values {
	out := url.Values{"form_token": {tok}}
	for k, v := range form {
		out[k] = v
	}
	return out
}

var flashNotice = regexp.MustCompile(`<p [^>]*class="notice" role="status"[^>]*>(.*?)</p>`)

// flashAt GETs the page a form redirected to and returns the message it shows.
func flashAt(t *testing.T, cl *testenv.Client, loc string) string {
	t.Helper()
	r := cl.Must(http.StatusOK, "GET", loc, nil)
	m := flashNotice.FindSubmatch(r.Body)
	if m == nil {
		return ""
	}
	return string(m[1])
}

func countRows(t *testing.T, app *testenv.App, query string, args ...any) int {
	t.Helper()
	var n int
	if err := app.DB.Store.DB.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// A page form that creates something carries a one-time token: sending it again — a
// double click, the browser's "resend", a retry after an error page — answers with what
// the first sending did (the same redirect and message) and creates nothing more; the
// same token with other input is refused with a message, and writes nothing.
func TestFormResentWithItsTokenCreatesOnce(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Träger Eins")
	app.User(t, "lead@x.de", domain.RoleAdvisor, c1)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	lead, admin := app.SignIn(t, "lead@x.de"), app.SignIn(t, "admin@x.de")
	caseID, _ := lead.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	casePage := "/cases/" + caseID
	today := domain.DayOf(app.DB.Store.Now()).String()
	inAWeek := domain.DayOf(app.DB.Store.Now()).AddDays(7).String()
	// A founder whose case is closed, taken in again from the founder page.
	closedID, closedTag := lead.NewCase(map[string]any{"founder": testenv.Founder("Rana", "Saleh")})
	lead.Must(http.StatusOK, "POST", "/api/v1/cases/"+closedID+"/close", map[string]any{"reason": "handed_over"}, "If-Match", closedTag)
	founderID := founderOfCase(t, lead, closedID)
	founderPage := "/founders/" + founderID

	for _, tt := range []struct {
		name         string
		cl           *testenv.Client
		page, action string
		form, other  url.Values
		count        string // counts the objects the form creates ($1 = arg)
		arg          any
		at           string // where the answer leads: a prefix of the Location
	}{
		{name: "intake", cl: lead, page: "/cases/new", action: "/cases/new",
			form:  url.Values{"founder.given_name": {"Lina"}, "founder.family_name": {"Haddad"}, "phase": {"founding"}},
			other: url.Values{"founder.given_name": {"Lina"}, "founder.family_name": {"Haddad-Nour"}, "phase": {"founding"}},
			count: `SELECT count(*) FROM founders WHERE given_name = $1`, arg: "Lina", at: "/cases/"},
		{name: "consultation", cl: lead, page: casePage, action: casePage + "/consultations",
			form: url.Values{"date": {today}, "duration_minutes": {"60"}, "mode": {"in_person"},
				"topics": {"financing", "business_plan"}, "summary": {"Finanzierung besprochen"}},
			other: url.Values{"date": {today}, "duration_minutes": {"90"}, "mode": {"in_person"},
				"topics": {"financing"}, "summary": {"Finanzierung besprochen"}},
			count: `SELECT count(*) FROM consultations WHERE case_id = $1`, arg: caseID, at: casePage + "#timeline"},
		{name: "note", cl: lead, page: casePage, action: casePage + "/notes",
			form: url.Values{"body": {"Ein Vermerk"}}, other: url.Values{"body": {"Ein anderer Vermerk"}},
			count: `SELECT count(*) FROM notes WHERE case_id = $1`, arg: caseID, at: casePage + "#timeline"},
		{name: "milestone", cl: lead, page: casePage, action: casePage + "/milestones",
			form: url.Values{"type": {"business_plan_completed"}}, other: url.Values{"type": {"financing_secured"}},
			count: `SELECT count(*) FROM milestones WHERE case_id = $1`, arg: caseID, at: casePage + "#timeline"},
		{name: "follow_up", cl: lead, page: casePage, action: casePage + "/follow-ups",
			form: url.Values{"title": {"Anrufen"}, "due_on": {inAWeek}}, other: url.Values{"title": {"Mailen"}, "due_on": {inAWeek}},
			count: `SELECT count(*) FROM follow_ups WHERE case_id = $1`, arg: caseID, at: casePage + "#follow-ups"},
		{name: "consent", cl: lead, page: casePage, action: casePage + "/consents",
			form:  url.Values{"purpose": {"referral"}, "granted": {"true"}, "text_version": {"2026-01"}, "language": {"de"}},
			other: url.Values{"purpose": {"referral"}, "granted": {"true"}, "text_version": {"2026-02"}, "language": {"de"}},
			count: `SELECT count(*) FROM consents WHERE founder_id = (SELECT founder_id FROM cases WHERE id = $1)`, arg: caseID,
			at: casePage + "#consents"},
		{name: "founder_case", cl: lead, page: founderPage, action: founderPage + "/cases",
			form: url.Values{"business.idea": {"Zweiter Anlauf"}, "phase": {"founding"}}, other: url.Values{"business.idea": {"Dritter Anlauf"}, "phase": {"founding"}},
			count: `SELECT count(*) FROM cases WHERE founder_id = $1`, arg: founderID, at: "/cases/"},
		{name: "carrier", cl: admin, page: "/admin/carriers", action: "/admin/carriers",
			form: url.Values{"name": {"Träger Zwei"}, "short_name": {"T2"}}, other: url.Values{"name": {"Träger Drei"}, "short_name": {"T3"}},
			count: `SELECT count(*) FROM carriers WHERE name <> 'Träger Eins'`, at: "/admin/carriers"},
		{name: "user", cl: admin, page: "/admin/users", action: "/admin/users",
			form:  url.Values{"name": {"Neu"}, "email": {"neu@x.de"}, "password": {testenv.Password}, "role": {"advisor"}, "carrier_id": {c1.String()}},
			other: url.Values{"name": {"Neu"}, "email": {"neu2@x.de"}, "password": {testenv.Password}, "role": {"advisor"}, "carrier_id": {c1.String()}},
			count: `SELECT count(*) FROM users WHERE email LIKE 'neu%'`, at: "/admin/users/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			countNow := func() int {
				if tt.arg == nil {
					return countRows(t, app, tt.count)
				}
				return countRows(t, app, tt.count, tt.arg)
			}
			before := countNow()
			tok := pageToken(t, tt.cl, tt.page, tt.action)
			first := postForm(tt.cl, tt.action, withToken(tt.form, tok))
			loc := first.Header.Get("Location")
			if first.Status != http.StatusSeeOther || !strings.HasPrefix(loc, tt.at) {
				t.Fatalf("first sending: status %d, location %q: %.300s", first.Status, loc, first.Body)
			}
			msg := flashAt(t, tt.cl, loc)
			if msg == "" {
				t.Fatalf("no message after the first sending")
			}

			again := postForm(tt.cl, tt.action, withToken(tt.form, tok))
			if again.Status != http.StatusSeeOther || again.Header.Get("Location") != loc {
				t.Errorf("sent again: status %d, location %q, want 303 to %q", again.Status, again.Header.Get("Location"), loc)
			} else if m := flashAt(t, tt.cl, loc); m != msg {
				t.Errorf("sent again: message %q, want %q as the first time", m, msg)
			}
			if n := countNow(); n != before+1 {
				t.Fatalf("%d objects after sending one form twice, want %d", n-before, 1)
			}

			edited := postForm(tt.cl, tt.action, withToken(tt.other, tok))
			body := string(edited.Body)
			if edited.Status != http.StatusUnprocessableEntity || !strings.Contains(body, "Dieses Formular wurde schon einmal gesendet") {
				t.Errorf("the same token with other input: status %d, want 422 with the message:\n%.2000s", edited.Status, body)
			}
			if n := countNow(); n != before+1 {
				t.Errorf("the same token with other input wrote: %d objects, want 1", n-before)
			}
			// The form comes back with what was typed and a fresh token: sending it is a
			// new, deliberate request.
			if fresh := formToken(edited.Body, tt.action); fresh == "" || fresh == tok {
				t.Errorf("the form shown again has token %q (the used one is %q)", fresh, tok)
			}
		})
	}

	t.Run("token_secret_shown_once_and_a_resent_form_says_it_exists", func(t *testing.T) {
		before := countRows(t, app, `SELECT count(*) FROM api_tokens`)
		tok := pageToken(t, lead, "/account", "/account/tokens")
		form := url.Values{"name": {"Skript"}, "password": {testenv.Password}}
		first := postForm(lead, "/account/tokens", withToken(form, tok))
		secret := regexp.MustCompile(`id="new-token" class="secret" type="text" readonly value="([^"]+)"`).FindSubmatch(first.Body)
		if first.Status != http.StatusOK || secret == nil {
			t.Fatalf("first sending: status %d, secret shown: %v", first.Status, secret != nil)
		}
		again := postForm(lead, "/account/tokens", withToken(form, tok))
		if again.Status == http.StatusOK && strings.Contains(string(again.Body), `id="new-token"`) {
			t.Errorf("sent again: a second secret is shown")
		}
		loc := again.Header.Get("Location")
		if again.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/account") {
			t.Fatalf("sent again: status %d location %q, want 303 to the account", again.Status, loc)
		}
		if m := flashAt(t, lead, loc); !strings.Contains(m, "bereits angelegt") {
			t.Errorf("sent again: message %q, want that the token was already created", m)
		}
		if n := countRows(t, app, `SELECT count(*) FROM api_tokens`); n != before+1 {
			t.Errorf("%d tokens after sending one form twice, want 1", n-before)
		}
		// The secret of the first answer works.
		api := app.Anonymous(t)
		api.Header.Set("Authorization", "Bearer "+string(secret[1]))
		api.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	})

	t.Run("a_refused_sending_claims_nothing_so_the_corrected_form_with_the_same_token_creates", func(t *testing.T) {
		// A refusal rolls its transaction back, the token's claim with it: the form
		// sent again corrected (the browser's back button keeps the token) creates.
		before := countRows(t, app, `SELECT count(*) FROM follow_ups WHERE case_id = $1`, caseID)
		tok := pageToken(t, lead, casePage, casePage+"/follow-ups")
		bad := postForm(lead, casePage+"/follow-ups", withToken(url.Values{"title": {"  "}, "due_on": {inAWeek}}, tok))
		if bad.Status != http.StatusUnprocessableEntity {
			t.Fatalf("blank title: status %d", bad.Status)
		}
		good := postForm(lead, casePage+"/follow-ups", withToken(url.Values{"title": {"Zurückrufen"}, "due_on": {inAWeek}}, tok))
		if good.Status != http.StatusSeeOther {
			t.Fatalf("corrected: status %d: %.300s", good.Status, good.Body)
		}
		if n := countRows(t, app, `SELECT count(*) FROM follow_ups WHERE case_id = $1`, caseID); n != before+1 {
			t.Errorf("%d follow-ups, want 1", n-before)
		}
	})

	t.Run("sent_five_times_at_once_it_creates_once", func(t *testing.T) {
		// Concurrent sendings wait on the first one's claim of the token; each answers
		// with the first one's redirect.
		before := countRows(t, app, `SELECT count(*) FROM notes WHERE case_id = $1`, caseID)
		form := withToken(url.Values{"body": {"Fünfmal geklickt"}}, pageToken(t, lead, casePage, casePage+"/notes"))
		answers := make([]testenv.Response, 5)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() { answers[i] = postForm(lead, casePage+"/notes", form) })
		}
		wg.Wait()
		for i, r := range answers {
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != casePage+"#timeline" {
				t.Errorf("sending %d: status %d location %q", i, r.Status, r.Header.Get("Location"))
			}
		}
		if n := countRows(t, app, `SELECT count(*) FROM notes WHERE case_id = $1`, caseID); n != before+1 {
			t.Errorf("%d notes, want 1", n-before)
		}
	})

	t.Run("a_form_without_token_from_before_a_deploy_is_still_accepted", func(t *testing.T) {
		r := postForm(lead, casePage+"/notes", url.Values{"body": {"Aus einem alten Tab"}})
		if r.Status != http.StatusSeeOther {
			t.Errorf("status %d", r.Status)
		}
	})

	t.Run("a_malformed_token_is_refused_and_the_input_kept", func(t *testing.T) {
		before := countRows(t, app, `SELECT count(*) FROM notes WHERE case_id = $1`, caseID)
		r := postForm(lead, casePage+"/notes", url.Values{"body": {"Vermerk mit kaputtem Token"}, "form_token": {strings.Repeat("x", 300)}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "Vermerk mit kaputtem Token") ||
			!strings.Contains(string(r.Body), "Das Formular ist nicht mehr gültig") {
			t.Errorf("status %d:\n%.2000s", r.Status, r.Body)
		}
		if n := countRows(t, app, `SELECT count(*) FROM notes WHERE case_id = $1`, caseID); n != before {
			t.Errorf("%d notes written", n-before)
		}
	})

	t.Run("tokens_are_per_person", func(t *testing.T) {
		// The same token sent by someone else is that person's own first sending.
		app.User(t, "co@x.de", domain.RoleCoordinator, c1)
		co := app.SignIn(t, "co@x.de")
		tok := pageToken(t, lead, casePage, casePage+"/notes")
		before := countRows(t, app, `SELECT count(*) FROM notes WHERE case_id = $1`, caseID)
		for _, cl := range []*testenv.Client{lead, co} {
			if r := postForm(cl, casePage+"/notes", withToken(url.Values{"body": {"Geteilt"}}, tok)); r.Status != http.StatusSeeOther {
				t.Fatalf("status %d", r.Status)
			}
		}
		if n := countRows(t, app, `SELECT count(*) FROM notes WHERE case_id = $1`, caseID); n != before+2 {
			t.Errorf("%d notes, want 2", n-before)
		}
	})
}

// Forms that change an object carry its version instead of a token: sent again, the
// second sending meets a newer version and is refused with a message, changing nothing.
func TestVersionedFormResentIsRefused(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Träger Eins")
	app.User(t, "lead@x.de", domain.RoleAdvisor, c1)
	lead := app.SignIn(t, "lead@x.de")
	id, _ := lead.NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})
	form := url.Values{"version": {"1"}, "reason": {"abandoned"}, "note": {"Kein Kontakt mehr"}}
	if r := postForm(lead, "/cases/"+id+"/close", form); r.Status != http.StatusSeeOther {
		t.Fatalf("first sending: status %d", r.Status)
	}
	r := postForm(lead, "/cases/"+id+"/close", form)
	if (r.Status != http.StatusPreconditionFailed && r.Status != http.StatusConflict) || !strings.Contains(string(r.Body), `role="alert"`) {
		t.Errorf("sent again: status %d, want 412 or 409 with a message", r.Status)
	}
	if n := countRows(t, app, `SELECT count(*) FROM status_changes WHERE case_id = $1 AND to_status = 'closed'`, id); n != 1 {
		t.Errorf("%d closings, want 1", n)
	}
}
