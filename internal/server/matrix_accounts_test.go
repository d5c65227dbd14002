package server_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// accountEntries are the matrix rows of the administrator's account work — reading and
// editing an account, setting a one-time password — and of everyone's change of their
// own password through the API and the forced-change page. Rows that end the target's
// sessions run on a clone when the target is the caller.
func (f *matrixFixture) accountEntries() []matrixEntry {
	const get_, post, patch = http.MethodGet, http.MethodPost, http.MethodPatch
	const newPassword = "Neues-Passwort-fuer-Lotse"
	return []matrixEntry{
		{method: get_, path: "/api/v1/users/:id", reach: reachAdminOnly, objects: true, ok: 200,
			call: func(_ *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/users/" + f.userOf(p, k).String()}
			}},
		{method: patch, path: "/api/v1/users/:id", reach: reachAdminOnly, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				id := f.userTarget(t, p, k)
				return matrixCall{path: "/api/v1/users/" + id.String(), body: map[string]any{"name": "Umbenannt"},
					headers: ifMatchHeader(`"` + f.userVersion(t, id) + `"`)}
			}},
		{method: post, path: "/api/v1/users/:id/password", reach: reachAdminOnly, objects: true, ok: 200, cloneForOwn: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/users/" + f.userTarget(t, p, k).String() + "/password", body: map[string]any{"password": newPassword}}
			}},
		{method: post, path: "/api/v1/me/password", reach: reachSignedIn(everywhere), ok: 200, clone: true,
			call: func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
				return matrixCall{path: "/api/v1/me/password", body: map[string]any{"current_password": testenv.Password, "new_password": newPassword}}
			}},

		// pages
		{method: post, path: "/admin/users/:id", reach: reachAdminOnly, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				id := f.userTarget(t, p, k)
				email := "keine" + strconv.FormatInt(f.next(), 10) + "@x.test"
				if u, err := f.app.DB.Store.User(context.Background(), id); err == nil {
					email = u.Email // the caller's own address stays: other rows sign in with it
				}
				return form("/admin/users/"+id.String(), "name", "Umbenannt", "email", email,
					"languages", "de", "version", f.userVersion(t, id))
			}},
		{method: post, path: "/admin/users/:id/password", reach: reachAdminOnly, objects: true, ok: 303, cloneForOwn: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return form("/admin/users/"+f.userTarget(t, p, k).String()+"/password", "password", newPassword)
			}},
		// Nobody in the matrix must change a one-time password: the page sends them to
		// the form on their account page (the forced change: admin_test.go).
		{method: get_, path: "/account/password", reach: reachSignedIn(everywhere), ok: 303, call: getRow("/account/password")},
	}
}

// userVersion is the current version of account id ("1" for one that does not exist).
func (f *matrixFixture) userVersion(t *testing.T, id uuid.UUID) string {
	t.Helper()
	u, err := f.app.DB.Store.User(context.Background(), id)
	if err != nil {
		return "1"
	}
	return strconv.Itoa(u.Version)
}
