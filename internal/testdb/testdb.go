// Package testdb gives tests a real PostgreSQL database, fresh and migrated for each
// test (pgtestdb). It imports nothing of the HTTP side, so the packages below it
// (store, stats, export) can use it in their own tests.
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the database driver
	"github.com/peterldowns/pgtestdb"

	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/migrations"
)

// baseURL is the server tests create their databases on: TEST_DATABASE_URL, else the
// PostgreSQL on 127.0.0.1:5432. `make test` finds or starts one and sets the variable.
func baseURL(t testing.TB) *url.URL {
	t.Helper()
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		raw = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
		conn, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second)
		if err != nil {
			t.Fatalf("no PostgreSQL: set TEST_DATABASE_URL or run `make test`, which starts one (%v)", err)
		}
		conn.Close()
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	return u
}

// migrator runs Lotse's goose migrations; its hash names pgtestdb's template database.
type migrator struct{}

func (migrator) Hash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil))[:16], err
}

func (migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	return store.Migrate(ctx, db)
}

// DB is a fresh, migrated database of one test.
type DB struct {
	// Store connects as the server does in production: as a member of lotse_app, the
	// least-privileged role of migration 00005 (no DDL, only INSERT and SELECT on the
	// audit trail).
	Store *store.Store
	// URL connects as that role too; OwnerURL as the schema owner (a superuser here),
	// for fixtures that must do what the server may not.
	URL, OwnerURL string
}

// AppRole is the login role the tests' servers connect as. Its password is no secret:
// the role exists only on test clusters and is useless without access to one.
const AppRole = "lotse_test_app"

// createRoles makes the roles as an operator would before the first migration
// (README, "Database roles"): the group lotse_app and a login role in it. pgtestdb's
// owner role, which runs the migrations, may not create roles — like an owner in
// production. Races between test processes are harmless: the loser finds the role.
const createRoles = `
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lotse_app') THEN
        CREATE ROLE lotse_app NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '` + AppRole + `') THEN
        CREATE ROLE ` + AppRole + ` LOGIN PASSWORD '` + AppRole + `' IN ROLE lotse_app;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END;
$$`

var roles struct {
	once sync.Once
	err  error
}

// ensureRoles creates the roles on the cluster of base once per test process.
func ensureRoles(t testing.TB, base string) {
	t.Helper()
	roles.once.Do(func() {
		var db *sql.DB
		if db, roles.err = sql.Open("postgres", base); roles.err == nil {
			_, roles.err = db.Exec(createRoles)
			db.Close()
		}
	})
	if roles.err != nil {
		t.Fatalf("creating the roles lotse_app and %s (TEST_DATABASE_URL's user needs CREATEROLE): %v", AppRole, roles.err)
	}
}

// asApp is a URL of the same database with the app role's credentials.
func asApp(t testing.TB, ownerURL string) string {
	t.Helper()
	u, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(AppRole, AppRole)
	return u.String()
}

// New creates a fresh migrated database for t; it is dropped when t passes.
func New(t testing.TB) DB {
	t.Helper()
	u := baseURL(t)
	pw, _ := u.User.Password()
	conf := pgtestdb.Config{
		DriverName: "postgres",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   pw,
		Database:   trimSlash(u.Path),
		Options:    "sslmode=disable",
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	if conf.Database == "" {
		conf.Database = "postgres"
	}
	ensureRoles(t, u.String())
	test := pgtestdb.Custom(t, conf, migrator{})
	app := asApp(t, test.URL())
	st, err := store.Open(app)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return DB{Store: st, URL: app, OwnerURL: test.URL()}
}

func trimSlash(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}
