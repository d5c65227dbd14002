package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/server"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// burst sends the bodies at once, each from its own client, and counts the answers by
// status.
func burst(t *testing.T, app *testenv.App, bodies []map[string]string) map[int]int {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := map[int]int{}
	start := make(chan struct{})
	for _, b := range bodies {
		cl := app.Anonymous(t)
		wg.Go(func() {
			<-start
			r := cl.Do("POST", "/api/v1/session", b)
			mu.Lock()
			got[r.Status]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return got
}

// TestSignInThrottlingHoldsUnderConcurrency: a burst of simultaneous guesses gets no
// more password checks than the limit allows, per account and per address, and the
// right password is refused while the throttle holds.
func TestSignInThrottlingHoldsUnderConcurrency(t *testing.T) {
	const perAccount, perAddress = 5, 8
	app := testenv.NewApp(t, func(c *server.Config) {
		c.LoginFailuresPerAccount = perAccount
		c.LoginFailuresPerAddress = perAddress
		c.LoginWindow = 2 * time.Minute
	})
	c1 := app.Carrier(t, "C1")
	victim := app.User(t, "victim@x.de", domain.RoleAdvisor, c1)

	t.Run("burst_on_one_account_checks_at_most_the_limit", func(t *testing.T) {
		bodies := make([]map[string]string, 20)
		for i := range bodies {
			bodies[i] = map[string]string{"email": "victim@x.de", "password": fmt.Sprintf("falsch-geraten-%02d", i)}
		}
		got := burst(t, app, bodies)
		if got[401] > perAccount || got[401]+got[429] != len(bodies) {
			t.Fatalf("answers %v: want at most %d × 401 and the rest 429", got, perAccount)
		}
		if n := auditCount(t, app, "auth.login_failed", &victim); n > perAccount {
			t.Fatalf("%d auth.login_failed for the account, want at most %d", n, perAccount)
		}
	})
	t.Run("right_password_refused_while_throttled", func(t *testing.T) {
		r := app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "victim@x.de", "password": testenv.Password})
		mustProblem(t, r, http.StatusTooManyRequests)
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 120 {
			t.Fatalf("Retry-After %q, want 1–120 seconds", r.Header.Get("Retry-After"))
		}
	})
	t.Run("login_page_says_for_how_long", func(t *testing.T) {
		r := app.Anonymous(t).Do("POST", "/login", "email=victim%40x.de&password="+testenv.Password,
			"Content-Type", "application/x-www-form-urlencoded")
		body := string(r.Body)
		if r.Status != http.StatusTooManyRequests || !strings.Contains(body, "in 2 Minuten") && !strings.Contains(body, "in 1 Minute") {
			t.Fatalf("status %d, the page does not say for how long: %s", r.Status, body)
		}
	})

	// The address is the same for every client of the test (127.0.0.1): fresh accounts,
	// so only the per-address limit can stop them.
	if _, err := app.DB.Store.DB.Exec(`DELETE FROM login_attempts`); err != nil {
		t.Fatal(err)
	}
	t.Run("burst_over_many_accounts_from_one_address_checks_at_most_the_limit", func(t *testing.T) {
		bodies := make([]map[string]string, 20)
		for i := range bodies {
			email := fmt.Sprintf("u%d@x.de", i)
			app.User(t, email, domain.RoleAdvisor, c1)
			bodies[i] = map[string]string{"email": email, "password": "falsch-falsch-falsch"}
		}
		got := burst(t, app, bodies)
		if got[401] > perAddress || got[401]+got[429] != len(bodies) {
			t.Fatalf("answers %v: want at most %d × 401 and the rest 429", got, perAddress)
		}
		if n := auditCount(t, app, "auth.login_failed", nil); n > perAccount+perAddress {
			t.Fatalf("%d auth.login_failed in all, want at most %d", n, perAccount+perAddress)
		}
		r := app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "u19@x.de", "password": testenv.Password})
		mustProblem(t, r, http.StatusTooManyRequests)
	})
	t.Run("window_passes", func(t *testing.T) {
		if _, err := app.DB.Store.DB.Exec(`UPDATE login_attempts SET at = at - interval '3 minutes'`); err != nil {
			t.Fatal(err)
		}
		app.SignIn(t, "victim@x.de")
	})
}

// problemCode is the stable code of a problem answer ("error.otp_required").
func problemCode(t *testing.T, r testenv.Response) string {
	t.Helper()
	var p struct {
		Code string `json:"code"`
	}
	r.JSON(t, &p)
	return p.Code
}

// adminWithoutSecondFactor adds an administrator as the command line does: with a
// password and no second factor yet.
func adminWithoutSecondFactor(t *testing.T, app *testenv.App, email string) uuid.UUID {
	t.Helper()
	id, err := seed.AddUser(context.Background(), app.DB.Store,
		domain.UserInput{Email: email, Name: "Ada", Password: testenv.Password}, domain.Membership{Role: domain.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Authz.Reload(); err != nil {
		t.Fatal(err)
	}
	return id
}

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestAdministratorsMustEnrolASecondFactor: an administrator without a second factor
// reaches only its enrolment (and sign-out) until they have set it up; then sign-in
// needs a code, each code works once, recovery codes stand in for it, wrong codes are
// throttled like passwords, and every change needs the password.
func TestAdministratorsMustEnrolASecondFactor(t *testing.T) {
	app := testenv.NewApp(t, func(c *server.Config) { c.LoginFailuresPerAccount = 5 })
	c1 := app.Carrier(t, "C1")
	adv := app.User(t, "adv@x.de", domain.RoleAdvisor, c1)
	id := adminWithoutSecondFactor(t, app, "ada@x.de")
	signIn := func(body map[string]string) (*testenv.Client, testenv.Response) {
		cl := app.Anonymous(t)
		return cl, cl.Do("POST", "/api/v1/session", body)
	}
	admin, r := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password})
	if r.Status != 200 {
		t.Fatalf("sign-in before enrolment: %d %s", r.Status, r.Body)
	}

	t.Run("without_second_factor_the_api_answers_403", func(t *testing.T) {
		for _, path := range []string{"/api/v1/users", "/api/v1/me", "/api/v1/carriers"} {
			r := admin.Do("GET", path, nil)
			mustProblem(t, r, 403)
			if c := problemCode(t, r); c != "error.second_factor_required" {
				t.Fatalf("%s: code %q", path, c)
			}
		}
	})
	t.Run("without_second_factor_pages_lead_to_the_enrolment", func(t *testing.T) {
		for _, path := range []string{"/admin/users", "/account", "/audit"} {
			r := admin.Do("GET", path, nil)
			if r.Status != 303 || r.Header.Get("Location") != "/account/second-factor" {
				t.Fatalf("%s: %d → %q", path, r.Status, r.Header.Get("Location"))
			}
		}
		r := admin.Must(200, "GET", "/account/second-factor", nil)
		if !strings.Contains(string(r.Body), `id="second-factor-required"`) {
			t.Fatal("the enrolment page does not say why")
		}
	})
	t.Run("others_need_none", func(t *testing.T) {
		cl := app.SignIn(t, "adv@x.de")
		cl.Must(200, "GET", "/api/v1/cases", nil)
		var sf struct{ Enabled, Required bool }
		cl.Must(200, "GET", "/api/v1/me/second-factor", nil).JSON(t, &sf)
		if sf.Enabled || sf.Required {
			t.Fatalf("%+v", sf)
		}
		_ = adv
	})

	var secret string
	var recovery []string
	t.Run("enrolment_shows_a_server_made_qr_code_and_needs_password_and_code", func(t *testing.T) {
		var en struct {
			Secret string `json:"secret"`
			URL    string `json:"otpauth_url"`
			QR     string `json:"qr_code"`
		}
		admin.Must(200, "POST", "/api/v1/me/second-factor/enrolment", nil).JSON(t, &en)
		secret = en.Secret
		png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(en.QR, "data:image/png;base64,"))
		if err != nil || !strings.HasPrefix(en.QR, "data:image/png;base64,") || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("qr code %.60q: %v", en.QR, err)
		}
		if !strings.HasPrefix(en.URL, "otpauth://totp/Lotse:ada@x.de?") || !strings.Contains(en.URL, "secret="+secret) || len(secret) != 32 {
			t.Fatalf("url %q, secret %q", en.URL, secret)
		}
		// Not stored until confirmed.
		var stored int
		_ = app.DB.Store.DB.Get(&stored, `SELECT count(*) FROM users WHERE totp_secret IS NOT NULL`)
		if stored != 0 {
			t.Fatal("the secret was stored before it was confirmed")
		}
		code := codeAt(t, secret, time.Now())
		p := mustProblem(t, admin.Do("POST", "/api/v1/me/second-factor", map[string]string{"current_password": "falsch-falsch-falsch", "code": code}), 422)
		if !slices.Contains(p.fields(), "current_password") {
			t.Fatalf("%+v", p)
		}
		p = mustProblem(t, admin.Do("POST", "/api/v1/me/second-factor", map[string]string{"current_password": testenv.Password, "code": "000000"}), 422)
		if !slices.Contains(p.fields(), "code") {
			t.Fatalf("%+v", p)
		}
		// Another session cannot confirm this session's enrolment.
		other, _ := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password})
		mustProblem(t, other.Do("POST", "/api/v1/me/second-factor", map[string]string{"current_password": testenv.Password, "code": code}), 422)

		var out struct {
			Codes []string `json:"recovery_codes"`
		}
		admin.Must(200, "POST", "/api/v1/me/second-factor", map[string]string{"current_password": testenv.Password, "code": code}).JSON(t, &out)
		recovery = out.Codes
		if len(recovery) != 10 {
			t.Fatalf("%d recovery codes", len(recovery))
		}
		if auditCount(t, app, "auth.second_factor_enabled", &id) != 1 {
			t.Fatal("enabling not audited")
		}
	})
	t.Run("recovery_codes_are_stored_hashed", func(t *testing.T) {
		var n, leaks int
		_ = app.DB.Store.DB.Get(&n, `SELECT count(*) FROM recovery_codes WHERE user_id = $1`, id)
		for _, table := range []string{"recovery_codes", "audit_events", "sessions", "users"} {
			var k int
			if err := app.DB.Store.DB.Get(&k, `SELECT count(*) FROM `+table+` t WHERE t::text ILIKE '%' || $1 || '%'`, strings.ReplaceAll(recovery[0], "-", "")); err != nil {
				t.Fatal(err)
			}
			leaks += k
		}
		if n != 10 || leaks != 0 {
			t.Fatalf("%d codes stored, plaintext found %d times", n, leaks)
		}
	})
	t.Run("after_enrolment_the_session_reaches_everything", func(t *testing.T) {
		admin.Must(200, "GET", "/api/v1/users", nil)
		admin.Must(200, "GET", "/admin/users", nil)
	})
	t.Run("sign_in_without_code_401_otp_required", func(t *testing.T) {
		cl, r := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password})
		mustProblem(t, r, 401)
		if c := problemCode(t, r); c != "error.otp_required" {
			t.Fatalf("code %q", c)
		}
		mustProblem(t, cl.Do("GET", "/api/v1/me", nil), 401) // not signed in
	})
	t.Run("wrong_password_with_right_code_401_login_failed", func(t *testing.T) {
		_, r := signIn(map[string]string{"email": "ada@x.de", "password": "falsch-falsch-falsch", "otp": codeAt(t, secret, time.Now().Add(30*time.Second))})
		mustProblem(t, r, 401)
		if c := problemCode(t, r); c != "error.login_failed" {
			t.Fatalf("code %q", c)
		}
	})
	t.Run("wrong_code_401_and_audited", func(t *testing.T) {
		before := auditCount(t, app, "auth.login_failed", &id)
		_, r := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": "123456"})
		mustProblem(t, r, 401)
		if c := problemCode(t, r); c != "error.otp_wrong" {
			t.Fatalf("code %q", c)
		}
		var outcome string
		_ = app.DB.Store.DB.Get(&outcome, `SELECT outcome FROM audit_events WHERE action = 'auth.login_failed' AND object_id = $1 ORDER BY id DESC LIMIT 1`, id)
		if auditCount(t, app, "auth.login_failed", &id) != before+1 || outcome != "denied:second_factor" {
			t.Fatalf("wrong code audited as %q", outcome)
		}
	})
	t.Run("right_code_signs_in_once", func(t *testing.T) {
		// The code of the next step: the enrolment used this one.
		code := codeAt(t, secret, time.Now().Add(30*time.Second))
		cl, r := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": code})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		cl.Must(200, "GET", "/api/v1/users", nil)
		_, r = signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": code})
		mustProblem(t, r, 401) // the same code again
		if c := problemCode(t, r); c != "error.otp_wrong" {
			t.Fatalf("replayed code: %q", c)
		}
	})
	t.Run("recovery_code_signs_in_once", func(t *testing.T) {
		cl, r := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": strings.ToUpper(recovery[0])})
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		cl.Must(200, "GET", "/api/v1/users", nil)
		_, r = signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": recovery[0]})
		mustProblem(t, r, 401)
		if auditCount(t, app, "auth.recovery_code_used", &id) != 1 {
			t.Fatal("recovery code not audited")
		}
		var sf struct {
			Left int `json:"recovery_codes_left"`
		}
		cl.Must(200, "GET", "/api/v1/me/second-factor", nil).JSON(t, &sf)
		if sf.Left != 9 {
			t.Fatalf("%d codes left", sf.Left)
		}
	})
	t.Run("renewing_recovery_codes_needs_the_password_and_ends_the_old_ones", func(t *testing.T) {
		p := mustProblem(t, admin.Do("POST", "/api/v1/me/second-factor/recovery-codes", map[string]string{"current_password": "falsch-falsch-falsch"}), 422)
		if !slices.Contains(p.fields(), "current_password") {
			t.Fatalf("%+v", p)
		}
		var out struct {
			Codes []string `json:"recovery_codes"`
		}
		admin.Must(200, "POST", "/api/v1/me/second-factor/recovery-codes", map[string]string{"current_password": testenv.Password}).JSON(t, &out)
		if len(out.Codes) != 10 || slices.Contains(out.Codes, recovery[1]) {
			t.Fatalf("%v", out.Codes)
		}
		_, r := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": recovery[1]})
		mustProblem(t, r, 401)
		recovery = out.Codes
		if _, err := app.DB.Store.DB.Exec(`DELETE FROM login_attempts`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong_codes_are_throttled_like_passwords", func(t *testing.T) {
		for i := range 5 {
			_, r := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": fmt.Sprintf("99999%d", i)})
			mustProblem(t, r, 401)
		}
		_, r := signIn(map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": recovery[2]})
		mustProblem(t, r, 429) // even a right code
		if _, err := app.DB.Store.DB.Exec(`DELETE FROM login_attempts`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("disabling_needs_password_and_code", func(t *testing.T) {
		p := mustProblem(t, admin.Do("POST", "/api/v1/me/second-factor/disable", map[string]string{"current_password": testenv.Password}), 422)
		if !slices.Contains(p.fields(), "code") {
			t.Fatalf("%+v", p)
		}
		p = mustProblem(t, admin.Do("POST", "/api/v1/me/second-factor/disable", map[string]string{"current_password": testenv.Password, "code": "111111"}), 422)
		if !slices.Contains(p.fields(), "code") {
			t.Fatalf("%+v", p)
		}
		admin.Must(204, "POST", "/api/v1/me/second-factor/disable", map[string]string{"current_password": testenv.Password, "code": recovery[3]})
		if auditCount(t, app, "auth.second_factor_disabled", &id) != 1 {
			t.Fatal("disabling not audited")
		}
		var n int
		_ = app.DB.Store.DB.Get(&n, `SELECT count(*) FROM recovery_codes WHERE user_id = $1`, id)
		if n != 0 {
			t.Fatalf("%d recovery codes left after disabling", n)
		}
		// An administrator without one is held at the enrolment again.
		mustProblem(t, admin.Do("GET", "/api/v1/users", nil), 403)
	})
}

// TestSecondFactorSignInOnPages: the sign-in page asks for the code in a second step;
// the browser is not signed in before the code is right.
func TestSecondFactorSignInOnPages(t *testing.T) {
	app := testenv.NewApp(t)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	cl := app.Anonymous(t)
	form := "application/x-www-form-urlencoded"

	t.Run("no_pending_sign_in_goes_back_to_login", func(t *testing.T) {
		if r := cl.Do("GET", "/login/second-factor", nil); r.Status != 303 || r.Header.Get("Location") != "/login" {
			t.Fatalf("%d %q", r.Status, r.Header.Get("Location"))
		}
		if r := cl.Do("POST", "/login/second-factor", "code=123456", "Content-Type", form); r.Status != 303 || r.Header.Get("Location") != "/login" {
			t.Fatalf("%d %q", r.Status, r.Header.Get("Location"))
		}
	})
	t.Run("password_leads_to_the_code_step_not_signed_in", func(t *testing.T) {
		r := cl.Do("POST", "/login", "email=admin%40x.de&password="+url.QueryEscape(testenv.Password)+"&next=%2Fadmin%2Fusers", "Content-Type", form)
		if r.Status != 303 || r.Header.Get("Location") != "/login/second-factor" {
			t.Fatalf("%d %q", r.Status, r.Header.Get("Location"))
		}
		mustProblem(t, cl.Do("GET", "/api/v1/me", nil), 401)
		if r := cl.Do("GET", "/admin/users", nil); r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Fatalf("%d %q", r.Status, r.Header.Get("Location"))
		}
		r = cl.Must(200, "GET", "/login/second-factor", nil)
		if !strings.Contains(string(r.Body), `autocomplete="one-time-code"`) {
			t.Fatal("no code field")
		}
	})
	t.Run("wrong_code_shows_the_form_again", func(t *testing.T) {
		r := cl.Do("POST", "/login/second-factor", "code=000000", "Content-Type", form)
		if r.Status != 401 || !strings.Contains(string(r.Body), `id="login-error"`) {
			t.Fatalf("%d", r.Status)
		}
		mustProblem(t, cl.Do("GET", "/api/v1/me", nil), 401)
	})
	t.Run("right_code_signs_in_and_goes_on", func(t *testing.T) {
		r := cl.Do("POST", "/login/second-factor", "code="+app.OTP(t, "admin@x.de"), "Content-Type", form)
		if r.Status != 303 || r.Header.Get("Location") != "/admin/users" {
			t.Fatalf("%d %q", r.Status, r.Header.Get("Location"))
		}
		cl.Must(200, "GET", "/api/v1/me", nil)
		cl.Must(200, "GET", "/admin/users", nil)
		// The pending step is gone with the sign-in.
		if r := cl.Do("GET", "/login/second-factor", nil); r.Status != 303 {
			t.Fatalf("%d", r.Status)
		}
	})
}

// TestSecondFactorAnswersMatchOpenAPI: requests and answers of the second factor's
// routes, and of a sign-in that needs a code, match openapi.yaml.
func TestSecondFactorAnswersMatchOpenAPI(t *testing.T) {
	app := testenv.NewApp(t)
	v := newAPIChecker(t, app)
	adminWithoutSecondFactor(t, app, "ada@x.de")
	cl := app.Anonymous(t)
	v.do(cl, 200, "POST", "/api/v1/session", map[string]string{"email": "ada@x.de", "password": testenv.Password})
	v.do(cl, 403, "GET", "/api/v1/users", nil)
	v.do(cl, 200, "GET", "/api/v1/me/second-factor", nil)
	v.do(cl, 422, "POST", "/api/v1/me/second-factor", map[string]string{"current_password": testenv.Password, "code": "123456"})
	en := v.do(cl, 200, "POST", "/api/v1/me/second-factor/enrolment", nil).Map(t)
	secret := en["secret"].(string)
	v.do(cl, 200, "POST", "/api/v1/me/second-factor", map[string]string{"current_password": testenv.Password, "code": codeAt(t, secret, time.Now())})
	v.do(cl, 409, "POST", "/api/v1/me/second-factor/enrolment", nil)
	v.do(cl, 200, "GET", "/api/v1/me/second-factor", nil)
	var renewed struct {
		Codes []string `json:"recovery_codes"`
	}
	v.do(cl, 200, "POST", "/api/v1/me/second-factor/recovery-codes", map[string]string{"current_password": testenv.Password}).JSON(t, &renewed)
	v.do(app.Anonymous(t), 401, "POST", "/api/v1/session", map[string]string{"email": "ada@x.de", "password": testenv.Password})
	v.do(app.Anonymous(t), 401, "POST", "/api/v1/session", map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": "000000"})
	v.do(app.Anonymous(t), 200, "POST", "/api/v1/session", map[string]string{"email": "ada@x.de", "password": testenv.Password, "otp": codeAt(t, secret, time.Now().Add(30*time.Second))})
	v.do(cl, 422, "POST", "/api/v1/me/second-factor/disable", map[string]string{"current_password": testenv.Password, "code": "000000"})
	v.do(cl, 204, "POST", "/api/v1/me/second-factor/disable", map[string]string{"current_password": testenv.Password, "code": renewed.Codes[0]})
}
