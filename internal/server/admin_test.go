package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// addAccount creates an account as the command line does (a final password), with a
// name of its own.
func addAccount(t *testing.T, app *testenv.App, name, email string, m domain.Membership) uuid.UUID {
	t.Helper()
	id, err := seed.AddUser(context.Background(), app.DB.Store,
		domain.UserInput{Email: email, Name: name, Password: testenv.Password, Languages: []string{"de"}}, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Authz.Reload(); err != nil {
		t.Fatal(err)
	}
	return id
}

// userNames are the names of a page of the account list.
func userNames(t *testing.T, r testenv.Response) ([]string, string) {
	t.Helper()
	var page struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
		Next *string `json:"next_cursor"`
	}
	r.JSON(t, &page)
	var out []string
	for _, u := range page.Items {
		out = append(out, u.Name)
	}
	next := ""
	if page.Next != nil {
		next = *page.Next
	}
	return out, next
}

// TestAccountListSearchAndSort: the account list finds a part of a name or address
// whatever its case and accents, takes LIKE's wildcards literally, sorts by name,
// e-mail or status, and pages through every order without losing or repeating anyone.
func TestAccountListSearchAndSort(t *testing.T) {
	app := testenv.NewApp(t)
	v := newAPIChecker(t, app)
	c1 := app.Carrier(t, "C1")
	app.User(t, "admin@x.test", domain.RoleAdmin, uuid.Nil)
	adv := domain.Membership{Role: domain.RoleAdvisor, CarrierID: &c1}
	addAccount(t, app, "Ayşe Çelik", "ayse@x.test", adv)
	addAccount(t, app, "Jürgen Groß", "j.gross@x.test", adv)
	addAccount(t, app, "Zoë Weiß", "zoe@x.test", adv)
	addAccount(t, app, "Bruno Axb", "bruno@x.test", adv)
	underscore := addAccount(t, app, "Carla Under", "a_b@x.test", adv)
	gone := addAccount(t, app, "Anton Alt", "anton@x.test", adv)
	admin := app.SignIn(t, "admin@x.test")
	admin.Must(200, "POST", "/api/v1/users/"+gone.String()+"/deactivate", nil)

	search := func(t *testing.T, q string) []string {
		t.Helper()
		names, _ := userNames(t, v.do(admin, 200, "GET", "/api/v1/users?q="+url.QueryEscape(q), nil))
		return names
	}
	for q, want := range map[string][]string{
		"celik":    {"Ayşe Çelik"},
		"ÇELIK":    {"Ayşe Çelik"},
		"ayse cel": {"Ayşe Çelik"},
		"jurgen":   {"Jürgen Groß"},
		"gross":    {"Jürgen Groß"}, // ß is ss, in the name and in the address
		"weiss":    {"Zoë Weiß"},
		"ZOE":      {"Zoë Weiß"},
		"a_b":      {"Carla Under"}, // not "Bruno Axb" (axb): _ is no wildcard
		"%":        nil,
		"nobody":   nil,
	} {
		t.Run("q="+q, func(t *testing.T) {
			if got := search(t, q); !slices.Equal(got, want) {
				t.Fatalf("q=%q found %v, want %v", q, got, want)
			}
		})
	}
	t.Run("sorted_by_name_by_default", func(t *testing.T) {
		names, _ := userNames(t, v.do(admin, 200, "GET", "/api/v1/users", nil))
		want := []string{"admin", "Anton Alt", "Ayşe Çelik", "Bruno Axb", "Carla Under", "Jürgen Groß", "Zoë Weiß"}
		if !slices.Equal(names, want) {
			t.Fatalf("%v, want %v", names, want)
		}
	})
	t.Run("sorted_by_email", func(t *testing.T) {
		names, _ := userNames(t, v.do(admin, 200, "GET", "/api/v1/users?sort=email", nil))
		want := []string{"Carla Under", "admin", "Anton Alt", "Ayşe Çelik", "Bruno Axb", "Jürgen Groß", "Zoë Weiß"}
		if !slices.Equal(names, want) {
			t.Fatalf("%v, want %v", names, want)
		}
	})
	t.Run("sorted_by_status_active_first", func(t *testing.T) {
		names, _ := userNames(t, v.do(admin, 200, "GET", "/api/v1/users?sort=status", nil))
		if names[len(names)-1] != "Anton Alt" || len(names) != 7 {
			t.Fatalf("%v: the deactivated account is not last", names)
		}
	})
	for _, sort := range domain.UserSorts {
		t.Run("pages_follow_on_by_"+sort, func(t *testing.T) {
			all, _ := userNames(t, admin.Must(200, "GET", "/api/v1/users?sort="+sort, nil))
			var walked []string
			cursor := ""
			for i := 0; i < 10; i++ {
				names, next := userNames(t, v.do(admin, 200, "GET", "/api/v1/users?limit=2&sort="+sort+"&cursor="+cursor, nil))
				walked = append(walked, names...)
				if next == "" {
					break
				}
				cursor = next
			}
			if !slices.Equal(walked, all) {
				t.Fatalf("pages %v, whole list %v", walked, all)
			}
		})
	}
	t.Run("search_pages_too", func(t *testing.T) {
		names, next := userNames(t, v.do(admin, 200, "GET", "/api/v1/users?limit=1&q=x.test&sort=email", nil))
		if len(names) != 1 || names[0] != "Carla Under" || next != underscore.String() {
			t.Fatalf("%v next %q", names, next)
		}
	})
	t.Run("bad_sort_and_cursor_422", func(t *testing.T) {
		p := mustProblem(t, v.do(admin, 422, "GET", "/api/v1/users?sort=password", nil), 422)
		if len(p.Errors) != 1 || p.Errors[0].Field != "sort" {
			t.Fatalf("%+v", p)
		}
		mustProblem(t, v.do(admin, 422, "GET", "/api/v1/users?cursor=nein", nil), 422)
		mustProblem(t, v.do(admin, 422, "GET", "/api/v1/users?limit=201", nil), 422)
	})
	t.Run("page_searches_and_sorts", func(t *testing.T) {
		r := admin.Must(200, "GET", "/admin/users?q=CELIK", nil)
		body := string(r.Body)
		if !strings.Contains(body, "Ayşe Çelik") || strings.Contains(body, "Jürgen") {
			t.Fatalf("page search for CELIK: %s", body)
		}
		r = admin.Must(200, "GET", "/admin/users?q=niemand", nil)
		if !strings.Contains(string(r.Body), "Kein Konto passt zu „niemand“") {
			t.Fatalf("no empty-result message: %s", r.Body)
		}
		r = admin.Must(200, "GET", "/admin/users?sort=status", nil)
		body = string(r.Body)
		if !strings.Contains(body, `aria-sort="ascending"><a href="/admin/users?sort=status"`) ||
			strings.Index(body, "Anton Alt") < strings.Index(body, "Zoë Weiß") {
			t.Fatalf("status order on the page: %s", body)
		}
		mustProblem(t, admin.Do("GET", "/api/v1/users?sort=nein", nil), 422)
		if r := admin.Do("GET", "/admin/users?sort=nein", nil); r.Status != 422 {
			t.Fatalf("page with a bad order: %d", r.Status)
		}
	})
	t.Run("search_uses_the_trigram_index", func(t *testing.T) {
		tx := app.DB.Store.DB.MustBegin()
		defer func() { _ = tx.Rollback() }()
		tx.MustExec(`SET LOCAL enable_seqscan = off`)
		var plan []string
		if err := tx.Select(&plan, `EXPLAIN SELECT id FROM users u WHERE u.search_text LIKE '%' || user_search_fold('celik') || '%'`); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(plan, "\n"), "users_search") {
			t.Fatalf("plan without users_search:\n%s", strings.Join(plan, "\n"))
		}
	})
}

// TestAccountEdit: an administrator changes name, e-mail and languages with the
// account's version; a stale version is 412 (also for the loser of a race), a taken
// address 409 naming the field, bad input 422 — each changing nothing — and each change
// is audited once. The page keeps the input on every refusal.
func TestAccountEdit(t *testing.T) {
	app := testenv.NewApp(t)
	v := newAPIChecker(t, app)
	c1 := app.Carrier(t, "C1")
	app.User(t, "admin@x.test", domain.RoleAdmin, uuid.Nil)
	adv := domain.Membership{Role: domain.RoleAdvisor, CarrierID: &c1}
	id := addAccount(t, app, "Olena Kovalenko", "olena@x.test", adv)
	addAccount(t, app, "Taken", "taken@x.test", adv)
	admin := app.SignIn(t, "admin@x.test")
	path := "/api/v1/users/" + id.String()
	current := func(t *testing.T) domain.User {
		t.Helper()
		u, err := app.DB.Store.User(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}

	r := v.do(admin, 200, "GET", path, nil)
	if r.Header.Get("ETag") != `"1"` {
		t.Fatalf("ETag %q", r.Header.Get("ETag"))
	}
	t.Run("edit_with_version", func(t *testing.T) {
		r := v.do(admin, 200, "PATCH", path, map[string]any{"name": " Olena Kovalenko-Schmidt ", "languages": []string{"uk", "de"}}, "If-Match", `"1"`)
		var u domain.User
		r.JSON(t, &u)
		if u.Name != "Olena Kovalenko-Schmidt" || u.Email != "olena@x.test" || !slices.Equal(u.Languages, []string{"uk", "de"}) || u.Version != 2 || r.Header.Get("ETag") != `"2"` {
			t.Fatalf("%+v ETag %s", u, r.Header.Get("ETag"))
		}
	})
	before := current(t)
	refusals := []struct {
		name    string
		status  int
		body    map[string]any
		headers []string
		field   string
	}{
		{"stale_version_412", 412, map[string]any{"name": "Alt"}, []string{"If-Match", `"1"`}, ""},
		{"no_version_428", 428, map[string]any{"name": "Alt"}, nil, ""},
		{"address_taken_409", 409, map[string]any{"email": "TAKEN@x.test"}, []string{"If-Match", `"2"`}, "email"},
		{"no_address_422", 422, map[string]any{"email": "keine-adresse"}, []string{"If-Match", `"2"`}, "email"},
		{"empty_name_422", 422, map[string]any{"name": "  "}, []string{"If-Match", `"2"`}, "name"},
		{"unknown_language_422", 422, map[string]any{"languages": []string{"klingonisch"}}, []string{"If-Match", `"2"`}, "languages[0]"},
		{"unknown_field_400", 400, map[string]any{"active": false}, []string{"If-Match", `"2"`}, ""},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			p := mustProblem(t, v.do(admin, c.status, "PATCH", path, c.body, c.headers...), c.status)
			if c.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != c.field) {
				t.Fatalf("%+v, want an error on %s", p, c.field)
			}
			if after := current(t); after.Name != before.Name || after.Email != before.Email || after.Version != before.Version {
				t.Fatalf("a refused edit changed the account: %+v", after)
			}
		})
	}
	t.Run("only_administrators", func(t *testing.T) {
		other := app.SignIn(t, "olena@x.test")
		mustProblem(t, v.do(other, 403, "PATCH", path, map[string]any{"name": "Ich"}, "If-Match", `"2"`), 403)
		mustProblem(t, v.do(admin, 404, "PATCH", "/api/v1/users/"+uuid.NewString(), map[string]any{"name": "X"}, "If-Match", `"1"`), 404)
	})
	t.Run("race_has_one_winner_the_loser_412", func(t *testing.T) {
		statuses := make([]int, 4)
		var wg sync.WaitGroup
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := admin.Do("PATCH", path, map[string]any{"name": fmt.Sprintf("Olena %d", i)}, "If-Match", `"2"`)
				statuses[i] = r.Status
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{200, 412, 412, 412}) {
			t.Fatalf("answers %v, want one 200 and 412 for the rest", statuses)
		}
		if u := current(t); u.Version != 3 {
			t.Fatalf("version %d after the race", u.Version)
		}
	})
	t.Run("every_change_audited_once", func(t *testing.T) {
		if n := auditCount(t, app, "user.update", &id); n != 2 {
			t.Fatalf("%d user.update events, want 2 (the edit and the race's winner)", n)
		}
	})

	t.Run("page_taken_address_keeps_input", func(t *testing.T) {
		r := sendForm(admin, "/admin/users/"+id.String(), "name", "Olena Neu", "email", "taken@x.test", "languages", "uk", "version", "3")
		body := string(r.Body)
		if r.Status != 409 || !strings.Contains(body, `value="Olena Neu"`) || !strings.Contains(body, `value="taken@x.test"`) ||
			!strings.Contains(body, `id="edit-email-error">Diese E-Mail-Adresse`) {
			t.Fatalf("status %d: %s", r.Status, body)
		}
		// The roles form below shows the roles the account has, not the edit's input.
		if n := strings.Count(body, " checked>"); n != 1 {
			t.Fatalf("%d role boxes checked after a refused edit, want the 1 role the account has", n)
		}
	})
	t.Run("page_stale_version_keeps_input_and_offers_the_current_one", func(t *testing.T) {
		r := sendForm(admin, "/admin/users/"+id.String(), "name", "Olena Zweiter Versuch", "email", "olena@x.test", "languages", "uk", "version", "1")
		body := string(r.Body)
		if r.Status != 412 || !strings.Contains(body, `value="Olena Zweiter Versuch"`) || !strings.Contains(body, `name="version" value="3"`) {
			t.Fatalf("status %d: %s", r.Status, body)
		}
		r = sendForm(admin, "/admin/users/"+id.String(), "name", "Olena Zweiter Versuch", "email", "olena@x.test", "languages", "uk", "version", "3")
		if r.Status != http.StatusSeeOther {
			t.Fatalf("second try: %d %s", r.Status, r.Body)
		}
		if u := current(t); u.Name != "Olena Zweiter Versuch" || u.Version != 4 {
			t.Fatalf("%+v", u)
		}
	})
}

// TestOneTimePassword: an administrator sets a one-time password (the policy applies);
// the account's sessions and tokens end; the person signs in with it and reaches
// nothing but the change of it and signing out (pages redirect, the API answers 403
// error.password_change_required) until they have chosen their own. Accounts an
// administrator creates start the same way; accounts of the command line do not.
func TestOneTimePassword(t *testing.T) {
	app := testenv.NewApp(t)
	v := newAPIChecker(t, app)
	c1 := app.Carrier(t, "C1")
	app.User(t, "admin@x.test", domain.RoleAdmin, uuid.Nil)
	id := app.User(t, "a@x.test", domain.RoleAdvisor, c1)
	admin := app.SignIn(t, "admin@x.test")
	session := app.SignIn(t, "a@x.test")
	token := session.Must(201, "POST", "/api/v1/me/tokens", tokenBody("Skript")).Map(t)["token"].(string)
	path := "/api/v1/users/" + id.String() + "/password"
	const oneTime, own = "Einmal-Passwort-2026", "Mein-eigenes-Passwort-2026"

	t.Run("policy_applies", func(t *testing.T) {
		for _, pw := range []string{"kurz", "passwort1234", strings.Repeat("x", 129), ""} {
			p := mustProblem(t, v.do(admin, 422, "POST", path, map[string]any{"password": pw}), 422)
			if len(p.Errors) != 1 || p.Errors[0].Field != "password" {
				t.Fatalf("%q: %+v", pw, p)
			}
		}
		session.Must(200, "GET", "/api/v1/me", nil) // nothing changed
		if auditCount(t, app, "user.password_reset", &id) != 0 {
			t.Fatal("a refused reset was audited")
		}
	})
	t.Run("page_policy_applies_and_shows_no_password", func(t *testing.T) {
		r := sendForm(admin, "/admin/users/"+id.String()+"/password", "password", "kurz")
		if r.Status != 422 || !strings.Contains(string(r.Body), `id="reset-password-input-error">`) || strings.Contains(string(r.Body), `value="kurz"`) {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
	t.Run("reset_ends_sessions_and_tokens", func(t *testing.T) {
		for range 5 { // the person forgot the password and is locked out
			mustProblem(t, app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "a@x.test", "password": "vergessen-vergessen"}), 401)
		}
		mustProblem(t, app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "a@x.test", "password": testenv.Password}), 429)
		r := v.do(admin, 200, "POST", path, map[string]any{"password": oneTime})
		if !r.Map(t)["must_change_password"].(bool) {
			t.Fatalf("%s", r.Body)
		}
		mustProblem(t, session.Do("GET", "/api/v1/me", nil), 401)
		mustProblem(t, bearerClient(t, app, token).Do("GET", "/api/v1/me", nil), 401)
		if auditCount(t, app, "user.password_reset", &id) != 1 {
			t.Fatal("reset not audited")
		}
		mustProblem(t, v.do(admin, 404, "POST", "/api/v1/users/"+uuid.NewString()+"/password", map[string]any{"password": oneTime}), 404)
	})
	t.Run("the_old_password_is_gone", func(t *testing.T) {
		mustProblem(t, app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "a@x.test", "password": testenv.Password}), 401)
	})

	person := app.Anonymous(t)
	t.Run("api_gate", func(t *testing.T) { // the reset lifted the lock of the account
		r := v.do(person, 200, "POST", "/api/v1/session", map[string]string{"email": "a@x.test", "password": oneTime})
		if u := r.Map(t)["user"].(map[string]any); !u["must_change_password"].(bool) {
			t.Fatalf("%s", r.Body)
		}
		for _, p := range []string{"/api/v1/cases", "/api/v1/me", "/api/v1/me/tokens", "/api/v1/agenda"} {
			r := person.Do("GET", p, nil)
			mustProblem(t, r, 403)
			if c := problemCode(t, r); c != "error.password_change_required" {
				t.Fatalf("%s: code %q", p, c)
			}
		}
		mustProblem(t, person.Do("POST", "/api/v1/me/tokens", tokenBody("noch eins")), 403)
	})
	t.Run("page_gate", func(t *testing.T) {
		for _, p := range []string{"/", "/cases", "/account", "/account/second-factor"} {
			r := person.Do("GET", p, nil)
			if p == "/" { // the start page sends each role on; the gate catches it there
				r = person.Do("GET", r.Header.Get("Location"), nil)
			}
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account/password" {
				t.Fatalf("%s: %d → %q", p, r.Status, r.Header.Get("Location"))
			}
		}
		r := person.Must(200, "GET", "/account/password", nil)
		if !strings.Contains(string(r.Body), "Eigenes Passwort wählen") {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("the_change_must_be_a_change", func(t *testing.T) {
		p := mustProblem(t, v.do(person, 422, "POST", "/api/v1/me/password", map[string]any{"current_password": oneTime, "new_password": oneTime}), 422)
		if len(p.Errors) != 1 || p.Errors[0].Field != "new_password" {
			t.Fatalf("%+v", p)
		}
		mustProblem(t, v.do(person, 422, "POST", "/api/v1/me/password", map[string]any{"current_password": "falsch-falsch-falsch", "new_password": own}), 422)
		mustProblem(t, v.do(person, 422, "POST", "/api/v1/me/password", map[string]any{"current_password": oneTime, "new_password": "kurz"}), 422)
		r := sendForm(person, "/account/password", "one_time", "true", "current_password", oneTime, "new_password", own, "new_password_confirm", own+"x")
		if r.Status != 422 || !strings.Contains(string(r.Body), "Eigenes Passwort wählen") || !strings.Contains(string(r.Body), `id="new_password_confirm-error">`) {
			t.Fatalf("page: %d %s", r.Status, r.Body)
		}
	})
	t.Run("after_the_change_everything_is_reachable", func(t *testing.T) {
		r := v.do(person, 200, "POST", "/api/v1/me/password", map[string]any{"current_password": oneTime, "new_password": own})
		if r.Map(t)["must_change_password"].(bool) {
			t.Fatalf("%s", r.Body)
		}
		person.Must(200, "GET", "/api/v1/cases", nil) // the session was renewed, not ended
		if r := person.Do("GET", "/account/password", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account#password" {
			t.Fatalf("change page after the change: %d %q", r.Status, r.Header.Get("Location"))
		}
		mustProblem(t, app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "a@x.test", "password": oneTime}), 401)
	})

	t.Run("accounts_an_administrator_creates_start_with_a_one_time_password", func(t *testing.T) {
		u := v.do(admin, 201, "POST", "/api/v1/users", map[string]any{"email": "neu@x.test", "name": "Neu", "password": oneTime}).Map(t)
		if !u["must_change_password"].(bool) {
			t.Fatalf("%v", u)
		}
		r := sendForm(admin, "/admin/users", "form_token", formToken(admin.Must(200, "GET", "/admin/users", nil).Body, "/admin/users"),
			"name", "Seite", "email", "seite@x.test", "password", oneTime, "role", "advisor", "carrier_id", c1.String())
		if r.Status != http.StatusSeeOther {
			t.Fatalf("page: %d %s", r.Status, r.Body)
		}
		page := app.Anonymous(t)
		r = sendForm(page, "/login", "email", "seite@x.test", "password", oneTime)
		r = page.Do("GET", r.Header.Get("Location"), nil) // / → the role's start
		if r = page.Do("GET", r.Header.Get("Location"), nil); r.Header.Get("Location") != "/account/password" {
			t.Fatalf("new account not sent to the change: %d %q", r.Status, r.Header.Get("Location"))
		}
		r = sendForm(page, "/account/password", "one_time", "true", "current_password", oneTime, "new_password", own, "new_password_confirm", own)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Fatalf("change: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
		}
		page.Must(200, "GET", "/cases", nil)
		if u, _ := app.DB.Store.User(context.Background(), id); u.MustChangePassword {
			t.Fatal("flag still set")
		}
	})
	t.Run("command_line_accounts_have_their_final_password", func(t *testing.T) {
		cli := addAccount(t, app, "Kommandozeile", "cli@x.test", domain.Membership{Role: domain.RoleAdvisor, CarrierID: &c1})
		if u, _ := app.DB.Store.User(context.Background(), cli); u.MustChangePassword {
			t.Fatal("an account of the command line must change its password")
		}
	})
	t.Run("administrators_change_the_password_first_then_enrol", func(t *testing.T) {
		ada := adminWithoutSecondFactor(t, app, "ada@x.test")
		admin.Must(200, "POST", "/api/v1/users/"+ada.String()+"/password", map[string]any{"password": oneTime})
		cl := app.Anonymous(t)
		cl.Must(200, "POST", "/api/v1/session", map[string]string{"email": "ada@x.test", "password": oneTime})
		if c := problemCode(t, cl.Do("GET", "/api/v1/me/second-factor", nil)); c != "error.password_change_required" {
			t.Fatalf("code %q", c)
		}
		cl.Must(200, "POST", "/api/v1/me/password", map[string]any{"current_password": oneTime, "new_password": own})
		if c := problemCode(t, cl.Do("GET", "/api/v1/users", nil)); c != "error.second_factor_required" {
			t.Fatalf("code %q", c)
		}
		cl.Must(200, "GET", "/api/v1/me/second-factor", nil)
	})
}

// TestThrottledSignInSaysForHowLong: a throttled sign-in answers with the wait — the
// page in minutes, the API with Retry-After — and the same for an address nobody has,
// so the answer does not tell whether the account exists.
func TestThrottledSignInSaysForHowLong(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "real@x.test", domain.RoleAdvisor, c1)
	pages := map[string]string{}
	for _, email := range []string{"real@x.test", "ghost@x.test"} {
		for i := 0; i < 5; i++ {
			mustProblem(t, app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": email, "password": "falsch-falsch-falsch"}), 401)
		}
		r := app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": email, "password": testenv.Password})
		mustProblem(t, r, http.StatusTooManyRequests)
		if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 840 || ra > 900 {
			t.Fatalf("%s: Retry-After %q, want (nearly) the 15-minute window", email, r.Header.Get("Retry-After"))
		}
		r = sendForm(app.Anonymous(t), "/login", "email", email, "password", testenv.Password)
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("%s: page %d", email, r.Status)
		}
		pages[email] = strings.ReplaceAll(string(r.Body), email, "E-MAIL")
		if !strings.Contains(pages[email], "Bitte versuchen Sie es in 15 Minuten erneut.") {
			t.Fatalf("%s: the page does not say for how long: %s", email, r.Body)
		}
	}
	strip := func(s string) string { // the one-time form token and the nonce differ per answer
		i := strings.Index(s, `<main`)
		j := strings.Index(s, `</main>`)
		return s[i:j]
	}
	if strip(pages["real@x.test"]) != strip(pages["ghost@x.test"]) {
		t.Fatalf("the throttled page differs for an account that exists:\n%s\n%s", strip(pages["real@x.test"]), strip(pages["ghost@x.test"]))
	}
}
