package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// testLimits are sign-in limits for use cases the tests call directly.
var testLimits = store.LoginLimits{PerAccount: 5, PerAddress: 30, Window: 15 * time.Minute}

// freshSession signs user in anew (a session besides the matrix caller's own) and
// returns that session's id.
func (f *matrixFixture) freshSession(t *testing.T, user uuid.UUID) uuid.UUID {
	t.Helper()
	var email string
	if err := f.app.DB.Store.DB.Get(&email, `SELECT email FROM users WHERE id = $1`, user); err != nil {
		t.Fatal(err)
	}
	return uuid.MustParse(currentSession(t, f.app.SignIn(t, email)).ID)
}

// sessionEntries are the matrix rows of one's own sessions: every signed-in person
// lists and ends their own; another person's session is 404 like one that does not
// exist. Ending every other session ends the caller's other sessions, so those rows
// run as a clone of the caller.
func (f *matrixFixture) sessionEntries() []matrixEntry {
	const get_, post, del = http.MethodGet, http.MethodPost, http.MethodDelete
	// A session of the person of kind k: the caller's own (another one than the
	// caller's client), A2's in C1, B1's in C2, or none.
	someones := func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) uuid.UUID {
		if k == noneObj {
			return uuid.New()
		}
		return f.freshSession(t, f.userOf(p, k))
	}
	return []matrixEntry{
		{method: get_, path: "/api/v1/me/sessions", reach: reachSignedIn(everywhere), ok: 200, call: getRow("/api/v1/me/sessions"),
			check: func(t *testing.T, f *matrixFixture, p *matrixCaller, r testenv.Response) {
				var l struct{ Items []sessionItem }
				r.JSON(t, &l)
				var n int
				if err := f.app.DB.Store.DB.Get(&n, `SELECT count(*) FROM user_sessions WHERE user_id <> $1 AND id = ANY($2::uuid[])`, p.id, pq.Array(sessionIDs(l.Items))); err != nil || n != 0 {
					t.Errorf("%s lists %d sessions of others (%v)", p.role, n, err)
				}
			}},
		{method: del, path: "/api/v1/me/sessions/:id", reach: reachSignedIn(ownOnly), objects: true, ok: 204,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/me/sessions/" + someones(t, f, p, k).String()}
			}},
		{method: post, path: "/api/v1/me/sessions/sign-out-others", reach: reachSignedIn(everywhere), ok: 200, clone: true,
			call: getRow("/api/v1/me/sessions/sign-out-others")},
		{method: post, path: "/account/sessions/:id/end", reach: reachSignedIn(ownOnly), objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return form("/account/sessions/" + someones(t, f, p, k).String() + "/end")
			}},
		{method: post, path: "/account/sessions/end-others", reach: reachSignedIn(everywhere), ok: 303, clone: true,
			call: func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
				return form("/account/sessions/end-others")
			}},
	}
}

func sessionIDs(items []sessionItem) []string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = s.ID
	}
	return out
}
