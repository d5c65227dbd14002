package server_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// signinEntries are the matrix rows of the second factor: every signed-in person
// manages their own (own account only, no object), the second step of a sign-in is
// public. Rows that change the second factor run as a clone of the caller, with the
// second factor switched on or off as the row needs. Switching on needs an enrolment
// begun in the same session, which one request cannot have: there the matrix expects
// the 422 of a missing enrolment (reachable, refused by the use case);
// signin_test.go switches it on for real.
func (f *matrixFixture) signinEntries() []matrixEntry {
	const get_, post = http.MethodGet, http.MethodPost
	signedIn := reachSignedIn(everywhere)
	// withFactor sets the clone's second factor as the row needs it and returns a
	// current code (for on).
	withFactor := func(t *testing.T, id uuid.UUID, on bool) string {
		t.Helper()
		if id == uuid.Nil {
			return "000000" // anonymous: refused before any check
		}
		var enabled bool
		if err := f.app.DB.Store.DB.Get(&enabled, `SELECT totp_enabled_at IS NOT NULL FROM users WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		switch {
		case on && !enabled:
			f.app.EnrolSecondFactor(t, id)
		case !on && enabled:
			if _, err := f.app.DB.Store.DB.Exec(`UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1`, id); err != nil {
				t.Fatal(err)
			}
		}
		if !on {
			return ""
		}
		if _, err := f.app.DB.Store.DB.Exec(`UPDATE users SET totp_last_step = NULL WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		code, err := totp.GenerateCode(testenv.TOTPSecret, f.app.DB.Store.Now())
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	return []matrixEntry{
		{method: get_, path: "/api/v1/me/second-factor", reach: signedIn, ok: 200, call: getRow("/api/v1/me/second-factor")},
		{method: post, path: "/api/v1/me/second-factor/enrolment", reach: signedIn, ok: 200, clone: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				withFactor(t, p.id, false)
				return matrixCall{path: "/api/v1/me/second-factor/enrolment"}
			}},
		{method: post, path: "/api/v1/me/second-factor", reach: signedIn, ok: 422,
			call: func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
				return matrixCall{path: "/api/v1/me/second-factor", body: map[string]string{"current_password": testenv.Password, "code": "123456"}}
			}},
		{method: post, path: "/api/v1/me/second-factor/disable", reach: signedIn, ok: 204, clone: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				code := withFactor(t, p.id, true)
				return matrixCall{path: "/api/v1/me/second-factor/disable", body: map[string]string{"current_password": testenv.Password, "code": code}}
			}},
		{method: post, path: "/api/v1/me/second-factor/recovery-codes", reach: signedIn, ok: 200, clone: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				withFactor(t, p.id, true)
				return matrixCall{path: "/api/v1/me/second-factor/recovery-codes", body: map[string]string{"current_password": testenv.Password}}
			}},

		// pages
		{method: get_, path: "/login/second-factor", public: true, ok: 303, call: getRow("/login/second-factor")},
		{method: post, path: "/login/second-factor", public: true, ok: 303,
			call: func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
				return form("/login/second-factor", "code", "123456") // nothing pending: back to the sign-in
			}},
		{method: get_, path: "/account/second-factor", reach: signedIn, ok: 200, call: getRow("/account/second-factor")},
		{method: post, path: "/account/second-factor/enrolment", reach: signedIn, ok: 303, clone: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				withFactor(t, p.id, false)
				return form("/account/second-factor/enrolment")
			}},
		{method: post, path: "/account/second-factor", reach: signedIn, ok: 422,
			call: func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
				return form("/account/second-factor", "current_password", testenv.Password, "code", "123456")
			}},
		{method: post, path: "/account/second-factor/disable", reach: signedIn, ok: 303, clone: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				code := withFactor(t, p.id, true)
				return form("/account/second-factor/disable", "current_password", testenv.Password, "code", code)
			}},
		{method: post, path: "/account/second-factor/recovery-codes", reach: signedIn, ok: 200, clone: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				withFactor(t, p.id, true)
				return form("/account/second-factor/recovery-codes", "current_password", testenv.Password)
			}},
	}
}
