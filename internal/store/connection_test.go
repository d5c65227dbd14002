package store_test

import (
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

// TestConnectionsRunWithoutJIT: every connection of the application's pool, under its
// login role (a member of the NOLOGIN group lotse_app, whose role settings would not be
// inherited), starts with JIT off and the statement timeout; a URL that sets either
// keeps its own value.
func TestConnectionsRunWithoutJIT(t *testing.T) {
	db := testdb.New(t)
	for _, c := range []struct{ url, jit, timeout string }{
		{db.URL, "off", "15s"},
		{db.URL + "&jit=on&statement_timeout=2000", "on", "2s"},
	} {
		st, err := store.Open(c.url)
		if err != nil {
			t.Fatal(err)
		}
		st.DB.SetMaxOpenConns(3)
		for range 3 { // three connections of the pool, each held open in a transaction
			tx, err := st.DB.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			var jit, timeout string
			if err := tx.QueryRow(`SELECT current_setting('jit'), current_setting('statement_timeout')`).Scan(&jit, &timeout); err != nil {
				t.Fatal(err)
			}
			if jit != c.jit || timeout != c.timeout {
				t.Errorf("%s: jit %s, statement_timeout %s; want %s, %s", c.url, jit, timeout, c.jit, c.timeout)
			}
		}
		_ = st.Close()
	}
}
