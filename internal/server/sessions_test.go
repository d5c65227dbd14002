package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/server"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// User-Agent headers of real browsers; only a coarse summary of them may be kept.
const (
	firefoxOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	safariOnIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// tokenBody is the body of a token creation, with the re-authentication it needs.
func tokenBody(name string) map[string]any {
	return map[string]any{"name": name, "password": testenv.Password}
}

// bearerClient is a client that authenticates with a personal API token.
func bearerClient(t *testing.T, app *testenv.App, secret string) *testenv.Client {
	c := app.Anonymous(t)
	c.Header.Set("Authorization", "Bearer "+secret)
	return c
}

// signInWith signs email in through the API from a client that sends userAgent.
func signInWith(t *testing.T, app *testenv.App, email, userAgent string) *testenv.Client {
	t.Helper()
	c := app.Anonymous(t)
	c.Header.Set("User-Agent", userAgent)
	c.Must(http.StatusOK, "POST", "/api/v1/session", map[string]string{"email": email, "password": testenv.Password})
	return c
}

// sendForm sends a page form.
func sendForm(c *testenv.Client, path string, kv ...string) testenv.Response {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return c.Do("POST", path, v.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

// Finding: replaying a token creation with the same Idempotency-Key answered a new
// secret that was never stored. The secret exists once: the replay is refused.
func TestTokenCreationReplay(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	cl := app.SignIn(t, "a@x.de")
	var first struct{ ID, Token string }
	cl.Must(http.StatusCreated, "POST", "/api/v1/me/tokens", tokenBody("Skript"), "Idempotency-Key", "token-1").JSON(t, &first)
	bearerClient(t, app, first.Token).Must(http.StatusOK, "GET", "/api/v1/me", nil)

	replay := cl.Do("POST", "/api/v1/me/tokens", tokenBody("Skript"), "Idempotency-Key", "token-1", "Accept-Language", "en")
	t.Run("replay_never_answers_a_secret_that_does_not_work", func(t *testing.T) {
		var again struct{ Token string }
		if replay.Status < 300 {
			replay.JSON(t, &again)
		}
		if again.Token != "" && again.Token != first.Token {
			r := bearerClient(t, app, again.Token).Do("GET", "/api/v1/me", nil)
			t.Fatalf("the replay answered %d with another secret, which authenticates with %d", replay.Status, r.Status)
		}
		if again.Token == first.Token {
			t.Fatal("the secret was kept somewhere to be shown twice")
		}
	})
	t.Run("replay_answers_409_secret_shown_once", func(t *testing.T) {
		p := mustProblem(t, replay, http.StatusConflict)
		if !strings.Contains(p.Detail, "only once") {
			t.Fatalf("detail %q", p.Detail)
		}
	})
	t.Run("one_token_exists_and_its_secret_works", func(t *testing.T) {
		var l struct{ Items []struct{ ID string } }
		cl.Must(http.StatusOK, "GET", "/api/v1/me/tokens", nil).JSON(t, &l)
		if len(l.Items) != 1 || l.Items[0].ID != first.ID {
			t.Fatalf("tokens %+v, want only %s", l.Items, first.ID)
		}
		bearerClient(t, app, first.Token).Must(http.StatusOK, "GET", "/api/v1/me", nil)
	})
	t.Run("the_password_is_not_part_of_the_stored_request_hash", func(t *testing.T) {
		// The same key with the same token data is a replay whatever the password was
		// typed as; and no hash of a password lands in idempotency_keys.
		var n int
		if err := app.DB.Store.DB.Get(&n, `SELECT count(*) FROM idempotency_keys`); err != nil || n != 1 {
			t.Fatalf("%d keys, %v", n, err)
		}
	})
}

// Finding: API tokens survived a password change.
func TestPasswordChangeRevokesTokens(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	cl := app.SignIn(t, "a@x.de")
	var tok struct{ Token string }
	cl.Must(http.StatusCreated, "POST", "/api/v1/me/tokens", tokenBody("Skript")).JSON(t, &tok)
	bearer := bearerClient(t, app, tok.Token)
	bearer.Must(http.StatusOK, "GET", "/api/v1/me", nil)

	r := sendForm(cl, "/account/password", "current_password", testenv.Password,
		"new_password", "Ganz-Neues-Passwort-2026", "new_password_confirm", "Ganz-Neues-Passwort-2026")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("password change: %d %s", r.Status, r.Body)
	}
	t.Run("token_stops_working", func(t *testing.T) {
		mustProblem(t, bearer.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized)
	})
	t.Run("token_is_marked_revoked", func(t *testing.T) {
		var live int
		if err := app.DB.Store.DB.Get(&live, `SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL`); err != nil || live != 0 {
			t.Fatalf("%d live tokens, %v", live, err)
		}
	})
	t.Run("the_page_says_so", func(t *testing.T) {
		page := string(cl.Must(http.StatusOK, "GET", "/account", nil).Body)
		if !strings.Contains(page, "API-Tokens wurden widerrufen") {
			t.Fatalf("no word about the tokens: %s", page)
		}
	})
}

// Finding: creating a token needed no re-authentication.
func TestTokenCreationNeedsPassword(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	id := app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	cl := app.SignIn(t, "a@x.de")
	tokens := func() int {
		var n int
		if err := app.DB.Store.DB.Get(&n, `SELECT count(*) FROM api_tokens`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Run("missing_password_422_on_the_field", func(t *testing.T) {
		p := mustProblem(t, cl.Do("POST", "/api/v1/me/tokens", map[string]any{"name": "x"}), http.StatusUnprocessableEntity)
		if strings.Join(p.fields(), ",") != "password" {
			t.Fatalf("fields %v", p.fields())
		}
	})
	t.Run("wrong_password_422_on_the_field_and_audited", func(t *testing.T) {
		p := mustProblem(t, cl.Do("POST", "/api/v1/me/tokens", map[string]any{"name": "x", "password": "nicht-das-passwort"}), http.StatusUnprocessableEntity)
		if strings.Join(p.fields(), ",") != "password" {
			t.Fatalf("fields %v", p.fields())
		}
		if n := auditCount(t, app, "auth.reauth_failed", &id); n != 1 {
			t.Fatalf("%d auth.reauth_failed", n)
		}
	})
	t.Run("page_form_needs_the_password_and_never_echoes_it", func(t *testing.T) {
		r := sendForm(cl, "/account/tokens", "name", "Seite", "password", "falsches-Passwort-123")
		if r.Status != http.StatusUnprocessableEntity || strings.Contains(string(r.Body), "falsches-Passwort-123") {
			t.Fatalf("status %d; echoed: %v", r.Status, strings.Contains(string(r.Body), "falsches-Passwort-123"))
		}
		if !strings.Contains(string(r.Body), `id="token-password"`) {
			t.Fatal("the token form has no password field")
		}
	})
	if tokens() != 0 {
		t.Fatal("a token was created without the right password")
	}
	t.Run("failures_count_like_sign_in_failures", func(t *testing.T) {
		// Two failures so far (API and page); three more reach the limit of five per account.
		for range 3 {
			mustProblem(t, cl.Do("POST", "/api/v1/me/tokens", map[string]any{"name": "x", "password": "nicht-das-passwort"}), http.StatusUnprocessableEntity)
		}
		p := mustProblem(t, cl.Do("POST", "/api/v1/me/tokens", tokenBody("x"), "Accept-Language", "en"), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "password" || !strings.Contains(p.Errors[0].Message, "Too many") {
			t.Fatalf("the right password after five failures: %+v", p)
		}
		mustProblem(t, app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "a@x.de", "password": testenv.Password}), http.StatusTooManyRequests)
	})
	t.Run("right_password_creates", func(t *testing.T) {
		if _, err := app.DB.Store.DB.Exec(`DELETE FROM login_attempts`); err != nil {
			t.Fatal(err)
		}
		cl.Must(http.StatusCreated, "POST", "/api/v1/me/tokens", tokenBody("x"))
		if r := sendForm(cl, "/account/tokens", "name", "Seite", "password", testenv.Password); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `id="new-token"`) {
			t.Fatalf("page: %d", r.Status)
		}
	})
}

// Finding: the session cookie had no __Host- prefix in secure mode.
func TestSessionCookieHostPrefix(t *testing.T) {
	app := testenv.NewApp(t, func(c *server.Config) { c.SecureCookies = true })
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	for _, tc := range []struct{ name, path, ctype, body string }{
		{"api", "/api/v1/session", "application/json", `{"email":"a@x.de","password":"` + testenv.Password + `"}`},
		{"page", "/login", "application/x-www-form-urlencoded", "email=a%40x.de&password=" + url.QueryEscape(testenv.Password)},
	} {
		t.Run(tc.name+"_sign_in_sets___Host-lotse_session", func(t *testing.T) {
			r := app.Anonymous(t).Do("POST", tc.path, tc.body, "Content-Type", tc.ctype)
			cookie := r.Header.Get("Set-Cookie")
			attrs := strings.Split(cookie, "; ")
			if !strings.HasPrefix(cookie, "__Host-lotse_session=") {
				t.Fatalf("status %d, Set-Cookie %q", r.Status, cookie)
			}
			has := func(a string) bool {
				for _, x := range attrs {
					if strings.EqualFold(x, a) {
						return true
					}
				}
				return false
			}
			if !has("Path=/") || !has("Secure") || !has("HttpOnly") || strings.Contains(strings.ToLower(cookie), "domain=") {
				t.Fatalf("Set-Cookie %q: a __Host- cookie needs Path=/, Secure and no Domain", cookie)
			}
			c := app.Anonymous(t)
			c.Header.Set("Cookie", attrs[0])
			c.Must(http.StatusOK, "GET", "/api/v1/me", nil)
		})
	}
}

type sessionItem struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	Browser    string    `json:"browser"`
	Platform   string    `json:"platform"`
	Current    bool      `json:"current"`
}

func listSessions(t *testing.T, c *testenv.Client) []sessionItem {
	t.Helper()
	var l struct{ Items []sessionItem }
	c.Must(http.StatusOK, "GET", "/api/v1/me/sessions", nil).JSON(t, &l)
	return l.Items
}

func currentSession(t *testing.T, c *testenv.Client) sessionItem {
	t.Helper()
	for _, s := range listSessions(t, c) {
		if s.Current {
			return s
		}
	}
	t.Fatal("no current session in the list")
	return sessionItem{}
}

// A person sees their own sessions and ends them, one or all others.
func TestSessionsListAndSignOut(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	id := app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	app.User(t, "b@x.de", domain.RoleAdvisor, c1)
	laptop := signInWith(t, app, "a@x.de", firefoxOnWindows)
	phone := signInWith(t, app, "a@x.de", safariOnIPhone)
	stranger := signInWith(t, app, "b@x.de", firefoxOnWindows)

	var phoneID string
	t.Run("lists_own_sessions_with_a_coarse_browser_description", func(t *testing.T) {
		items := listSessions(t, laptop)
		if len(items) != 2 {
			t.Fatalf("%d sessions: %+v", len(items), items)
		}
		for _, s := range items {
			switch {
			case s.Current && s.Browser == "Firefox" && s.Platform == "Windows":
			case !s.Current && s.Browser == "Safari" && s.Platform == "iOS":
				phoneID = s.ID
			default:
				t.Errorf("unexpected session %+v", s)
			}
			if s.CreatedAt.IsZero() || s.LastSeenAt.IsZero() {
				t.Errorf("times missing: %+v", s)
			}
		}
	})
	t.Run("keeps_neither_the_user_agent_nor_the_token_nor_an_address", func(t *testing.T) {
		var n int
		// strpos, not LIKE: "_" in "17_5" would be a wildcard and match any timestamp like 17:45.
		err := app.DB.Store.DB.Get(&n, `SELECT count(DISTINCT u.id) FROM user_sessions u, sessions s
			WHERE strpos(u::text, 'Gecko') > 0 OR strpos(u::text, '17_5') > 0 OR strpos(u::text, '127.0.0.1') > 0
			   OR strpos(u::text, s.token) > 0`)
		if err != nil || n != 0 {
			t.Fatalf("%d rows keep too much, %v", n, err)
		}
		body := string(laptop.Must(http.StatusOK, "GET", "/api/v1/me/sessions", nil).Body)
		if strings.Contains(body, "Gecko") || strings.Contains(body, "127.0.0.1") {
			t.Fatalf("the list shows too much: %s", body)
		}
	})
	t.Run("another_persons_session_is_404_like_none", func(t *testing.T) {
		other := currentSession(t, stranger)
		a := mustProblem(t, laptop.Do("DELETE", "/api/v1/me/sessions/"+other.ID, nil), http.StatusNotFound)
		b := mustProblem(t, laptop.Do("DELETE", "/api/v1/me/sessions/"+uuid.NewString(), nil), http.StatusNotFound)
		if a.Type != b.Type || a.Detail != b.Detail {
			t.Fatalf("%+v / %+v", a, b)
		}
		stranger.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	})
	t.Run("ending_one_session_signs_it_out_for_good", func(t *testing.T) {
		// Keep the phone's session row, as a request in flight would write it back.
		var token string
		var data []byte
		var expiry time.Time
		if err := app.DB.Store.DB.QueryRow(`SELECT s.token, s.data, s.expiry FROM sessions s JOIN user_sessions u ON u.token_hash = sha256(s.token::bytea) WHERE u.id = $1`, phoneID).Scan(&token, &data, &expiry); err != nil {
			t.Fatal(err)
		}
		laptop.Must(http.StatusNoContent, "DELETE", "/api/v1/me/sessions/"+phoneID, nil)
		mustProblem(t, phone.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized)
		if _, err := app.DB.Store.DB.Exec(`INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)`, token, data, expiry); err != nil {
			t.Fatal(err)
		}
		mustProblem(t, phone.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized)
		if items := listSessions(t, laptop); len(items) != 1 || !items[0].Current {
			t.Fatalf("%+v", items)
		}
	})
	t.Run("sign_out_everywhere_else", func(t *testing.T) {
		tablet := signInWith(t, app, "a@x.de", safariOnIPhone)
		desktop := signInWith(t, app, "a@x.de", firefoxOnWindows)
		var res struct{ Ended int }
		laptop.Must(http.StatusOK, "POST", "/api/v1/me/sessions/sign-out-others", nil).JSON(t, &res)
		if res.Ended != 2 {
			t.Errorf("ended %d, want 2", res.Ended)
		}
		for _, c := range []*testenv.Client{tablet, desktop} {
			mustProblem(t, c.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized)
		}
		laptop.Must(http.StatusOK, "GET", "/api/v1/me", nil)
		stranger.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	})
	t.Run("a_token_lists_the_sessions_none_of_them_current", func(t *testing.T) {
		var tok struct{ Token string }
		laptop.Must(http.StatusCreated, "POST", "/api/v1/me/tokens", tokenBody("Liste")).JSON(t, &tok)
		items := listSessions(t, bearerClient(t, app, tok.Token))
		if len(items) != 1 || items[0].Current {
			t.Fatalf("%+v", items)
		}
	})
	t.Run("ending_the_current_session_signs_out", func(t *testing.T) {
		laptop.Must(http.StatusNoContent, "DELETE", "/api/v1/me/sessions/"+currentSession(t, laptop).ID, nil)
		mustProblem(t, laptop.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized)
	})
	t.Run("audited", func(t *testing.T) {
		if n := auditCount(t, app, "auth.session_end", nil); n != 2 {
			t.Errorf("%d auth.session_end", n)
		}
		if n := auditCount(t, app, "auth.sessions_end_others", &id); n != 1 {
			t.Errorf("%d auth.sessions_end_others", n)
		}
	})
}

// The account page lists the sessions and ends them.
func TestSessionsOnTheAccountPage(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	laptop := signInWith(t, app, "a@x.de", firefoxOnWindows)
	phone := signInWith(t, app, "a@x.de", safariOnIPhone)
	page := string(laptop.Must(http.StatusOK, "GET", "/account", nil).Body)
	for _, want := range []string{"Angemeldete Sitzungen", "Firefox unter Windows", "Safari unter iOS", "Diese Sitzung", `action="/account/sessions/end-others"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the account page lacks %q", want)
		}
	}
	r := sendForm(laptop, "/account/sessions/end-others")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/account#sessions" {
		t.Fatalf("%d %s", r.Status, r.Header.Get("Location"))
	}
	if r := phone.Do("GET", "/account", nil); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("the phone still sees %d", r.Status)
	}
	r = sendForm(laptop, "/account/sessions/"+currentSession(t, laptop).ID+"/end")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("ending this session: %d %s", r.Status, r.Header.Get("Location"))
	}
	mustProblem(t, laptop.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized)
}

// A password change ends every other session: the list shows only this one.
func TestPasswordChangeLeavesOnlyThisSession(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	laptop := signInWith(t, app, "a@x.de", firefoxOnWindows)
	phone := signInWith(t, app, "a@x.de", safariOnIPhone)
	r := sendForm(laptop, "/account/password", "current_password", testenv.Password,
		"new_password", "Ganz-Neues-Passwort-2026", "new_password_confirm", "Ganz-Neues-Passwort-2026")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("%d", r.Status)
	}
	mustProblem(t, phone.Do("GET", "/api/v1/me", nil), http.StatusUnauthorized)
	if items := listSessions(t, laptop); len(items) != 1 || !items[0].Current || items[0].Browser != "Firefox" {
		t.Fatalf("%+v", items)
	}
}

// Activity is written at most once a minute per session, not on every request.
func TestSessionActivityIsTouchedAtMostOncePerMinute(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	cl := signInWith(t, app, "a@x.de", firefoxOnWindows)
	seen := func() time.Time {
		var at time.Time
		if err := app.DB.Store.DB.Get(&at, `SELECT last_seen_at FROM user_sessions`); err != nil {
			t.Fatal(err)
		}
		return at
	}
	before := seen()
	cl.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	if after := seen(); !after.Equal(before) {
		t.Fatalf("touched again within a minute: %v → %v", before, after)
	}
	if _, err := app.DB.Store.DB.Exec(`UPDATE user_sessions SET last_seen_at = now() - interval '5 minutes'`); err != nil {
		t.Fatal(err)
	}
	old := seen()
	cl.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	if after := seen(); !after.After(old.Add(4 * time.Minute)) {
		t.Fatalf("not touched after five minutes: %v → %v", old, after)
	}
}

// The retention job purges the rows of ended sessions with them; a session row whose
// session is being written (sign-in in flight) stays.
func TestRetentionPurgesEndedSessions(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	id := app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	live := signInWith(t, app, "a@x.de", firefoxOnWindows)
	signInWith(t, app, "a@x.de", safariOnIPhone)
	db := app.DB.Store.DB
	db.MustExec(`UPDATE user_sessions SET created_at = now() - interval '2 hours'`)
	// The phone's session expires; scs's cleanup (or the sessions purge) removes it.
	db.MustExec(`UPDATE sessions SET expiry = now() - interval '1 minute'
		WHERE sha256(token::bytea) IN (SELECT token_hash FROM user_sessions WHERE browser = 'Safari')`)
	db.MustExec(`INSERT INTO user_sessions (id, user_id, token_hash, browser, platform) VALUES ($1, $2, '\x01', 'Chrome', 'Linux')`, uuid.New(), id)
	rep, err := app.DB.Store.RunRetention(context.Background(), domain.Actor{System: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Purged["user_sessions"] != 1 {
		t.Errorf("purged %v, want one user_sessions row", rep.Purged)
	}
	var left []string
	if err := db.Select(&left, `SELECT browser FROM user_sessions ORDER BY browser`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(left, ",") != "Chrome,Firefox" {
		t.Errorf("left %v", left)
	}
	live.Must(http.StatusOK, "GET", "/api/v1/me", nil)
}
