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
	Store *store.Store
	URL   string
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
	test := pgtestdb.Custom(t, conf, migrator{})
	st, err := store.Open(test.URL())
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return DB{Store: st, URL: test.URL()}
}

func trimSlash(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}
