package server_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

func auditCount(t *testing.T, app *testenv.App, action string, object *uuid.UUID) int {
	t.Helper()
	var n int
	var err error
	if object == nil {
		err = app.DB.Store.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = $1`, action)
	} else {
		err = app.DB.Store.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = $1 AND object_id = $2`, action, *object)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignInAndOut(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	id := app.User(t, "Amira@Example.org", domain.RoleAdvisor, c1)
	anon := app.Anonymous(t)

	t.Run("wrong_password_401", func(t *testing.T) {
		mustProblem(t, anon.Do("POST", "/api/v1/session", map[string]string{"email": "amira@example.org", "password": "falsch-falsch-falsch"}), 401)
	})
	t.Run("unknown_account_gets_the_same_answer", func(t *testing.T) {
		a := anon.Do("POST", "/api/v1/session", map[string]string{"email": "amira@example.org", "password": "falsch-falsch-falsch"})
		b := anon.Do("POST", "/api/v1/session", map[string]string{"email": "nobody@example.org", "password": "falsch-falsch-falsch"})
		if a.Status != 401 || b.Status != 401 || string(a.Body) != string(b.Body) {
			t.Fatalf("%d %s / %d %s", a.Status, a.Body, b.Status, b.Body)
		}
	})
	t.Run("missing_password_422", func(t *testing.T) {
		mustProblem(t, anon.Do("POST", "/api/v1/session", map[string]string{"email": "amira@example.org"}), 422)
	})
	cl := app.Anonymous(t)
	t.Run("sign_in_ignores_email_case", func(t *testing.T) {
		r := cl.Must(200, "POST", "/api/v1/session", map[string]string{"email": "AMIRA@example.ORG", "password": testenv.Password})
		var body struct{ User struct{ ID string } }
		r.JSON(t, &body)
		if body.User.ID != id.String() {
			t.Fatalf("%s", r.Body)
		}
		cookie := r.Header.Get("Set-Cookie")
		if !strings.Contains(cookie, "lotse_session=") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(strings.ToLower(cookie), "samesite=lax") {
			t.Fatalf("session cookie %q", cookie)
		}
	})
	t.Run("me_describes_the_user", func(t *testing.T) {
		var me struct {
			ID        string   `json:"id"`
			Email     string   `json:"email"`
			Name      string   `json:"name"`
			Languages []string `json:"languages"`
			Roles     []struct {
				Role      string  `json:"role"`
				CarrierID *string `json:"carrier_id"`
			} `json:"roles"`
		}
		cl.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
		if me.ID != id.String() || me.Email != "Amira@Example.org" || len(me.Roles) != 1 ||
			me.Roles[0].Role != "advisor" || me.Roles[0].CarrierID == nil || *me.Roles[0].CarrierID != c1.String() {
			t.Fatalf("%+v", me)
		}
	})
	t.Run("global_role_has_null_carrier", func(t *testing.T) {
		app.User(t, "pm@example.org", domain.RoleProgrammeManager, uuid.Nil)
		r := app.SignIn(t, "pm@example.org").Must(200, "GET", "/api/v1/me", nil)
		if !strings.Contains(string(r.Body), `"roles":[{"role":"programme_manager","carrier_id":null}]`) {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("sign_out_ends_the_session", func(t *testing.T) {
		// Keep the cookie to replay it after sign-out, as a thief would.
		cookie := sessionCookie(t, app, cl)
		cl.Must(204, "DELETE", "/api/v1/session", nil)
		mustProblem(t, cl.Do("GET", "/api/v1/me", nil), 401)
		thief := app.Anonymous(t)
		thief.Header.Set("Cookie", cookie)
		mustProblem(t, thief.Do("GET", "/api/v1/me", nil), 401)
	})
	t.Run("login_and_failure_are_audited", func(t *testing.T) {
		if n := auditCount(t, app, "auth.login", &id); n != 2 { // sign_in_ignores_email_case and sessionCookie
			t.Errorf("%d auth.login", n)
		}
		if n := auditCount(t, app, "auth.login_failed", &id); n != 2 {
			t.Errorf("%d auth.login_failed for the account", n)
		}
		if n := auditCount(t, app, "auth.login_failed", nil); n != 3 {
			t.Errorf("%d auth.login_failed in all", n)
		}
		if n := auditCount(t, app, "auth.logout", &id); n != 1 {
			t.Errorf("%d auth.logout", n)
		}
	})
}

// sessionCookie signs cl in anew and returns its session cookie as a Cookie header.
func sessionCookie(t *testing.T, app *testenv.App, cl *testenv.Client) string {
	t.Helper()
	r := cl.Do("GET", "/api/v1/me", nil)
	var me struct{ Email string }
	r.JSON(t, &me)
	r = cl.Must(200, "POST", "/api/v1/session", map[string]string{"email": me.Email, "password": testenv.Password})
	c, _, _ := strings.Cut(r.Header.Get("Set-Cookie"), ";")
	if !strings.HasPrefix(c, "lotse_session=") {
		t.Fatalf("no session cookie: %q", c)
	}
	return c
}

func TestPersonalAPITokens(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	id := app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	cl := app.SignIn(t, "a@x.de")
	var tok struct {
		ID        string  `json:"id"`
		Name      string  `json:"name"`
		Token     string  `json:"token"`
		ExpiresOn *string `json:"expires_on"`
	}
	tomorrow := domain.DayOf(time.Now()).AddDate(0, 0, 1).Format(domain.DateLayout)
	cl.Must(201, "POST", "/api/v1/me/tokens", map[string]any{"name": "Skript", "expires_on": tomorrow, "password": testenv.Password}).JSON(t, &tok)
	if tok.Token == "" || tok.Name != "Skript" || tok.ExpiresOn == nil || *tok.ExpiresOn != tomorrow {
		t.Fatalf("%+v", tok)
	}
	bearer := func(secret string) *testenv.Client {
		c := app.Anonymous(t)
		c.Header.Set("Authorization", "Bearer "+secret)
		return c
	}
	t.Run("bearer_token_works", func(t *testing.T) {
		r := bearer(tok.Token).Must(200, "GET", "/api/v1/me", nil)
		if r.Map(t)["id"] != id.String() {
			t.Fatalf("%s", r.Body)
		}
		bearer(tok.Token).Must(201, "POST", "/api/v1/cases", map[string]any{"founder": testenv.Founder("Via", "Token")})
	})
	t.Run("token_is_stored_hashed", func(t *testing.T) {
		var leaks int
		for _, table := range []string{"api_tokens", "audit_events", "idempotency_keys", "sessions"} {
			var n int
			if err := app.DB.Store.DB.Get(&n, `SELECT count(*) FROM `+table+` t WHERE t::text LIKE '%' || $1 || '%'`, tok.Token); err != nil {
				t.Fatal(err)
			}
			leaks += n
		}
		var stored []byte
		if err := app.DB.Store.DB.Get(&stored, `SELECT token_hash FROM api_tokens WHERE id = $1`, tok.ID); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte(tok.Token))
		if leaks != 0 || string(stored) != string(h[:]) {
			t.Fatalf("plaintext found %d times; hash matches: %v", leaks, string(stored) == string(h[:]))
		}
	})
	t.Run("list_never_shows_the_secret", func(t *testing.T) {
		r := cl.Must(200, "GET", "/api/v1/me/tokens", nil)
		if strings.Contains(string(r.Body), tok.Token) || !strings.Contains(string(r.Body), tok.ID) {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("expiry_must_lie_in_the_future", func(t *testing.T) {
		mustProblem(t, cl.Do("POST", "/api/v1/me/tokens", map[string]any{"name": "x", "expires_on": domain.DayOf(time.Now()).Format(domain.DateLayout), "password": testenv.Password}), 422)
	})
	t.Run("wrong_or_malformed_token_401", func(t *testing.T) {
		mustProblem(t, bearer(tok.Token+"x").Do("GET", "/api/v1/me", nil), 401)
		mustProblem(t, bearer("").Do("GET", "/api/v1/me", nil), 401)
		c := app.Anonymous(t)
		c.Header.Set("Authorization", "Basic "+tok.Token)
		mustProblem(t, c.Do("GET", "/api/v1/me", nil), 401)
	})
	t.Run("expired_token_401", func(t *testing.T) {
		var old struct{ ID, Token string }
		cl.Must(201, "POST", "/api/v1/me/tokens", map[string]any{"name": "alt", "expires_on": tomorrow, "password": testenv.Password}).JSON(t, &old)
		bearer(old.Token).Must(200, "GET", "/api/v1/me", nil)
		// Let it expire: yesterday was its last day.
		if _, err := app.DB.Store.DB.Exec(`UPDATE api_tokens SET expires_on = current_date - 1 WHERE id = $1`, old.ID); err != nil {
			t.Fatal(err)
		}
		mustProblem(t, bearer(old.Token).Do("GET", "/api/v1/me", nil), 401)
	})
	t.Run("revoked_token_401", func(t *testing.T) {
		cl.Must(204, "DELETE", "/api/v1/me/tokens/"+tok.ID, nil)
		mustProblem(t, bearer(tok.Token).Do("GET", "/api/v1/me", nil), 401)
		mustProblem(t, cl.Do("DELETE", "/api/v1/me/tokens/"+tok.ID, nil), 404)
		tid := uuid.MustParse(tok.ID)
		if auditCount(t, app, "token.create", &tid) != 1 || auditCount(t, app, "token.revoke", &tid) != 1 {
			t.Fatal("token create/revoke not audited")
		}
	})
}

func TestSignInThrottling(t *testing.T) {
	db := testdb.New(t)
	one := testenv.StartApp(t, db)
	two := testenv.StartApp(t, db) // a second instance on the same database
	one.Carrier(t, "C1")
	one.User(t, "victim@x.de", domain.RoleAdmin, uuid.Nil)
	one.User(t, "bystander@x.de", domain.RoleAdmin, uuid.Nil)
	wrong := map[string]string{"email": "victim@x.de", "password": "nicht-das-passwort"}
	right := map[string]string{"email": "victim@x.de", "password": testenv.Password}
	// Five failures spread over both instances.
	for i, app := range []*testenv.App{one, two, one, two, one} {
		if r := app.Anonymous(t).Do("POST", "/api/v1/session", wrong); r.Status != 401 {
			t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	for name, app := range map[string]*testenv.App{"first_instance": one, "second_instance": two} {
		t.Run("sixth_attempt_throttled_on_"+name, func(t *testing.T) {
			r := app.Anonymous(t).Do("POST", "/api/v1/session", right) // even the right password
			mustProblem(t, r, 429)
			if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Fatalf("Retry-After %q", ra)
			}
		})
	}
	t.Run("page_sign_in_throttled_too", func(t *testing.T) {
		r := two.Anonymous(t).Do("POST", "/login", "email=victim%40x.de&password="+testenv.Password, "Content-Type", "application/x-www-form-urlencoded")
		if r.Status != 429 {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("other_accounts_are_not_throttled", func(t *testing.T) {
		two.SignIn(t, "bystander@x.de")
	})
	t.Run("throttling_is_audited", func(t *testing.T) {
		if n := auditCount(t, one, "auth.login_throttled", nil); n < 3 {
			t.Fatalf("%d auth.login_throttled", n)
		}
	})
	t.Run("window_passes", func(t *testing.T) {
		if _, err := db.Store.DB.Exec(`UPDATE login_attempts SET at = at - interval '16 minutes'`); err != nil {
			t.Fatal(err)
		}
		one.SignIn(t, "victim@x.de")
	})
}

func TestDeactivationEndsSessionsAndTokens(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	id := app.User(t, "leaving@x.de", domain.RoleAdvisor, c1)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	admin := app.SignIn(t, "admin@x.de")
	cl := app.SignIn(t, "leaving@x.de")
	other := app.SignIn(t, "leaving@x.de") // a second session, e.g. another browser
	var tok struct{ Token string }
	cl.Must(201, "POST", "/api/v1/me/tokens", tokenBody("x")).JSON(t, &tok)
	bearer := app.Anonymous(t)
	bearer.Header.Set("Authorization", "Bearer "+tok.Token)
	bearer.Must(200, "GET", "/api/v1/me", nil)

	r := admin.Must(200, "POST", "/api/v1/users/"+id.String()+"/deactivate", nil)
	if r.Map(t)["active"] != false {
		t.Fatalf("%s", r.Body)
	}
	for name, c := range map[string]*testenv.Client{"session": cl, "second_session": other, "token": bearer} {
		t.Run(name+"_stops_working", func(t *testing.T) {
			mustProblem(t, c.Do("GET", "/api/v1/me", nil), 401)
		})
	}
	t.Run("cannot_sign_in_again", func(t *testing.T) {
		mustProblem(t, app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "leaving@x.de", "password": testenv.Password}), 401)
	})
	t.Run("deactivation_is_audited", func(t *testing.T) {
		if auditCount(t, app, "user.deactivate", &id) != 1 {
			t.Fatal("not audited")
		}
	})
	t.Run("unknown_user_404", func(t *testing.T) {
		mustProblem(t, admin.Do("POST", "/api/v1/users/"+uuid.NewString()+"/deactivate", nil), 404)
		mustProblem(t, admin.Do("POST", "/api/v1/users/"+uuid.NewString()+"/reactivate", nil), 404)
	})
	// Someone who comes back (parental leave, a new contract) is reactivated with the
	// roles they had; what ended stays ended.
	t.Run("reactivated_can_sign_in_again_with_old_roles", func(t *testing.T) {
		page := string(admin.Must(200, "GET", "/admin/users/"+id.String()+"?lang=de", nil).Body)
		if !strings.Contains(page, `action="/admin/users/`+id.String()+`/reactivate"`) || strings.Contains(page, "/deactivate\"") {
			t.Error("the page of a deactivated account offers no reactivation (or still a deactivation)")
		}
		r := admin.Must(200, "POST", "/api/v1/users/"+id.String()+"/reactivate", nil)
		if r.Map(t)["active"] != true {
			t.Fatalf("%s", r.Body)
		}
		back := app.SignIn(t, "leaving@x.de")
		back.Must(200, "GET", "/api/v1/cases", nil) // the advisor role counts again
		mustProblem(t, bearer.Do("GET", "/api/v1/me", nil), 401)
		mustProblem(t, cl.Do("GET", "/api/v1/me", nil), 401)
		if auditCount(t, app, "user.reactivate", &id) != 1 {
			t.Error("reactivation not audited")
		}
	})
}

func TestPasswordChangeEndsSessions(t *testing.T) {
	app := testenv.NewApp(t)
	id := app.User(t, "p@x.de", domain.RoleAdmin, uuid.Nil)
	cl := app.SignIn(t, "p@x.de")
	cl.Must(200, "GET", "/api/v1/me", nil)
	ctx := context.Background()
	newPassword := "Ganz-Neues-Passwort-2026"
	limits := store.LoginLimits{PerAccount: 5, PerAddress: 30, Window: time.Minute}
	if _, err := app.DB.Store.ChangePassword(ctx, domain.Actor{UserID: id}, domain.PasswordChange{Current: testenv.Password, New: newPassword}, limits); err != nil {
		t.Fatal(err)
	}
	mustProblem(t, cl.Do("GET", "/api/v1/me", nil), 401)
	mustProblem(t, app.Anonymous(t).Do("POST", "/api/v1/session", map[string]string{"email": "p@x.de", "password": testenv.Password}), 401)
	app.Anonymous(t).Must(200, "POST", "/api/v1/session", map[string]string{"email": "p@x.de", "password": newPassword, "otp": app.OTP(t, "p@x.de")})
	if auditCount(t, app, "auth.password_change", &id) != 1 {
		t.Fatal("password change not audited")
	}
}

func TestPasswordPolicy(t *testing.T) {
	app := testenv.NewApp(t)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	admin := app.SignIn(t, "admin@x.de")
	for i, tc := range []struct {
		name, password string
		ok             bool
	}{
		{"eleven_characters_refused", "Abcdefghij1", false},
		{"twelve_characters_accepted", "Abcdefghij12", true},
		{"twelve_letters_with_umlauts_count_as_characters", "Grüße-äöüÄÖÜ", true},
		{"128_characters_accepted", strings.Repeat("Gruendung-", 12) + "Beratung", true},
		{"129_characters_refused", strings.Repeat("Gruendung-", 12) + "Beratung!", false},
		{"common_password_refused", "passwort1234", false},
		{"common_password_with_any_case_refused", "PassWort1234", false},
		{"common_stem_with_digits_refused", "lotse2026lotse", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"email": fmt.Sprintf("u%d@x.de", i), "name": "U", "password": tc.password}
			r := admin.Do("POST", "/api/v1/users", body)
			if tc.ok {
				if r.Status != 201 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if strings.Contains(string(r.Body), tc.password) {
					t.Fatal("the answer shows the password")
				}
				return
			}
			p := mustProblem(t, r, 422)
			if !slices.Contains(p.fields(), "password") {
				t.Fatalf("%+v", p)
			}
		})
	}
	t.Run("stored_as_argon2id", func(t *testing.T) {
		var hash string
		_ = app.DB.Store.DB.Get(&hash, `SELECT password_hash FROM users WHERE email = 'u1@x.de'`)
		if !strings.HasPrefix(hash, "$argon2id$") {
			t.Fatalf("hash %q", hash)
		}
	})
}

func TestRoleChangeReachesEveryInstance(t *testing.T) {
	db := testdb.New(t)
	one := testenv.StartApp(t, db)
	two := testenv.StartApp(t, db)
	c1 := one.Carrier(t, "C1")
	id := one.User(t, "moving@x.de", domain.RoleAdvisor, c1)
	one.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	if err := two.Authz.Reload(); err != nil { // the user was added behind its back
		t.Fatal(err)
	}
	admin := one.SignIn(t, "admin@x.de")
	cl := two.SignIn(t, "moving@x.de")
	advisors := "/api/v1/carriers/" + c1.String() + "/advisors"
	mustProblem(t, cl.Do("GET", advisors, nil), 403)

	eventually := func(t *testing.T, path string, want int) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			r := cl.Do("GET", path, nil)
			if r.Status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s on the other instance: still %d, want %d", path, r.Status, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Run("promotion_counts_on_the_other_instance", func(t *testing.T) {
		admin.Must(200, "PUT", "/api/v1/users/"+id.String()+"/roles", map[string]any{"roles": []map[string]any{{"role": "coordinator", "carrier_id": c1}}})
		eventually(t, advisors, 200)
	})
	t.Run("removal_counts_on_the_other_instance", func(t *testing.T) {
		admin.Must(200, "PUT", "/api/v1/users/"+id.String()+"/roles", map[string]any{"roles": []map[string]any{}})
		eventually(t, "/api/v1/cases", 403)
	})
	t.Run("role_change_is_audited", func(t *testing.T) {
		if n := auditCount(t, one, "user.roles_change", &id); n < 3 { // the fixture's and the two above
			t.Fatalf("%d user.roles_change", n)
		}
	})
	t.Run("carrier_role_needs_a_carrier", func(t *testing.T) {
		p := mustProblem(t, admin.Do("PUT", "/api/v1/users/"+id.String()+"/roles", map[string]any{"roles": []map[string]any{{"role": "advisor"}}}), 422)
		if !slices.Contains(p.fields(), "roles[0].carrier_id") {
			t.Fatalf("%+v", p)
		}
		p = mustProblem(t, admin.Do("PUT", "/api/v1/users/"+id.String()+"/roles", map[string]any{"roles": []map[string]any{{"role": "advisor", "carrier_id": uuid.New()}}}), 422)
		if !slices.Contains(p.fields(), "roles[0].carrier_id") {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("the_same_role_twice_is_one_membership", func(t *testing.T) {
		twice := []map[string]any{{"role": "coordinator", "carrier_id": c1}, {"role": "coordinator", "carrier_id": c1}, {"role": "admin", "carrier_id": nil}}
		r := admin.Must(200, "PUT", "/api/v1/users/"+id.String()+"/roles", map[string]any{"roles": twice})
		var u struct {
			Roles []map[string]any `json:"roles"`
		}
		r.JSON(t, &u)
		if len(u.Roles) != 2 {
			t.Fatalf("roles %v, want coordinator and admin once each", u.Roles)
		}
	})
}

func TestAuditTrail(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "C1")
	app.User(t, "a@x.de", domain.RoleAdvisor, c1)
	pmID := app.User(t, "pm@x.de", domain.RoleProgrammeManager, uuid.Nil)
	adminID := app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	adv := app.SignIn(t, "a@x.de")
	pm := app.SignIn(t, "pm@x.de")
	admin := app.SignIn(t, "admin@x.de")

	t.Run("writes_are_audited_with_actor_and_request", func(t *testing.T) {
		r := admin.Must(201, "POST", "/api/v1/carriers", map[string]any{"name": "C2", "short_name": "C2"})
		cid := uuid.MustParse(r.Map(t)["id"].(string))
		var ev domain.AuditEvent
		if err := app.DB.Store.DB.Get(&ev, `SELECT * FROM audit_events WHERE action = 'carrier.create' AND object_id = $1`, cid); err != nil {
			t.Fatal(err)
		}
		if ev.ActorID == nil || *ev.ActorID != adminID || ev.RequestID == nil || *ev.RequestID != r.Header.Get("X-Request-ID") || ev.Outcome != "success" {
			t.Fatalf("%+v", ev)
		}
		r = admin.Must(201, "POST", "/api/v1/users", map[string]any{"email": "new@x.de", "name": "N", "password": testenv.Password})
		uid := uuid.MustParse(r.Map(t)["id"].(string))
		if auditCount(t, app, "user.create", &uid) != 1 {
			t.Fatal("user.create not audited")
		}
	})
	t.Run("forbidden_action_is_audited", func(t *testing.T) {
		mustProblem(t, pm.Do("GET", "/api/v1/cases", nil), 403)
		var n int
		_ = app.DB.Store.DB.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'authz.denied' AND actor_id = $1 AND outcome = 'denied:case:read'`, pmID)
		if n != 1 {
			t.Fatalf("%d denials recorded", n)
		}
	})
	t.Run("object_outside_scope_is_audited", func(t *testing.T) {
		app.User(t, "b@x.de", domain.RoleAdvisor, app.Carrier(t, "C3"))
		id, _ := app.SignIn(t, "b@x.de").NewCase(map[string]any{"founder": testenv.Founder("X", "Y")})
		mustProblem(t, adv.Do("GET", "/api/v1/cases/"+id, nil), 404)
		cid := uuid.MustParse(id)
		if auditCount(t, app, "authz.denied", &cid) != 1 {
			t.Fatal("scope denial not audited")
		}
	})
	t.Run("reading_counselling_content_is_audited", func(t *testing.T) {
		id, _ := adv.NewCase(map[string]any{"founder": testenv.Founder("X", "Y")})
		adv.Must(200, "GET", "/api/v1/cases/"+id, nil)
		cid := uuid.MustParse(id)
		if auditCount(t, app, "case.read", &cid) != 1 {
			t.Fatal("case.read not audited")
		}
	})
	t.Run("audit_rows_hold_no_personal_data", func(t *testing.T) {
		var n int
		_ = app.DB.Store.DB.Get(&n, `SELECT count(*) FROM audit_events e WHERE e::text LIKE '%@x.de%' OR e::text LIKE '%127.0.0.1%'`)
		if n != 0 {
			t.Fatalf("%d audit rows with e-mail addresses or IP addresses", n)
		}
	})
	// That nobody can change or delete audit rows: store/roles_test.go.
}
