package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// TestUnchangedSessionIsNotWritten: requests that change nothing leave the session row
// as it is (no write per page view only to move its idle expiry); changed data, and an
// expiry moved on by a minute or more, are written; a deleted session is gone.
func TestUnchangedSessionIsNotWritten(t *testing.T) {
	app := testenv.NewApp(t)
	carrier := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "anna@c1.de", domain.RoleAdvisor, carrier)
	cl := app.SignIn(t, "anna@c1.de")
	db := app.DB.Store.DB
	versions := func() string { // the row versions of every session
		var v string
		if err := db.Get(&v, `SELECT coalesce(string_agg(xmin::text, ',' ORDER BY token), '') FROM sessions`); err != nil {
			t.Fatal(err)
		}
		return v
	}
	cl.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	before := versions()
	if before == "" {
		t.Fatal("no session row after signing in")
	}
	cl.Must(http.StatusOK, "GET", "/api/v1/me", nil)
	cl.Must(http.StatusOK, "GET", "/cases", nil)
	if after := versions(); after != before {
		t.Errorf("reading wrote the session: row versions %s, then %s", before, after)
	}

	codec := scs.GobCodec{}
	q := httpx.NewQuietSessions(postgresstore.New(db.DB), codec, time.Minute)
	expiry := time.Now().Add(30 * time.Minute).Round(time.Second)
	var last string
	for _, step := range []struct {
		name    string
		user    string
		expiry  time.Time
		written bool
	}{
		{"new", "a", expiry, true},
		{"same data, expiry 30 s later", "a", expiry.Add(30 * time.Second), false},
		{"same data again (gob encodes a map in random order)", "a", expiry.Add(40 * time.Second), false},
		{"same data, expiry 61 s later", "a", expiry.Add(61 * time.Second), true},
		{"other data", "b", expiry.Add(61 * time.Second), true},
	} {
		values := map[string]any{"user": step.user, "epoch": 3, "lang": "de", "flash": "", "x": 1.5}
		b, err := codec.Encode(expiry.Add(12*time.Hour), values)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Commit("quiet-test", b, step.expiry); err != nil {
			t.Fatal(err)
		}
		var v string
		var data []byte
		if err := db.QueryRow(`SELECT xmin::text, data FROM sessions WHERE token = 'quiet-test'`).Scan(&v, &data); err != nil {
			t.Fatal(err)
		}
		_, stored, err := codec.Decode(data)
		if (v != last) != step.written || err != nil || stored["user"] != step.user {
			t.Errorf("%s: written %v (user %v, %v), want %v", step.name, v != last, stored["user"], err, step.written)
		}
		last = v
	}
	if err := q.Delete("quiet-test"); err != nil {
		t.Fatal(err)
	}
	if b, found, err := q.Find("quiet-test"); err != nil || found {
		t.Errorf("deleted session found: %q %v %v", b, found, err)
	}
}
